#include "broker/groups.h"

#include <algorithm>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "broker/core.h"
#include "broker/errors.h"
#include "broker/kv_codec.h"
#include "broker/names.h"
#include "proto/record.pb.h"

namespace rewindmq::broker {
namespace {

using internal::KvFields;
using internal::KvWriter;
using Instance = BrokerCore::Instance;
using OffsetTable = BrokerCore::OffsetTable;

// Group metadata tags.
constexpr uint32_t kTagName = 1, kTagEnabled = 2, kTagBroadcast = 3,
                   kTagOrderly = 4, kTagRetry = 5, kTagDescription = 6,
                   kTagBroker = 7, kTagCreatedUs = 8, kTagSeq = 9;
// Offset and epoch values.
constexpr uint32_t kTagValue = 1, kTagTopicUid = 2, kTagCommitUs = 3;

std::string EncodeGroup(const BrokerCore::Group& g) {
  KvWriter w;
  w.Str(kTagName, g.info.name)
      .Bool(kTagEnabled, g.info.enabled)
      .Bool(kTagBroadcast, g.info.broadcast)
      .Bool(kTagOrderly, g.info.consume_orderly)
      .I64(kTagRetry, g.info.retry_max_time)
      .Str(kTagDescription, g.info.description)
      .I64(kTagCreatedUs, absl::ToUnixMicros(g.info.created_at))
      .U64(kTagSeq, g.seq);
  for (const std::string& b : g.info.brokers) w.Str(kTagBroker, b);
  return w.data();
}

std::string EncodeValue(int64_t value, uint64_t topic_uid, absl::Time now) {
  KvWriter w;
  w.I64(kTagValue, value)
      .U64(kTagTopicUid, topic_uid)
      .I64(kTagCommitUs, absl::ToUnixMicros(now));
  return w.data();
}

absl::Status GroupNotFound(absl::string_view group) {
  return Error(absl::StatusCode::kNotFound, Reason::kGroupNotFound,
               absl::StrCat("consumer group ", group, " does not exist"));
}

absl::Status CheckGroupFields(const Instance& inst, int retry_max_time,
                              absl::string_view description,
                              const std::vector<std::string>& brokers) {
  if (retry_max_time < 1 || retry_max_time > 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry_max_time ", retry_max_time, " is outside 1..16"));
  }
  if (description.size() > 200) {
    return absl::InvalidArgumentError("group description exceeds 200 bytes");
  }
  for (const std::string& b : brokers) {
    if (std::find(inst.info.brokers.begin(), inst.info.brokers.end(), b) ==
        inst.info.brokers.end()) {
      return Error(
          absl::StatusCode::kInvalidArgument, Reason::kBrokerNotFound,
          absl::StrCat("instance ", inst.info.id, " has no broker ", b));
    }
  }
  return absl::OkStatus();
}

// Topics the group has offsets for (from the gt/ links), sorted. A link
// left by a commit that raced a topic deletion names no live topic and is
// skipped.
absl::StatusOr<std::vector<std::string>> TopicsOfGroup(BrokerCore& c,
                                                       const Instance& inst,
                                                       absl::string_view g,
                                                       bool live_only = true) {
  std::string prefix = keys::GroupTopicPrefix(inst.prefix, g);
  RMQ_ASSIGN_OR_RETURN(auto rows, c.kv().Scan(prefix));
  std::vector<std::string> out;
  absl::ReaderMutexLock l(&inst.topics_mu);
  for (const auto& [key, value] : rows) {
    std::string topic = key.substr(prefix.size());
    if (!live_only || inst.topics.count(topic) != 0) {
      out.push_back(std::move(topic));
    }
  }
  return out;
}

// Copies the group (NotFound + kGroupNotFound).
absl::StatusOr<BrokerCore::Group> CopyGroup(Instance* inst,
                                            absl::string_view group) {
  absl::ReaderMutexLock l(&inst->groups_mu);
  auto it = inst->groups.find(std::string(group));
  if (it == inst->groups.end()) return GroupNotFound(group);
  return it->second;
}

// The offset table of (group, topic), loaded. A table whose topic uid is
// not the live topic's (the topic was deleted and created again) is
// replaced by a fresh one.
absl::StatusOr<OffsetTable*> GetTable(BrokerCore& c, Instance* inst,
                                      absl::string_view group,
                                      const BrokerCore::TopicView& view) {
  OffsetTable* table = nullptr;
  {
    absl::MutexLock l(&inst->groups_mu);
    if (inst->groups.count(std::string(group)) == 0) {
      return GroupNotFound(group);
    }
    auto key = std::make_pair(std::string(group), view.name);
    auto it = inst->offsets.find(key);
    if (it != inst->offsets.end()) {
      if (it->second->topic_uid == view.uid && !it->second->dead) {
        table = it->second;
      } else {
        it->second->dead = true;
        inst->offsets.erase(it);
      }
    }
    if (table == nullptr) {
      inst->all_offset_tables.push_back(
          std::make_unique<OffsetTable>(view.uid));
      table = inst->all_offset_tables.back().get();
      inst->offsets.emplace(std::move(key), table);
    }
  }
  absl::MutexLock l(&table->mu);
  if (table->loaded || table->dead) return table;
  std::string prefix = keys::OffsetPrefix(inst->prefix, group, view.name);
  RMQ_ASSIGN_OR_RETURN(auto rows, c.kv().Scan(prefix));
  for (const auto& [key, value] : rows) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(absl::string_view(key).substr(prefix.size()), '/');
    int b = 0, q = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &b) ||
        !absl::SimpleAtoi(parts[1], &q)) {
      return absl::DataLossError(absl::StrCat("malformed offset key ", key));
    }
    RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(value));
    if (f.U64(kTagTopicUid) != view.uid) continue;  // an older topic's
    table->committed[{b, q}] = f.I64(kTagValue);
  }
  absl::StatusOr<std::string> epoch =
      c.kv().Get(keys::Epoch(inst->prefix, group, view.name));
  if (epoch.ok()) {
    RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(*epoch));
    if (f.U64(kTagTopicUid) == view.uid) {
      table->epoch = static_cast<uint64_t>(f.I64(kTagValue));
    }
  } else if (!absl::IsNotFound(epoch.status())) {
    return epoch.status();
  }
  absl::StatusOr<std::string> link =
      c.kv().Get(keys::GroupTopic(inst->prefix, group, view.name));
  if (!link.ok() && !absl::IsNotFound(link.status())) return link.status();
  table->linked = link.ok();
  table->loaded = true;
  return table;
}

