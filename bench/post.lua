-- wrk script: POST a body, varied per request, and count answers that are not a success.
-- Arguments (after "--"): path, body template, customer count, then optionally a secret key (sent as
-- X-API-Secret), the content type (default: a legacy form) and the text a successful answer contains
-- (default: the legacy XML's status="success"; every legacy answer, errors included, is HTTP 200).
-- In the template __CODE__ becomes a random legacy customer code (B0000000...), __USER__ a random JSON
-- API participant (P0000000...), __AMOUNT__ a random amount such as 12.34, __INT__ a random whole
-- number from 100 to 9999.
local path, template, customers, headers, success
local threads = {}
failed = 0  -- global: done() reads it from each thread with thread:get

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path, template, customers = args[1], args[2], tonumber(args[3])
  headers = {["Content-Type"] = (args[5] and args[5] ~= "") and args[5] or "application/x-www-form-urlencoded"}
  if args[4] and args[4] ~= "" then
    headers["X-API-Secret"] = args[4]
  end
  success = (args[6] and args[6] ~= "") and args[6] or 'status="success"'
  math.randomseed(os.time())
end

function request()
  local body = template
    :gsub("__CODE__", function() return string.format("B%07d", math.random(0, customers - 1)) end)
    :gsub("__USER__", function() return string.format("P%07d", math.random(0, customers - 1)) end)
    :gsub("__AMOUNT__", function() return string.format("%d.%02d", math.random(1, 99), math.random(0, 99)) end)
    :gsub("__INT__", function() return tostring(math.random(100, 9999)) end)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if not body:find(success, 1, true) then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total_failed = 0
  for _, thread in ipairs(threads) do
    total_failed = total_failed + thread:get("failed")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "failed": %d, "socket_errors": %d, "http_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, total_failed, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
