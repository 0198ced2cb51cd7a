#include "broker/facades/cmq/actions.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "base/status_macros.h"
#include "broker/facades/cmq/errors.h"
#include "broker/names.h"

namespace rewindmq::facade::cmq {
namespace {

constexpr std::array<std::pair<Action, absl::string_view>, 12> kActionNames = {{
    {Action::kCreateQueue, "CreateQueue"},
    {Action::kListQueue, "ListQueue"},
    {Action::kGetQueueAttributes, "GetQueueAttributes"},
    {Action::kSetQueueAttributes, "SetQueueAttributes"},
    {Action::kDeleteQueue, "DeleteQueue"},
    {Action::kSendMessage, "SendMessage"},
    {Action::kBatchSendMessage, "BatchSendMessage"},
    {Action::kReceiveMessage, "ReceiveMessage"},
    {Action::kBatchReceiveMessage, "BatchReceiveMessage"},
    {Action::kDeleteMessage, "DeleteMessage"},
    {Action::kBatchDeleteMessage, "BatchDeleteMessage"},
    {Action::kRewindQueue, "RewindQueue"},
}};

constexpr bool NamesFollowEnumOrder() {
  for (size_t i = 0; i < kActionNames.size(); ++i) {
    if (static_cast<size_t>(kActionNames[i].first) != i) return false;
  }
  return true;
}
static_assert(NamesFollowEnumOrder(), "kActionNames must follow Action");

// Attribute names and ranges of spec §6, in the order they are checked.
struct AttributeSpec {
  absl::string_view name;
  std::optional<int64_t> broker::CmqQueueAttributesUpdate::*field;
  int64_t min;
  int64_t max;
};

// A parameter that is known to be present (checked by Require()).
const std::string& Get(const Params& p, absl::string_view name) {
  return p.find(name)->second;
}

const std::string* Find(const Params& p, absl::string_view name) {
  auto it = p.find(name);
  return it == p.end() ? nullptr : &it->second;
}

// Step 4 of §5.3: 10010 for the first absent name. An array parameter counts
// as present when any `name.N` key exists.
absl::Status Require(const Params& p,
                     std::initializer_list<absl::string_view> names,
                     std::initializer_list<absl::string_view> arrays = {}) {
  for (absl::string_view name : names) {
    if (Find(p, name) == nullptr) {
      return CmqStatus(ErrorKind::kMissingParameter, name);
    }
  }
  for (absl::string_view name : arrays) {
    if (!HasArrayParam(p, name)) {
      return CmqStatus(ErrorKind::kMissingParameter, name);
    }
  }
  return absl::OkStatus();
}

// The integer in `text`: an optional '-' then one or more decimal digits
// (10360 otherwise). A value beyond int64 saturates, so the range check that
// follows rejects it with 10350.
absl::StatusOr<int64_t> ParseInteger(absl::string_view name,
                                     absl::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  absl::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty()) return CmqStatus(ErrorKind::kWrongType, name);
  int64_t value = 0;
  bool saturated = false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return CmqStatus(ErrorKind::kWrongType, name);
    }
    if (saturated) continue;
    const int d = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - d) / 10) {
      saturated = true;
      continue;
    }
    value = value * 10 + d;
  }
  if (saturated) {
    return negative ? std::numeric_limits<int64_t>::min()
                    : std::numeric_limits<int64_t>::max();
  }
  return negative ? -value : value;
}

// The integer parameter `name`, or nullopt when absent.
absl::StatusOr<std::optional<int64_t>> OptionalInteger(const Params& p,
                                                       absl::string_view name) {
  const std::string* text = Find(p, name);
  if (text == nullptr) return std::optional<int64_t>();
  RMQ_ASSIGN_OR_RETURN(int64_t value, ParseInteger(name, *text));
  return std::optional<int64_t>(value);
}

absl::Status CheckRange(absl::string_view name, std::optional<int64_t> value,
                        int64_t min, int64_t max,
                        ErrorKind kind = ErrorKind::kOutOfRange) {
  if (value.has_value() && (*value < min || *value > max)) {
    return CmqStatus(kind, name);
  }
  return absl::OkStatus();
}

// Which rule a request's queueName follows (tdmq-cmq-v3.md 15): CreateQueue
// keeps the 2.0 rule; every other action names an existing queue, which may
// have been created over API 3.0.
enum class NameRule { kCreate, kExisting };

absl::Status CheckQueueName(const std::string& name,
                            NameRule rule = NameRule::kExisting) {
  const bool valid = rule == NameRule::kCreate ? IsValidQueueName(name)
                                               : IsValidExistingQueueName(name);
  if (!valid) return CmqStatus(ErrorKind::kInvalidQueueName);
  return absl::OkStatus();
}

