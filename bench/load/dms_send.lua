-- wrk script: DMS SendMessage, one message per request, the same body each
-- time (the broker spreads them round robin over the topic's queues).
--   wrk ... -s dms_send.lua http://127.0.0.1:PORT/v2/reliability/local/instances/ID/messages -- TOPIC
-- done() prints one line:
--   RESULT send <requests> <seconds> <req/s> <p50 ms> <p90 ms> <p99 ms> <errors>

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local topic = "bench"

function init(args)
  if args[1] then topic = args[1] end
  wrk.body = string.format(
    '{"topic":"%s","body":"load test message of about one hundred bytes, ' ..
    'the same for every request.........."}', topic)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT send %d %.2f %.1f %.3f %.3f %.3f %d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, errors))
end
