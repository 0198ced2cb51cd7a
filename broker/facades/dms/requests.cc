#include "broker/facades/dms/requests.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "broker/facades/dms/dms_error.h"

namespace rewindmq::facade::dms {
namespace {

namespace json = boost::json;

absl::Status Invalid(absl::string_view detail) {
  return DmsStatus(DmsCode::kInvalidParameter, detail);
}

json::string_view JsonKey(absl::string_view key) {
  return json::string_view(key.data(), key.size());
}

// The value of `key`, or null when absent or JSON null.
const json::value* Find(const json::object& o, absl::string_view key) {
  const json::value* v = o.if_contains(JsonKey(key));
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

// An integral JSON number as int64, whatever its representation.
std::optional<int64_t> AsInt64(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() >
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    // 2^63 is exactly representable; anything at or above it is not int64.
    if (!std::isfinite(d) || d != std::trunc(d) || d >= 9223372036854775808.0 ||
        d < -9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<std::string>> OptString(const json::object& o,
                                                     absl::string_view key) {
  const json::value* v = Find(o, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return Invalid(absl::StrCat(key, " must be a string"));
  return std::optional<std::string>(std::string(v->get_string()));
}

absl::StatusOr<std::string> RequiredString(const json::object& o,
                                           absl::string_view key) {
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> s, OptString(o, key));
  if (!s.has_value() || s->empty()) {
    return Invalid(absl::StrCat(key, " is required"));
  }
  return *std::move(s);
}

absl::StatusOr<std::optional<bool>> OptBool(const json::object& o,
                                            absl::string_view key) {
  const json::value* v = Find(o, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_bool()) return Invalid(absl::StrCat(key, " must be a boolean"));
  return std::optional<bool>(v->get_bool());
}

// An integer field within [lo, hi].
absl::StatusOr<std::optional<int>> OptInt(const json::object& o,
                                          absl::string_view key, int64_t lo,
                                          int64_t hi) {
  const json::value* v = Find(o, key);
  if (v == nullptr) return std::optional<int>();
  std::optional<int64_t> n = AsInt64(*v);
  if (!n.has_value()) return Invalid(absl::StrCat(key, " must be an integer"));
  if (*n < lo || *n > hi) {
    return Invalid(absl::StrCat(key, " must be between ", lo, " and ", hi));
  }
  return std::optional<int>(static_cast<int>(*n));
}

absl::StatusOr<std::optional<std::vector<std::string>>> OptStringArray(
    const json::object& o, absl::string_view key) {
  const json::value* v = Find(o, key);
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) {
    return Invalid(absl::StrCat(key, " must be an array of strings"));
  }
  std::vector<std::string> out;
  for (const json::value& e : v->get_array()) {
    if (!e.is_string() || e.get_string().empty()) {
      return Invalid(absl::StrCat(key, " must be an array of strings"));
    }
    out.emplace_back(e.get_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

// Number of Unicode characters of valid UTF-8 text.
size_t CharCount(absl::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

absl::StatusOr<std::optional<std::string>> OptDescription(
    const json::object& o, absl::string_view key) {
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> s, OptString(o, key));
  if (s.has_value() && CharCount(*s) > kMaxDescriptionChars) {
    return Invalid(absl::StrCat(key, " must be at most ", kMaxDescriptionChars,
                                " characters"));
  }
  return s;
}

absl::Status CheckPermission(absl::string_view p) {
  if (p == "all" || p == "pub" || p == "sub") return absl::OkStatus();
  return Invalid("permission must be one of sub, pub, all");
}

bool IsMessageType(absl::string_view t) {
  return t == "NORMAL" || t == "FIFO" || t == "DELAY" || t == "TRANSACTION";
}

absl::Status RefuseAction(const QueryParams& q) {
  if (std::optional<std::string> a = q.Get("action"); a.has_value()) {
    return Invalid(absl::StrCat("unknown action ", *a));
  }
  return absl::OkStatus();
}

// A non-negative decimal integer of at most 19 digits that fits int64.
std::optional<int64_t> ParseNonNegative(absl::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  int64_t v;
  if (!absl::SimpleAtoi(s, &v)) return std::nullopt;
  return v;
}

absl::StatusOr<std::optional<int64_t>> QueryInt(const QueryParams& q,
                                                absl::string_view key,
                                                int64_t lo, int64_t hi) {
  std::optional<std::string> s = q.Get(key);
  if (!s.has_value()) return std::optional<int64_t>();
  std::optional<int64_t> v = ParseNonNegative(*s);
  if (!v.has_value() || *v < lo || *v > hi) {
    return Invalid(
        absl::StrCat(key, " must be an integer between ", lo, " and ", hi));
  }
  return v;
}

absl::StatusOr<bool> QueryBool(const QueryParams& q, absl::string_view key) {
  std::optional<std::string> s = q.Get(key);
  if (!s.has_value() || *s == "false") return false;
  if (*s == "true") return true;
  return Invalid(absl::StrCat(key, " must be true or false"));
}

std::optional<std::string> NonEmpty(std::optional<std::string> s) {
  if (s.has_value() && s->empty()) return std::nullopt;
  return s;
}

absl::StatusOr<UpdateGroupInput> UpdateGroupFromObject(const json::object& o) {
  UpdateGroupInput in;
  RMQ_ASSIGN_OR_RETURN(in.name, OptString(o, "name"));
  RMQ_ASSIGN_OR_RETURN(in.enabled, OptBool(o, "enabled"));
  RMQ_ASSIGN_OR_RETURN(in.broadcast, OptBool(o, "broadcast"));
  RMQ_ASSIGN_OR_RETURN(in.consume_orderly, OptBool(o, "consume_orderly"));
  RMQ_ASSIGN_OR_RETURN(in.retry_max_time,
                       OptInt(o, "retry_max_time", 1, kMaxRetryMaxTime));
  RMQ_ASSIGN_OR_RETURN(in.group_desc, OptDescription(o, "group_desc"));
  RMQ_ASSIGN_OR_RETURN(in.brokers, OptStringArray(o, "brokers"));
  return in;
}

}  // namespace

absl::StatusOr<json::object> ParseJsonObject(absl::string_view body) {
  if (absl::StripAsciiWhitespace(body).empty()) {
    return DmsStatus(DmsCode::kBodyEmpty);
  }
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return DmsStatus(DmsCode::kBodyNotJson);
  return std::move(v.get_object());
}

// ---- Paging -------------------------------------------------------------

absl::StatusOr<PageRequest> ParsePage(const QueryParams& q, int64_t max_limit) {
  PageRequest page;
  RMQ_ASSIGN_OR_RETURN(std::optional<int64_t> limit,
                       QueryInt(q, "limit", 1, max_limit));
  RMQ_ASSIGN_OR_RETURN(
      std::optional<int64_t> offset,
      QueryInt(q, "offset", 0, std::numeric_limits<int64_t>::max()));
  if (limit.has_value()) page.limit = *limit;
  if (offset.has_value()) page.offset = *offset;
  return page;
}

PageInfo ComputePageInfo(const PageRequest& page, int64_t page_size,
                         int64_t total) {
  PageInfo info;
  if (page.offset + page_size < total) {
    info.next_offset = page.offset + page_size;
  }
  if (page.offset > 0) {
    info.previous_offset = std::max<int64_t>(0, page.offset - page.limit);
  }
  return info;
}

// ---- Instances ----------------------------------------------------------

absl::StatusOr<ListInstancesQuery> ParseListInstancesQuery(
    const QueryParams& q) {
  ListInstancesQuery out;
  out.engine = q.Get("engine");
  out.name = NonEmpty(q.Get("name"));
  out.instance_id = NonEmpty(q.Get("instance_id"));
  out.status = NonEmpty(q.Get("status"));
  RMQ_ASSIGN_OR_RETURN(out.exact_match_name, QueryBool(q, "exact_match_name"));
  RMQ_ASSIGN_OR_RETURN(bool include_failure, QueryBool(q, "include_failure"));
  (void)include_failure;  // no instance ever fails here
  RMQ_ASSIGN_OR_RETURN(out.page, ParsePage(q));
  return out;
}

// ---- Topics -------------------------------------------------------------

absl::StatusOr<CreateTopicInput> ParseCreateTopic(absl::string_view body,
                                                  const QueryParams& q) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  RMQ_RETURN_IF_ERROR(RefuseAction(q));
  CreateTopicInput in;
  RMQ_ASSIGN_OR_RETURN(in.name, RequiredString(o, "name"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> brokers,
                       OptStringArray(o, "brokers"));
  if (brokers.has_value()) in.brokers = *std::move(brokers);
  RMQ_ASSIGN_OR_RETURN(in.queue_num,
                       OptInt(o, "queue_num", kMinQueueNum, kMaxQueueNum));
  if (const json::value* v = Find(o, "queues"); v != nullptr) {
    if (!v->is_array()) return Invalid("queues must be an array");
    for (const json::value& e : v->get_array()) {
      if (!e.is_object()) return Invalid("queues entries must be objects");
      RMQ_ASSIGN_OR_RETURN(std::string broker,
                           RequiredString(e.get_object(), "broker"));
      RMQ_ASSIGN_OR_RETURN(
          std::optional<int> n,
          OptInt(e.get_object(), "queue_num", kMinQueueNum, kMaxQueueNum));
      // 3 is the documented default of one `queues` entry.
      in.queues.emplace_back(std::move(broker), n.value_or(3));
    }
  }
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> permission,
                       OptString(o, "permission"));
  if (permission.has_value()) {
    RMQ_RETURN_IF_ERROR(CheckPermission(*permission));
    in.permission = *std::move(permission);
  }
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> type,
                       OptString(o, "message_type"));
  if (type.has_value()) {
    if (!IsMessageType(*type)) {
      return Invalid(
          "message_type must be one of NORMAL, FIFO, DELAY, TRANSACTION");
    }
    in.message_type = *std::move(type);
  }
  return in;
}

absl::StatusOr<std::vector<std::string>> ParseBatchDelete(
    absl::string_view body, absl::string_view key) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> names,
                       OptStringArray(o, key));
  if (!names.has_value() || names->empty()) {
    return Invalid(absl::StrCat(key, " must be a non-empty array"));
  }
  return *std::move(names);
}

absl::StatusOr<UpdateTopicInput> ParseUpdateTopic(absl::string_view body) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  UpdateTopicInput in;
  RMQ_ASSIGN_OR_RETURN(in.read_queue_num,
                       OptInt(o, "read_queue_num", kMinQueueNum, kMaxQueueNum));
  RMQ_ASSIGN_OR_RETURN(in.write_queue_num, OptInt(o, "write_queue_num",
                                                  kMinQueueNum, kMaxQueueNum));
  RMQ_ASSIGN_OR_RETURN(in.permission, OptString(o, "permission"));
  if (in.permission.has_value()) {
    RMQ_RETURN_IF_ERROR(CheckPermission(*in.permission));
  }
  RMQ_ASSIGN_OR_RETURN(in.topic_desc, OptDescription(o, "topic_desc"));
  if (const json::value* v = Find(o, "queues"); v != nullptr) {
    if (!v->is_array()) return Invalid("queues must be an array");
    for (const json::value& e : v->get_array()) {
      if (!e.is_object()) return Invalid("queues entries must be objects");
      const json::object& eo = e.get_object();
      UpdateTopicInput::BrokerQueues b;
      RMQ_ASSIGN_OR_RETURN(b.broker, RequiredString(eo, "broker"));
      RMQ_ASSIGN_OR_RETURN(
          b.read_queue_num,
          OptInt(eo, "read_queue_num", kMinQueueNum, kMaxQueueNum));
      RMQ_ASSIGN_OR_RETURN(
          b.write_queue_num,
          OptInt(eo, "write_queue_num", kMinQueueNum, kMaxQueueNum));
      in.queues.push_back(std::move(b));
    }
  }
  if (!in.read_queue_num && !in.write_queue_num && !in.permission &&
      !in.topic_desc && in.queues.empty()) {
    return Invalid(
        "one of read_queue_num, write_queue_num, permission, queues, "
        "topic_desc is required");
  }
  return in;
}

// ---- Consumer groups ----------------------------------------------------

absl::StatusOr<CreateGroupInput> ParseCreateGroup(absl::string_view body,
                                                  const QueryParams& q) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  RMQ_RETURN_IF_ERROR(RefuseAction(q));
  CreateGroupInput in;
  RMQ_ASSIGN_OR_RETURN(in.name, RequiredString(o, "name"));
  RMQ_ASSIGN_OR_RETURN(UpdateGroupInput rest, UpdateGroupFromObject(o));
  if (rest.brokers.has_value()) in.brokers = *std::move(rest.brokers);
  in.broadcast = rest.broadcast.value_or(in.broadcast);
  in.retry_max_time = rest.retry_max_time.value_or(in.retry_max_time);
  in.enabled = rest.enabled.value_or(in.enabled);
  in.consume_orderly = rest.consume_orderly.value_or(in.consume_orderly);
  if (rest.group_desc.has_value()) in.group_desc = *std::move(rest.group_desc);
  return in;
}