void AddLinks(const Instance& inst, absl::string_view group,
              absl::string_view topic, storage::KvBatch* batch) {
  batch->Put(keys::GroupTopic(inst.prefix, group, topic), "");
  batch->Put(keys::TopicGroup(inst.prefix, topic, group), "");
}

absl::Status DeadTableError(absl::string_view group, absl::string_view topic) {
  return Error(
      absl::StatusCode::kNotFound, Reason::kTopicNotFound,
      absl::StrCat("topic ", topic, " or group ", group, " was deleted"));
}

}  // namespace

absl::Status BrokerCore::LoadGroups(Instance* inst) {
  RMQ_ASSIGN_OR_RETURN(auto rows, kv().Scan(keys::GroupPrefix(inst->prefix)));
  absl::MutexLock l(&inst->groups_mu);
  for (const auto& [key, value] : rows) {
    RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(value));
    Group g;
    g.info.name = f.Str(kTagName);
    g.info.enabled = f.Bool(kTagEnabled, true);
    g.info.broadcast = f.Bool(kTagBroadcast);
    g.info.consume_orderly = f.Bool(kTagOrderly);
    g.info.retry_max_time = static_cast<int>(f.I64(kTagRetry, 16));
    g.info.description = f.Str(kTagDescription);
    g.info.brokers = f.AllStr(kTagBroker);
    g.info.created_at = absl::FromUnixMicros(f.I64(kTagCreatedUs));
    g.seq = f.U64(kTagSeq);
    inst->next_group_seq = std::max(inst->next_group_seq, g.seq + 1);
    inst->groups.emplace(g.info.name, std::move(g));
  }
  return absl::OkStatus();
}

