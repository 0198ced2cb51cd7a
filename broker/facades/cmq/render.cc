#include "broker/facades/cmq/render.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"

namespace rewindmq::facade::cmq {
namespace {

namespace json = boost::json;

json::string_view J(absl::string_view s) { return {s.data(), s.size()}; }

int64_t Seconds(absl::Time t) { return absl::ToUnixSeconds(t); }

// The envelope of §2.7 with `fields` appended after it.
std::string Render(const ResponseMeta& meta, int code,
                   absl::string_view message, json::object fields = {}) {
  json::object out;
  out.reserve(fields.size() + 4);
  out["code"] = code;
  out["message"] = J(message);
  out["requestId"] = J(meta.request_id);
  if (meta.client_request_id.has_value()) {
    out["clientRequestId"] = *meta.client_request_id;
  }
  for (auto& field : fields) out[field.key()] = std::move(field.value());
  return json::serialize(out);
}

std::string Success(const ResponseMeta& meta, json::object fields = {}) {
  return Render(meta, 0, "", std::move(fields));
}

json::object MessageFields(const broker::CmqReceivedMessage& m) {
  json::object o;
  o["msgBody"] = J(m.body);
  o["msgId"] = J(m.msg_id);
  o["receiptHandle"] = J(m.receipt_handle);
  o["enqueueTime"] = Seconds(m.enqueue_time);
  o["firstDequeueTime"] = Seconds(m.first_dequeue_time);
  o["nextVisibleTime"] = Seconds(m.next_visible_time);
  o["dequeueCount"] = m.dequeue_count;
  return o;
}

void AddAttributes(const broker::CmqQueueAttributes& a, json::object& o) {
  o["maxMsgHeapNum"] = a.max_msg_heap_num;
  o["pollingWaitSeconds"] = a.polling_wait_seconds;
  o["visibilityTimeout"] = a.visibility_timeout;
  o["maxMsgSize"] = a.max_msg_size;
  o["msgRetentionSeconds"] = a.msg_retention_seconds;
  o["rewindSeconds"] = a.rewind_seconds;
}

}  // namespace

ResponseMeta MetaFor(absl::string_view request_id, const Params& params) {
  ResponseMeta meta;
  meta.request_id = std::string(request_id);
  auto it = params.find("clientRequestId");
  if (it != params.end() && !it->second.empty() &&
      std::all_of(it->second.begin(), it->second.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    uint64_t id = 0;
    if (absl::SimpleAtoi(it->second, &id)) meta.client_request_id = id;
  }
  return meta;
}

std::string RenderError(const ResponseMeta& meta, const CmqError& error) {
  return Render(meta, error.code, error.message);
}

std::string RenderEmptySuccess(const ResponseMeta& meta) {
  return Success(meta);
}

std::string RenderCreateQueue(const ResponseMeta& meta,
                              const broker::CmqQueueInfo& queue) {
  return Success(meta, {{"queueId", J(queue.queue_id)}});
}

std::string RenderListQueue(const ResponseMeta& meta,
                            const broker::CmqQueueListResult& result) {
  json::array list;
  list.reserve(result.queues.size());
  for (const broker::CmqQueueInfo& q : result.queues) {
    list.push_back(
        json::object{{"queueId", J(q.queue_id)}, {"queueName", J(q.name)}});
  }
  return Success(
      meta, {{"totalCount", result.total}, {"queueList", std::move(list)}});
}

std::string RenderGetQueueAttributes(const ResponseMeta& meta,
                                     const broker::CmqQueueInfo& queue) {
  const broker::CmqQueueCounters& c = queue.counters;
  json::object o;
  AddAttributes(queue.attributes, o);
  o["createTime"] = Seconds(queue.create_time);
  o["lastModifyTime"] = Seconds(queue.last_modify_time);
  o["activeMsgNum"] = c.active;
  o["inactiveMsgNum"] = c.inactive;
  o["delayMsgNum"] = c.delayed;
  o["rewindMsgNum"] = c.rewindable;
  o["rewindmsgNum"] = c.rewindable;
  o["minMsgTime"] = c.min_msg_time.has_value() ? Seconds(*c.min_msg_time) : 0;
  o["queueName"] = J(queue.name);
  o["queueId"] = J(queue.queue_id);
  return Success(meta, std::move(o));
}

std::string RenderSetQueueAttributes(const ResponseMeta& meta,
                                     const broker::CmqQueueInfo& queue) {
  json::object o;
  AddAttributes(queue.attributes, o);
  o["queueId"] = J(queue.queue_id);
  return Success(meta, std::move(o));
}

std::string RenderSendMessage(const ResponseMeta& meta,
                              absl::string_view msg_id) {
  return Success(meta, {{"msgId", J(msg_id)}});
}

std::string RenderBatchSendMessage(const ResponseMeta& meta,
                                   absl::Span<const std::string> msg_ids) {
  json::array list;
  list.reserve(msg_ids.size());
  for (const std::string& id : msg_ids) {
    list.push_back(json::object{{"msgId", J(id)}});
  }
  return Success(meta, {{"msgList", std::move(list)}});
}

std::string RenderReceiveMessage(const ResponseMeta& meta,
                                 const broker::CmqReceivedMessage& message) {
  return Success(meta, MessageFields(message));
}

std::string RenderBatchReceiveMessage(
    const ResponseMeta& meta,
    absl::Span<const broker::CmqReceivedMessage> messages) {
  json::array list;
  list.reserve(messages.size());
  for (const broker::CmqReceivedMessage& m : messages) {
    list.push_back(MessageFields(m));
  }
  return Success(meta, {{"msgInfoList", std::move(list)}});
}

std::string RenderBatchDeleteMessage(const ResponseMeta& meta,
                                     size_t handle_count,
                                     absl::Span<const DeleteFailure> failures) {
  if (failures.empty()) return Success(meta);
  json::array list;
  list.reserve(failures.size());
  for (const DeleteFailure& f : failures) {
    list.push_back(json::object{{"code", f.error.code},
                                {"message", J(f.error.message)},
                                {"receiptHandle", J(f.receipt_handle)}});
  }
  const CmqError top = MakeCmqError(failures.size() < handle_count
                                        ? ErrorKind::kDeletePartiallyFailed
                                        : ErrorKind::kBatchDeleteFailed);
  return Render(meta, top.code, top.message, {{"errorList", std::move(list)}});
}

}  // namespace rewindmq::facade::cmq
