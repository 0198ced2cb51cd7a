// BrokerCore: the state behind Broker, Topics, ConsumerGroups and CmqQueues.
// Internal to the broker; embedders use broker.h.
//
// Locking. Each instance has four registry mutexes (topics_mu, groups_mu,
// cmq_mu, cmq_topics_mu); each (group, topic) offset table and each CMQ queue
// has its own mutex. Order: a registry mutex may be held while taking a queue's
// or an offset table's mutex, never the reverse; groups_mu may be held while
// taking topics_mu (shared), never the reverse; cmq_topics_mu may be held
// while taking cmq_mu (shared), never the reverse, and CMQ topic calls send
// to queues with cmq_topics_mu released; waiters_mu_ and the timer
// queue's mutex are leaves. Storage calls are made under the narrowest
// mutex that keeps them consistent. Callbacks of long polls run with no
// broker mutex held.
//
// Lifetimes. Topic, offset-table and CMQ queue objects are never freed
// before the BrokerCore: deleting one unlinks it from its registry and
// marks it dead, so a call that looked it up just before still holds a
// valid pointer and answers NotFound. QueueLog pointers follow the same rule
// (storage keeps them until the Store closes).
//
// Key-value layout (all keys are strings; <inst> is an instance id, names
// are topic, group or lower-cased CMQ queue names, none of which contains
// '/'; values use kv_codec):
//   i/<inst>/created                   instance first-open time
//   i/<inst>/msgid                     CMQ msg ids below this were handed out
//   i/<inst>/t/<topic>                 topic metadata and its QueueIds
//   i/<inst>/g/<group>                 group metadata
//   i/<inst>/o/<group>/<topic>/<bbbb>/<qqqq>  committed offset (broker index,
//                                      queue id; 4 decimal digits each)
//   i/<inst>/e/<group>/<topic>         reset epoch
//   i/<inst>/gt/<group>/<topic>        the group has offsets for the topic
//   i/<inst>/tg/<topic>/<group>        same link, by topic
//   i/<inst>/q/<lower-case queue>      CMQ queue metadata and attributes
//   i/<inst>/ct/<lower-case topic>     CMQ topic metadata with its
//                                      subscriptions
//   i/<inst>/ctseq                     CMQ topic and subscription numbers
//                                      below these were handed out
//   i/<inst>/sch/<due us hex16><seq hex16>  a delayed message waiting in the
//                                      schedule store (proto
//                                      ScheduledMessage)
//   s/<qid hex16>/f                    CMQ: every offset below is gone
//   s/<qid hex16>/m/<offset hex16>     CMQ: state of one message
// Offsets and epochs carry the topic's uid (its first QueueId, never
// reused), so values left behind by a deleted topic never apply to a new
// topic of the same name.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/ids.h"
#include "broker/broker.h"
#include "broker/clients.h"
#include "broker/cmq_queue_state.h"
#include "broker/cmq_topics.h"
#include "broker/timer_queue.h"
#include "storage/store.h"

namespace rewindmq::broker {

class BrokerCore {
 public:
  // --- Topics ---
  struct TopicBroker {
    int broker_index = 0;
    std::string broker_name;
    int read_queue_num = 0;
    int write_queue_num = 0;
    std::vector<QueueId> queue_ids;  // index = queue id
    std::vector<storage::QueueLog*> logs;
  };
  struct Topic {
    std::string name;
    uint64_t uid = 0;
    TopicPermission permission = TopicPermission::kAll;
    std::string message_type;
    std::string description;
    absl::Time created_at;
    std::optional<absl::Duration> retention;
    std::vector<TopicBroker> brokers;  // by broker index
    std::atomic<uint64_t> round_robin{0};
  };
  // One queue of a topic, copied out of the registry for a data-path call.
  struct TopicQueue {
    QueueRef ref;
    int broker_index = 0;
    storage::QueueLog* log = nullptr;
    bool writable = false;
  };
  struct TopicView {
    std::string name;
    uint64_t uid = 0;
    TopicPermission permission = TopicPermission::kAll;
    std::vector<TopicQueue> queues;  // by broker index, then queue id
    const TopicQueue* Find(const QueueRef& q) const;
  };

