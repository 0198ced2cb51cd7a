// Queue watches: what a long-polling pull waits on (Topics::WatchQueue).
#include <utility>
#include <vector>

#include "broker/core.h"

namespace rewindmq::broker {

uint64_t BrokerCore::AddWatch(storage::QueueLog* log, int64_t offset,
                              absl::Time deadline,
                              absl::AnyInvocable<void()> done) {
  if (log->max_offset().value > offset || waits_stopped_.load()) {
    done();
    return 0;
  }
  uint64_t id = 0;
  {
    absl::MutexLock l(&watch_mu_);
    id = next_watch_id_++;
    QueueWatch& w = watches_[id];
    w.log = log;
    w.offset = offset;
    w.done = std::move(done);
    watches_by_log_[log].push_back(id);
    watch_count_.fetch_add(1);
  }
  const internal::TimerQueue::TimerId timer =
      timers_.Schedule(deadline, [this, id] {
        absl::AnyInvocable<void()> fire;
        {
          absl::MutexLock l(&watch_mu_);
          auto it = watches_.find(id);
          if (it == watches_.end()) return;
          fire = std::move(it->second.done);
          std::vector<uint64_t>& ids = watches_by_log_[it->second.log];
          std::erase(ids, id);
          if (ids.empty()) watches_by_log_.erase(it->second.log);
          watches_.erase(it);
          watch_count_.fetch_sub(1);
        }
        fire();
      });
  {
    absl::MutexLock l(&watch_mu_);
    auto it = watches_.find(id);
    if (it != watches_.end()) it->second.timer = timer;
  }
  // An append between the first check and the registration would
  // otherwise go unnoticed until the deadline.
  if (log->max_offset().value > offset) NotifyQueue(log);
  return id;
}

bool BrokerCore::CancelWatch(uint64_t id) {
  internal::TimerQueue::TimerId timer = 0;
  {
    absl::MutexLock l(&watch_mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return false;
    timer = it->second.timer;
    std::vector<uint64_t>& ids = watches_by_log_[it->second.log];
    std::erase(ids, id);
    if (ids.empty()) watches_by_log_.erase(it->second.log);
    watches_.erase(it);
    watch_count_.fetch_sub(1);
  }
  if (timer != 0) timers_.Cancel(timer);
  return true;
}

void BrokerCore::NotifyQueue(storage::QueueLog* log, bool all) {
  if (watch_count_.load(std::memory_order_relaxed) == 0) return;
  std::vector<
      std::pair<internal::TimerQueue::TimerId, absl::AnyInvocable<void()>>>
      fire;
  {
    absl::MutexLock l(&watch_mu_);
    auto by_log = watches_by_log_.find(log);
    if (by_log == watches_by_log_.end()) return;
    const int64_t max = log->max_offset().value;
    std::vector<uint64_t>& ids = by_log->second;
    for (auto id = ids.begin(); id != ids.end();) {
      auto it = watches_.find(*id);
      if (it != watches_.end() && (all || max > it->second.offset)) {
        fire.emplace_back(it->second.timer, std::move(it->second.done));
        watches_.erase(it);
        watch_count_.fetch_sub(1);
        id = ids.erase(id);
      } else {
        ++id;
      }
    }
    if (ids.empty()) watches_by_log_.erase(by_log);
  }
  for (auto& [timer, done] : fire) {
    if (timer != 0) timers_.Cancel(timer);
    done();
  }
}

void BrokerCore::FireAllWatches() {
  std::vector<
      std::pair<internal::TimerQueue::TimerId, absl::AnyInvocable<void()>>>
      fire;
  {
    absl::MutexLock l(&watch_mu_);
    for (auto& [id, w] : watches_)
      fire.emplace_back(w.timer, std::move(w.done));
    watches_.clear();
    watches_by_log_.clear();
    watch_count_.store(0);
  }
  for (auto& [timer, done] : fire) {
    if (timer != 0) timers_.Cancel(timer);
    done();
  }
}

}  // namespace rewindmq::broker
