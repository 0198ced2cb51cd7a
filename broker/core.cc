#include "broker/core.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "broker/errors.h"
#include "broker/kv_codec.h"
#include "broker/names.h"

namespace rewindmq::broker {

namespace keys {

std::string Created(const std::string& prefix) {
  return absl::StrCat(prefix, "created");
}
std::string MsgId(const std::string& prefix) {
  return absl::StrCat(prefix, "msgid");
}
std::string Topic(const std::string& prefix, absl::string_view topic) {
  return absl::StrCat(prefix, "t/", topic);
}
std::string TopicPrefix(const std::string& prefix) {
  return absl::StrCat(prefix, "t/");
}
std::string Group(const std::string& prefix, absl::string_view group) {
  return absl::StrCat(prefix, "g/", group);
}
std::string GroupPrefix(const std::string& prefix) {
  return absl::StrCat(prefix, "g/");
}
std::string OffsetPrefix(const std::string& prefix, absl::string_view group,
                         absl::string_view topic) {
  return absl::StrCat(prefix, "o/", group, "/", topic, "/");
}
std::string Offset(const std::string& prefix, absl::string_view group,
                   absl::string_view topic, int broker_index, int queue_id) {
  return absl::StrCat(OffsetPrefix(prefix, group, topic),
                      absl::StrFormat("%04d/%04d", broker_index, queue_id));
}
std::string OffsetGroupPrefix(const std::string& prefix,
                              absl::string_view group) {
  return absl::StrCat(prefix, "o/", group, "/");
}
std::string Epoch(const std::string& prefix, absl::string_view group,
                  absl::string_view topic) {
  return absl::StrCat(prefix, "e/", group, "/", topic);
}
std::string EpochGroupPrefix(const std::string& prefix,
                             absl::string_view group) {
  return absl::StrCat(prefix, "e/", group, "/");
}
std::string GroupTopic(const std::string& prefix, absl::string_view group,
                       absl::string_view topic) {
  return absl::StrCat(prefix, "gt/", group, "/", topic);
}
std::string GroupTopicPrefix(const std::string& prefix,
                             absl::string_view group) {
  return absl::StrCat(prefix, "gt/", group, "/");
}
std::string TopicGroup(const std::string& prefix, absl::string_view topic,
                       absl::string_view group) {
  return absl::StrCat(prefix, "tg/", topic, "/", group);
}
std::string TopicGroupPrefix(const std::string& prefix,
                             absl::string_view topic) {
  return absl::StrCat(prefix, "tg/", topic, "/");
}
std::string CmqQueue(const std::string& prefix, absl::string_view lower_name) {
  return absl::StrCat(prefix, "q/", lower_name);
}
std::string CmqQueuePrefix(const std::string& prefix) {
  return absl::StrCat(prefix, "q/");
}
std::string CmqTopic(const std::string& prefix, absl::string_view lower_name) {
  return absl::StrCat(prefix, "ct/", lower_name);
}
std::string CmqTopicPrefix(const std::string& prefix) {
  return absl::StrCat(prefix, "ct/");
}
std::string CmqTopicSeq(const std::string& prefix) {
  return absl::StrCat(prefix, "ctseq");
}
std::string CmqFloor(QueueId q) {
  return absl::StrCat("s/", internal::Hex16(q.value), "/f");
}
std::string CmqStatePrefix(QueueId q) {
  return absl::StrCat("s/", internal::Hex16(q.value), "/m/");
}
std::string CmqState(QueueId q, int64_t offset) {
  return absl::StrCat(CmqStatePrefix(q),
                      internal::Hex16(static_cast<uint64_t>(offset)));
}
std::string CmqAllBegin(QueueId q) {
  return absl::StrCat("s/", internal::Hex16(q.value), "/");
}
std::string CmqAllEnd(QueueId q) { return PrefixEnd(CmqAllBegin(q)); }
std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // empty: no upper bound (never happens for our prefixes)
}
}  // namespace keys

const BrokerCore::TopicQueue* BrokerCore::TopicView::Find(
    const QueueRef& q) const {
  for (const TopicQueue& tq : queues) {
    if (tq.ref == q) return &tq;
  }
  return nullptr;
}

BrokerCore::BrokerCore(const BrokerOptions& options)
    : options_(options),
      clock_(options.clock),
      timers_(options.clock),
      topics_(this),
      groups_(this),
      cmq_(this),
      cmq_topics_(this),
      clients_(options.clock) {}