absl::Status BrokerCore::ForgetTopic(Instance* inst, absl::string_view topic) {
  std::vector<OffsetTable*> tables;
  {
    absl::MutexLock l(&inst->groups_mu);
    for (auto it = inst->offsets.begin(); it != inst->offsets.end();) {
      if (it->first.second == topic) {
        tables.push_back(it->second);
        it = inst->offsets.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (OffsetTable* t : tables) {
    // Waits for a commit or reset in progress, so none lands after the
    // keys are deleted below.
    absl::MutexLock l(&t->mu);
    t->dead = true;
  }
  std::string prefix = keys::TopicGroupPrefix(inst->prefix, topic);
  RMQ_ASSIGN_OR_RETURN(auto rows, kv().Scan(prefix));
  storage::KvBatch batch;
  for (const auto& [key, value] : rows) {
    std::string group = key.substr(prefix.size());
    std::string offsets = keys::OffsetPrefix(inst->prefix, group, topic);
    batch.DeleteRange(offsets, keys::PrefixEnd(offsets));
    batch.Delete(keys::Epoch(inst->prefix, group, topic));
    batch.Delete(keys::GroupTopic(inst->prefix, group, topic));
  }
  batch.DeleteRange(prefix, keys::PrefixEnd(prefix));
  return kv().Write(batch, /*sync=*/true);
}

absl::StatusOr<GroupInfo> ConsumerGroups::CreateGroup(
    absl::string_view instance, const CreateGroupRequest& req) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_RETURN_IF_ERROR(ValidateGroupName(req.name));
  RMQ_RETURN_IF_ERROR(CheckGroupFields(*inst, req.retry_max_time,
                                       req.description, req.brokers));
  absl::MutexLock l(&inst->groups_mu);
  if (inst->groups.count(req.name) != 0) {
    return Error(absl::StatusCode::kAlreadyExists, Reason::kGroupExists,
                 absl::StrCat("consumer group ", req.name, " already exists"));
  }
  if (static_cast<int>(inst->groups.size()) >= c.options_.max_groups) {
    return Error(absl::StatusCode::kResourceExhausted, Reason::kGroupLimit,
                 absl::StrCat("instance ", inst->info.id, " has reached its ",
                              c.options_.max_groups, " consumer groups"));
  }
  BrokerCore::Group g;
  g.info.name = req.name;
  g.info.enabled = req.enabled;
  g.info.broadcast = req.broadcast;
  g.info.consume_orderly = req.consume_orderly;
  g.info.retry_max_time = req.retry_max_time;
  g.info.description = req.description;
  g.info.brokers = req.brokers;
  g.info.created_at = c.Now();
  g.seq = inst->next_group_seq;
  RMQ_RETURN_IF_ERROR(c.kv().Put(keys::Group(inst->prefix, req.name),
                                 EncodeGroup(g), /*sync=*/true));
  ++inst->next_group_seq;
  GroupInfo info = g.info;
  inst->groups.emplace(req.name, std::move(g));
  return info;
}

absl::StatusOr<std::vector<GroupInfo>> ConsumerGroups::ListGroups(
    absl::string_view instance) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  std::vector<BrokerCore::Group> groups;
  {
    absl::ReaderMutexLock l(&inst->groups_mu);
    for (const auto& [name, g] : inst->groups) groups.push_back(g);
  }
  std::sort(groups.begin(), groups.end(),
            [](const auto& a, const auto& b) { return a.seq < b.seq; });
  std::vector<GroupInfo> out;
  for (BrokerCore::Group& g : groups) {
    RMQ_ASSIGN_OR_RETURN(g.info.topics,
                         TopicsOfGroup(*core_, *inst, g.info.name));
    out.push_back(std::move(g.info));
  }
  return out;
}

absl::StatusOr<GroupInfo> ConsumerGroups::GetGroup(absl::string_view instance,
                                                   absl::string_view group,
                                                   bool with_topics) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Group g, CopyGroup(inst, group));
  if (!with_topics) return g.info;
  RMQ_ASSIGN_OR_RETURN(g.info.topics, TopicsOfGroup(*core_, *inst, group));
  return g.info;
}

