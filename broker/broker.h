// The broker core and in-process embedding API.
//
//   BrokerOptions options;
//   options.data_dir = "/var/lib/rewindmq";
//   RMQ_ASSIGN_OR_RETURN(std::unique_ptr<Broker> broker,
//   Broker::Open(options)); const std::string inst(kDefaultInstanceId);
//   broker->topics().CreateTopic(inst, {.name = "orders"});
//   broker->topics().Produce(inst, {.topic = "orders", .body = "hello"});
//   broker->groups().CreateGroup(inst, {.name = "billing"});
//   broker->groups().ResetGroup(inst, "billing", "orders",
//                               ResetTarget::At(absl::Now() - absl::Hours(1)));
//
// The broker holds message-queue semantics over storage's public API:
// instances (namespaces), topics of N queues spread over named brokers,
// consumer groups with committed offsets and online rewind (topics.h,
// groups.h), and CMQ-style queues with per-message state, long polling and
// RewindQueue (cmq_queues.h), and CMQ topics that fan messages out into
// those queues (cmq_topics.h). Errors are absl::Status with a broker::Reason
// payload (errors.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/clients.h"
#include "broker/cmq_queues.h"
#include "broker/cmq_topics.h"
#include "broker/errors.h"
#include "broker/groups.h"
#include "broker/names.h"
#include "broker/options.h"
#include "broker/topics.h"

namespace rewindmq::broker {

class BrokerCore;

struct InstanceInfo {
  std::string id;
  std::string name;
  // "broker-0" ... "broker-{n-1}".
  std::vector<std::string> brokers;
  // When the instance was first opened in this data directory.
  absl::Time created_at;
};

// What one RunRetention() pass removed.
struct RetentionReport {
  int segments_removed = 0;          // storage segments dropped, all queues
  int64_t cmq_messages_expired = 0;  // CMQ messages that became gone
};

// Owns the Store, the instances, and the topic, group, CMQ queue and CMQ
// topic components.
//
// Thread-safe: every method may be called from any thread. Calls are
// synchronous and may wait on storage (fsync), except CmqQueues::
// ReceiveAsync, which never blocks. At most one timer thread runs inside
// (BrokerOptions::start_timer_thread). Destroying the Broker ends pending
// long polls with Cancelled, stops the timer thread, and closes the Store;
// no component reference may be used after that.
class Broker {
 public:
  // Opens or creates the broker in options.data_dir, recovering every
  // topic, group offset and CMQ message state.
  // InvalidArgument: bad options (instance id or broker count).
  // Storage errors pass through (FailedPrecondition: the directory is in
  // use; DataLoss: damaged store).
  static absl::StatusOr<std::unique_ptr<Broker>> Open(
      const BrokerOptions& options);

  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;
  ~Broker();

  // Instances in configuration order.
  std::vector<InstanceInfo> ListInstances() const;
  // NotFound + kInstanceNotFound.
  absl::StatusOr<InstanceInfo> GetInstance(absl::string_view id) const;
  // The first configured instance (kDefaultInstanceId by default). CMQ
  // facades, which have no instance notion, use this one.
  const std::string& default_instance() const;

  Topics& topics();
  ConsumerGroups& groups();
  CmqQueues& cmq();
  // CMQ topics and their queue subscriptions (API 3.0 only).
  CmqTopics& cmq_topics();
  // Connected RocketMQ clients and their queue locks.
  ClientRegistry& clients();

  // Same as groups().ResetGroup (the shape used in STYLE.md).
  absl::StatusOr<ResetResult> ResetGroup(absl::string_view instance,
                                         absl::string_view group,
                                         absl::string_view topic,
                                         const ResetTarget& target,
                                         bool dry_run = false);

  // Applies retention now: topics drop segments stored before now minus
  // their retention; CMQ queues drop messages past msgRetentionSeconds and
  // DELETED messages outside the rewind window, then drop segments that
  // hold only such messages. The timer thread calls this every
  // retention_interval.
  absl::StatusOr<RetentionReport> RunRetention();

  // Runs every broker timer due at the clock's now (long-poll deadlines;
  // delay and visibility ends that wake waiting receivers). The timer
  // thread calls this; tests with a fake clock call it after advancing the
  // clock. Returns how many timers ran.
  int RunDueTimers();

  // Makes everything written so far durable.
  absl::Status Sync();

  // For a graceful shutdown: ends every pending long poll now as if its wait
  // had run out (DeadlineExceeded + kNoMessage), and from now on receives
  // answer at once instead of waiting. Clients get a well-formed empty
  // answer instead of a dropped connection.
  void StopWaiting();

  const BrokerOptions& options() const;

  // True when every write is synced to disk before it is acknowledged
  // (durability "always"): writes then wait for the disk, and front ends
  // run them where waiting holds no connection's I/O.
  bool SyncsEachWrite() const;

 private:
  explicit Broker(std::unique_ptr<BrokerCore> core);

  const std::unique_ptr<BrokerCore> core_;
};

}  // namespace rewindmq::broker