absl::StatusOr<UpdateGroupInput> ParseUpdateGroup(absl::string_view body) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  return UpdateGroupFromObject(o);
}

absl::StatusOr<std::vector<UpdateGroupInput>> ParseBatchUpdateGroups(
    absl::string_view body) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  const json::value* v = Find(o, "groups");
  if (v == nullptr || !v->is_array() || v->get_array().empty()) {
    return Invalid("groups must be a non-empty array");
  }
  std::vector<UpdateGroupInput> out;
  for (const json::value& e : v->get_array()) {
    if (!e.is_object()) return Invalid("groups entries must be objects");
    RMQ_ASSIGN_OR_RETURN(UpdateGroupInput in,
                         UpdateGroupFromObject(e.get_object()));
    if (!in.name.has_value() || in.name->empty()) {
      return Invalid("groups entries need a name");
    }
    out.push_back(std::move(in));
  }
  return out;
}

absl::StatusOr<ListGroupsQuery> ParseListGroupsQuery(const QueryParams& q) {
  ListGroupsQuery out;
  out.group = NonEmpty(q.Get("group"));
  RMQ_ASSIGN_OR_RETURN(out.page, ParsePage(q));
  return out;
}

absl::StatusOr<GroupTopicsQuery> ParseGroupTopicsQuery(const QueryParams& q) {
  GroupTopicsQuery out;
  out.topic = NonEmpty(q.Get("topic"));
  RMQ_ASSIGN_OR_RETURN(out.page, ParsePage(q));
  return out;
}

