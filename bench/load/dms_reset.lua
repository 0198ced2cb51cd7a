-- wrk script: DMS ResetConsumeOffset of one group on one topic, each request
-- to a random timestamp (epoch ms) in [FIRST_MS, LAST_MS].
--   wrk ... -s dms_reset.lua \
--     http://127.0.0.1:PORT/v2/reliability/local/instances/ID/groups/GROUP/reset-message-offset \
--     -- TOPIC FIRST_MS LAST_MS
-- done() prints one line:
--   RESULT reset <requests> <seconds> <req/s> <p50 ms> <p90 ms> <p99 ms> <errors>

local threads = 0

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

local topic, first_ms, span

function init(args)
  topic = args[1] or "bench"
  first_ms = tonumber(args[2])
  span = tonumber(args[3]) - first_ms + 1
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local t = first_ms + math.floor(math.random() * span)
  return wrk.format(nil, nil, nil,
    string.format('{"topic":"%s","timestamp":%.0f}', topic, t))
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT reset %d %.2f %.1f %.3f %.3f %.3f %d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, errors))
end
