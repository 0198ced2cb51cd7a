// Message lookups: VIEW_MESSAGE_BY_ID (33) by physical offset, and
// QUERY_MESSAGE (12) by key.
#include "absl/strings/str_cat.h"
#include "broker/errors.h"
#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting::internal {

void HandleViewMessage(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<int64_t> physical = IntField(req, "offset");
  if (!physical.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(physical.status().message()));
  uint64_t queue_id = 0;
  int64_t offset = 0;
  SplitPhysicalOffset(*physical, &queue_id, &offset);
  absl::StatusOr<broker::Message> m = ctx.broker->topics().FindMessageAt(
      ctx.config->instance, queue_id, Offset{offset});
  if (!m.ok()) {
    return Reply(
        ctx, req, status::kSystemError,
        absl::StrCat("can not find message by the offset, ", *physical));
  }
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  AppendMessageRecord(ToWire(ctx, *m), &r.body);
  ctx.respond(std::move(r));
}

void HandleQueryMessage(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<std::string> topic = Required(req, "topic");
  absl::StatusOr<std::string> key = Required(req, "key");
  absl::StatusOr<int64_t> max = IntField(req, "maxNum", 32);
  absl::StatusOr<int64_t> begin = IntField(req, "beginTimestamp", 0);
  absl::StatusOr<int64_t> end = IntField(req, "endTimestamp", INT64_MAX / 1000);
  if (!topic.ok() || !key.ok() || !max.ok() || !begin.ok() || !end.ok()) {
    return Reply(ctx, req, status::kSystemError, "bad query message header");
  }
  const bool by_uniq_key = BoolField(req, "_UNIQUE_KEY_QUERY", false);
  broker::MessageQuery q;
  q.topic = *topic;
  if (by_uniq_key) {
    q.uniq_key = *key;
  } else {
    q.key = *key;
  }
  q.start_time = absl::FromUnixMillis(std::max<int64_t>(0, *begin));
  q.end_time = absl::FromUnixMillis(*end);
  q.limit = std::clamp<int64_t>(*max, 1, 1000);
  absl::StatusOr<broker::MessageQueryResult> found =
      ctx.broker->topics().QueryMessages(ctx.config->instance, q);
  if (!found.ok()) return ReplyError(ctx, req, found.status());
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  int64_t n = 0;
  for (const broker::Message& m : found->messages) {
    if (m.queue.broker_name != ctx.broker_name) continue;
    if (by_uniq_key) {
      bool match = false;
      for (const auto& [k, v] : m.properties)
        match = match || (k == "UNIQ_KEY" && v == *key);
      if (!match && m.msg_id != *key) continue;
    }
    AppendMessageRecord(ToWire(ctx, m), &r.body);
    if (++n >= *max) break;
  }
  if (n == 0) {
    return Reply(ctx, req, status::kQueryNotFound,
                 absl::StrCat("no message with key ", *key, " in ", *topic));
  }
  r.Set("indexLastUpdateTimestamp", absl::StrCat(absl::ToUnixMillis(Now(ctx))));
  r.Set("indexLastUpdatePhyoffset", "0");
  ctx.respond(std::move(r));
}

}  // namespace rewindmq::facade::remoting::internal