absl::StatusOr<GroupInfo> ConsumerGroups::UpdateGroup(
    absl::string_view instance, absl::string_view group,
    const UpdateGroupRequest& req) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  GroupInfo info;
  {
    absl::MutexLock l(&inst->groups_mu);
    auto it = inst->groups.find(std::string(group));
    if (it == inst->groups.end()) return GroupNotFound(group);
    BrokerCore::Group g = it->second;
    if (req.enabled.has_value()) g.info.enabled = *req.enabled;
    if (req.broadcast.has_value()) g.info.broadcast = *req.broadcast;
    if (req.consume_orderly.has_value()) {
      g.info.consume_orderly = *req.consume_orderly;
    }
    if (req.retry_max_time.has_value()) {
      g.info.retry_max_time = *req.retry_max_time;
    }
    if (req.description.has_value()) g.info.description = *req.description;
    if (req.brokers.has_value()) g.info.brokers = *req.brokers;
    RMQ_RETURN_IF_ERROR(CheckGroupFields(*inst, g.info.retry_max_time,
                                         g.info.description, g.info.brokers));
    RMQ_RETURN_IF_ERROR(c.kv().Put(keys::Group(inst->prefix, group),
                                   EncodeGroup(g), /*sync=*/true));
    it->second = g;
    info = g.info;
  }
  RMQ_ASSIGN_OR_RETURN(info.topics, TopicsOfGroup(c, *inst, group));
  return info;
}

absl::Status ConsumerGroups::DeleteGroup(absl::string_view instance,
                                         absl::string_view group) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  absl::MutexLock l(&inst->groups_mu);
  auto it = inst->groups.find(std::string(group));
  if (it == inst->groups.end()) return GroupNotFound(group);
  RMQ_ASSIGN_OR_RETURN(std::vector<std::string> topics,
                       TopicsOfGroup(c, *inst, group, /*live_only=*/false));
  storage::KvBatch batch;
  batch.Delete(keys::Group(inst->prefix, group));
  for (const std::string& t : topics) {
    batch.Delete(keys::TopicGroup(inst->prefix, t, group));
  }
  for (const std::string& p : {keys::GroupTopicPrefix(inst->prefix, group),
                               keys::OffsetGroupPrefix(inst->prefix, group),
                               keys::EpochGroupPrefix(inst->prefix, group)}) {
    batch.DeleteRange(p, keys::PrefixEnd(p));
  }
  // Retire the group's tables first, waiting for a commit or reset in
  // progress, so none lands after the keys are deleted.
  for (auto o = inst->offsets.begin(); o != inst->offsets.end();) {
    if (o->first.first == group) {
      absl::MutexLock tl(&o->second->mu);
      o->second->dead = true;
      o = inst->offsets.erase(o);
    } else {
      ++o;
    }
  }
  RMQ_RETURN_IF_ERROR(c.kv().Write(batch, /*sync=*/true));
  inst->groups.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ConsumerGroups::GroupsOfTopic(
    absl::string_view instance, absl::string_view topic) const {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view, c.ViewTopic(inst, topic));
  std::string prefix = keys::TopicGroupPrefix(inst->prefix, view.name);
  RMQ_ASSIGN_OR_RETURN(auto rows, c.kv().Scan(prefix));
  std::vector<std::string> out;
  absl::ReaderMutexLock l(&inst->groups_mu);
  for (const auto& [key, value] : rows) {
    std::string g = key.substr(prefix.size());
    if (inst->groups.count(g) != 0) out.push_back(std::move(g));
  }
  return out;
}

