-- wrk script: BatchSendMessage (POST, form body) of 16 CMQ_MSG_SIZE-byte
-- bodies to CMQ_QUEUE; messages/s is 16 times the requests/s it reports.
package.path = (os.getenv("CMQ_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local cmq = require("cmq_common")
cmq.install("BatchSendMessage(16)")

local size = tonumber(os.getenv("CMQ_MSG_SIZE") or "128")
local pad = string.rep("x", math.max(0, size - 16))
local n = 0

function request()
  local parts = { "Action=BatchSendMessage&queueName=" .. cmq.queue }
  for i = 1, 16 do
    n = n + 1
    parts[#parts + 1] = string.format("msgBody.%d=", i) ..
        cmq.urlencode(string.format("b%015d", n) .. pad)
  end
  return wrk.format("POST", cmq.path, cmq.form, table.concat(parts, "&"))
end

function response(status, headers, body)
  cmq.count(status, body)
end
