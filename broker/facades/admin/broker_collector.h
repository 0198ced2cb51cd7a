// Broker gauges for GET /metrics, read from the broker's public API when
// the endpoint is scraped (never on a request's path):
//
//   rewindmq_cmq_queues                                   gauge
//   rewindmq_cmq_queue_messages{queue,state}              gauge
//   rewindmq_topic_queue_max_offset{instance,topic,queue} gauge
//   rewindmq_group_lag{instance,group,topic}              gauge
//
// CMQ queues are those of the default instance (the one both CMQ faces
// serve); `state` is active, inactive, delayed or rewindable, the counters
// of GetQueueAttributes. rewindmq_cmq_queues is the number of queues, also
// beyond the cap. A topic queue is labelled "broker-0/3"; its max_offset is
// the next offset to be written. A group's lag is the sum over the topic's
// queues of max_offset minus the committed offset (broker::QueueLag::lag),
// for every topic the group has committed or reset offsets on.
#pragma once

#include <vector>

#include "broker/broker.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace rewindmq::facade::admin {

// How much one scrape reads. Each CMQ queue costs one GetQueueAttributes,
// each topic one GetTopicStatus, each group and topic one GetLag (which
// reads one record per queue); series beyond the caps are left out.
struct BrokerCollectorOptions {
  int max_cmq_queues = 1000;  // the first, by create time
  int max_topics = 1000;      // per instance, in creation order
  int max_groups = 1000;      // per instance, in creation order
};

// Thread-safe: Collect() may run on several threads at once. Borrows the
// broker, which must outlive it.
class BrokerCollector final : public prometheus::Collectable {
 public:
  explicit BrokerCollector(broker::Broker* broker,
                           BrokerCollectorOptions options = {});

  // The families above, read now. Objects that vanish while they are read
  // (a queue deleted between the list and its counters) are skipped; so
  // is anything a broker call fails on, logged at debug level.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  void CollectCmq(std::vector<prometheus::MetricFamily>& out) const;
  void CollectTopics(std::vector<prometheus::MetricFamily>& out) const;

  broker::Broker* const broker_;
  const BrokerCollectorOptions options_;
};

}  // namespace rewindmq::facade::admin
