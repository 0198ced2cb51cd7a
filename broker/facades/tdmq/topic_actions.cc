#include "broker/facades/tdmq/topic_actions.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "broker/facades/tdmq/errors.h"
#include "broker/facades/tdmq/fields.h"
#include "broker/names.h"

namespace rewindmq::facade::tdmq {
namespace {

namespace json = boost::json;

// Constant fields of CmqTopic (§8.3) and CmqSubscription (§8.4).
constexpr uint64_t kQps = 5000;
constexpr uint64_t kCreateUin = 100000000001;
constexpr uint64_t kTopicOwner = 1250000000;

constexpr absl::string_view kProtocolQueue = "queue";
constexpr absl::string_view kProtocolHttp = "http";

// Vendor limits of §10.4 and §10.6.
constexpr size_t kMaxMsgTags = 16;
constexpr size_t kMaxMsgTagChars = 64;
constexpr size_t kMaxFilterTags = 5;
constexpr size_t kMaxFilterTagChars = 16;
constexpr size_t kMaxBindingKeys = 5;
constexpr size_t kMaxBindingKeyBytes = 64;
constexpr size_t kMaxBindingKeyDots = 15;

absl::Status TopicNameError() {
  return InvalidValueError("topic name format error");
}

// Characters of UTF-8 text (bytes that do not continue a sequence).
size_t Utf8Length(absl::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

// An optional string field where "" counts as absent.
absl::StatusOr<std::optional<std::string>> OptionalString(
    const Params& p, absl::string_view name) {
  absl::StatusOr<std::optional<std::string>> v = p.String(name);
  if (v.ok() && v->has_value() && (*v)->empty()) {
    return std::optional<std::string>();
  }
  return v;
}

json::array StringsJson(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) a.push_back(json::string(s));
  return a;
}

// A CmqTopic object, every field of §8.3.
json::object TopicJson(const broker::CmqTopicInfo& t) {
  json::object o;
  o["TopicId"] = t.topic_id;
  o["TopicName"] = t.name;
  o["MsgRetentionSeconds"] = ToU64(t.msg_retention_seconds);
  o["MaxMsgSize"] = ToU64(t.max_msg_size);
  o["Qps"] = kQps;
  o["FilterType"] = static_cast<uint64_t>(t.filter_type);
  o["CreateTime"] = UnixMillis(t.create_time);
  o["LastModifyTime"] = UnixMillis(t.last_modify_time);
  o["MsgCount"] = 0;
  o["CreateUin"] = kCreateUin;
  o["Tags"] = TagsJson(t.tags);
  o["Trace"] = t.trace;
  o["TenantId"] = "rewindmq";
  o["NamespaceName"] = "default";
  o["Status"] = 1;
  o["BrokerType"] = 0;
  o["SubscriptionCount"] = t.subscription_count;
  return o;
}

// A CmqSubscription object, every field of §8.4.
json::object SubscriptionJson(const broker::CmqSubscriptionInfo& s) {
  json::object o;
  o["SubscriptionName"] = s.name;
  o["SubscriptionId"] = s.subscription_id;
  o["TopicOwner"] = kTopicOwner;
  o["MsgCount"] = 0;
  o["LastModifyTime"] = UnixMillis(s.last_modify_time);
  o["CreateTime"] = UnixMillis(s.create_time);
  o["BindingKey"] = StringsJson(s.binding_keys);
  o["Endpoint"] = s.endpoint;
  o["FilterTags"] = StringsJson(s.filter_tags);
  o["Protocol"] = "queue";
  o["NotifyStrategy"] = s.notify_strategy;
  o["NotifyContentFormat"] = s.notify_content_format;
  o["TopicName"] = s.topic_name;
  return o;
}

// Tags of CreateCmqTopic (§8.2), as CreateCmqQueue reads them.
// FilterTag / FilterTags (§10.6): at most 5, each 1-16 characters.
absl::Status CheckFilterTags(absl::string_view field,
                             const std::optional<std::vector<std::string>>& v) {
  if (!v.has_value()) return absl::OkStatus();
  if (v->size() > kMaxFilterTags) return ValueOutOfRange(field);
  for (size_t i = 0; i < v->size(); ++i) {
    const size_t n = Utf8Length((*v)[i]);
    if (n < 1 || n > kMaxFilterTagChars) {
      return ValueOutOfRange(absl::StrCat(field, ".", i));
    }
  }
  return absl::OkStatus();
}

// BindingKey (§10.6): at most 5, each 1-64 bytes with at most 15 dots.
absl::Status CheckBindingKeys(
    const std::optional<std::vector<std::string>>& v) {
  if (!v.has_value()) return absl::OkStatus();
  if (v->size() > kMaxBindingKeys) return ValueOutOfRange("BindingKey");
  for (size_t i = 0; i < v->size(); ++i) {
    const std::string& key = (*v)[i];
    if (key.empty() || key.size() > kMaxBindingKeyBytes ||
        static_cast<size_t>(std::count(key.begin(), key.end(), '.')) >
            kMaxBindingKeyDots) {
      return ValueOutOfRange(absl::StrCat("BindingKey.", i));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNotifyStrategy(const std::optional<std::string>& v) {
  if (v.has_value() && *v != "BACKOFF_RETRY" &&
      *v != broker::kCmqDefaultNotifyStrategy) {
    return ValueOutOfRange("NotifyStrategy");
  }
  return absl::OkStatus();
}

// A queue subscription delivers the raw body only (§10.6).
absl::Status CheckQueueContentFormat(const std::optional<std::string>& v) {
  if (v.has_value() && *v != broker::kCmqDefaultNotifyContentFormat) {
    return InvalidValueError(
        "NotifyContentFormat must be SIMPLIFIED for a queue subscription");
  }
  return absl::OkStatus();
}

// The cross-field rules that need the topic: filter tags only on a tag
// topic, binding keys only on a routing-key topic (non-empty lists count).
absl::Status CheckFilterKind(
    const broker::CmqTopicInfo& topic, absl::string_view filter_field,
    const std::optional<std::vector<std::string>>& tags,
    const std::optional<std::vector<std::string>>& keys) {
  if (topic.filter_type == broker::CmqFilterType::kRoutingKey &&
      tags.has_value() && !tags->empty()) {
    return InvalidValueError(absl::StrCat(
        filter_field, " is not allowed on a topic of FilterType 2"));
  }
  if (topic.filter_type == broker::CmqFilterType::kTags && keys.has_value() &&
      !keys->empty()) {
    return InvalidValueError(
        "BindingKey is not allowed on a topic of FilterType 1");
  }
  return absl::OkStatus();
}

// The page [offset, offset + limit) of `items`, as JSON.
template <typename T, typename Render>
json::array Page(const std::vector<const T*>& items, uint64_t offset,
                 uint64_t limit, Render render) {
  json::array out;
  for (uint64_t i = offset; i < items.size() && out.size() < limit; ++i) {
    out.push_back(render(*items[i]));
  }
  return out;
}

absl::StatusOr<json::object> CreateCmqTopic(broker::CmqTopics& topics,
                                            const ActionContext& ctx,
                                            const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"TopicName", "MaxMsgSize", "FilterType",
                                    "MsgRetentionSeconds", "Trace", "Tags"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> max_msg_size,
                       p.U64("MaxMsgSize"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> filter_type,
                       p.U64("FilterType"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> retention,
                       p.U64("MsgRetentionSeconds"));
  RMQ_ASSIGN_OR_RETURN(std::optional<bool> trace, p.Bool("Trace"));
  RMQ_ASSIGN_OR_RETURN(std::vector<broker::CmqTag> tags, ReadTags(p));
  if (!broker::IsCmqV3QueueName(name)) return TopicNameError();
  RMQ_RETURN_IF_ERROR(CheckRange("MaxMsgSize", max_msg_size, 1024, 1048576));
  RMQ_RETURN_IF_ERROR(CheckRange("FilterType", filter_type, 1, 2));
  RMQ_RETURN_IF_ERROR(CheckRange("MsgRetentionSeconds", retention, 60, 86400));
  const broker::CmqTopicCreate create{
      .filter_type = filter_type.value_or(1) == 2
                         ? broker::CmqFilterType::kRoutingKey
                         : broker::CmqFilterType::kTags,
      .max_msg_size = ToI64(max_msg_size),
      .msg_retention_seconds = ToI64(retention),
      .trace = trace.value_or(false),
      .tags = std::move(tags),
  };
  RMQ_ASSIGN_OR_RETURN(broker::CmqTopicInfo t,
                       topics.CreateTopic(ctx.instance, name, create));
  return json::object{{"TopicId", t.topic_id}};
}

absl::StatusOr<json::object> DescribeCmqTopics(broker::CmqTopics& topics,
                                               const ActionContext& ctx,
                                               const Params& p) {
  RMQ_RETURN_IF_ERROR(
      p.CheckKnown({"Offset", "Limit", "TopicName", "TopicNameList",
                    "IsTagFilter", "Filters"}));
  RMQ_ASSIGN_OR_RETURN(ListQuery query,
                       ReadListQuery(p, "TopicName", "TopicNameList"));
  RMQ_ASSIGN_OR_RETURN(std::vector<broker::CmqTopicInfo> all,
                       topics.ListTopics(ctx.instance));
  std::vector<const broker::CmqTopicInfo*> matches;
  for (const broker::CmqTopicInfo& t : all) {
    if (query.Matches(t.name, t.tags)) matches.push_back(&t);
  }
  return json::object{
      {"TopicList", Page(matches, query.offset, query.limit, TopicJson)},
      {"TotalCount", matches.size()}};
}

absl::StatusOr<json::object> DescribeCmqTopicDetail(broker::CmqTopics& topics,
                                                    const ActionContext& ctx,
                                                    const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"TopicName"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(broker::CmqTopicInfo t,
                       topics.GetTopic(ctx.instance, name));
  return json::object{{"TopicDescribe", TopicJson(t)}};
}

absl::StatusOr<json::object> ModifyCmqTopicAttribute(broker::CmqTopics& topics,
                                                     const ActionContext& ctx,
                                                     const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown(
      {"TopicName", "MaxMsgSize", "MsgRetentionSeconds", "Trace"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> max_msg_size,
                       p.U64("MaxMsgSize"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> retention,
                       p.U64("MsgRetentionSeconds"));
  RMQ_ASSIGN_OR_RETURN(std::optional<bool> trace, p.Bool("Trace"));
  RMQ_RETURN_IF_ERROR(CheckRange("MaxMsgSize", max_msg_size, 1024, 1048576));
  RMQ_RETURN_IF_ERROR(CheckRange("MsgRetentionSeconds", retention, 60, 86400));
  RMQ_RETURN_IF_ERROR(
      topics
          .SetTopicAttributes(ctx.instance, name,
                              {.max_msg_size = ToI64(max_msg_size),
                               .msg_retention_seconds = ToI64(retention),
                               .trace = trace})
          .status());
  return json::object{};
}

absl::StatusOr<json::object> DeleteCmqTopic(broker::CmqTopics& topics,
                                            const ActionContext& ctx,
                                            const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"TopicName"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("TopicName"));
  RMQ_RETURN_IF_ERROR(topics.DeleteTopic(ctx.instance, name));
  return json::object{};
}

absl::StatusOr<json::object> PublishCmqMsg(broker::CmqTopics& topics,
                                           const ActionContext& ctx,
                                           const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"TopicName", "MsgContent", "MsgTag"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> body, p.String("MsgContent"));
  if (!body.has_value()) return MissingParameterError("MsgContent");
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> msg_tags,
                       p.Strings("MsgTag"));
  const std::vector<std::string> tags =
      msg_tags.value_or(std::vector<std::string>{});
  if (body->empty()) return InvalidValueError("message body can't be empty");
  if (tags.size() > kMaxMsgTags) return ValueOutOfRange("MsgTag");
  for (size_t i = 0; i < tags.size(); ++i) {
    const size_t n = Utf8Length(tags[i]);
    if (n < 1 || n > kMaxMsgTagChars) {
      return ValueOutOfRange(absl::StrCat("MsgTag.", i));
    }
  }
  RMQ_ASSIGN_OR_RETURN(broker::CmqTopicInfo t,
                       topics.GetTopic(ctx.instance, name));
  if (t.filter_type == broker::CmqFilterType::kRoutingKey && tags.size() > 1) {
    return InvalidValueError(
        "a message to a topic of FilterType 2 carries at most one routing key");
  }
  if (static_cast<int64_t>(body->size()) > t.max_msg_size) {
    return InvalidValueError("exceed maximum message size");
  }
  RMQ_ASSIGN_OR_RETURN(broker::CmqPublishResult r,
                       topics.Publish(ctx.instance, name, *body, tags));
  return json::object{{"Result", true}, {"MsgId", std::move(r.msg_id)}};
}

absl::StatusOr<json::object> CreateCmqSubscribe(broker::CmqTopics& topics,
                                                const ActionContext& ctx,
                                                const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"TopicName", "SubscriptionName", "Protocol",
                                    "Endpoint", "NotifyStrategy", "FilterTag",
                                    "BindingKey", "NotifyContentFormat"}));
  RMQ_ASSIGN_OR_RETURN(std::string topic, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("SubscriptionName"));
  RMQ_ASSIGN_OR_RETURN(std::string protocol, p.RequiredString("Protocol"));
  RMQ_ASSIGN_OR_RETURN(std::string endpoint, p.RequiredString("Endpoint"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> strategy,
                       OptionalString(p, "NotifyStrategy"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> filter_tags,
                       p.Strings("FilterTag"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> binding_keys,
                       p.Strings("BindingKey"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> format,
                       OptionalString(p, "NotifyContentFormat"));
  if (!broker::IsCmqV3QueueName(name)) {
    return InvalidValueError("subscription name format error");
  }
  const std::string lower_protocol = absl::AsciiStrToLower(protocol);
  if (lower_protocol != kProtocolQueue && lower_protocol != kProtocolHttp) {
    return ValueOutOfRange("Protocol");
  }
  const bool queue = lower_protocol == kProtocolQueue;
  if (queue && !broker::IsCmqV3QueueName(endpoint)) {
    return InvalidValueError("queue name format error");
  }
  RMQ_RETURN_IF_ERROR(CheckNotifyStrategy(strategy));
  RMQ_RETURN_IF_ERROR(CheckFilterTags("FilterTag", filter_tags));
  RMQ_RETURN_IF_ERROR(CheckBindingKeys(binding_keys));
  if (queue) {
    RMQ_RETURN_IF_ERROR(CheckQueueContentFormat(format));
  } else if (format.has_value() && *format != "JSON" &&
             *format != broker::kCmqDefaultNotifyContentFormat) {
    return ValueOutOfRange("NotifyContentFormat");
  }
  if (!queue) {
    return UnsupportedError(
        "http push subscriptions are not supported by rewindmq.");
  }
  RMQ_ASSIGN_OR_RETURN(broker::CmqTopicInfo t,
                       topics.GetTopic(ctx.instance, topic));
  RMQ_RETURN_IF_ERROR(
      CheckFilterKind(t, "FilterTag", filter_tags, binding_keys));
  broker::CmqSubscriptionCreate create{
      .endpoint = endpoint,
      .filter_tags = filter_tags.value_or(std::vector<std::string>{}),
      .binding_keys = binding_keys.value_or(std::vector<std::string>{}),
  };
  if (strategy.has_value()) create.notify_strategy = *strategy;
  RMQ_ASSIGN_OR_RETURN(
      broker::CmqSubscriptionInfo s,
      topics.CreateSubscription(ctx.instance, topic, name, create));
  return json::object{{"SubscriptionId", s.subscription_id}};
}

absl::StatusOr<json::object> DescribeCmqSubscriptionDetail(
    broker::CmqTopics& topics, const ActionContext& ctx, const Params& p) {
  RMQ_RETURN_IF_ERROR(
      p.CheckKnown({"TopicName", "Offset", "Limit", "SubscriptionName",
                    "QueueName", "QueryType"}));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> topic,
                       OptionalString(p, "TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> offset, p.U64("Offset"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> limit, p.U64("Limit"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> search,
                       p.String("SubscriptionName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> queue,
                       OptionalString(p, "QueueName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> query_type,
                       OptionalString(p, "QueryType"));
  const bool by_queue = query_type.has_value() && *query_type == "queue";
  if (by_queue && !queue.has_value()) return MissingParameterError("QueueName");
  if (!by_queue && !topic.has_value()) {
    return MissingParameterError("TopicName");
  }
  RMQ_RETURN_IF_ERROR(CheckRange("Limit", limit, 1, 50));
  if (query_type.has_value() && *query_type != "topic" && !by_queue) {
    return ValueOutOfRange("QueryType");
  }
  std::vector<broker::CmqSubscriptionInfo> all;
  if (by_queue) {
    RMQ_ASSIGN_OR_RETURN(all,
                         topics.ListSubscriptionsOfQueue(ctx.instance, *queue));
  } else {
    RMQ_ASSIGN_OR_RETURN(all, topics.ListSubscriptions(ctx.instance, *topic));
  }
  std::vector<const broker::CmqSubscriptionInfo*> matches;
  for (const broker::CmqSubscriptionInfo& s : all) {
    if (search.has_value() && !absl::StrContains(s.name, *search)) continue;
    matches.push_back(&s);
  }
  return json::object{
      {"TotalCount", matches.size()},
      {"SubscriptionSet", Page(matches, offset.value_or(0), limit.value_or(20),
                               SubscriptionJson)}};
}

absl::StatusOr<json::object> ModifyCmqSubscriptionAttribute(
    broker::CmqTopics& topics, const ActionContext& ctx, const Params& p) {
  RMQ_RETURN_IF_ERROR(
      p.CheckKnown({"TopicName", "SubscriptionName", "NotifyStrategy",
                    "NotifyContentFormat", "FilterTags", "BindingKey"}));
  RMQ_ASSIGN_OR_RETURN(std::string topic, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("SubscriptionName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> strategy,
                       OptionalString(p, "NotifyStrategy"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> format,
                       OptionalString(p, "NotifyContentFormat"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> filter_tags,
                       p.Strings("FilterTags"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> binding_keys,
                       p.Strings("BindingKey"));
  RMQ_RETURN_IF_ERROR(CheckNotifyStrategy(strategy));
  RMQ_RETURN_IF_ERROR(CheckQueueContentFormat(format));
  RMQ_RETURN_IF_ERROR(CheckFilterTags("FilterTags", filter_tags));
  RMQ_RETURN_IF_ERROR(CheckBindingKeys(binding_keys));
  RMQ_ASSIGN_OR_RETURN(broker::CmqTopicInfo t,
                       topics.GetTopic(ctx.instance, topic));
  RMQ_RETURN_IF_ERROR(
      CheckFilterKind(t, "FilterTags", filter_tags, binding_keys));
  RMQ_RETURN_IF_ERROR(
      topics
          .SetSubscriptionAttributes(ctx.instance, topic, name,
                                     {.notify_strategy = strategy,
                                      .notify_content_format = format,
                                      .filter_tags = filter_tags,
                                      .binding_keys = binding_keys})
          .status());
  return json::object{};
}

absl::StatusOr<json::object> DeleteCmqSubscribe(broker::CmqTopics& topics,
                                                const ActionContext& ctx,
                                                const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"TopicName", "SubscriptionName"}));
  RMQ_ASSIGN_OR_RETURN(std::string topic, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("SubscriptionName"));
  RMQ_RETURN_IF_ERROR(topics.DeleteSubscription(ctx.instance, topic, name));
  return json::object{};
}

absl::StatusOr<json::object> ClearCmqSubscriptionFilterTags(
    broker::CmqTopics& topics, const ActionContext& ctx, const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"TopicName", "SubscriptionName"}));
  RMQ_ASSIGN_OR_RETURN(std::string topic, p.RequiredString("TopicName"));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("SubscriptionName"));
  RMQ_RETURN_IF_ERROR(topics
                          .SetSubscriptionAttributes(
                              ctx.instance, topic, name,
                              {.filter_tags = std::vector<std::string>{}})
                          .status());
  return json::object{};
}

}  // namespace

bool IsTopicAction(Action action) {
  switch (action) {
    case Action::kCreateCmqTopic:
    case Action::kDescribeCmqTopics:
    case Action::kDescribeCmqTopicDetail:
    case Action::kModifyCmqTopicAttribute:
    case Action::kDeleteCmqTopic:
    case Action::kPublishCmqMsg:
    case Action::kCreateCmqSubscribe:
    case Action::kDescribeCmqSubscriptionDetail:
    case Action::kModifyCmqSubscriptionAttribute:
    case Action::kDeleteCmqSubscribe:
    case Action::kClearCmqSubscriptionFilterTags:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<json::object> RunTopicAction(broker::CmqTopics& topics,
                                            const ActionContext& context,
                                            Action action,
                                            const Params& params) {
  switch (action) {
    case Action::kCreateCmqTopic:
      return CreateCmqTopic(topics, context, params);
    case Action::kDescribeCmqTopics:
      return DescribeCmqTopics(topics, context, params);
    case Action::kDescribeCmqTopicDetail:
      return DescribeCmqTopicDetail(topics, context, params);
    case Action::kModifyCmqTopicAttribute:
      return ModifyCmqTopicAttribute(topics, context, params);
    case Action::kDeleteCmqTopic:
      return DeleteCmqTopic(topics, context, params);
    case Action::kPublishCmqMsg:
      return PublishCmqMsg(topics, context, params);
    case Action::kCreateCmqSubscribe:
      return CreateCmqSubscribe(topics, context, params);
    case Action::kDescribeCmqSubscriptionDetail:
      return DescribeCmqSubscriptionDetail(topics, context, params);
    case Action::kModifyCmqSubscriptionAttribute:
      return ModifyCmqSubscriptionAttribute(topics, context, params);
    case Action::kDeleteCmqSubscribe:
      return DeleteCmqSubscribe(topics, context, params);
    case Action::kClearCmqSubscriptionFilterTags:
      return ClearCmqSubscriptionFilterTags(topics, context, params);
    default:
      break;
  }
  return absl::InternalError(
      absl::StrCat("tdmq action ", ActionName(action),
                   " is not a topic or subscription action"));
}

}  // namespace rewindmq::facade::tdmq