absl::StatusOr<ConsumersQuery> ParseConsumersQuery(const QueryParams& q) {
  ConsumersQuery out;
  RMQ_ASSIGN_OR_RETURN(out.page, ParsePage(q));
  RMQ_ASSIGN_OR_RETURN(out.is_detail, QueryBool(q, "is_detail"));
  return out;
}

// ---- Messages -----------------------------------------------------------

absl::StatusOr<SendMessageInput> ParseSendMessage(absl::string_view body) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  SendMessageInput in;
  RMQ_ASSIGN_OR_RETURN(in.topic, RequiredString(o, "topic"));
  RMQ_ASSIGN_OR_RETURN(in.body, RequiredString(o, "body"));
  if (in.body.size() > kMaxBodyBytes) {
    return MessageTooLargeStatus(in.body.size(), kMaxBodyBytes);
  }
  size_t property_bytes = 0;
  if (const json::value* v = Find(o, "property_list"); v != nullptr) {
    if (!v->is_array()) return Invalid("property_list must be an array");
    for (const json::value& e : v->get_array()) {
      if (!e.is_object()) {
        return Invalid("property_list entries must be objects");
      }
      const json::value* name = Find(e.get_object(), "name");
      const json::value* value = Find(e.get_object(), "value");
      if (name == nullptr || !name->is_string() || name->get_string().empty() ||
          value == nullptr || !value->is_string()) {
        return Invalid(
            "property_list entries need a string name and a string value");
      }
      in.properties.emplace_back(std::string(name->get_string()),
                                 std::string(value->get_string()));
      property_bytes += name->get_string().size() + value->get_string().size();
    }
  }
  if (property_bytes > kMaxPropertyBytes) {
    return MessageTooLargeStatus(property_bytes, kMaxPropertyBytes);
  }
  return in;
}

