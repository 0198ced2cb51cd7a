// The schedule store: delayed messages (RocketMQ delay levels and delivery
// times) kept in the key-value area until due, then appended to their
// queue with the store time of that append.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "broker/core.h"
#include "broker/kv_codec.h"
#include "proto/record.pb.h"

namespace rewindmq::broker {
namespace {

std::string SchedulePrefix(const std::string& prefix) {
  return absl::StrCat(prefix, "sch/");
}

std::string ScheduleKey(const std::string& prefix, absl::Time due,
                        uint64_t seq) {
  const int64_t us = std::max<int64_t>(0, absl::ToUnixMicros(due));
  return absl::StrCat(SchedulePrefix(prefix),
                      internal::Hex16(static_cast<uint64_t>(us)),
                      internal::Hex16(seq));
}

// The due time in a key, or false when the key is malformed.
bool DueOf(absl::string_view key, size_t prefix_len, absl::Time* due) {
  uint64_t us = 0;
  if (key.size() != prefix_len + 32 ||
      !internal::ParseHex16(key.substr(prefix_len, 16), &us)) {
    return false;
  }
  *due = absl::FromUnixMicros(static_cast<int64_t>(us));
  return true;
}

}  // namespace

absl::StatusOr<ProduceResult> BrokerCore::Schedule(Instance* inst,
                                                   absl::string_view topic,
                                                   const QueueRef& queue,
                                                   const proto::Record& record,
                                                   absl::Time due) {
  proto::ScheduledMessage m;
  m.set_topic(std::string(topic));
  m.set_broker_name(queue.broker_name);
  m.set_queue_id(queue.queue_id);
  *m.mutable_record() = record;
  uint64_t seq = 0;
  {
    absl::MutexLock l(&inst->schedule_mu);
    // Seeded from the clock at open, so sequences grow across restarts.
    if (inst->next_schedule_seq == 0) {
      inst->next_schedule_seq =
          static_cast<uint64_t>(absl::ToUnixMicros(Now()));
    }
    seq = inst->next_schedule_seq++;
  }
  RMQ_RETURN_IF_ERROR(
      kv().Put(ScheduleKey(inst->prefix, due, seq), m.SerializeAsString()));
  timers_.Schedule(due, [this, inst] { DeliverDue(inst); });
  ProduceResult result;
  result.queue = queue;
  result.offset = Offset{static_cast<int64_t>(seq & 0x7fffffffffffffffULL)};
  result.store_time = due;
  result.scheduled = true;
  return result;
}

absl::Status BrokerCore::LoadSchedule(Instance* inst) {
  const std::string prefix = SchedulePrefix(inst->prefix);
  RMQ_ASSIGN_OR_RETURN(auto entries, kv().Scan(prefix));
  for (const auto& [key, value] : entries) {
    absl::Time due;
    if (!DueOf(key, prefix.size(), &due)) continue;
    timers_.Schedule(due, [this, inst] { DeliverDue(inst); });
  }
  if (!entries.empty()) {
    RMQ_LOG(kInfo, "broker open: ", entries.size(),
            " delayed messages pending in instance ", inst->info.id);
  }
  return absl::OkStatus();
}

void BrokerCore::DeliverDue(Instance* inst) {
  absl::MutexLock l(&inst->schedule_mu);
  const std::string prefix = SchedulePrefix(inst->prefix);
  const absl::Time now = Now();
  while (true) {
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> entries =
        kv().Scan(prefix, "", 64);
    if (!entries.ok()) {
      RMQ_LOG(kWarning,
              "schedule store: read failed: ", entries.status().ToString());
      timers_.Schedule(now + absl::Seconds(1),
                       [this, inst] { DeliverDue(inst); });
      return;
    }
    int delivered = 0;
    for (const auto& [key, value] : *entries) {
      absl::Time due;
      if (DueOf(key, prefix.size(), &due) && due > now) return;
      proto::ScheduledMessage m;
      absl::Status appended = absl::OkStatus();
      if (!m.ParseFromString(value)) {
        RMQ_LOG(kError, "schedule store: dropping undecodable entry ", key);
      } else {
        absl::StatusOr<ChosenQueue> q = ChooseQueue(
            inst, m.topic(),
            QueueSelector::Exactly({m.broker_name(), m.queue_id()}));
        if (!q.ok()) {
          RMQ_LOG(kWarning, "schedule store: dropping a delayed message for ",
                  m.topic(), ": ", q.status().ToString());
        } else {
          absl::StatusOr<storage::AppendResult> r =
              q->log->Append(absl::MakeConstSpan(&m.record(), 1));
          if (r.ok()) {
            NotifyQueue(q->log);
          } else {
            appended = r.status();
          }
        }
      }
      if (!appended.ok()) {
        // Keep it and try again shortly (a full disk, say).
        RMQ_LOG(kWarning, "schedule store: delivery to ", m.topic(),
                " failed: ", appended.ToString());
        timers_.Schedule(now + absl::Seconds(1),
                         [this, inst] { DeliverDue(inst); });
        return;
      }
      // Appended (or undeliverable): remove it. A crash between the two
      // delivers it once more after the restart (at least once).
      absl::Status s = kv().Delete(key);
      if (!s.ok()) {
        RMQ_LOG(kWarning, "schedule store: cannot remove ", key, ": ",
                s.ToString());
        return;
      }
      ++delivered;
    }
    if (entries->size() < 64 || delivered == 0) return;
  }
}

}  // namespace rewindmq::broker
