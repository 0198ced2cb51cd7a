// Offsets: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15),
// SEARCH_OFFSET_BY_TIMESTAMP (29, the storage time index), GET_MAX_OFFSET
// (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32).
#include "absl/strings/str_cat.h"
#include "broker/errors.h"
#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting::internal {
namespace {

struct QueueArgs {
  std::string topic;
  int64_t queue_id = 0;
};

absl::StatusOr<QueueArgs> ParseQueue(const RemotingCommand& req) {
  QueueArgs a;
  absl::StatusOr<std::string> topic = Required(req, "topic");
  if (!topic.ok()) return topic.status();
  a.topic = *topic;
  absl::StatusOr<int64_t> q = IntField(req, "queueId");
  if (!q.ok()) return q.status();
  a.queue_id = *q;
  return a;
}

// min_offset and max_offset of one queue of this listener's broker.
absl::StatusOr<broker::QueueStatus> Bounds(const RequestContext& ctx,
                                           const QueueArgs& a) {
  absl::StatusOr<broker::TopicStatus> status =
      ctx.broker->topics().GetTopicStatus(ctx.config->instance, a.topic);
  if (!status.ok()) return status.status();
  const broker::QueueRef queue = QueueOf(ctx, a.queue_id);
  for (const broker::QueueStatus& s : status->queues) {
    if (s.queue == queue) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "queueId[", a.queue_id, "] is illegal, topic:[", a.topic, "]"));
}

void ReplyOffset(const RequestContext& ctx, const RemotingCommand& req,
                 absl::string_view key, int64_t value) {
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.Set(key, absl::StrCat(value));
  ctx.respond(std::move(r));
}

}  // namespace

void HandleQueryOffset(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<std::string> group = Required(req, "consumerGroup");
  absl::StatusOr<QueueArgs> a = ParseQueue(req);
  if (!group.ok() || !a.ok()) {
    return Reply(ctx, req, status::kSystemError, "bad query offset header");
  }
  absl::StatusOr<std::optional<Offset>> committed =
      ctx.broker->groups().GetCommitted(ctx.config->instance, *group, a->topic,
                                        QueueOf(ctx, a->queue_id));
  if (committed.ok() && committed->has_value()) {
    return ReplyOffset(ctx, req, "offset", (*committed)->value);
  }
  if (!committed.ok() &&
      broker::ReasonOf(committed.status()) != broker::Reason::kGroupNotFound) {
    return ReplyError(ctx, req, committed.status());
  }
  // Never committed: a young queue (nothing removed yet) is read from 0,
  // as a young Apache broker answers; otherwise the client applies its
  // consumeFromWhere.
  absl::StatusOr<broker::QueueStatus> bounds = Bounds(ctx, *a);
  if (BoolField(req, "setZeroIfNotFound", true) && bounds.ok() &&
      bounds->max_offset.value > 0 && bounds->min_offset.value == 0) {
    return ReplyOffset(ctx, req, "offset", 0);
  }
  Reply(ctx, req, status::kQueryNotFound,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first");
}

void HandleUpdateOffset(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<std::string> group = Required(req, "consumerGroup");
  absl::StatusOr<QueueArgs> a = ParseQueue(req);
  absl::StatusOr<int64_t> offset = IntField(req, "commitOffset");
  if (!group.ok() || !a.ok() || !offset.ok()) {
    return Reply(ctx, req, status::kSystemError, "bad update offset header");
  }
  if (absl::Status s = EnsureGroup(ctx, *group); !s.ok()) {
    return ReplyError(ctx, req, s);
  }
  broker::CommitRequest commit;
  commit.group = *group;
  commit.topic = a->topic;
  commit.queue = QueueOf(ctx, a->queue_id);
  commit.next_offset = Offset{*offset};
  commit.yield_to_pending_reset = true;
  absl::Status s = ctx.broker->groups().Commit(ctx.config->instance, commit);
  if (!s.ok() && !absl::IsOutOfRange(s)) return ReplyError(ctx, req, s);
  Reply(ctx, req, status::kSuccess);
}

void HandleSearchOffset(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<QueueArgs> a = ParseQueue(req);
  absl::StatusOr<int64_t> ms = IntField(req, "timestamp");
  if (!a.ok() || !ms.ok()) {
    return Reply(ctx, req, status::kSystemError, "bad search offset header");
  }
  const std::string* boundary = req.Field("boundaryType");
  const bool upper = boundary != nullptr && *boundary == "UPPER";
  // LOWER: the first offset stored at or after T. UPPER: the last stored
  // at or before T (the one before the first stored after T).
  const absl::Time t = absl::FromUnixMillis(upper ? *ms + 1 : *ms);
  absl::StatusOr<broker::Topics::TimePosition> pos =
      ctx.broker->topics().LookupTime(ctx.config->instance, a->topic,
                                      QueueOf(ctx, a->queue_id), t);
  if (!pos.ok()) {
    return Reply(ctx, req, status::kSystemError,
                 std::string(pos.status().message()));
  }
  int64_t offset = pos->offset.value;
  if (upper) {
    absl::StatusOr<broker::QueueStatus> bounds = Bounds(ctx, *a);
    const int64_t min = bounds.ok() ? bounds->min_offset.value : 0;
    offset = std::max(min, offset - 1);
  }
  ReplyOffset(ctx, req, "offset", offset);
}

namespace {

// GET_MAX_OFFSET and GET_MIN_OFFSET: one bound of the named queue.
void ReplyBound(const RequestContext& ctx, const RemotingCommand& req,
                bool max) {
  absl::StatusOr<QueueArgs> a = ParseQueue(req);
  if (!a.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(a.status().message()));
  absl::StatusOr<broker::QueueStatus> b = Bounds(ctx, *a);
  if (!b.ok())
    return Reply(ctx, req, ToResponseCode(b.status(), req.code),
                 std::string(b.status().message()));
  ReplyOffset(ctx, req, "offset",
              max ? b->max_offset.value : b->min_offset.value);
}

}  // namespace

void HandleMaxOffset(const RequestContext& ctx, const RemotingCommand& req) {
  ReplyBound(ctx, req, /*max=*/true);
}

void HandleMinOffset(const RequestContext& ctx, const RemotingCommand& req) {
  ReplyBound(ctx, req, /*max=*/false);
}

void HandleEarliestTime(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<QueueArgs> a = ParseQueue(req);
  if (!a.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(a.status().message()));
  absl::StatusOr<broker::Topics::TimePosition> pos =
      ctx.broker->topics().LookupTime(ctx.config->instance, a->topic,
                                      QueueOf(ctx, a->queue_id),
                                      absl::UnixEpoch());
  if (!pos.ok() || !pos->store_time.has_value()) {
    return Reply(ctx, req, status::kSystemError,
                 "Get earliest message store time failed");
  }
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.Set("timestamp", absl::StrCat(absl::ToUnixMillis(*pos->store_time)));
  ctx.respond(std::move(r));
}

}  // namespace rewindmq::facade::remoting::internal
