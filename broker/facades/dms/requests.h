// Request parsing for every DMS route: JSON bodies (Boost.JSON) and query
// parameters become plain structs, with the spec's validation rules and
// error codes (spec §1.6, §3-§8). Pure functions, no I/O; no exception
// escapes. Every error is a DmsStatus (dms_error.h):
//   kBodyEmpty         the body is empty or only whitespace
//   kBodyNotJson       the body is not a JSON object (or not valid UTF-8)
//   kTimestampInvalid  a reset timestamp or a message-query time is not a
//                      valid epoch-millisecond value
//   kInvalidParameter  a field is missing, ill-typed or out of range, a
//                      query parameter is bad, or `action` is unknown
//   kMessageTooLarge   a message body or its properties exceed the limits
//
// Unknown JSON fields are ignored, and `null` counts as absent. Name rules
// (3-64 of [A-Za-z0-9%|_-], reserved topic names) are the broker's; the
// parsers only require names to be non-empty strings.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/facades/dms/route.h"

namespace rewindmq::facade::dms {

// Limits of spec §11.
inline constexpr int kMinQueueNum = 1;
inline constexpr int kMaxQueueNum = 50;
inline constexpr int kMaxRetryMaxTime = 16;
inline constexpr int kMaxDescriptionChars = 200;
inline constexpr int64_t kMaxListLimit = 50;
inline constexpr int64_t kDefaultListLimit = 10;
inline constexpr int64_t kMaxMessageQueryLimit = 100;
inline constexpr size_t kMaxBodyBytes = size_t{4} << 20;
inline constexpr size_t kMaxPropertyBytes = size_t{16} << 10;

// Parses `body` as one JSON object.
absl::StatusOr<boost::json::object> ParseJsonObject(absl::string_view body);

// ---- Paging -------------------------------------------------------------

struct PageRequest {
  int64_t offset = 0;
  int64_t limit = kDefaultListLimit;
};

// `limit` (1..max_limit, default 10) and `offset` (>= 0, default 0), each a
// decimal integer. Anything else: kInvalidParameter.
absl::StatusOr<PageRequest> ParsePage(const QueryParams& q,
                                      int64_t max_limit = kMaxListLimit);

// The paging fields of list responses (spec §4.3).
struct PageInfo {
  int64_t next_offset = -1;
  int64_t previous_offset = -1;
};
// next_offset = offset + page_size if that is < total, else -1;
// previous_offset = max(0, offset - limit) if offset > 0, else -1.
PageInfo ComputePageInfo(const PageRequest& page, int64_t page_size,
                         int64_t total);

// The slice [offset, offset + limit) of `items`, clipped.
template <typename T>
std::vector<T> Slice(const std::vector<T>& items, const PageRequest& page) {
  std::vector<T> out;
  for (int64_t i = page.offset;
       i < static_cast<int64_t>(items.size()) && i < page.offset + page.limit;
       ++i) {
    out.push_back(items[i]);
  }
  return out;
}

// ---- Instances ----------------------------------------------------------

struct ListInstancesQuery {
  std::optional<std::string> engine;
  std::optional<std::string> name;
  std::optional<std::string> instance_id;
  std::optional<std::string> status;
  bool exact_match_name = false;
  PageRequest page;
};
// `include_failure` and `enterprise_project_id` are accepted and ignored;
// boolean parameters must be "true" or "false". `limit` is 1..50.
absl::StatusOr<ListInstancesQuery> ParseListInstancesQuery(
    const QueryParams& q);

// ---- Topics -------------------------------------------------------------

struct CreateTopicInput {
  std::string name;
  std::vector<std::string> brokers;  // empty: every broker
  std::optional<int> queue_num;      // per listed broker; absent: default
  // Explicit (broker, queue_num) layout; replaces brokers + queue_num.
  std::vector<std::pair<std::string, int>> queues;
  std::string permission = "all";       // all | pub | sub
  std::string message_type = "NORMAL";  // NORMAL | FIFO | DELAY | TRANSACTION
};
// Also refuses any `action` query parameter (a POST .../topics with
// action=delete never reaches this parser).
absl::StatusOr<CreateTopicInput> ParseCreateTopic(absl::string_view body,
                                                  const QueryParams& q);

// {"<key>":["a","b"]}: a non-empty array of non-empty strings. `key` is
// "topics" or "groups".
absl::StatusOr<std::vector<std::string>> ParseBatchDelete(
    absl::string_view body, absl::string_view key);

struct UpdateTopicInput {
  struct BrokerQueues {
    std::string broker;
    std::optional<int> read_queue_num;
    std::optional<int> write_queue_num;
  };
  std::optional<int> read_queue_num;
  std::optional<int> write_queue_num;
  std::optional<std::string> permission;
  std::vector<BrokerQueues> queues;
  std::optional<std::string> topic_desc;
};
// At least one field must be present. Queue counts are 1..50; topic_desc
// at most 200 characters.
absl::StatusOr<UpdateTopicInput> ParseUpdateTopic(absl::string_view body);

// ---- Consumer groups ----------------------------------------------------

struct CreateGroupInput {
  std::string name;
  std::vector<std::string> brokers;
  bool broadcast = false;
  int retry_max_time = kMaxRetryMaxTime;
  bool enabled = true;
  bool consume_orderly = false;
  std::string group_desc;
};
// Also refuses any `action` query parameter other than absent.
absl::StatusOr<CreateGroupInput> ParseCreateGroup(absl::string_view body,
                                                  const QueryParams& q);

struct UpdateGroupInput {
  std::optional<std::string> name;
  std::optional<bool> enabled;
  std::optional<bool> broadcast;
  std::optional<bool> consume_orderly;
  std::optional<int> retry_max_time;
  std::optional<std::string> group_desc;
  std::optional<std::vector<std::string>> brokers;
};
// Every field optional (spec §5.5); `name`, when present, is checked against
// the path by the caller.
absl::StatusOr<UpdateGroupInput> ParseUpdateGroup(absl::string_view body);

// {"groups":[{name, ...}, ...]}: non-empty; each entry needs `name`.
absl::StatusOr<std::vector<UpdateGroupInput>> ParseBatchUpdateGroups(
    absl::string_view body);

struct ListGroupsQuery {
  std::optional<std::string> group;  // substring filter
  PageRequest page;
};
absl::StatusOr<ListGroupsQuery> ParseListGroupsQuery(const QueryParams& q);

struct GroupTopicsQuery {
  std::optional<std::string> topic;  // present: consumption details
  PageRequest page;
};
absl::StatusOr<GroupTopicsQuery> ParseGroupTopicsQuery(const QueryParams& q);

struct ConsumersQuery {
  PageRequest page;
  bool is_detail = false;
};
absl::StatusOr<ConsumersQuery> ParseConsumersQuery(const QueryParams& q);

// ---- Messages -----------------------------------------------------------

struct SendMessageInput {
  std::string topic;
  std::string body;
  std::vector<std::pair<std::string, std::string>> properties;  // in order
};
// `topic` and `body` are required non-empty strings; `property_list`
// entries need a non-empty string `name` and a string `value`. A body above
// 4 MiB or property text (names plus values) above 16 KiB:
// kMessageTooLarge.
absl::StatusOr<SendMessageInput> ParseSendMessage(absl::string_view body);

struct QueryMessagesInput {
  std::string topic;
  std::optional<int> queue_id;
  int64_t limit = 10;  // capped to 100
  int64_t offset = 0;
  std::optional<std::string> msg_id;  // mode 1 when present
  std::optional<std::string> key;     // mode 2 when present
  // Inclusive store-time range in epoch milliseconds; both set unless
  // msg_id is present.
  std::optional<int64_t> start_time_ms;
  std::optional<int64_t> end_time_ms;
};
// Spec §6.2: `topic` required; without `msg_id` both `start_time` and
// `end_time` are required (kInvalidParameter) and must be non-negative
// decimal integers (kTimestampInvalid). Empty `msg_id` / `key` count as
// absent.
absl::StatusOr<QueryMessagesInput> ParseQueryMessages(const QueryParams& q);

struct ResendInput {
  std::string group;
  std::optional<std::string> topic;
  std::string client_id;
  std::vector<std::string> msg_ids;
};
absl::StatusOr<ResendInput> ParseResend(absl::string_view body);

// ---- Reset --------------------------------------------------------------

// Where a reset moves a group.
struct ResetPoint {
  enum class Kind {
    kTime,      // first message stored at or after timestamp_ms
    kEarliest,  // timestamp 0: every queue to its min_offset
    kLatest,    // timestamp -1: every queue to its max_offset
  };
  Kind kind = Kind::kLatest;
  int64_t timestamp_ms = 0;  // kTime only
  friend bool operator==(const ResetPoint&, const ResetPoint&) = default;
};

// The reset timestamp of spec §8 as it arrives: a JSON number with an
// integral value (exponent form allowed) or a string matching
// ^-?[0-9]{1,19}$. 0 → kEarliest, -1 → kLatest, other values >= 0 →
// kTime. Anything else (fraction, < -1, non-numeric or empty string,
// boolean, object, array, out of int64 range): kTimestampInvalid.
absl::StatusOr<ResetPoint> ParseResetTimestamp(const boost::json::value& v);

struct ResetOffsetInput {
  std::string topic;
  ResetPoint point;
};
// Missing or null `timestamp`, missing, empty or non-string `topic`:
// kInvalidParameter (checked before the timestamp's form).
absl::StatusOr<ResetOffsetInput> ParseResetOffset(absl::string_view body);

}  // namespace rewindmq::facade::dms
