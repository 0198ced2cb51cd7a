#include "broker/names.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/errors.h"

namespace rewindmq::broker {
namespace {

absl::Status InvalidName(absl::string_view what, absl::string_view name,
                         absl::string_view rule) {
  return Error(absl::StatusCode::kInvalidArgument, Reason::kInvalidName,
               absl::StrCat(what, " name \"", name, "\" is invalid: ", rule));
}

bool IsDmsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '%' ||
         c == '|' || c == '-' || c == '_';
}

// The message says which part of the rule `name` breaks.
absl::Status ValidateCmqQueueNameWith(absl::string_view name, bool underscore) {
  if (internal::IsCmqQueueNameWith(name, underscore)) return absl::OkStatus();
  if (name.empty() || name.size() > 64) {
    return InvalidName("queue", name, "use 1 to 64 characters");
  }
  if (!absl::ascii_isalpha(static_cast<unsigned char>(name[0]))) {
    return InvalidName("queue", name, "start with a letter");
  }
  return InvalidName(
      "queue", name,
      underscore ? "use only [A-Za-z0-9_-]" : "use only [A-Za-z0-9-]");
}

}  // namespace

absl::Status ValidateInstanceId(absl::string_view id) {
  if (id.empty() || id.size() > 64) {
    return InvalidName("instance", id, "use 1 to 64 characters");
  }
  if (!IsIdentifier(id)) {
    return InvalidName("instance", id, "use only [A-Za-z0-9_-]");
  }
  return absl::OkStatus();
}

absl::Status ValidateGroupName(absl::string_view name) {
  if (name.size() < 3 || name.size() > 64) {
    return InvalidName("group or topic", name, "use 3 to 64 characters");
  }
  for (char c : name) {
    if (!IsDmsNameChar(c)) {
      return InvalidName("group or topic", name, "use only [A-Za-z0-9%|_-]");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTopicName(absl::string_view name) {
  if (absl::Status s = ValidateGroupName(name); !s.ok()) return s;
  static constexpr std::array<absl::string_view, 9> kReserved = {
      "TBW102",
      "SCHEDULE_TOPIC_XXXX",
      "BenchmarkTest",
      "RMQ_SYS_TRANS_HALF_TOPIC",
      "RMQ_SYS_TRACE_TOPIC",
      "RMQ_SYS_TRANS_OP_HALF_TOPIC",
      "TRANS_CHECK_MAX_TIME_TOPIC",
      "SELF_TEST_TOPIC",
      "OFFSET_MOVED_EVENT",
  };
  bool reserved = absl::StartsWith(name, "rmq_sys_");
  for (absl::string_view r : kReserved) reserved = reserved || name == r;
  if (reserved) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kReservedName,
                 absl::StrCat("topic name \"", name, "\" is reserved"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCmqQueueName(absl::string_view name) {
  return ValidateCmqQueueNameWith(name, /*underscore=*/false);
}

absl::Status ValidateCmqV3QueueName(absl::string_view name) {
  return ValidateCmqQueueNameWith(name, /*underscore=*/true);
}

bool IsWellFormedReceiptHandle(absl::string_view handle) {
  if (handle.empty() || handle.size() > 256) return false;
  for (char c : handle) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '%' &&
        c != '#' && c != ':' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace rewindmq::broker
