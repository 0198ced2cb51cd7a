-- wrk script: consume CMQ_QUEUE. Each connection alternates ReceiveMessage
-- (GET, pollingWaitSeconds=0) and DeleteMessage (POST) with the handle the
-- receive returned: handles wait in a per-thread list, and the next request
-- of the thread deletes one when there is one, else receives.
package.path = (os.getenv("CMQ_LUA_DIR") or ".") .. "/?.lua;" .. package.path
local cmq = require("cmq_common")
cmq.install("ReceiveMessage+DeleteMessage")

local handles = {}
local receive = wrk.format("GET", cmq.path .. "?Action=ReceiveMessage&queueName=" ..
    cmq.queue .. "&pollingWaitSeconds=0")
local delete_prefix = "Action=DeleteMessage&queueName=" .. cmq.queue .. "&receiptHandle="

function request()
  local handle = table.remove(handles)
  if handle ~= nil then
    return wrk.format("POST", cmq.path, cmq.form, delete_prefix .. cmq.urlencode(handle))
  end
  return receive
end

function response(status, headers, body)
  cmq.count(status, body)
  local handle = body:match('"receiptHandle":"([^"]+)"')
  if handle ~= nil then table.insert(handles, handle) end
end
