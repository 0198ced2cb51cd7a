-- wrk script: RewindQueue (GET) on CMQ_QUEUE to a random startConsumeTime
-- in [now - (CMQ_REWIND_SECONDS - 2), now], inside the queue's rewind window.
package.path = (os.getenv("CMQ_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local cmq = require("cmq_common")
cmq.install("RewindQueue")

local window = tonumber(os.getenv("CMQ_REWIND_SECONDS") or "3600") - 2
local prefix = cmq.path .. "?Action=RewindQueue&queueName=" .. cmq.queue ..
    "&startConsumeTime="

function request()
  local t = os.time() - math.random(0, window)
  return wrk.format("GET", prefix .. t)
end

function response(status, headers, body)
  cmq.count(status, body)
end
