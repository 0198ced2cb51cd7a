-- wrk script: SendMessage (POST, form body) of CMQ_MSG_SIZE-byte bodies to
-- CMQ_QUEUE.
package.path = (os.getenv("CMQ_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local cmq = require("cmq_common")
cmq.install("SendMessage")

local size = tonumber(os.getenv("CMQ_MSG_SIZE") or "128")
local pad = string.rep("x", math.max(0, size - 16))
local n = 0

function request()
  n = n + 1
  local body = "Action=SendMessage&queueName=" .. cmq.queue ..
      "&delaySeconds=0&msgBody=" .. cmq.urlencode(string.format("s%015d", n) .. pad)
  return wrk.format("POST", cmq.path, cmq.form, body)
end

function response(status, headers, body)
  cmq.count(status, body)
end
