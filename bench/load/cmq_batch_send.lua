-- wrk script: BatchSendMessage (POST, form body) of 16 CMQ_MSG_SIZE-byte
-- bodies to CMQ_QUEUE; messages/s is 16 times the requests/s it reports.
package.path = (os.getenv("CMQ_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local cmq = require("cmq_common")
cmq.install("BatchSendMessage(16)")

local next_body = cmq.bodies("b")

function request()
  local parts = { "Action=BatchSendMessage&queueName=" .. cmq.queue }
  for i = 1, 16 do
    parts[#parts + 1] = string.format("msgBody.%d=", i) .. next_body()
  end
  return wrk.format("POST", cmq.path, cmq.form, table.concat(parts, "&"))
end

response = cmq.counting_response
