-- wrk script: POST a body (JSON for the JSON API, a form for the legacy door) with a key, varied per
-- request, and count answers that are not a success. Arguments (after "--"): path, body template, user
-- count, secret key, content type, the text a successful answer contains.
-- In the template __USER__ becomes a random participant (P0000000...), __AMOUNT__ a random amount (12.34).
local path, template, users, key, content_type, success
local threads = {}
failed = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path, template, users, key, content_type, success = args[1], args[2], tonumber(args[3]), args[4], args[5], args[6]
  math.randomseed(os.time())
end

function request()
  local body = template
    :gsub("__USER__", function() return string.format("P%07d", math.random(0, users - 1)) end)
    :gsub("__AMOUNT__", function() return string.format("%d.%02d", math.random(1, 99), math.random(0, 99)) end)
  return wrk.format("POST", path, {["Content-Type"] = content_type, ["X-API-Secret"] = key}, body)
end

function response(status, headers, body)
  if status ~= 200 or not body:find(success, 1, true) then
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
