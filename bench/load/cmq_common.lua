-- Shared by the cmq_*.lua wrk scripts: request helpers, per-thread counters
-- of CMQ answers (every CMQ answer is HTTP 200, so wrk's own error count
-- does not see API errors) and the result line that cmq_load.sh reads.
--
-- Counters are globals of each thread's Lua state so that done(), which
-- runs in the main state, can read them with thread:get().
local M = {}

M.path = "/v2/index.php"
M.queue = os.getenv("CMQ_QUEUE") or "bench-q"
M.form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

cmq_ok = 0     -- code 0
cmq_empty = 0  -- 7000: no message
cmq_other = 0  -- any other code

local threads = {}

-- wrk hooks that every script shares; a script may wrap them.
function M.install(scenario)
  function setup(thread)
    thread:set("thread_index", #threads)
    table.insert(threads, thread)
  end

  function init(args)
    math.randomseed(os.time() * 1000 + (thread_index or 0))
  end

  function done(summary, latency, requests)
    local ok, empty, other = 0, 0, 0
    for _, t in ipairs(threads) do
      ok = ok + (t:get("cmq_ok") or 0)
      empty = empty + (t:get("cmq_empty") or 0)
      other = other + (t:get("cmq_other") or 0)
    end
    local e = summary.errors
    local socket_errors = e.connect + e.read + e.write + e.status + e.timeout
    io.write(string.format(
      "CMQRESULT\t%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d\n",
      scenario, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, summary.requests, ok, empty, other,
      socket_errors))
  end
end

-- Counts one answer by its CMQ code.
function M.count(status, body)
  if status == 200 and body:find('{"code":0,', 1, true) == 1 then
    cmq_ok = cmq_ok + 1
  elseif body:find('{"code":7000,', 1, true) == 1 then
    cmq_empty = cmq_empty + 1
  else
    cmq_other = cmq_other + 1
    if cmq_other <= 3 then io.stderr:write("cmq answer: ", body, "\n") end
  end
end

-- Message bodies of CMQ_MSG_SIZE bytes (default 128): `prefix`, a counter
-- of this thread, padding; each call of the returned function gives the
-- next one, form-encoded.
function M.bodies(prefix)
  local size = tonumber(os.getenv("CMQ_MSG_SIZE") or "128")
  local pad = string.rep("x", math.max(0, size - 16))
  local n = 0
  return function()
    n = n + 1
    return M.urlencode(string.format("%s%015d", prefix, n) .. pad)
  end
end

-- The response hook of the scripts that only count answers.
function M.counting_response(status, headers, body)
  M.count(status, body)
end

function M.urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

return M
