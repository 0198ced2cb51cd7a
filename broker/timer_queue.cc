#include "broker/timer_queue.h"

namespace rewindmq::broker::internal {

TimerQueue::TimerId TimerQueue::Schedule(absl::Time when,
                                         absl::AnyInvocable<void()> fn) {
  absl::MutexLock l(&mu_);
  TimerId id = next_id_++;
  if (by_time_.empty() || when < by_time_.begin()->first.first) {
    changed_ = true;
  }
  by_time_.emplace(std::make_pair(when, id), std::move(fn));
  when_.emplace(id, when);
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  absl::AnyInvocable<void()> fn;  // destroyed outside the lock
  {
    absl::MutexLock l(&mu_);
    auto it = when_.find(id);
    if (it == when_.end()) return false;
    auto node = by_time_.find(std::make_pair(it->second, id));
    fn = std::move(node->second);
    by_time_.erase(node);
    when_.erase(it);
  }
  return true;
}

int TimerQueue::RunDue() {
  int ran = 0;
  while (true) {
    absl::AnyInvocable<void()> fn;
    {
      absl::MutexLock l(&mu_);
      if (by_time_.empty()) break;
      auto it = by_time_.begin();
      if (it->first.first > clock_->Now()) break;
      fn = std::move(it->second);
      when_.erase(it->first.second);
      by_time_.erase(it);
    }
    fn();
    ++ran;
  }
  return ran;
}

std::optional<absl::Time> TimerQueue::NextDue() const {
  absl::MutexLock l(&mu_);
  if (by_time_.empty()) return std::nullopt;
  return by_time_.begin()->first.first;
}

size_t TimerQueue::size() const {
  absl::MutexLock l(&mu_);
  return by_time_.size();
}

bool TimerQueue::WaitForChange(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return changed_ || shutdown_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  changed_ = false;
  return !shutdown_;
}

void TimerQueue::Shutdown() {
  absl::MutexLock l(&mu_);
  shutdown_ = true;
}

}  // namespace rewindmq::broker::internal