absl::Status CheckBodies(const std::vector<std::string>& bodies) {
  for (const std::string& body : bodies) {
    if (body.empty()) return CmqStatus(ErrorKind::kEmptyMessageBody);
  }
  return absl::OkStatus();
}

// 10700 when `update` leaves rewindSeconds above msgRetentionSeconds once
// merged into `base`.
absl::Status CheckRewindWithinRetention(
    const broker::CmqQueueAttributesUpdate& update,
    const broker::CmqQueueAttributes& base) {
  if (update.rewind_seconds.value_or(base.rewind_seconds) >
      update.msg_retention_seconds.value_or(base.msg_retention_seconds)) {
    return CmqStatus(ErrorKind::kRewindExceedsRetention);
  }
  return absl::OkStatus();
}

// Reads and checks the six settable attributes of §6 (Create and Set).
absl::StatusOr<broker::CmqQueueAttributesUpdate> ParseAttributes(
    const Params& p, const ParseOptions& options, const std::string& queue_name,
    NameRule name_rule) {
  const std::array<AttributeSpec, 6> specs = {{
      {"maxMsgHeapNum", &broker::CmqQueueAttributesUpdate::max_msg_heap_num,
       options.min_max_msg_heap_num, 1'000'000'000},
      {"pollingWaitSeconds",
       &broker::CmqQueueAttributesUpdate::polling_wait_seconds, 0,
       kMaxPollingWaitSeconds},
      {"visibilityTimeout",
       &broker::CmqQueueAttributesUpdate::visibility_timeout, 1, 43'200},
      {"maxMsgSize", &broker::CmqQueueAttributesUpdate::max_msg_size, 1024,
       1'048'576},
      {"msgRetentionSeconds",
       &broker::CmqQueueAttributesUpdate::msg_retention_seconds, 60,
       kMaxMsgRetentionSeconds},
      // The upper bound proper is msgRetentionSeconds (10700 below); a value
      // no retention can reach is out of range outright.
      {"rewindSeconds", &broker::CmqQueueAttributesUpdate::rewind_seconds, 0,
       kMaxMsgRetentionSeconds},
  }};
  broker::CmqQueueAttributesUpdate changes;
  for (const AttributeSpec& spec : specs) {
    RMQ_ASSIGN_OR_RETURN(changes.*spec.field, OptionalInteger(p, spec.name));
  }
  RMQ_RETURN_IF_ERROR(CheckQueueName(queue_name, name_rule));
  for (const AttributeSpec& spec : specs) {
    RMQ_RETURN_IF_ERROR(
        CheckRange(spec.name, changes.*spec.field, spec.min, spec.max));
  }
  return changes;
}

}  // namespace

absl::StatusOr<Action> ParseAction(const Params& params) {
  const std::string* name = Find(params, "Action");
  if (name == nullptr || name->empty()) {
    return CmqStatus(ErrorKind::kMissingAction);
  }
  for (const auto& [action, wire_name] : kActionNames) {
    if (*name == wire_name) return action;
  }
  return CmqStatus(ErrorKind::kUnknownAction, *name);
}

absl::string_view ActionName(Action action) {
  return kActionNames[static_cast<size_t>(action)].second;
}

bool IsValidQueueName(absl::string_view name) {
  return broker::IsCmqV2QueueName(name);
}

bool IsValidExistingQueueName(absl::string_view name) {
  return broker::IsCmqV3QueueName(name);
}

absl::StatusOr<CreateQueueInput> ParseCreateQueue(const Params& p,
                                                  const ParseOptions& options) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName"}));
  CreateQueueInput in;
  in.queue_name = Get(p, "queueName");
  RMQ_ASSIGN_OR_RETURN(in.attributes, ParseAttributes(p, options, in.queue_name,
                                                      NameRule::kCreate));
  RMQ_RETURN_IF_ERROR(
      CheckRewindWithinRetention(in.attributes, broker::CmqQueueAttributes{}));
  return in;
}

absl::StatusOr<ListQueueInput> ParseListQueue(const Params& p) {
  ListQueueInput in;
  RMQ_ASSIGN_OR_RETURN(std::optional<int64_t> offset,
                       OptionalInteger(p, "offset"));
  RMQ_ASSIGN_OR_RETURN(std::optional<int64_t> limit,
                       OptionalInteger(p, "limit"));
  RMQ_RETURN_IF_ERROR(
      CheckRange("offset", offset, 0, std::numeric_limits<int64_t>::max()));
  RMQ_RETURN_IF_ERROR(CheckRange("limit", limit, 1, kMaxListLimit));
  if (const std::string* word = Find(p, "searchWord")) in.search_word = *word;
  in.offset = offset.value_or(in.offset);
  in.limit = limit.value_or(in.limit);
  return in;
}

absl::StatusOr<QueueNameInput> ParseQueueName(const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName"}));
  QueueNameInput in{Get(p, "queueName")};
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  return in;
}