absl::StatusOr<FetchResult> ConsumerGroups::Fetch(absl::string_view instance,
                                                  const FetchRequest& req) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Group g, CopyGroup(inst, req.group));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view,
                       c.ViewTopic(inst, req.topic));
  if (!g.info.enabled) {
    return Error(absl::StatusCode::kFailedPrecondition, Reason::kGroupDisabled,
                 absl::StrCat("consumer group ", req.group, " is disabled"));
  }
  if (view.permission == TopicPermission::kPub) {
    return Error(
        absl::StatusCode::kFailedPrecondition, Reason::kTopicNotReadable,
        absl::StrCat("topic ", req.topic, " is not readable (permission pub)"));
  }
  const BrokerCore::TopicQueue* q = view.Find(req.queue);
  if (q == nullptr) {
    return Error(absl::StatusCode::kNotFound, Reason::kTopicQueueNotFound,
                 absl::StrCat("topic ", req.topic, " has no queue ",
                              req.queue.broker_name, "/", req.queue.queue_id));
  }
  if (req.max_records < 1) {
    return absl::InvalidArgumentError("fetch max_records must be >= 1");
  }
  RMQ_ASSIGN_OR_RETURN(OffsetTable * table, GetTable(c, inst, req.group, view));
  FetchResult result;
  std::optional<int64_t> committed;
  {
    absl::MutexLock l(&table->mu);
    if (table->dead) return DeadTableError(req.group, req.topic);
    result.epoch = table->epoch;
    auto it = table->committed.find({q->broker_index, q->ref.queue_id});
    if (it != table->committed.end()) committed = it->second;
  }
  result.position_reset = req.epoch.has_value() && *req.epoch != result.epoch;
  int64_t from = 0;
  if (req.from.has_value() && !result.position_reset) {
    from = req.from->value;
  } else {
    from = committed.value_or(0);
  }
  std::vector<proto::Record> records;
  for (int attempt = 0;; ++attempt) {
    Offset min = q->log->min_offset();
    Offset max = q->log->max_offset();
    from = std::max(from, min.value);
    if (from > max.value) {
      return Error(
          absl::StatusCode::kOutOfRange, Reason::kOffsetOutOfRange,
          absl::StrCat("offset ", from, " is past max_offset ", max.value,
                       " of ", req.topic, "/", req.queue.broker_name, "/",
                       req.queue.queue_id));
    }
    absl::StatusOr<std::vector<proto::Record>> r =
        q->log->Read(Offset{from}, req.max_records, req.max_bytes);
    if (absl::IsOutOfRange(r.status()) && attempt < 3) continue;  // retention
    if (absl::IsNotFound(r.status()))
      return DeadTableError(req.group, req.topic);
    if (!r.ok()) return r.status();
    records = *std::move(r);
    result.min_offset = min;
    result.max_offset = q->log->max_offset();
    break;
  }
  result.from = Offset{from};
  result.next_offset = Offset{from + static_cast<int64_t>(records.size())};
  for (const proto::Record& r : records) {
    result.messages.push_back(internal::MessageOf(r, view.name, *q));
  }
  return result;
}

absl::Status ConsumerGroups::Commit(absl::string_view instance,
                                    const CommitRequest& req) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Group g, CopyGroup(inst, req.group));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view,
                       c.ViewTopic(inst, req.topic));
  const BrokerCore::TopicQueue* q = view.Find(req.queue);
  if (q == nullptr) {
    return Error(absl::StatusCode::kNotFound, Reason::kTopicQueueNotFound,
                 absl::StrCat("topic ", req.topic, " has no queue ",
                              req.queue.broker_name, "/", req.queue.queue_id));
  }
  Offset max = q->log->max_offset();
  if (req.next_offset.value < 0 || req.next_offset > max) {
    return Error(
        absl::StatusCode::kOutOfRange, Reason::kOffsetOutOfRange,
        absl::StrCat("offset ", req.next_offset.value, " is outside [0, ",
                     max.value, "] of ", req.topic, "/", req.queue.broker_name,
                     "/", req.queue.queue_id));
  }
  RMQ_ASSIGN_OR_RETURN(OffsetTable * table, GetTable(c, inst, req.group, view));
  absl::MutexLock l(&table->mu);
  if (table->dead) return DeadTableError(req.group, req.topic);
  if (req.yield_to_pending_reset) {
    auto pending =
        table->pending_reset.find({q->broker_index, q->ref.queue_id});
    if (pending != table->pending_reset.end()) {
      if (pending->second.second <= c.Now()) {
        table->pending_reset.erase(pending);
      } else if (pending->second.first != req.next_offset.value) {
        return absl::OkStatus();  // stale: consumed before the reset
      }
    }
  }
  if (req.epoch.has_value() && *req.epoch != table->epoch) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 Reason::kStaleResetEpoch,
                 absl::StrCat("commit of group ", req.group, " on ", req.topic,
                              " carries reset epoch ", *req.epoch,
                              " but the group was reset to epoch ",
                              table->epoch, "; fetch again"));
  }
  storage::KvBatch batch;
  batch.Put(keys::Offset(inst->prefix, req.group, view.name, q->broker_index,
                         q->ref.queue_id),
            EncodeValue(req.next_offset.value, view.uid, c.Now()));
  if (!table->linked) AddLinks(*inst, req.group, view.name, &batch);
  RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
  table->linked = true;
  table->committed[{q->broker_index, q->ref.queue_id}] = req.next_offset.value;
  return absl::OkStatus();
}

