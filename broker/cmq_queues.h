// CMQ-style queues (cmq-v2.md sections 6-9): single-log queues whose
// messages each carry a state.
//
// States: DELAYED (sent with a delay that has not ended), ACTIVE (can be
// received), INACTIVE (received, in flight until its visibility deadline),
// DELETED (deleted but kept for RewindQueue while inside the rewind window),
// gone. Delivery is strictly in send order (`seq`, the log offset). Every
// state change of a delivered or deleted message is written to the Store's
// key-value area before the call returns, so in-flight and deleted messages
// keep their state across a restart (in-memory state is rebuilt on open).
//
// Times: `enqueue_time` is the storage store time rounded down to whole
// seconds; CMQ values in seconds are absl::ToUnixSeconds() of the times here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace rewindmq::broker {

class BrokerCore;

// Which API a create or an attribute change comes through (tdmq-cmq-v3.md
// 7.2). The faces share every queue but differ in the create name rule, the
// create defaults and the msgRetentionSeconds range.
enum class CmqApi { kV2, kV3 };

// The vendor's queue attributes, as integers in the vendor's units (cmq-v2.md
// section 6). Defaults are the API 2.0 ones; an API 3.0 create defaults
// max_msg_size to 1048576 and msg_retention_seconds to 3600 instead. Ranges
// are the same on both faces except msg_retention_seconds, 30 .. 1296000
// through API 3.0.
struct CmqQueueAttributes {
  int64_t max_msg_heap_num = 10'000'000;   // 1e6 (configurable) .. 1e9
  int64_t polling_wait_seconds = 0;        // 0 .. 30
  int64_t visibility_timeout = 30;         // 1 .. 43200 (seconds)
  int64_t max_msg_size = 65536;            // 1024 .. 1048576 (bytes)
  int64_t msg_retention_seconds = 345600;  // 60 .. 1296000
  int64_t rewind_seconds = 0;  // 0 .. msg_retention_seconds; 0 = rewind off
};

struct CmqTag {
  std::string key;
  std::string value;
};

// An API 3.0 dead-letter policy (tdmq-cmq-v3.md 8.2). Stored and reported
// only: no message is ever moved to the dead-letter queue.
struct CmqDeadLetterPolicy {
  std::string dead_letter_queue;  // queue name, as given
  // 0: max receive count, 1: max time unconsumed.
  int64_t policy = 0;
  int64_t max_time_to_live = 0;   // seconds; 0 when not set
  int64_t max_receive_count = 0;  // 0 when not set
};

// API 3.0 attributes: stored with the queue, reported by
// GetQueueAttributes/ListQueues, no effect on delivery, invisible to the 2.0
// facade.
struct CmqQueueExtras {
  bool trace = false;
  std::vector<CmqTag> tags;       // in the order given; keys unique
  int64_t retention_size_mb = 0;  // 0 .. 512000
  std::optional<CmqDeadLetterPolicy> dead_letter;
};

// For CreateQueue and SetQueueAttributes: absent fields take the default
// (create) or keep the current value (set).
struct CmqQueueAttributesUpdate {
  // The face the call comes through: its name rule and defaults (create)
  // and its ranges (tdmq-cmq-v3.md 7.2).
  CmqApi api = CmqApi::kV2;
  std::optional<int64_t> max_msg_heap_num;
  std::optional<int64_t> polling_wait_seconds;
  std::optional<int64_t> visibility_timeout;
  std::optional<int64_t> max_msg_size;
  std::optional<int64_t> msg_retention_seconds;
  std::optional<int64_t> rewind_seconds;
  // CmqQueueExtras, each replaced whole when present. The caller validates
  // them (tdmq-cmq-v3.md 9.1), except for the two checks CreateQueue lists.
  std::optional<bool> trace;
  std::optional<std::vector<CmqTag>> tags;
  std::optional<int64_t> retention_size_mb;
  std::optional<CmqDeadLetterPolicy> dead_letter;
  // Drops the stored dead-letter policy (UnbindCmqDeadLetter); a no-op when
  // there is none. Not together with `dead_letter`.
  bool clear_dead_letter = false;
};

// Exact counts at the moment of the call (cmq-v2.md 7.5).
struct CmqQueueCounters {
  int64_t active = 0;    // activeMsgNum
  int64_t inactive = 0;  // inactiveMsgNum
  int64_t delayed = 0;   // delayMsgNum
  // rewindMsgNum: DELETED messages still inside the rewind window and the
  // retention period.
  int64_t rewindable = 0;
  // minMsgTime: smallest enqueue time among messages that are not DELETED;
  // absent when there is none (the vendor reports 0).
  std::optional<absl::Time> min_msg_time;
};

struct CmqQueueInfo {
  std::string name;      // as created (lookups ignore case)
  std::string queue_id;  // "queue-<n>", unique, never reused
  CmqQueueAttributes attributes;
  absl::Time create_time;
  absl::Time last_modify_time;
  CmqQueueCounters counters;
  CmqQueueExtras extras;
};

