-- wrk script: POST a legacy form body, varied per request, and count answers that are not a success.
-- Arguments (after "--"): path, url-encoded body template, customer count.
-- In the template __CODE__ becomes a random customer code (B0000000...), __AMOUNT__ a random amount
-- such as 12.34, __INT__ a random whole number from 100 to 9999.
local path, template, customers
local threads = {}
failed = 0  -- global: done() reads it from each thread with thread:get

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path, template, customers = args[1], args[2], tonumber(args[3])
  math.randomseed(os.time())
end

function request()
  local body = template
    :gsub("__CODE__", function() return string.format("B%07d", math.random(0, customers - 1)) end)
    :gsub("__AMOUNT__", function() return string.format("%d.%02d", math.random(1, 99), math.random(0, 99)) end)
    :gsub("__INT__", function() return tostring(math.random(100, 9999)) end)
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

-- Every legacy answer (errors included) is HTTP 200, so success is read from the body.
function response(status, headers, body)
  if not body:find('status="success"', 1, true) then
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
