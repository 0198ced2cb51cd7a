// Settings of a Broker, fixed when it is opened.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "storage/options.h"

namespace rewindmq::broker {

// The id, name and broker count of the instance that exists when the
// configuration declares none (dms-rocketmq.md section 2).
inline constexpr absl::string_view kDefaultInstanceId =
    "00000000-0000-4000-8000-000000000001";
inline constexpr absl::string_view kDefaultInstanceName = "rewindmq";

// One instance: a namespace holding topics, consumer groups and CMQ queues.
struct InstanceOptions {
  // Matches [A-Za-z0-9_-]{1,64}; never used as a path.
  std::string id;
  // Display name (free text).
  std::string name;
  // Brokers are named broker-0 ... broker-{broker_num-1}. 1 to 64.
  int broker_num = 1;
};

struct BrokerOptions {
  // Directory of the Store (created when missing).
  std::string data_dir;

  // Source of every time the broker uses: store times, visibility and delay
  // deadlines, long-poll deadlines, retention and rewind windows. Not owned;
  // must outlive the Broker. Overrides `store.clock`.
  Clock* clock = Clock::Real();

  // Passed to storage::Store::Open (its `clock` is replaced by `clock`).
  storage::StoreOptions store;

  // The instances. Empty: one instance with kDefaultInstanceId,
  // kDefaultInstanceName and one broker.
  std::vector<InstanceOptions> instances;

  // --- Topics and consumer groups (RocketMQ model) ---
  // Queues per broker when CreateTopic does not say.
  int default_queue_num = 8;
  // Largest queue count per broker at creation or update.
  int max_queue_num = 50;
  // Topic and group quotas per instance.
  int max_topics = 2000;
  int max_groups = 4000;
  // How long topic messages are kept when the topic sets no retention of
  // its own (the real service keeps 48 h).
  absl::Duration topic_retention = absl::Hours(48);
  // Largest message body and total property text (name + value bytes).
  int64_t max_topic_body_bytes = int64_t{4} << 20;
  int64_t max_topic_property_bytes = int64_t{16} << 10;
  // QueryMessages stops after examining this many records (and returns what
  // it found) so a wide time range cannot run unbounded.
  int64_t max_query_scan_records = 1'000'000;

  // --- CMQ queues ---
  int max_cmq_queues = 1000;
  // Lower bound accepted for maxMsgHeapNum; the vendor's is 1,000,000.
  // Tests lower it.
  int64_t cmq_min_max_msg_heap_num = 1'000'000;
  // Longest long-poll wait a receive may ask for.
  absl::Duration max_polling_wait = absl::Seconds(30);
  // Largest total body size of one BatchSend.
  int64_t max_cmq_batch_bytes = int64_t{1} << 20;

  // --- Background work ---
  // When true, Open() starts the broker's one timer thread: it completes
  // long-poll deadlines, ends delays and visibility timeouts for waiting
  // receivers, and runs retention every `retention_interval`. When false
  // (tests with a fake clock), the owner calls Broker::RunDueTimers() and
  // Broker::RunRetention() itself.
  bool start_timer_thread = true;
  absl::Duration retention_interval = absl::Minutes(1);
  // Longest the timer thread sleeps before re-reading the clock, so a clock
  // that jumps is noticed.
  absl::Duration timer_max_sleep = absl::Milliseconds(100);
};

}  // namespace rewindmq::broker