absl::StatusOr<SetQueueAttributesInput> ParseSetQueueAttributes(
    const Params& p, const ParseOptions& options) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName"}));
  SetQueueAttributesInput in;
  in.queue_name = Get(p, "queueName");
  RMQ_ASSIGN_OR_RETURN(in.changes, ParseAttributes(p, options, in.queue_name,
                                                   NameRule::kExisting));
  if (in.changes.rewind_seconds.has_value() &&
      in.changes.msg_retention_seconds.has_value() &&
      *in.changes.rewind_seconds > *in.changes.msg_retention_seconds) {
    return CmqStatus(ErrorKind::kRewindExceedsRetention);
  }
  return in;
}

absl::StatusOr<SendMessageInput> ParseSendMessage(const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName", "msgBody"}));
  SendMessageInput in;
  RMQ_ASSIGN_OR_RETURN(std::optional<int64_t> delay,
                       OptionalInteger(p, "delaySeconds"));
  in.queue_name = Get(p, "queueName");
  in.msg_body = Get(p, "msgBody");
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  if (in.msg_body.empty()) return CmqStatus(ErrorKind::kEmptyMessageBody);
  RMQ_RETURN_IF_ERROR(CheckRange("delaySeconds", delay, 0, kMaxDelaySeconds,
                                 ErrorKind::kDelayOutOfRange));
  in.delay_seconds = delay.value_or(0);
  return in;
}

absl::StatusOr<BatchSendMessageInput> ParseBatchSendMessage(const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName"}, {"msgBody"}));
  BatchSendMessageInput in;
  RMQ_ASSIGN_OR_RETURN(std::optional<int64_t> delay,
                       OptionalInteger(p, "delaySeconds"));
  in.queue_name = Get(p, "queueName");
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  RMQ_ASSIGN_OR_RETURN(in.msg_bodies, ArrayParam(p, "msgBody", kMaxBatchSize));
  RMQ_RETURN_IF_ERROR(CheckBodies(in.msg_bodies));
  RMQ_RETURN_IF_ERROR(CheckRange("delaySeconds", delay, 0, kMaxDelaySeconds,
                                 ErrorKind::kDelayOutOfRange));
  in.delay_seconds = delay.value_or(0);
  return in;
}

absl::StatusOr<ReceiveMessageInput> ParseReceiveMessage(const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName"}));
  ReceiveMessageInput in;
  RMQ_ASSIGN_OR_RETURN(in.polling_wait_seconds,
                       OptionalInteger(p, "pollingWaitSeconds"));
  in.queue_name = Get(p, "queueName");
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  RMQ_RETURN_IF_ERROR(CheckRange("pollingWaitSeconds", in.polling_wait_seconds,
                                 0, kMaxPollingWaitSeconds));
  return in;
}

absl::StatusOr<ReceiveMessageInput> ParseBatchReceiveMessage(const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName", "numOfMsg"}));
  ReceiveMessageInput in;
  RMQ_ASSIGN_OR_RETURN(in.num_of_msg,
                       ParseInteger("numOfMsg", Get(p, "numOfMsg")));
  RMQ_ASSIGN_OR_RETURN(in.polling_wait_seconds,
                       OptionalInteger(p, "pollingWaitSeconds"));
  in.queue_name = Get(p, "queueName");
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  RMQ_RETURN_IF_ERROR(CheckRange("numOfMsg", in.num_of_msg, 1,
                                 static_cast<int64_t>(kMaxBatchSize)));
  RMQ_RETURN_IF_ERROR(CheckRange("pollingWaitSeconds", in.polling_wait_seconds,
                                 0, kMaxPollingWaitSeconds));
  return in;
}

absl::StatusOr<DeleteMessageInput> ParseDeleteMessage(const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName", "receiptHandle"}));
  DeleteMessageInput in{Get(p, "queueName"), Get(p, "receiptHandle")};
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  return in;
}

absl::StatusOr<BatchDeleteMessageInput> ParseBatchDeleteMessage(
    const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName"}, {"receiptHandle"}));
  BatchDeleteMessageInput in;
  in.queue_name = Get(p, "queueName");
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  RMQ_ASSIGN_OR_RETURN(in.receipt_handles,
                       ArrayParam(p, "receiptHandle", kMaxBatchSize));
  return in;
}

absl::StatusOr<RewindQueueInput> ParseRewindQueue(const Params& p) {
  RMQ_RETURN_IF_ERROR(Require(p, {"queueName", "startConsumeTime"}));
  RewindQueueInput in;
  RMQ_ASSIGN_OR_RETURN(
      in.start_consume_time,
      ParseInteger("startConsumeTime", Get(p, "startConsumeTime")));
  in.queue_name = Get(p, "queueName");
  RMQ_RETURN_IF_ERROR(CheckQueueName(in.queue_name));
  return in;
}

}  // namespace rewindmq::facade::cmq
