-- wrk script: SendMessage (POST, form body) of CMQ_MSG_SIZE-byte bodies to
-- CMQ_QUEUE.
package.path = (os.getenv("CMQ_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local cmq = require("cmq_common")
cmq.install("SendMessage")

local next_body = cmq.bodies("s")

function request()
  local body = "Action=SendMessage&queueName=" .. cmq.queue ..
      "&delaySeconds=0&msgBody=" .. next_body()
  return wrk.format("POST", cmq.path, cmq.form, body)
end

response = cmq.counting_response
