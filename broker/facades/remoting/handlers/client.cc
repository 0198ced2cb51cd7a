// Client management: HEART_BEAT (34), UNREGISTER_CLIENT (35),
// GET_CONSUMER_LIST_BY_GROUP (38), CHECK_CLIENT_CONFIG (46).
#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "broker/errors.h"
#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting::internal {
namespace {

namespace json = boost::json;

std::string StringOf(const json::object& o, absl::string_view key,
                     absl::string_view fallback = "") {
  const json::value* v =
      o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->as_string());
}

// MQVersion.Version ordinal -> "V4_9_8". From V4_0_0_SNAPSHOT (212) on,
// every release x.y.z has two ordinals (x_y_z_SNAPSHOT, then x_y_z), ten
// patch releases per minor and ten minors per major: V4_9_4 is 401,
// V4_9_8 409, V5_3_3 479.
std::string VersionName(int32_t v) {
  if (v < 212) return absl::StrCat("V3 (", v, ")");
  const int off = v - 212;
  const int major = 4 + off / 200, minor = off % 200 / 20, patch = off % 20 / 2;
  return absl::StrCat("V", major, "_", minor, "_", patch,
                      off % 2 == 0 ? "_SNAPSHOT" : "");
}

}  // namespace

void HandleHeartbeat(const RequestContext& ctx, const RemotingCommand& req) {
  boost::system::error_code ec;
  json::value body =
      json::parse(json::string_view(req.body.data(), req.body.size()), ec);
  if (ec || !body.is_object()) {
    return Reply(ctx, req, status::kSystemError,
                 "heartbeat body is not a JSON object");
  }
  const json::object& hb = body.as_object();
  const std::string client_id = StringOf(hb, "clientID");
  const json::value* consumers = hb.if_contains("consumerDataSet");
  if (consumers != nullptr && consumers->is_array()) {
    for (const json::value& cv : consumers->as_array()) {
      if (!cv.is_object()) continue;
      const json::object& c = cv.as_object();
      const std::string group = StringOf(c, "groupName");
      if (group.empty()) continue;
      broker::ConsumerClientInfo info;
      info.client_id = client_id;
      info.address = ctx.peer;
      info.protocol = "remoting";
      info.language = std::string(LanguageName(req.language));
      info.version = VersionName(req.version);
      info.consume_type = StringOf(c, "consumeType");
      info.message_model = StringOf(c, "messageModel", "CLUSTERING");
      info.consume_from_where = StringOf(c, "consumeFromWhere");
      const json::value* subs = c.if_contains("subscriptionDataSet");
      if (subs != nullptr && subs->is_array()) {
        for (const json::value& sv : subs->as_array()) {
          if (!sv.is_object()) continue;
          broker::ClientSubscription s;
          s.topic = StringOf(sv.as_object(), "topic");
          s.expression = StringOf(sv.as_object(), "subString", "*");
          s.expression_type = StringOf(sv.as_object(), "expressionType", "TAG");
          info.subscriptions.push_back(std::move(s));
        }
      }
      const bool broadcast = info.message_model == "BROADCASTING";
      absl::Status s = EnsureGroup(ctx, group, broadcast);
      if (!s.ok()) {
        if (broker::ReasonOf(s) == broker::Reason::kGroupNotFound) {
          return Reply(
              ctx, req, status::kSubscriptionGroupNotExist,
              absl::StrCat("subscription group [", group, "] does not exist"));
        }
        return ReplyError(ctx, req, s);
      }
      if (!broadcast) {
        absl::Status t =
            EnsureSystemTopic(ctx, absl::StrCat(kRetryPrefix, group));
        if (!t.ok()) return ReplyError(ctx, req, t);
      }
      if (ctx.broker->clients().Heartbeat(ctx.config->instance, group,
                                          ctx.connection, std::move(info))) {
        ctx.group_changed(group);
      }
    }
  }
  Reply(ctx, req, status::kSuccess);
}

void HandleUnregister(const RequestContext& ctx, const RemotingCommand& req) {
  const std::string* client = req.Field("clientID");
  const std::string* group = req.Field("consumerGroup");
  if (client != nullptr && group != nullptr && !group->empty() &&
      ctx.broker->clients().Unregister(ctx.config->instance, *group, *client)) {
    ctx.group_changed(*group);
  }
  Reply(ctx, req, status::kSuccess);
}

void HandleConsumerList(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<std::string> group = Required(req, "consumerGroup");
  if (!group.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(group.status().message()));
  std::vector<broker::ConsumerClientInfo> consumers =
      ctx.broker->clients().Consumers(ctx.config->instance, *group);
  if (consumers.empty()) {
    return Reply(ctx, req, status::kSystemError,
                 absl::StrCat("no consumer for this group, ", *group));
  }
  json::array ids;
  for (const broker::ConsumerClientInfo& c : consumers)
    ids.push_back(json::value(c.client_id));
  json::object body;
  body["consumerIdList"] = std::move(ids);
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.body = json::serialize(body);
  ctx.respond(std::move(r));
}

void HandleCheckClientConfig(const RequestContext& ctx,
                             const RemotingCommand& req) {
  boost::system::error_code ec;
  json::value body =
      json::parse(json::string_view(req.body.data(), req.body.size()), ec);
  if (!ec && body.is_object()) {
    const json::value* sub = body.as_object().if_contains("subscriptionData");
    if (sub != nullptr && sub->is_object() &&
        StringOf(sub->as_object(), "expressionType", "TAG") != "TAG") {
      return Reply(ctx, req, status::kSystemError,
                   "The broker does not support consumer to filter message by "
                   "SQL92");
    }
  }
  Reply(ctx, req, status::kSuccess);
}

}  // namespace rewindmq::facade::remoting::internal
