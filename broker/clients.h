// The registry of connected RocketMQ clients (remoting, later gRPC): which
// consumers of which group are online, what they subscribe to, and which
// queues an orderly consumer holds locked. In memory only: a client that
// reconnects announces itself again within one heartbeat.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "broker/topics.h"

namespace rewindmq::broker {

struct ClientSubscription {
  std::string topic;
  std::string expression_type = "TAG";  // TAG or SQL92
  std::string expression = "*";
  friend bool operator==(const ClientSubscription&,
                         const ClientSubscription&) = default;
};

// One consumer client of one group as it last announced itself.
struct ConsumerClientInfo {
  std::string client_id;
  std::string address;             // the peer, "ip:port"
  std::string protocol;            // "remoting"
  std::string language;            // "JAVA", "GO", ...
  std::string version;             // "V4_9_8"
  std::string consume_type;        // CONSUME_PASSIVELY, CONSUME_ACTIVELY
  std::string message_model;       // CLUSTERING, BROADCASTING
  std::string consume_from_where;  // CONSUME_FROM_LAST_OFFSET, ...
  std::vector<ClientSubscription> subscriptions;
  absl::Time last_heartbeat;
};

// A queue of a topic, for queue locks.
struct TopicQueueRef {
  std::string topic;
  QueueRef queue;
  friend bool operator==(const TopicQueueRef&, const TopicQueueRef&) = default;
};

// Thread-safe. Owned by the Broker (Broker::clients()).
class ClientRegistry {
 public:
  using ConnectionId = uint64_t;
  // How long a queue lock lasts without renewal (Apache's
  // rebalanceLockMaxLiveTime).
  static constexpr absl::Duration kLockLifetime = absl::Seconds(60);

  // `clock` must outlive the registry.
  explicit ClientRegistry(Clock* clock) : clock_(clock) {}
  ClientRegistry(const ClientRegistry&) = delete;
  ClientRegistry& operator=(const ClientRegistry&) = delete;

  // A new id for a client connection; never 0, never reused.
  ConnectionId NewConnection();

  // Records or refreshes `client` as a consumer of `group` in `instance`,
  // reached over `conn`. Returns true when the group's set of client ids
  // changed (a new member).
  bool Heartbeat(absl::string_view instance, absl::string_view group,
                 ConnectionId conn, ConsumerClientInfo client);

  // Removes `client_id` from `group`. Returns true when it was a member.
  bool Unregister(absl::string_view instance, absl::string_view group,
                  absl::string_view client_id);

  // The connection closed: forgets its clients and releases their queue
  // locks. Returns the (instance, group) pairs that lost a member.
  std::vector<std::pair<std::string, std::string>> DropConnection(
      ConnectionId conn);

  // Forgets clients silent since before `now - max_silence`. Returns the
  // (instance, group) pairs that lost a member.
  std::vector<std::pair<std::string, std::string>> Expire(
      absl::Duration max_silence);

  // Live consumers of the group, sorted by client id.
  std::vector<ConsumerClientInfo> Consumers(absl::string_view instance,
                                            absl::string_view group) const;
  // Connections of the group's live consumers.
  std::vector<ConnectionId> Connections(absl::string_view instance,
                                        absl::string_view group) const;
  // The subscription of `topic` that a live consumer of the group
  // announced, if any.
  std::optional<ClientSubscription> Subscription(absl::string_view instance,
                                                 absl::string_view group,
                                                 absl::string_view topic) const;

  // Remembers that the consumer of `group` on connection `conn` pulled the
  // queue just now (the DMS consumption details show the last puller).
  void NotePull(absl::string_view instance, absl::string_view group,
                absl::string_view topic, const QueueRef& queue,
                ConnectionId conn);
  // The client id that pulled the queue last, if it did so within
  // `within`; empty otherwise.
  std::string LastPuller(absl::string_view instance, absl::string_view group,
                         absl::string_view topic, const QueueRef& queue,
                         absl::Duration within) const;

  // Locks for orderly consumption, per (instance, group, topic, queue).
  // Each queue in `queues` that is free, already held by `client_id`, or
  // whose lock expired is (re)locked for `client_id` and returned.
  std::vector<TopicQueueRef> Lock(absl::string_view instance,
                                  absl::string_view group,
                                  absl::string_view client_id,
                                  ConnectionId conn,
                                  const std::vector<TopicQueueRef>& queues);
  // Releases the locks `client_id` holds on `queues`.
  void Unlock(absl::string_view instance, absl::string_view group,
              absl::string_view client_id,
              const std::vector<TopicQueueRef>& queues);

 private:
  struct Member {
    ConnectionId conn = 0;
    ConsumerClientInfo info;
  };
  struct LockState {
    std::string client_id;
    ConnectionId conn = 0;
    absl::Time expires;
  };
  // (instance, group) -> client id -> member
  using GroupKey = std::pair<std::string, std::string>;
  // (instance, group, topic, broker, queue id)
  using LockKey =
      std::tuple<std::string, std::string, std::string, std::string, int>;

  Clock* const clock_;
  mutable absl::Mutex mu_;
  ConnectionId next_conn_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<GroupKey, std::map<std::string, Member>> groups_
      ABSL_GUARDED_BY(mu_);
  std::map<LockKey, LockState> locks_ ABSL_GUARDED_BY(mu_);
  // Same key as a lock -> (client id, when it pulled).
  std::map<LockKey, std::pair<std::string, absl::Time>> pullers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace rewindmq::broker