absl::StatusOr<GroupTopicLag> ConsumerGroups::GetLag(
    absl::string_view instance, absl::string_view group,
    absl::string_view topic) const {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Group g, CopyGroup(inst, group));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view, c.ViewTopic(inst, topic));
  RMQ_ASSIGN_OR_RETURN(OffsetTable * table, GetTable(c, inst, group, view));
  GroupTopicLag lag;
  lag.group = std::string(group);
  lag.topic = view.name;
  absl::flat_hash_map<std::pair<int, int>, int64_t> committed;
  {
    absl::MutexLock l(&table->mu);
    if (table->dead) return DeadTableError(group, topic);
    lag.epoch = table->epoch;
    committed = table->committed;
  }
  for (const BrokerCore::TopicQueue& q : view.queues) {
    QueueLag ql;
    ql.queue = q.ref;
    ql.min_offset = q.log->min_offset();
    ql.max_offset = q.log->max_offset();
    auto it = committed.find({q.broker_index, q.ref.queue_id});
    if (it != committed.end()) ql.committed = Offset{it->second};
    ql.lag = std::max<int64_t>(
        0, ql.max_offset.value - ql.committed.value_or(Offset{0}).value);
    if (ql.committed.has_value() && *ql.committed > ql.min_offset) {
      absl::StatusOr<std::vector<proto::Record>> r =
          q.log->Read(Offset{ql.committed->value - 1}, 1);
      if (r.ok() && !r->empty()) {
        ql.last_consumed_store_time =
            absl::FromUnixMicros(r->front().store_time_us());
      }
    }
    lag.queues.push_back(std::move(ql));
  }
  return lag;
}

absl::StatusOr<ResetResult> ConsumerGroups::ResetGroup(
    absl::string_view instance, absl::string_view group,
    absl::string_view topic, const ResetTarget& target, bool dry_run) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Group g, CopyGroup(inst, group));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view, c.ViewTopic(inst, topic));
  if (g.info.broadcast) {
    return Error(absl::StatusCode::kFailedPrecondition, Reason::kBroadcastGroup,
                 absl::StrCat("reset is not supported for broadcast consumer "
                              "group ",
                              group));
  }
  if (target.kind == ResetTarget::Kind::kTime &&
      target.time < absl::UnixEpoch()) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kInvalidTimeRange,
                 "reset time is before the Unix epoch");
  }
  RMQ_ASSIGN_OR_RETURN(OffsetTable * table, GetTable(c, inst, group, view));
  // Hold the table while choosing and applying, so no commit slips between.
  // Pulls waiting on the moved queues answer with the new position, once
  // the table's lock is released (the cleanup runs after the lock's end).
  std::vector<storage::QueueLog*> moved;
  absl::Cleanup notify = [&c, &moved] {
    for (storage::QueueLog* log : moved) c.NotifyQueue(log, true);
  };
  absl::MutexLock l(&table->mu);
  if (table->dead) return DeadTableError(group, topic);
  ResetResult result;
  result.dry_run = dry_run;
  for (const BrokerCore::TopicQueue& q : view.queues) {
    QueuePosition pos;
    pos.queue = q.ref;
    if (target.kind == ResetTarget::Kind::kLatest) {
      pos.offset = q.log->max_offset();
    } else {
      absl::Time t = target.kind == ResetTarget::Kind::kEarliest
                         ? absl::UnixEpoch()
                         : target.time;
      absl::StatusOr<storage::TimeLookup> found =
          q.log->FirstOffsetAtOrAfter(t);
      if (absl::IsNotFound(found.status())) return DeadTableError(group, topic);
      if (!found.ok()) {
        return Annotate(found.status(),
                        absl::StrCat("reset ", group, " on ", topic, "/",
                                     q.ref.broker_name, "/", q.ref.queue_id));
      }
      pos.offset = found->offset;
      pos.store_time = found->store_time;
    }
    auto it = table->committed.find({q.broker_index, q.ref.queue_id});
    if (it != table->committed.end()) pos.previous = Offset{it->second};
    result.queues.push_back(std::move(pos));
  }
  if (dry_run) {
    result.epoch = table->epoch;
    return result;
  }
  const uint64_t epoch = table->epoch + 1;
  const absl::Time now = c.Now();
  storage::KvBatch batch;
  for (size_t i = 0; i < view.queues.size(); ++i) {
    const BrokerCore::TopicQueue& q = view.queues[i];
    batch.Put(keys::Offset(inst->prefix, group, view.name, q.broker_index,
                           q.ref.queue_id),
              EncodeValue(result.queues[i].offset.value, view.uid, now));
  }
  batch.Put(keys::Epoch(inst->prefix, group, view.name),
            EncodeValue(static_cast<int64_t>(epoch), view.uid, now));
  if (!table->linked) AddLinks(*inst, group, view.name, &batch);
  // Durable like a commit: per the store's durability mode (synced before
  // returning only in kAlways), so a rewind costs no more than the position
  // change it is.
  RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
  table->linked = true;
  table->epoch = epoch;
  const absl::Time pending_until = now + kPendingResetLifetime;
  for (size_t i = 0; i < view.queues.size(); ++i) {
    const BrokerCore::TopicQueue& q = view.queues[i];
    table->committed[{q.broker_index, q.ref.queue_id}] =
        result.queues[i].offset.value;
    table->pending_reset[{q.broker_index, q.ref.queue_id}] = {
        result.queues[i].offset.value, pending_until};
  }
  result.epoch = epoch;
  for (const BrokerCore::TopicQueue& q : view.queues) moved.push_back(q.log);
  return result;
}

