// The CMQ queue actions (spec cmq-v2.md §1, §6, §8) and their inputs: each
// Parse*() turns the request parameters into a plain struct, applying the
// defaults and the checks that need no queue, in the order of §5.3:
//   required parameters (10010), in the order listed for the action;
//   integer syntax (10360);
//   queue name (10020; the create rule for CreateQueue, the existing-queue
//   rule for the others), integer ranges (10350), array size (10370),
//   array indices (10380), empty body (10120), delay (10692);
//   the cross-field rule rewindSeconds <= msgRetentionSeconds (10700).
// Unknown parameters are ignored. Checks that need the queue (existence,
// maxMsgSize, rewind window, handles) belong to the broker.
//
// Every error is a CmqStatus() (errors.h). Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/cmq_queues.h"
#include "broker/facades/cmq/form.h"

namespace rewindmq::facade::cmq {

enum class Action {
  kCreateQueue,
  kListQueue,
  kGetQueueAttributes,
  kSetQueueAttributes,
  kDeleteQueue,
  kSendMessage,
  kBatchSendMessage,
  kReceiveMessage,
  kBatchReceiveMessage,
  kDeleteMessage,
  kBatchDeleteMessage,
  kRewindQueue,
};

// The `Action` parameter as an Action. 4000/10280 when it is absent or
// empty; 4000/10430 for any other name, including the topic actions,
// ChangeMessageVisibility and the dead-letter actions (§8.13). Names are
// case-sensitive.
absl::StatusOr<Action> ParseAction(const Params& params);

// The wire name, e.g. "RewindQueue".
absl::string_view ActionName(Action action);

// Limits of spec §6 and §8.
inline constexpr size_t kMaxBatchSize = 16;
inline constexpr int64_t kMaxPollingWaitSeconds = 30;
inline constexpr int64_t kMaxDelaySeconds = 3600;
inline constexpr int64_t kMaxListLimit = 50;
inline constexpr int64_t kMaxMsgRetentionSeconds = 1'296'000;

// Options of the parsers that come from the broker's configuration.
struct ParseOptions {
  // Lower bound of maxMsgHeapNum: 1,000,000 per spec §6; tests lower it
  // (BrokerOptions::cmq_min_max_msg_heap_num).
  int64_t min_max_msg_heap_num = 1'000'000;
};

struct CreateQueueInput {
  std::string queue_name;
  broker::CmqQueueAttributesUpdate attributes;  // the ones the request names
};

struct ListQueueInput {
  std::string search_word;  // empty: every queue
  int64_t offset = 0;
  int64_t limit = 20;
};

// GetQueueAttributes and DeleteQueue.
struct QueueNameInput {
  std::string queue_name;
};

struct SetQueueAttributesInput {
  std::string queue_name;
  broker::CmqQueueAttributesUpdate changes;  // absent: keep current value
};

struct SendMessageInput {
  std::string queue_name;
  std::string msg_body;
  int64_t delay_seconds = 0;
};

struct BatchSendMessageInput {
  std::string queue_name;
  std::vector<std::string> msg_bodies;  // 1 to 16, in index order
  int64_t delay_seconds = 0;
};

struct ReceiveMessageInput {
  std::string queue_name;
  int64_t num_of_msg = 1;  // 1 for ReceiveMessage
  // Absent: the queue's pollingWaitSeconds applies.
  std::optional<int64_t> polling_wait_seconds;
};

struct DeleteMessageInput {
  std::string queue_name;
  std::string receipt_handle;
};

struct BatchDeleteMessageInput {
  std::string queue_name;
  std::vector<std::string> receipt_handles;  // 1 to 16, in index order
};

struct RewindQueueInput {
  std::string queue_name;
  int64_t start_consume_time = 0;  // Unix seconds
};

absl::StatusOr<CreateQueueInput> ParseCreateQueue(const Params& p,
                                                  const ParseOptions& options);
absl::StatusOr<ListQueueInput> ParseListQueue(const Params& p);
absl::StatusOr<QueueNameInput> ParseQueueName(const Params& p);
// Also 10700 when the request itself names both rewindSeconds and
// msgRetentionSeconds and they conflict; a conflict with the queue's current
// values is for the broker to find.
absl::StatusOr<SetQueueAttributesInput> ParseSetQueueAttributes(
    const Params& p, const ParseOptions& options);
absl::StatusOr<SendMessageInput> ParseSendMessage(const Params& p);
absl::StatusOr<BatchSendMessageInput> ParseBatchSendMessage(const Params& p);
absl::StatusOr<ReceiveMessageInput> ParseReceiveMessage(const Params& p);
absl::StatusOr<ReceiveMessageInput> ParseBatchReceiveMessage(const Params& p);
absl::StatusOr<DeleteMessageInput> ParseDeleteMessage(const Params& p);
absl::StatusOr<BatchDeleteMessageInput> ParseBatchDeleteMessage(
    const Params& p);
absl::StatusOr<RewindQueueInput> ParseRewindQueue(const Params& p);

// The queue name rules (§6 as tdmq-cmq-v3.md 15 amends it). CreateQueue:
// ^[A-Za-z][A-Za-z0-9-]{0,63}$. Every other action names an existing queue,
// which may have been created over API 3.0:
// ^[A-Za-z][A-Za-z0-9_-]{0,63}$. Either failure is 4000/10020.
bool IsValidQueueName(absl::string_view name);
bool IsValidExistingQueueName(absl::string_view name);

}  // namespace rewindmq::facade::cmq