struct CmqQueueListResult {
  // The page, ordered by create time, then name.
  std::vector<CmqQueueInfo> queues;  // counters left zero, extras filled
  int64_t total = 0;                 // matches before paging
};

// One delivery.
struct CmqReceivedMessage {
  std::string msg_id;  // decimal, unique in the instance, never reused
  std::string body;
  // A handle matching [A-Za-z0-9%#:_-]{1,256}. Valid for DeleteMessage until
  // `next_visible_time`, and only until the message is delivered again.
  std::string receipt_handle;
  absl::Time enqueue_time;       // whole seconds
  absl::Time next_visible_time;  // now + visibilityTimeout at delivery
  int64_t dequeue_count = 0;     // deliveries including this one
  absl::Time first_dequeue_time;
};

// The outcome of one handle of DeleteMessages, in request order.
struct CmqDeleteOutcome {
  std::string receipt_handle;
  absl::Status status;  // OK, or InvalidArgument + kReceiptHandleInvalid
};

// Completes a long poll exactly once: with 1..max_messages messages, or
// DeadlineExceeded + kNoMessage when the wait ended with nothing, NotFound +
// kQueueNotFound when the queue was deleted during the wait, Cancelled +
// kWaitCancelled after CancelReceive() or when the broker closes.
//
// It may run on the caller's thread before ReceiveAsync() returns, on a
// sender's thread, or on the broker's timer thread. It is never called with
// a broker lock held, so it may call the broker, but it should be quick
// (post the result to your own executor).
using CmqReceiveCallback =
    absl::AnyInvocable<void(absl::StatusOr<std::vector<CmqReceivedMessage>>)>;

// Names a pending long poll for CancelReceive(). 0 is never a valid id.
using CmqWaitId = uint64_t;

// Thread-safe. Owned by the Broker (Broker::cmq()); valid while it lives.
// CreateQueue checks the name rule of the creating face (names.h:
// IsCmqV2QueueName, IsCmqV3QueueName); every other call looks the name up,
// case-insensitively, whatever its shape. Every call names the instance
// first (kInstanceNotFound); an unknown queue gives NotFound +
// kQueueNotFound.
class CmqQueues {
 public:
  CmqQueues(const CmqQueues&) = delete;
  CmqQueues& operator=(const CmqQueues&) = delete;

  // Creates the queue with create time = last modify time = now. The name
  // rule, the defaults and the ranges are those of `attributes.api`; the
  // defaults are stored as explicit values, so both faces read the same
  // numbers afterwards. Extras are stored as given.
  // InvalidArgument: kInvalidName, kAttributeOutOfRange (the message names
  //   the attribute; also a retention_size_mb outside 0..512000 or a
  //   repeated tag key), kRewindExceedsRetention.
  // AlreadyExists: kQueueExists. ResourceExhausted: kQueueLimit.
  // A failed call changes nothing.
  absl::StatusOr<CmqQueueInfo> CreateQueue(
      absl::string_view instance, absl::string_view name,
      const CmqQueueAttributesUpdate& attributes = {});

  // Queues whose name contains `search_word` (case-sensitive substring; all
  // when empty), skipping `offset`, at most `limit`.
  absl::StatusOr<CmqQueueListResult> ListQueues(absl::string_view instance,
                                                absl::string_view search_word,
                                                int64_t offset,
                                                int64_t limit) const;

  // Attributes, extras, identity and exact counters.
  absl::StatusOr<CmqQueueInfo> GetQueueAttributes(absl::string_view instance,
                                                  absl::string_view name);

  // Merges `update` into the current attributes and extras, validates the
  // result and applies it atomically, setting last modify time = now (also
  // when `update` sets nothing). The values `update` sets must lie in the
  // ranges of `update.api`; the ones it keeps need only lie in the union of
  // both faces' ranges, so an API 3.0 queue with msgRetentionSeconds 30
  // takes a 2.0 change of another attribute, while a 2.0 write of 30 fails.
  // rewind_seconds <= msg_retention_seconds is checked on the merged set.
  // Lowering rewind_seconds drops the DELETED messages outside the new
  // window (0 drops all of them); raising it does not bring dropped ones
  // back. visibility_timeout and max_msg_size apply to later deliveries and
  // sends; a receive already waiting keeps its wait.
  // Errors as CreateQueue (no kQueueExists, no kInvalidName); also
  // InvalidArgument with no reason when `update` sets both dead_letter and
  // clear_dead_letter.
  absl::StatusOr<CmqQueueInfo> SetQueueAttributes(
      absl::string_view instance, absl::string_view name,
      const CmqQueueAttributesUpdate& update);

  // Deletes the queue and all its messages. Pending long polls on it end
  // with NotFound + kQueueNotFound.
  absl::Status DeleteQueue(absl::string_view instance, absl::string_view name);