absl::StatusOr<std::optional<Offset>> ConsumerGroups::CheckPendingReset(
    absl::string_view instance, absl::string_view group,
    absl::string_view topic, const QueueRef& queue, Offset position) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Group g, CopyGroup(inst, group));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view, c.ViewTopic(inst, topic));
  const BrokerCore::TopicQueue* q = view.Find(queue);
  if (q == nullptr) {
    return Error(absl::StatusCode::kNotFound, Reason::kTopicQueueNotFound,
                 absl::StrCat("topic ", topic, " has no queue ",
                              queue.broker_name, "/", queue.queue_id));
  }
  RMQ_ASSIGN_OR_RETURN(OffsetTable * table, GetTable(c, inst, group, view));
  absl::MutexLock l(&table->mu);
  if (table->dead) return DeadTableError(group, topic);
  auto it = table->pending_reset.find({q->broker_index, q->ref.queue_id});
  if (it == table->pending_reset.end()) return std::optional<Offset>();
  if (it->second.second <= c.Now() || it->second.first == position.value) {
    table->pending_reset.erase(it);
    return std::optional<Offset>();
  }
  return std::optional<Offset>(Offset{it->second.first});
}

absl::StatusOr<std::optional<Offset>> ConsumerGroups::GetCommitted(
    absl::string_view instance, absl::string_view group,
    absl::string_view topic, const QueueRef& queue) const {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Group g, CopyGroup(inst, group));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view, c.ViewTopic(inst, topic));
  const BrokerCore::TopicQueue* q = view.Find(queue);
  if (q == nullptr) {
    return Error(absl::StatusCode::kNotFound, Reason::kTopicQueueNotFound,
                 absl::StrCat("topic ", topic, " has no queue ",
                              queue.broker_name, "/", queue.queue_id));
  }
  RMQ_ASSIGN_OR_RETURN(OffsetTable * table, GetTable(c, inst, group, view));
  absl::MutexLock l(&table->mu);
  if (table->dead) return DeadTableError(group, topic);
  auto it = table->committed.find({q->broker_index, q->ref.queue_id});
  if (it == table->committed.end()) return std::optional<Offset>();
  return std::optional<Offset>(Offset{it->second});
}

}  // namespace rewindmq::broker
