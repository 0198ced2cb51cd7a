#include "broker/facades/admin/broker_collector.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/logging.h"

namespace rewindmq::facade::admin {
namespace {

prometheus::MetricFamily Gauges(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  return family;
}

void AddSample(prometheus::MetricFamily& family,
               std::vector<prometheus::ClientMetric::Label> labels,
               double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

void LogSkipped(absl::string_view what, const absl::Status& s) {
  RMQ_LOG(kDebug, "metrics: skipped ", what, ": ", s.ToString());
}

}  // namespace

BrokerCollector::BrokerCollector(broker::Broker* broker,
                                 BrokerCollectorOptions options)
    : broker_(broker), options_(options) {}

std::vector<prometheus::MetricFamily> BrokerCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  CollectCmq(out);
  CollectTopics(out);
  return out;
}

void BrokerCollector::CollectCmq(
    std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily count =
      Gauges("rewindmq_cmq_queues", "CMQ queues of the default instance.");
  prometheus::MetricFamily messages =
      Gauges("rewindmq_cmq_queue_messages",
             absl::StrCat("Messages of a CMQ queue by state (the first ",
                          options_.max_cmq_queues, " queues by create time)."));
  const std::string& instance = broker_->default_instance();
  broker::CmqQueues& cmq = broker_->cmq();
  absl::StatusOr<broker::CmqQueueListResult> list =
      cmq.ListQueues(instance, "", 0, options_.max_cmq_queues);
  if (!list.ok()) {
    LogSkipped("the CMQ queues", list.status());
  } else {
    AddSample(count, {}, static_cast<double>(list->total));
    for (const broker::CmqQueueInfo& q : list->queues) {
      absl::StatusOr<broker::CmqQueueInfo> info =
          cmq.GetQueueAttributes(instance, q.name);
      if (!info.ok()) {
        LogSkipped(absl::StrCat("CMQ queue ", q.name), info.status());
        continue;
      }
      const broker::CmqQueueCounters& c = info->counters;
      for (const auto& [state, value] :
           {std::pair<const char*, int64_t>{"active", c.active},
            {"inactive", c.inactive},
            {"delayed", c.delayed},
            {"rewindable", c.rewindable}}) {
        AddSample(messages, {{"queue", q.name}, {"state", state}},
                  static_cast<double>(value));
      }
    }
  }
  out.push_back(std::move(count));
  out.push_back(std::move(messages));
}

void BrokerCollector::CollectTopics(
    std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily offsets =
      Gauges("rewindmq_topic_queue_max_offset",
             "The next offset to be written in a queue of a topic.");
  prometheus::MetricFamily lags = Gauges(
      "rewindmq_group_lag",
      "Messages of a topic not yet consumed by a group: max_offset minus the "
      "committed offset, summed over the topic's queues.");
  for (const broker::InstanceInfo& inst : broker_->ListInstances()) {
    absl::StatusOr<std::vector<broker::TopicInfo>> topics =
        broker_->topics().ListTopics(inst.id);
    if (!topics.ok()) {
      LogSkipped(absl::StrCat("the topics of ", inst.id), topics.status());
      continue;
    }
    const size_t max_topics =
        std::min(topics->size(), static_cast<size_t>(options_.max_topics));
    for (size_t i = 0; i < max_topics; ++i) {
      const std::string& topic = (*topics)[i].name;
      absl::StatusOr<broker::TopicStatus> status =
          broker_->topics().GetTopicStatus(inst.id, topic);
      if (!status.ok()) {
        LogSkipped(absl::StrCat("topic ", inst.id, "/", topic),
                   status.status());
        continue;
      }
      for (const broker::QueueStatus& q : status->queues) {
        AddSample(offsets,
                  {{"instance", inst.id},
                   {"topic", topic},
                   {"queue",
                    absl::StrCat(q.queue.broker_name, "/", q.queue.queue_id)}},
                  static_cast<double>(q.max_offset.value));
      }
    }

    absl::StatusOr<std::vector<broker::GroupInfo>> groups =
        broker_->groups().ListGroups(inst.id);
    if (!groups.ok()) {
      LogSkipped(absl::StrCat("the groups of ", inst.id), groups.status());
      continue;
    }
    const size_t max_groups =
        std::min(groups->size(), static_cast<size_t>(options_.max_groups));
    for (size_t i = 0; i < max_groups; ++i) {
      const broker::GroupInfo& group = (*groups)[i];
      for (const std::string& topic : group.topics) {
        absl::StatusOr<broker::GroupTopicLag> lag =
            broker_->groups().GetLag(inst.id, group.name, topic);
        if (!lag.ok()) {
          LogSkipped(absl::StrCat("the lag of ", group.name, " on ", topic),
                     lag.status());
          continue;
        }
        int64_t total = 0;
        for (const broker::QueueLag& q : lag->queues) total += q.lag;
        AddSample(
            lags,
            {{"instance", inst.id}, {"group", group.name}, {"topic", topic}},
            static_cast<double>(total));
      }
    }
  }
  out.push_back(std::move(offsets));
  out.push_back(std::move(lags));
}

}  // namespace rewindmq::facade::admin
