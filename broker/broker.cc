#include "broker/broker.h"

#include <utility>

#include "base/status_macros.h"
#include "broker/core.h"
#include "broker/errors.h"

namespace rewindmq::broker {

absl::StatusOr<std::unique_ptr<Broker>> Broker::Open(
    const BrokerOptions& options) {
  RMQ_ASSIGN_OR_RETURN(std::unique_ptr<BrokerCore> core,
                       BrokerCore::Open(options));
  return std::unique_ptr<Broker>(new Broker(std::move(core)));
}

Broker::Broker(std::unique_ptr<BrokerCore> core) : core_(std::move(core)) {}

Broker::~Broker() = default;

std::vector<InstanceInfo> Broker::ListInstances() const {
  std::vector<InstanceInfo> out;
  for (const auto& inst : core_->instances_) out.push_back(inst->info);
  return out;
}

absl::StatusOr<InstanceInfo> Broker::GetInstance(absl::string_view id) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst, core_->FindInstance(id));
  return inst->info;
}

void Broker::StopWaiting() {
  core_->waits_stopped_.store(true);
  core_->CompleteAllWaiters(Error(absl::StatusCode::kDeadlineExceeded,
                                  Reason::kNoMessage,
                                  "the broker is shutting down"));
  core_->FireAllWatches();
}

const std::string& Broker::default_instance() const {
  return core_->default_instance_;
}

Topics& Broker::topics() { return core_->topics_; }
ConsumerGroups& Broker::groups() { return core_->groups_; }
CmqQueues& Broker::cmq() { return core_->cmq_; }
CmqTopics& Broker::cmq_topics() { return core_->cmq_topics_; }
ClientRegistry& Broker::clients() { return core_->clients_; }

absl::StatusOr<ResetResult> Broker::ResetGroup(absl::string_view instance,
                                               absl::string_view group,
                                               absl::string_view topic,
                                               const ResetTarget& target,
                                               bool dry_run) {
  return core_->groups_.ResetGroup(instance, group, topic, target, dry_run);
}

absl::StatusOr<RetentionReport> Broker::RunRetention() {
  RMQ_ASSIGN_OR_RETURN(RetentionReport topics, core_->ApplyTopicRetention());
  RMQ_ASSIGN_OR_RETURN(RetentionReport queues, core_->ApplyCmqRetention());
  topics.segments_removed += queues.segments_removed;
  topics.cmq_messages_expired += queues.cmq_messages_expired;
  return topics;
}

int Broker::RunDueTimers() { return core_->timers_.RunDue(); }

absl::Status Broker::Sync() { return core_->store_->SyncAll(); }

const BrokerOptions& Broker::options() const { return core_->options_; }

bool Broker::SyncsEachWrite() const {
  return core_->options_.store.durability == storage::Durability::kAlways;
}

}  // namespace rewindmq::broker
