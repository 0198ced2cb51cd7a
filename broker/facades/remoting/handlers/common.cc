#include "broker/facades/remoting/handlers/common.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/logging.h"
#include "broker/errors.h"

namespace rewindmq::facade::remoting::internal {

using broker::Reason;

void Reply(const RequestContext& ctx, const RemotingCommand& req, int32_t code,
           std::string remark) {
  RemotingCommand r = ResponseTo(req, code);
  if (!remark.empty()) r.remark = std::move(remark);
  ctx.respond(std::move(r));
}

int32_t ToResponseCode(const absl::Status& s, int32_t req_code) {
  switch (broker::ReasonOf(s)) {
    case Reason::kTopicNotFound:
      return status::kTopicNotExist;
    case Reason::kTopicNotWritable:
    case Reason::kTopicNotReadable:
    case Reason::kGroupDisabled:
      return status::kNoPermission;
    case Reason::kGroupNotFound:
      return status::kSubscriptionGroupNotExist;
    case Reason::kMessageEmpty:
    case Reason::kMessageTooLarge:
      return status::kMessageIllegal;
    default:
      break;
  }
  const bool send = req_code == code::kSendMessage ||
                    req_code == code::kSendMessageV2 ||
                    req_code == code::kSendBatchMessage;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return send ? status::kMessageIllegal : status::kSystemError;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return status::kSystemBusy;
    default:
      return status::kSystemError;
  }
}

void ReplyError(const RequestContext& ctx, const RemotingCommand& req,
                const absl::Status& s) {
  const int32_t code = ToResponseCode(s, req.code);
  const bool server_fault = s.code() == absl::StatusCode::kInternal ||
                            s.code() == absl::StatusCode::kDataLoss ||
                            s.code() == absl::StatusCode::kUnknown ||
                            s.code() == absl::StatusCode::kUnavailable ||
                            s.code() == absl::StatusCode::kResourceExhausted;
  if (server_fault) {
    RMQ_LOG(kWarning, "remoting request ", req.code, " from ", ctx.peer,
            " failed: ", s.ToString());
    Reply(ctx, req, code,
          code == status::kSystemBusy ? "the broker is busy, try again later"
                                      : "internal error of the broker");
    return;
  }
  Reply(ctx, req, code, std::string(s.message()));
}

absl::StatusOr<std::string> Required(const RemotingCommand& req,
                                     absl::string_view key) {
  const std::string* v = req.Field(key);
  if (v == nullptr || v->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request header lacks ", key));
  }
  return *v;
}

absl::StatusOr<int64_t> IntField(const RemotingCommand& req,
                                 absl::string_view key,
                                 std::optional<int64_t> fallback) {
  const std::string* v = req.Field(key);
  if (v == nullptr || v->empty()) {
    if (fallback.has_value()) return *fallback;
    return absl::InvalidArgumentError(
        absl::StrCat("the request header lacks ", key));
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(*v, &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat("header field ", key, " is not an integer: ", *v));
  }
  return n;
}

bool BoolField(const RemotingCommand& req, absl::string_view key,
               bool fallback) {
  const std::string* v = req.Field(key);
  if (v == nullptr || v->empty()) return fallback;
  return absl::AsciiStrToLower(*v) == "true";
}

broker::QueueRef QueueOf(const RequestContext& ctx, int64_t queue_id) {
  return {ctx.broker_name, static_cast<int>(queue_id)};
}

HostPort StoreHost(const RequestContext& ctx) {
  return ParseHostPort(ctx.config->advertised[ctx.broker_index]);
}

WireMessage ToWire(const RequestContext& ctx, const broker::Message& m) {
  WireMessage w;
  w.queue_id = m.queue.queue_id;
  w.flag = m.flag;
  w.queue_offset = m.offset.value;
  w.physical_offset = PhysicalOffset(m.storage_queue_id, m.offset.value);
  w.sys_flag = m.sys_flag;
  w.store_timestamp_ms = absl::ToUnixMillis(m.store_time);
  w.born_timestamp_ms = m.born_time.has_value()
                            ? absl::ToUnixMillis(*m.born_time)
                            : w.store_timestamp_ms;
  w.born_host = ParseHostPort(m.born_host);
  if (w.born_host.ip.empty()) w.born_host = StoreHost(ctx);
  w.store_host = StoreHost(ctx);
  w.reconsume_times = m.reconsume_times;
  w.body = m.body;
  w.topic = m.topic;
  std::vector<std::pair<std::string, std::string>> props = m.properties;
  if (!m.keys.empty()) props.emplace_back("KEYS", absl::StrJoin(m.keys, " "));
  if (!m.tags.empty()) props.emplace_back("TAGS", m.tags.front());
  bool has_uniq = false;
  for (const auto& [k, v] : props) has_uniq = has_uniq || k == "UNIQ_KEY";
  if (!has_uniq) props.emplace_back("UNIQ_KEY", m.msg_id);
  w.properties = EncodeProperties(props);
  return w;
}

absl::Status EnsureGroup(const RequestContext& ctx, const std::string& group,
                         bool broadcast) {
  absl::StatusOr<broker::GroupInfo> g =
      ctx.broker->groups().GetGroup(ctx.config->instance, group);
  if (g.ok()) return absl::OkStatus();
  if (broker::ReasonOf(g.status()) != Reason::kGroupNotFound ||
      !ctx.config->auto_create_group) {
    return g.status();
  }
  absl::StatusOr<broker::GroupInfo> created = ctx.broker->groups().CreateGroup(
      ctx.config->instance, {.name = group, .broadcast = broadcast});
  if (created.ok() ||
      broker::ReasonOf(created.status()) == Reason::kGroupExists) {
    if (created.ok()) {
      RMQ_LOG(kInfo, "remoting: created consumer group ", group, " for ",
              ctx.peer);
    }
    return absl::OkStatus();
  }
  return created.status();
}

absl::Status EnsureSystemTopic(const RequestContext& ctx,
                               const std::string& topic) {
  absl::StatusOr<broker::TopicInfo> t =
      ctx.broker->topics().GetTopic(ctx.config->instance, topic);
  if (t.ok()) return absl::OkStatus();
  if (broker::ReasonOf(t.status()) != Reason::kTopicNotFound) return t.status();
  absl::StatusOr<broker::TopicInfo> created = ctx.broker->topics().CreateTopic(
      ctx.config->instance, {.name = topic, .queue_num = 1});
  if (created.ok() ||
      broker::ReasonOf(created.status()) == Reason::kTopicExists) {
    return absl::OkStatus();
  }
  return created.status();
}

}  // namespace rewindmq::facade::remoting::internal