  // --- Groups ---
  struct Group {
    GroupInfo info;  // `topics` left empty here
    uint64_t seq = 0;
  };
  // Committed offsets and reset epoch of one (group, topic).
  struct OffsetTable {
    explicit OffsetTable(uint64_t uid) : topic_uid(uid) {}
    // The topic this table belongs to (a deleted and re-created topic gets
    // a new table).
    const uint64_t topic_uid;
    // Set when the group or the topic is deleted; never cleared.
    std::atomic<bool> dead{false};
    absl::Mutex mu;
    bool loaded ABSL_GUARDED_BY(mu) = false;
    bool linked ABSL_GUARDED_BY(mu) = false;
    uint64_t epoch ABSL_GUARDED_BY(mu) = 0;
    // (broker index, queue id) -> next offset to consume
    absl::flat_hash_map<std::pair<int, int>, int64_t> committed
        ABSL_GUARDED_BY(mu);
    // (broker index, queue id) -> offset a reset moved the group to and
    // when that stops being pending (ConsumerGroups::CheckPendingReset).
    absl::flat_hash_map<std::pair<int, int>, std::pair<int64_t, absl::Time>>
        pending_reset ABSL_GUARDED_BY(mu);
  };

  // --- CMQ ---
  struct CmqWaiter {
    int max_messages = 1;
    internal::TimerQueue::TimerId deadline_timer = 0;
    CmqReceiveCallback done;
  };
  struct Instance;
  struct CmqQueue {
    Instance* instance = nullptr;
    QueueId storage_id;
    storage::QueueLog* log = nullptr;
    absl::Mutex mu;
    bool deleted ABSL_GUARDED_BY(mu) = false;
    std::string name ABSL_GUARDED_BY(mu);
    absl::Time create_time ABSL_GUARDED_BY(mu);
    absl::Time last_modify_time ABSL_GUARDED_BY(mu);
    CmqQueueAttributes attrs ABSL_GUARDED_BY(mu);
    CmqQueueExtras extras ABSL_GUARDED_BY(mu);
    internal::CmqQueueState state ABSL_GUARDED_BY(mu);
    // Second for which retention was last applied.
    int64_t retention_checked_s ABSL_GUARDED_BY(mu) = INT64_MIN;
    absl::btree_map<CmqWaitId, CmqWaiter> waiters ABSL_GUARDED_BY(mu);
    std::optional<absl::Time> wake_at ABSL_GUARDED_BY(mu);
    internal::TimerQueue::TimerId wake_timer ABSL_GUARDED_BY(mu) = 0;
    absl::BitGen rng ABSL_GUARDED_BY(mu);
  };
  // A long-poll callback with its result, run after the locks are released.
  struct Completion {
    CmqReceiveCallback done;
    absl::StatusOr<std::vector<CmqReceivedMessage>> result;
  };

  // --- CMQ topics (cmq_topics.cc) ---
  struct CmqSubscription {
    uint64_t id = 0;  // the n of "sub-<n>"
    CmqSubscriptionInfo info;
  };
  struct CmqTopic {
    uint64_t id = 0;    // the n of "topic-<n>"
    CmqTopicInfo info;  // subscription_count left 0 here
    std::vector<CmqSubscription> subscriptions;  // creation order
  };

  struct Instance {
    InstanceInfo info;
    std::string prefix;  // "i/<id>/"

    mutable absl::Mutex topics_mu;
    std::map<std::string, std::unique_ptr<Topic>> topics
        ABSL_GUARDED_BY(topics_mu);

    mutable absl::Mutex groups_mu;
    std::map<std::string, Group> groups ABSL_GUARDED_BY(groups_mu);
    uint64_t next_group_seq ABSL_GUARDED_BY(groups_mu) = 1;
    std::map<std::pair<std::string, std::string>, OffsetTable*> offsets
        ABSL_GUARDED_BY(groups_mu);
    std::vector<std::unique_ptr<OffsetTable>> all_offset_tables
        ABSL_GUARDED_BY(groups_mu);

