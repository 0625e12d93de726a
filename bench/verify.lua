-- wrk script for bench/run: POSTs /api/v1/keys/verify bodies, cycling through the keys
-- in the file named by the KEYS environment variable (one key per line). Each thread
-- starts at its own offset. With no KEYS it GETs the path wrk was given (the baseline).
-- done() prints one machine-readable line: RESULT rps=… p50_ms=… p99_ms=… errors=…

local keys_file = os.getenv("KEYS")
local bodies = {}
-- Whole requests, formatted once in init(): request() only picks one, so the load
-- generator spends the same (little) time per request on every scenario.
local requests = {}
local index = 1
local threads = {}
local counter = 0

if keys_file and keys_file ~= "" then
  for line in io.lines(keys_file) do
    bodies[#bodies + 1] = '{"key":"' .. line .. '"}'
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  if #bodies == 0 then
    requests[1] = wrk.format()
  else
    for i, body in ipairs(bodies) do
      requests[i] = wrk.format(nil, nil, nil, body)
    end
    bodies = nil
  end
  index = (id * 7919) % #requests + 1
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