absl::StatusOr<QueryMessagesInput> ParseQueryMessages(const QueryParams& q) {
  QueryMessagesInput in;
  std::optional<std::string> topic = NonEmpty(q.Get("topic"));
  if (!topic.has_value()) return Invalid("topic is required");
  in.topic = *std::move(topic);
  RMQ_ASSIGN_OR_RETURN(
      std::optional<int64_t> queue,
      QueryInt(q, "queue", 0, std::numeric_limits<int>::max()));
  if (queue.has_value()) in.queue_id = static_cast<int>(*queue);
  RMQ_ASSIGN_OR_RETURN(
      std::optional<int64_t> limit,
      QueryInt(q, "limit", 1, std::numeric_limits<int64_t>::max()));
  if (limit.has_value()) in.limit = std::min(*limit, kMaxMessageQueryLimit);
  RMQ_ASSIGN_OR_RETURN(
      std::optional<int64_t> offset,
      QueryInt(q, "offset", 0, std::numeric_limits<int64_t>::max()));
  if (offset.has_value()) in.offset = *offset;
  in.msg_id = NonEmpty(q.Get("msg_id"));
  in.key = NonEmpty(q.Get("key"));
  if (in.msg_id.has_value()) return in;  // the time range is ignored

  std::optional<std::string> start = q.Get("start_time");
  std::optional<std::string> end = q.Get("end_time");
  if (!start.has_value() || !end.has_value()) {
    return Invalid("start_time and end_time are required without msg_id");
  }
  in.start_time_ms = ParseNonNegative(*start);
  in.end_time_ms = ParseNonNegative(*end);
  if (!in.start_time_ms.has_value() || !in.end_time_ms.has_value()) {
    return DmsStatus(DmsCode::kTimestampInvalid);
  }
  return in;
}