    mutable absl::Mutex cmq_mu;
    std::map<std::string, CmqQueue*> cmq_queues ABSL_GUARDED_BY(cmq_mu);
    std::vector<std::unique_ptr<CmqQueue>> all_cmq_queues
        ABSL_GUARDED_BY(cmq_mu);

    absl::Mutex msg_id_mu;
    uint64_t next_msg_id ABSL_GUARDED_BY(msg_id_mu) = 1;
    uint64_t msg_id_limit ABSL_GUARDED_BY(msg_id_mu) = 1;

    // CMQ topics by lower-case name, and the next topic and subscription
    // numbers (never reused).
    mutable absl::Mutex cmq_topics_mu;
    std::map<std::string, CmqTopic> cmq_topics ABSL_GUARDED_BY(cmq_topics_mu);
    uint64_t next_cmq_topic_id ABSL_GUARDED_BY(cmq_topics_mu) = 1;
    uint64_t next_cmq_subscription_id ABSL_GUARDED_BY(cmq_topics_mu) = 1;

    // The schedule store (schedule.cc): delayed messages until due.
    absl::Mutex schedule_mu;
    uint64_t next_schedule_seq ABSL_GUARDED_BY(schedule_mu) = 0;
  };

  // A queue picked for a produce.
  struct ChosenQueue {
    storage::QueueLog* log = nullptr;
    QueueRef ref;
  };

  static absl::StatusOr<std::unique_ptr<BrokerCore>> Open(
      const BrokerOptions& options);
  ~BrokerCore();

  absl::StatusOr<Instance*> FindInstance(absl::string_view id) const;
  storage::KvStore& kv() { return store_->kv(); }
  absl::Time Now() const { return clock_->Now(); }

  // Topic helpers (topics.cc).
  absl::StatusOr<TopicView> ViewTopic(Instance* inst,
                                      absl::string_view topic) const;
  static TopicInfo TopicInfoOf(const Topic& t);
  absl::Status LoadTopics(Instance* inst);
  absl::StatusOr<RetentionReport> ApplyTopicRetention();

  // The queue `selector` picks in a writable topic (topics.cc).
  absl::StatusOr<ChosenQueue> ChooseQueue(Instance* inst,
                                          absl::string_view topic,
                                          const QueueSelector& selector);

  // Schedule store (schedule.cc). Schedule() keeps `record` durably until
  // `due`, then appends it to `queue` of `topic`.
  absl::StatusOr<ProduceResult> Schedule(Instance* inst,
                                         absl::string_view topic,
                                         const QueueRef& queue,
                                         const proto::Record& record,
                                         absl::Time due);
  // Reads the schedule store at open and sets a timer per pending message
  // (messages due while the broker was down are appended at once, in
  // deliver-time order).
  absl::Status LoadSchedule(Instance* inst);
  // Appends every message due by now; runs on the timer thread.
  void DeliverDue(Instance* inst);

  // Queue watches (watches.cc), behind Topics::WatchQueue.
  uint64_t AddWatch(storage::QueueLog* log, int64_t offset, absl::Time deadline,
                    absl::AnyInvocable<void()> done);
  bool CancelWatch(uint64_t id);
  // Fires the watches of `log` whose offset max_offset has passed (or all
  // of them with `all`, after a reset).
  void NotifyQueue(storage::QueueLog* log, bool all = false);
  // Fires every watch (Broker::StopWaiting).
  void FireAllWatches();

  // Group helpers (groups.cc).
  absl::Status LoadGroups(Instance* inst);
  // Drops every group's offsets, epochs and links for a deleted topic.
  absl::Status ForgetTopic(Instance* inst, absl::string_view topic);

  // CMQ helpers (cmq_queues.cc).
  absl::Status LoadCmqQueues(Instance* inst);
  absl::StatusOr<uint64_t> AllocateMsgIds(Instance* inst, int n);
  absl::StatusOr<RetentionReport> ApplyCmqRetention();
  // Completes every pending long poll with `status`.
  void CompleteAllWaiters(const absl::Status& status);
  void CancelAllWaiters();
  CmqWaitId NewWaitId(CmqQueue* q);
  void ForgetWaitId(CmqWaitId id);
  CmqQueue* QueueOfWait(CmqWaitId id);

