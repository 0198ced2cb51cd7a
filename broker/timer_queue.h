// Deadlines on the broker's injected clock: long-poll ends, and wake-ups of
// CMQ queues when a delay or visibility timeout ends while receivers wait.
//
// Nothing here owns a thread. The broker's timer thread (or a test holding
// a fake clock) calls RunDue(); WaitForChange() lets that thread sleep until
// an earlier deadline is scheduled.
//
// Thread-safe. Callbacks run on the thread that calls RunDue(), outside the
// queue's lock, in deadline order; they may schedule and cancel timers.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace rewindmq::broker::internal {

class TimerQueue {
 public:
  using TimerId = uint64_t;  // 0 is never a valid id

  // `clock` is not owned and must outlive this object.
  explicit TimerQueue(Clock* clock) : clock_(clock) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` once the clock reaches `when` (at the next RunDue() after).
  TimerId Schedule(absl::Time when, absl::AnyInvocable<void()> fn);

  // Removes a timer that has not started running. Returns false when it
  // already ran, is running, or never existed.
  bool Cancel(TimerId id);

  // Runs every timer whose time is at or before the clock's now, including
  // ones those callbacks schedule for a time already reached. Returns how
  // many ran.
  int RunDue();

  // The earliest pending deadline.
  std::optional<absl::Time> NextDue() const;
  size_t size() const;

  // Blocks the calling thread until Schedule() adds a deadline earlier than
  // every pending one, Shutdown() is called, or `timeout` (real time)
  // passes. Returns false once Shutdown() was called.
  bool WaitForChange(absl::Duration timeout);

  // Wakes WaitForChange() for good. Pending timers stay and may still be
  // run or cancelled.
  void Shutdown();

 private:
  Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::btree_map<std::pair<absl::Time, TimerId>, absl::AnyInvocable<void()>>
      by_time_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TimerId, absl::Time> when_ ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace rewindmq::broker::internal
