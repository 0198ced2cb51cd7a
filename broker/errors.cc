#include "broker/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rewindmq::broker {

absl::string_view ReasonName(Reason r) {
  switch (r) {
    case Reason::kNone:
      return "none";
    case Reason::kInstanceNotFound:
      return "instance_not_found";
    case Reason::kInvalidName:
      return "invalid_name";
    case Reason::kReservedName:
      return "reserved_name";
    case Reason::kTopicNotFound:
      return "topic_not_found";
    case Reason::kTopicExists:
      return "topic_exists";
    case Reason::kTopicLimit:
      return "topic_limit";
    case Reason::kTopicNotWritable:
      return "topic_not_writable";
    case Reason::kTopicNotReadable:
      return "topic_not_readable";
    case Reason::kBrokerNotFound:
      return "broker_not_found";
    case Reason::kTopicQueueNotFound:
      return "topic_queue_not_found";
    case Reason::kInvalidQueueNum:
      return "invalid_queue_num";
    case Reason::kGroupNotFound:
      return "group_not_found";
    case Reason::kGroupExists:
      return "group_exists";
    case Reason::kGroupLimit:
      return "group_limit";
    case Reason::kGroupDisabled:
      return "group_disabled";
    case Reason::kBroadcastGroup:
      return "broadcast_group";
    case Reason::kStaleResetEpoch:
      return "stale_reset_epoch";
    case Reason::kOffsetOutOfRange:
      return "offset_out_of_range";
    case Reason::kMessageTooLarge:
      return "message_too_large";
    case Reason::kMessageEmpty:
      return "message_empty";
    case Reason::kMessageNotFound:
      return "message_not_found";
    case Reason::kBatchTooLarge:
      return "batch_too_large";
    case Reason::kBatchEmpty:
      return "batch_empty";
    case Reason::kInvalidTimeRange:
      return "invalid_time_range";
    case Reason::kQueueNotFound:
      return "queue_not_found";
    case Reason::kQueueExists:
      return "queue_exists";
    case Reason::kQueueLimit:
      return "queue_limit";
    case Reason::kAttributeOutOfRange:
      return "attribute_out_of_range";
    case Reason::kRewindExceedsRetention:
      return "rewind_exceeds_retention";
    case Reason::kDelayOutOfRange:
      return "delay_out_of_range";
    case Reason::kHeapFull:
      return "heap_full";
    case Reason::kRewindDisabled:
      return "rewind_disabled";
    case Reason::kRewindTimeOutOfRange:
      return "rewind_time_out_of_range";
    case Reason::kReceiptHandleInvalid:
      return "receipt_handle_invalid";
    case Reason::kNoMessage:
      return "no_message";
    case Reason::kPollWaitOutOfRange:
      return "poll_wait_out_of_range";
    case Reason::kWaitCancelled:
      return "wait_cancelled";
    case Reason::kShuttingDown:
      return "shutting_down";
    case Reason::kCmqTopicNotFound:
      return "cmq_topic_not_found";
    case Reason::kCmqTopicExists:
      return "cmq_topic_exists";
    case Reason::kCmqTopicLimit:
      return "cmq_topic_limit";
    case Reason::kCmqSubscriptionNotFound:
      return "cmq_subscription_not_found";
    case Reason::kCmqSubscriptionExists:
      return "cmq_subscription_exists";
  }
  return "unknown";
}

absl::Status WithReason(absl::Status s, Reason r) {
  if (s.ok()) return s;
  s.SetPayload(kReasonPayloadUrl,
               absl::Cord(absl::StrCat(static_cast<int>(r))));
  return s;
}

Reason ReasonOf(const absl::Status& s) {
  if (s.ok()) return Reason::kNone;
  absl::optional<absl::Cord> payload = s.GetPayload(kReasonPayloadUrl);
  if (!payload.has_value()) return Reason::kNone;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return Reason::kNone;
  return static_cast<Reason>(value);
}

absl::Status Error(absl::StatusCode code, Reason r, absl::string_view message) {
  return WithReason(absl::Status(code, message), r);
}

}  // namespace rewindmq::broker
