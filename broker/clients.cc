#include "broker/clients.h"

#include <tuple>

namespace rewindmq::broker {

ClientRegistry::ConnectionId ClientRegistry::NewConnection() {
  absl::MutexLock l(&mu_);
  return next_conn_++;
}

bool ClientRegistry::Heartbeat(absl::string_view instance,
                               absl::string_view group, ConnectionId conn,
                               ConsumerClientInfo client) {
  client.last_heartbeat = clock_->Now();
  absl::MutexLock l(&mu_);
  auto& members = groups_[{std::string(instance), std::string(group)}];
  auto [it, inserted] = members.try_emplace(client.client_id);
  it->second.conn = conn;
  it->second.info = std::move(client);
  return inserted;
}

bool ClientRegistry::Unregister(absl::string_view instance,
                                absl::string_view group,
                                absl::string_view client_id) {
  absl::MutexLock l(&mu_);
  auto g = groups_.find({std::string(instance), std::string(group)});
  if (g == groups_.end()) return false;
  const bool removed = g->second.erase(std::string(client_id)) > 0;
  if (g->second.empty()) groups_.erase(g);
  for (auto it = locks_.begin(); it != locks_.end();) {
    if (std::get<0>(it->first) == instance && std::get<1>(it->first) == group &&
        it->second.client_id == client_id) {
      it = locks_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

std::vector<std::pair<std::string, std::string>> ClientRegistry::DropConnection(
    ConnectionId conn) {
  std::vector<std::pair<std::string, std::string>> changed;
  absl::MutexLock l(&mu_);
  for (auto g = groups_.begin(); g != groups_.end();) {
    bool lost = false;
    for (auto m = g->second.begin(); m != g->second.end();) {
      if (m->second.conn == conn) {
        m = g->second.erase(m);
        lost = true;
      } else {
        ++m;
      }
    }
    if (lost) changed.push_back(g->first);
    g = g->second.empty() ? groups_.erase(g) : std::next(g);
  }
  for (auto it = locks_.begin(); it != locks_.end();) {
    it = it->second.conn == conn ? locks_.erase(it) : std::next(it);
  }
  return changed;
}

std::vector<std::pair<std::string, std::string>> ClientRegistry::Expire(
    absl::Duration max_silence) {
  const absl::Time cutoff = clock_->Now() - max_silence;
  std::vector<std::pair<std::string, std::string>> changed;
  absl::MutexLock l(&mu_);
  for (auto g = groups_.begin(); g != groups_.end();) {
    bool lost = false;
    for (auto m = g->second.begin(); m != g->second.end();) {
      if (m->second.info.last_heartbeat < cutoff) {
        m = g->second.erase(m);
        lost = true;
      } else {
        ++m;
      }
    }
    if (lost) changed.push_back(g->first);
    g = g->second.empty() ? groups_.erase(g) : std::next(g);
  }
  return changed;
}

std::vector<ConsumerClientInfo> ClientRegistry::Consumers(
    absl::string_view instance, absl::string_view group) const {
  std::vector<ConsumerClientInfo> out;
  absl::MutexLock l(&mu_);
  auto g = groups_.find({std::string(instance), std::string(group)});
  if (g == groups_.end()) return out;
  for (const auto& [id, m] : g->second) out.push_back(m.info);
  return out;
}

std::vector<ClientRegistry::ConnectionId> ClientRegistry::Connections(
    absl::string_view instance, absl::string_view group) const {
  std::vector<ConnectionId> out;
  absl::MutexLock l(&mu_);
  auto g = groups_.find({std::string(instance), std::string(group)});
  if (g == groups_.end()) return out;
  for (const auto& [id, m] : g->second) out.push_back(m.conn);
  return out;
}

std::optional<ClientSubscription> ClientRegistry::Subscription(
    absl::string_view instance, absl::string_view group,
    absl::string_view topic) const {
  absl::MutexLock l(&mu_);
  auto g = groups_.find({std::string(instance), std::string(group)});
  if (g == groups_.end()) return std::nullopt;
  for (const auto& [id, m] : g->second) {
    for (const ClientSubscription& s : m.info.subscriptions) {
      if (s.topic == topic) return s;
    }
  }
  return std::nullopt;
}

void ClientRegistry::NotePull(absl::string_view instance,
                              absl::string_view group, absl::string_view topic,
                              const QueueRef& queue, ConnectionId conn) {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  auto g = groups_.find({std::string(instance), std::string(group)});
  if (g == groups_.end()) return;
  for (const auto& [id, m] : g->second) {
    if (m.conn != conn) continue;
    pullers_[{std::string(instance), std::string(group), std::string(topic),
              queue.broker_name, queue.queue_id}] = {id, now};
    return;
  }
}

std::string ClientRegistry::LastPuller(absl::string_view instance,
                                       absl::string_view group,
                                       absl::string_view topic,
                                       const QueueRef& queue,
                                       absl::Duration within) const {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  auto it =
      pullers_.find({std::string(instance), std::string(group),
                     std::string(topic), queue.broker_name, queue.queue_id});
  if (it == pullers_.end() || now - it->second.second > within) return "";
  return it->second.first;
}

std::vector<TopicQueueRef> ClientRegistry::Lock(
    absl::string_view instance, absl::string_view group,
    absl::string_view client_id, ConnectionId conn,
    const std::vector<TopicQueueRef>& queues) {
  const absl::Time now = clock_->Now();
  std::vector<TopicQueueRef> locked;
  absl::MutexLock l(&mu_);
  for (const TopicQueueRef& q : queues) {
    LockKey key{std::string(instance), std::string(group), q.topic,
                q.queue.broker_name, q.queue.queue_id};
    auto [it, inserted] = locks_.try_emplace(key);
    LockState& s = it->second;
    if (inserted || s.client_id == client_id || s.expires <= now) {
      s.client_id = std::string(client_id);
      s.conn = conn;
      s.expires = now + kLockLifetime;
      locked.push_back(q);
    }
  }
  return locked;
}

void ClientRegistry::Unlock(absl::string_view instance, absl::string_view group,
                            absl::string_view client_id,
                            const std::vector<TopicQueueRef>& queues) {
  absl::MutexLock l(&mu_);
  for (const TopicQueueRef& q : queues) {
    auto it = locks_.find({std::string(instance), std::string(group), q.topic,
                           q.queue.broker_name, q.queue.queue_id});
    if (it != locks_.end() && it->second.client_id == client_id) {
      locks_.erase(it);
    }
  }
}

}  // namespace rewindmq::broker