  // Sends one message (SendMessage) and returns its msg id.
  // `delay` is 0..3600 s (kDelayOutOfRange); the message is DELAYED until
  // enqueue time + delay, else ACTIVE at once.
  // InvalidArgument: kMessageEmpty, kMessageTooLarge (above maxMsgSize
  //   bytes). ResourceExhausted: kHeapFull (not-DELETED messages would
  //   exceed maxMsgHeapNum).
  absl::StatusOr<std::string> SendMessage(
      absl::string_view instance, absl::string_view name,
      absl::string_view body, absl::Duration delay = absl::ZeroDuration());

  // BatchSendMessage: all or nothing. Every body is validated before any is
  // stored; messages get consecutive seqs in order and the same enqueue
  // time. Returns the msg ids in order.
  // InvalidArgument: kBatchEmpty, kMessageEmpty, kMessageTooLarge,
  //   kBatchTooLarge (total above max_cmq_batch_bytes), kDelayOutOfRange.
  // ResourceExhausted: kHeapFull.
  absl::StatusOr<std::vector<std::string>> BatchSendMessage(
      absl::string_view instance, absl::string_view name,
      absl::Span<const std::string> bodies,
      absl::Duration delay = absl::ZeroDuration());

  // Receives without waiting: up to `max_messages` (>= 1) ACTIVE messages in
  // seq order, each made INACTIVE for the queue's visibilityTimeout.
  // DeadlineExceeded + kNoMessage when none is ACTIVE.
  absl::StatusOr<std::vector<CmqReceivedMessage>> ReceiveMessages(
      absl::string_view instance, absl::string_view name, int max_messages);

  // Long poll (ReceiveMessage / BatchReceiveMessage). Delivers at once when
  // a message is ACTIVE; otherwise parks the request, holding no thread,
  // until a message becomes ACTIVE (send, end of a delay, end of a
  // visibility timeout, rewind), which is delivered at once, or until
  // `wait` has passed on the broker's clock. Absent `wait` means the
  // queue's pollingWaitSeconds. Waiters are served first come, first
  // served; two waiters never receive the same delivery.
  //
  // `done` is always called exactly once (see CmqReceiveCallback), also on
  // a validation failure (unknown queue: NotFound + kQueueNotFound; a wait
  // above max_polling_wait: InvalidArgument + kPollWaitOutOfRange). Returns
  // an id for CancelReceive(); 0 when `done` already ran.
  CmqWaitId ReceiveAsync(absl::string_view instance, absl::string_view name,
                         int max_messages, std::optional<absl::Duration> wait,
                         CmqReceiveCallback done);

  // Ends a pending long poll with Cancelled + kWaitCancelled (for example
  // when the client disconnected). Returns false when it already completed.
  bool CancelReceive(CmqWaitId id);

  // DeleteMessage. Succeeds when `receipt_handle` is the handle of the
  // message's latest delivery and its next visible time has not passed:
  // the message becomes DELETED (rewindSeconds > 0) or gone.
  // InvalidArgument + kReceiptHandleInvalid otherwise.
  absl::Status DeleteMessage(absl::string_view instance, absl::string_view name,
                             absl::string_view receipt_handle);

  // BatchDeleteMessage: each handle independently, outcomes in order. The
  // call itself fails only for an unknown instance or queue.
  absl::StatusOr<std::vector<CmqDeleteOutcome>> BatchDeleteMessage(
      absl::string_view instance, absl::string_view name,
      absl::Span<const std::string> receipt_handles);

  // ClearCmqQueue (tdmq-cmq-v3.md 9.6): in one atomic step every DELAYED,
  // ACTIVE and INACTIVE message is deleted as a successful DeleteMessage
  // would delete it: DELETED, kept for RewindQueue, when rewindSeconds > 0
  // and its enqueue time is inside the rewind window, else gone. DELETED
  // messages stay; no receipt handle works afterwards; attributes, ids and
  // last modify time do not change; long polls waiting on the queue keep
  // waiting. Durable as DeleteMessage is. Returns how many messages were
  // cleared (0 is success). With rewind on, reads the record of every
  // message never delivered once, for its enqueue time.
  absl::StatusOr<int64_t> ClearQueue(absl::string_view instance,
                                     absl::string_view name);

  // RewindQueue(T) per cmq-v2.md 9.2, compared in whole seconds
  // (T = absl::ToUnixSeconds(start_consume_time)):
  // FailedPrecondition + kRewindDisabled when rewindSeconds == 0;
  // InvalidArgument + kRewindTimeOutOfRange unless now - rewindSeconds <= T
  // <= now. Otherwise every DELETED message with enqueue time >= T becomes
  // ACTIVE in seq order, keeping its msg id, body, enqueue time, dequeue
  // count and first dequeue time, with no valid handle; DELAYED, ACTIVE and
  // INACTIVE messages are untouched. Finds the first offset with one
  // time-index lookup of T (in microseconds) and walks forward from it.
  // Returns how many messages were revived (0 is success).
  absl::StatusOr<int64_t> RewindQueue(absl::string_view instance,
                                      absl::string_view name,
                                      absl::Time start_consume_time);

 private:
  friend class BrokerCore;
  explicit CmqQueues(BrokerCore* core) : core_(core) {}
  BrokerCore* const core_;
};

}  // namespace rewindmq::broker