absl::StatusOr<ResendInput> ParseResend(absl::string_view body) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  ResendInput in;
  RMQ_ASSIGN_OR_RETURN(in.group, RequiredString(o, "group"));
  RMQ_ASSIGN_OR_RETURN(in.client_id, RequiredString(o, "client_id"));
  RMQ_ASSIGN_OR_RETURN(in.topic, OptString(o, "topic"));
  in.topic = NonEmpty(std::move(in.topic));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> ids,
                       OptStringArray(o, "msg_id_list"));
  if (ids.has_value()) in.msg_ids = *std::move(ids);
  return in;
}

// ---- Reset --------------------------------------------------------------

absl::StatusOr<ResetPoint> ParseResetTimestamp(const json::value& v) {
  std::optional<int64_t> ms;
  if (v.is_string()) {
    absl::string_view s(v.get_string().data(), v.get_string().size());
    const bool negative = !s.empty() && s.front() == '-';
    std::optional<int64_t> magnitude =
        ParseNonNegative(negative ? s.substr(1) : s);
    if (magnitude.has_value()) ms = negative ? -*magnitude : *magnitude;
  } else if (!v.is_bool()) {
    ms = AsInt64(v);  // nullopt for objects, arrays, null and fractions
  }
  if (!ms.has_value() || *ms < -1) {
    return DmsStatus(DmsCode::kTimestampInvalid);
  }
  if (*ms == -1) return ResetPoint{ResetPoint::Kind::kLatest, 0};
  if (*ms == 0) return ResetPoint{ResetPoint::Kind::kEarliest, 0};
  return ResetPoint{ResetPoint::Kind::kTime, *ms};
}

absl::StatusOr<ResetOffsetInput> ParseResetOffset(absl::string_view body) {
  RMQ_ASSIGN_OR_RETURN(json::object o, ParseJsonObject(body));
  ResetOffsetInput in;
  RMQ_ASSIGN_OR_RETURN(in.topic, RequiredString(o, "topic"));
  const json::value* ts = Find(o, "timestamp");
  if (ts == nullptr) return Invalid("timestamp is required");
  RMQ_ASSIGN_OR_RETURN(in.point, ParseResetTimestamp(*ts));
  return in;
}

}  // namespace rewindmq::facade::dms
