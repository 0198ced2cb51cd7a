// Name rules of instances, topics, consumer groups and CMQ queues. The
// broker checks them on every create; facades may call them to validate
// early. Names are keys in the Store's key-value area, never paths.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace rewindmq::broker {

// True for [A-Za-z0-9_-]{1,64}: instance ids, and the project ids DMS
// clients put in URLs. Inline, so that facades' pure layers use it without
// linking the broker.
inline bool IsIdentifier(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

// IsIdentifier(). InvalidArgument + kInvalidName.
absl::Status ValidateInstanceId(absl::string_view id);

// Topics and groups (dms-rocketmq.md section 4): 3-64 characters from
// [A-Za-z0-9%|_-]. InvalidArgument + kInvalidName.
absl::Status ValidateGroupName(absl::string_view name);

// The group rule, and not a reserved name: anything starting with
// "rmq_sys_", or exactly TBW102, SCHEDULE_TOPIC_XXXX, BenchmarkTest,
// RMQ_SYS_TRANS_HALF_TOPIC, RMQ_SYS_TRACE_TOPIC, RMQ_SYS_TRANS_OP_HALF_TOPIC,
// TRANS_CHECK_MAX_TIME_TOPIC, SELF_TEST_TOPIC, OFFSET_MOVED_EVENT
// (InvalidArgument + kReservedName).
absl::Status ValidateTopicName(absl::string_view name);

namespace internal {
// 1 to 64 characters: a letter, then letters, digits, '-' and, when
// `underscore`, '_'.
inline bool IsCmqQueueNameWith(absl::string_view name, bool underscore) {
  if (name.empty() || name.size() > 64) return false;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        !(underscore && c == '_')) {
      return false;
    }
  }
  return true;
}
}  // namespace internal

// CMQ queue names (tdmq-cmq-v3.md 7.1, 15). Two rules, one a subset of the
// other. Inline, for the facades' pure layers.
//
// The API 2.0 CreateQueue rule (cmq-v2.md section 6):
// ^[A-Za-z][A-Za-z0-9-]{0,63}$.
inline bool IsCmqV2QueueName(absl::string_view name) {
  return internal::IsCmqQueueNameWith(name, /*underscore=*/false);
}
// The API 3.0 rule, ^[A-Za-z][A-Za-z0-9_-]{0,63}$: what API 3.0 creates, and
// so what every action on an existing queue accepts on both faces.
inline bool IsCmqV3QueueName(absl::string_view name) {
  return internal::IsCmqQueueNameWith(name, /*underscore=*/true);
}

// IsCmqV2QueueName(). InvalidArgument + kInvalidName.
absl::Status ValidateCmqQueueName(absl::string_view name);
// IsCmqV3QueueName(). InvalidArgument + kInvalidName.
absl::Status ValidateCmqV3QueueName(absl::string_view name);

// True when `handle` has the shape every CMQ client accepts:
// [A-Za-z0-9%#:_-]{1,256}.
bool IsWellFormedReceiptHandle(absl::string_view handle);

}  // namespace rewindmq::broker