absl::StatusOr<std::unique_ptr<BrokerCore>> BrokerCore::Open(
    const BrokerOptions& options) {
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("broker options: clock is null");
  }
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("broker options: data_dir is empty");
  }
  std::vector<InstanceOptions> instances = options.instances;
  if (instances.empty()) {
    instances.push_back({std::string(kDefaultInstanceId),
                         std::string(kDefaultInstanceName), 1});
  }
  std::set<std::string> seen;
  for (const InstanceOptions& io : instances) {
    RMQ_RETURN_IF_ERROR(ValidateInstanceId(io.id));
    if (io.broker_num < 1 || io.broker_num > 64) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance ", io.id, ": broker_num ", io.broker_num,
                       " is outside 1..64"));
    }
    if (!seen.insert(io.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance ", io.id, " is configured twice"));
    }
  }

  std::unique_ptr<BrokerCore> core(new BrokerCore(options));
  storage::StoreOptions store_options = options.store;
  store_options.clock = options.clock;
  RMQ_ASSIGN_OR_RETURN(core->store_,
                       storage::Store::Open(options.data_dir, store_options));

  for (const InstanceOptions& io : instances) {
    auto inst = std::make_unique<Instance>();
    inst->info.id = io.id;
    inst->info.name = io.name;
    for (int b = 0; b < io.broker_num; ++b) {
      inst->info.brokers.push_back(absl::StrCat("broker-", b));
    }
    inst->prefix = absl::StrCat("i/", io.id, "/");
    std::string created_key = keys::Created(inst->prefix);
    absl::StatusOr<std::string> created = core->kv().Get(created_key);
    int64_t created_us = absl::ToUnixMicros(core->Now());
    if (created.ok()) {
      RMQ_ASSIGN_OR_RETURN(internal::KvFields f,
                           internal::KvFields::Parse(*created));
      created_us = f.I64(1, created_us);
    } else if (absl::IsNotFound(created.status())) {
      internal::KvWriter w;
      w.I64(1, created_us);
      RMQ_RETURN_IF_ERROR(core->kv().Put(created_key, w.data(), true));
    } else {
      return created.status();
    }
    inst->info.created_at = absl::FromUnixMicros(created_us);
    core->instances_.push_back(std::move(inst));
  }
  core->default_instance_ = core->instances_.front()->info.id;

  for (auto& inst : core->instances_) {
    RMQ_RETURN_IF_ERROR(core->LoadTopics(inst.get()));
    RMQ_RETURN_IF_ERROR(core->LoadGroups(inst.get()));
    RMQ_RETURN_IF_ERROR(core->LoadCmqQueues(inst.get()));
    RMQ_RETURN_IF_ERROR(core->LoadCmqTopics(inst.get()));
    RMQ_RETURN_IF_ERROR(core->LoadSchedule(inst.get()));
  }
  RMQ_RETURN_IF_ERROR(core->DeleteOrphanQueues());

  if (options.start_timer_thread) {
    BrokerCore* raw = core.get();
    core->timer_thread_ = std::thread([raw] { raw->TimerLoop(); });
  }
  return core;
}

BrokerCore::~BrokerCore() {
  timers_.Shutdown();
  if (timer_thread_.joinable()) timer_thread_.join();
  CancelAllWaiters();
  absl::Status s = store_ != nullptr ? store_->SyncAll() : absl::OkStatus();
  if (!s.ok()) RMQ_LOG(kWarning, "broker close: sync failed: ", s.ToString());
}

absl::StatusOr<BrokerCore::Instance*> BrokerCore::FindInstance(
    absl::string_view id) const {
  for (const auto& inst : instances_) {
    if (inst->info.id == id) return inst.get();
  }
  return Error(absl::StatusCode::kNotFound, Reason::kInstanceNotFound,
               absl::StrCat("instance ", id, " does not exist"));
}

// A storage queue that no topic or CMQ queue of any instance (configured
// or not) references was left by a crash between creating it and recording
// it, or between forgetting it and deleting it.
absl::Status BrokerCore::DeleteOrphanQueues() {
  std::set<uint64_t> referenced;
  RMQ_ASSIGN_OR_RETURN(auto all, kv().Scan("i/"));
  for (const auto& [key, value] : all) {
    std::vector<absl::string_view> parts = absl::StrSplit(key, '/');
    if (parts.size() != 4 || (parts[2] != "t" && parts[2] != "q")) continue;
    RMQ_ASSIGN_OR_RETURN(internal::KvFields f,
                         internal::KvFields::Parse(value));
    // Topic metadata lists its queue ids under tag 20; CMQ metadata under 3.
    for (uint64_t id : f.AllU64(parts[2] == "t" ? 20 : 3)) {
      referenced.insert(id);
    }
  }
  for (QueueId id : store_->ListQueues()) {
    if (referenced.count(id.value) != 0) continue;
    RMQ_LOG(kInfo, "broker open: deleting unreferenced storage queue ",
            id.value);
    absl::Status s = store_->DeleteQueue(id);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

void BrokerCore::TimerLoop() {
  absl::Time next_retention = Now() + options_.retention_interval;
  while (true) {
    timers_.RunDue();
    absl::Time now = Now();
    if (now >= next_retention) {
      absl::StatusOr<RetentionReport> r = ApplyTopicRetention();
      if (!r.ok()) {
        RMQ_LOG(kWarning, "topic retention failed: ", r.status().ToString());
      }
      r = ApplyCmqRetention();
      if (!r.ok()) {
        RMQ_LOG(kWarning, "queue retention failed: ", r.status().ToString());
      }
      now = Now();
      next_retention = now + options_.retention_interval;
    }
    absl::Duration sleep =
        std::min(options_.timer_max_sleep, next_retention - now);
    if (std::optional<absl::Time> due = timers_.NextDue(); due.has_value()) {
      sleep = std::min(sleep, *due - now);
    }
    if (sleep < absl::ZeroDuration()) sleep = absl::ZeroDuration();
    if (!timers_.WaitForChange(sleep)) return;
  }
}

}  // namespace rewindmq::broker
