// Queue locks of orderly consumers: LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42).
#include <boost/json.hpp>

#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting::internal {
namespace {

namespace json = boost::json;

struct LockBody {
  std::string group;
  std::string client_id;
  std::vector<broker::TopicQueueRef> queues;
};

// Queues named for another broker than the listener's are skipped: each
// broker locks its own queues.
absl::StatusOr<LockBody> ParseLockBody(const RequestContext& ctx,
                                       const RemotingCommand& req) {
  boost::system::error_code ec;
  json::value v =
      json::parse(json::string_view(req.body.data(), req.body.size()), ec);
  if (ec || !v.is_object()) {
    return absl::InvalidArgumentError("lock body is not a JSON object");
  }
  const json::object& o = v.as_object();
  LockBody b;
  if (const json::value* g = o.if_contains("consumerGroup");
      g && g->is_string()) {
    b.group = std::string(g->as_string());
  }
  if (const json::value* c = o.if_contains("clientId"); c && c->is_string()) {
    b.client_id = std::string(c->as_string());
  }
  if (const json::value* set = o.if_contains("mqSet"); set && set->is_array()) {
    for (const json::value& q : set->as_array()) {
      if (!q.is_object()) continue;
      const json::object& mq = q.as_object();
      const json::value* topic = mq.if_contains("topic");
      const json::value* name = mq.if_contains("brokerName");
      const json::value* id = mq.if_contains("queueId");
      if (!topic || !topic->is_string() || !id || !id->is_int64()) continue;
      if (name && name->is_string() && name->as_string() != ctx.broker_name) {
        continue;
      }
      b.queues.push_back({std::string(topic->as_string()),
                          {ctx.broker_name, static_cast<int>(id->as_int64())}});
    }
  }
  if (b.group.empty() || b.client_id.empty()) {
    return absl::InvalidArgumentError(
        "lock body lacks consumerGroup or clientId");
  }
  return b;
}

}  // namespace

void HandleLock(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<LockBody> b = ParseLockBody(ctx, req);
  if (!b.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(b.status().message()));
  std::vector<broker::TopicQueueRef> locked = ctx.broker->clients().Lock(
      ctx.config->instance, b->group, b->client_id, ctx.connection, b->queues);
  json::array set;
  for (const broker::TopicQueueRef& q : locked) {
    json::object mq;
    mq["brokerName"] = q.queue.broker_name;
    mq["queueId"] = q.queue.queue_id;
    mq["topic"] = q.topic;
    set.push_back(std::move(mq));
  }
  json::object body;
  body["lockOKMQSet"] = std::move(set);
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.body = json::serialize(body);
  ctx.respond(std::move(r));
}

void HandleUnlock(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<LockBody> b = ParseLockBody(ctx, req);
  if (!b.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(b.status().message()));
  ctx.broker->clients().Unlock(ctx.config->instance, b->group, b->client_id,
                               b->queues);
  Reply(ctx, req, status::kSuccess);
}

}  // namespace rewindmq::facade::remoting::internal