  // CMQ topic helpers (cmq_topics.cc).
  absl::Status LoadCmqTopics(Instance* inst);

  const BrokerOptions options_;
  Clock* const clock_;
  // Set by Broker::StopWaiting(): receives no longer park.
  std::atomic<bool> waits_stopped_{false};
  std::unique_ptr<storage::Store> store_;
  internal::TimerQueue timers_;
  Topics topics_;
  ConsumerGroups groups_;
  CmqQueues cmq_;
  CmqTopics cmq_topics_;
  ClientRegistry clients_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::string default_instance_;

  absl::Mutex waiters_mu_;
  CmqWaitId next_wait_id_ ABSL_GUARDED_BY(waiters_mu_) = 1;
  absl::flat_hash_map<CmqWaitId, CmqQueue*> wait_queue_
      ABSL_GUARDED_BY(waiters_mu_);

  struct QueueWatch {
    storage::QueueLog* log = nullptr;
    int64_t offset = 0;
    internal::TimerQueue::TimerId timer = 0;
    absl::AnyInvocable<void()> done;
  };
  absl::Mutex watch_mu_;
  uint64_t next_watch_id_ ABSL_GUARDED_BY(watch_mu_) = 1;
  absl::flat_hash_map<uint64_t, QueueWatch> watches_ ABSL_GUARDED_BY(watch_mu_);
  absl::flat_hash_map<storage::QueueLog*, std::vector<uint64_t>> watches_by_log_
      ABSL_GUARDED_BY(watch_mu_);
  // Number of live watches, read without the mutex on the produce path.
  std::atomic<int64_t> watch_count_{0};

  std::thread timer_thread_;

 private:
  explicit BrokerCore(const BrokerOptions& options);
  absl::Status DeleteOrphanQueues();
  void TimerLoop();
};

// Key builders (see the layout above).
namespace keys {
std::string Created(const std::string& prefix);
std::string MsgId(const std::string& prefix);
std::string Topic(const std::string& prefix, absl::string_view topic);
std::string TopicPrefix(const std::string& prefix);
std::string Group(const std::string& prefix, absl::string_view group);
std::string GroupPrefix(const std::string& prefix);
std::string OffsetPrefix(const std::string& prefix, absl::string_view group,
                         absl::string_view topic);
std::string Offset(const std::string& prefix, absl::string_view group,
                   absl::string_view topic, int broker_index, int queue_id);
std::string OffsetGroupPrefix(const std::string& prefix,
                              absl::string_view group);
std::string Epoch(const std::string& prefix, absl::string_view group,
                  absl::string_view topic);
std::string EpochGroupPrefix(const std::string& prefix,
                             absl::string_view group);
std::string GroupTopic(const std::string& prefix, absl::string_view group,
                       absl::string_view topic);
std::string GroupTopicPrefix(const std::string& prefix,
                             absl::string_view group);
std::string TopicGroup(const std::string& prefix, absl::string_view topic,
                       absl::string_view group);
std::string TopicGroupPrefix(const std::string& prefix,
                             absl::string_view topic);
std::string CmqQueue(const std::string& prefix, absl::string_view lower_name);
std::string CmqQueuePrefix(const std::string& prefix);
std::string CmqTopic(const std::string& prefix, absl::string_view lower_name);
std::string CmqTopicPrefix(const std::string& prefix);
std::string CmqTopicSeq(const std::string& prefix);
std::string CmqFloor(QueueId q);
std::string CmqStatePrefix(QueueId q);
std::string CmqState(QueueId q, int64_t offset);
// Everything of queue `q` under "s/": [begin, end).
std::string CmqAllBegin(QueueId q);
std::string CmqAllEnd(QueueId q);
// The smallest key greater than every key starting with `prefix`.
std::string PrefixEnd(absl::string_view prefix);
}  // namespace keys

namespace internal {
// The Message view of a record stored in queue `q` of `topic`.
Message MessageOf(const proto::Record& r, absl::string_view topic,
                  const BrokerCore::TopicQueue& q);
}  // namespace internal

}  // namespace rewindmq::broker
