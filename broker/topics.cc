#include "broker/topics.h"

#include <algorithm>
#include <queue>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
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

// Topic metadata tags (kv_codec). 20 repeats every QueueId of the topic so
// BrokerCore::DeleteOrphanQueues can read it without knowing the layout.
constexpr uint32_t kTagName = 1, kTagUid = 2, kTagPermission = 3,
                   kTagMessageType = 4, kTagDescription = 5, kTagCreatedUs = 6,
                   kTagRetentionUs = 7, kTagBroker = 10, kTagAllQueueIds = 20;
// Nested broker entry.
constexpr uint32_t kTagBrokerIndex = 1, kTagRead = 2, kTagWrite = 3,
                   kTagQueueId = 4;

constexpr size_t kMaxDescription = 200;

std::string EncodeTopic(const BrokerCore::Topic& t) {
  KvWriter w;
  w.Str(kTagName, t.name)
      .U64(kTagUid, t.uid)
      .U64(kTagPermission, static_cast<uint64_t>(t.permission))
      .Str(kTagMessageType, t.message_type)
      .Str(kTagDescription, t.description)
      .I64(kTagCreatedUs, absl::ToUnixMicros(t.created_at));
  if (t.retention.has_value()) {
    w.I64(kTagRetentionUs, absl::ToInt64Microseconds(*t.retention));
  }
  for (const BrokerCore::TopicBroker& b : t.brokers) {
    KvWriter bw;
    bw.U64(kTagBrokerIndex, b.broker_index)
        .U64(kTagRead, b.read_queue_num)
        .U64(kTagWrite, b.write_queue_num);
    for (QueueId id : b.queue_ids) bw.U64(kTagQueueId, id.value);
    w.Str(kTagBroker, bw.data());
  }
  for (const BrokerCore::TopicBroker& b : t.brokers) {
    for (QueueId id : b.queue_ids) w.U64(kTagAllQueueIds, id.value);
  }
  return w.data();
}

// FNV-1a: stable across processes and builds, unlike absl::Hash.
uint64_t StableHash(absl::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string MsgIdOf(QueueId q, Offset o) {
  std::string id(32, '0');
  internal::WriteHex16(q.value, id.data());
  internal::WriteHex16(static_cast<uint64_t>(o.value), id.data() + 16);
  return id;
}

absl::Status TopicNotFound(absl::string_view topic) {
  return Error(absl::StatusCode::kNotFound, Reason::kTopicNotFound,
               absl::StrCat("topic ", topic, " does not exist"));
}

absl::Status CheckQueueNum(int n, int max, absl::string_view what) {
  if (n < 1 || n > max) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kInvalidQueueNum,
                 absl::StrCat(what, " ", n, " is outside 1..", max));
  }
  return absl::OkStatus();
}

absl::Status CheckMessageType(absl::string_view t) {
  if (t == "NORMAL" || t == "FIFO" || t == "DELAY" || t == "TRANSACTION") {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "message type \"", t, "\" is not NORMAL, FIFO, DELAY or TRANSACTION"));
}

absl::Status CheckRetention(const std::optional<absl::Duration>& r) {
  if (r.has_value() && *r <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("topic retention must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> BrokerIndex(const BrokerCore::Instance& inst,
                                absl::string_view name) {
  for (size_t i = 0; i < inst.info.brokers.size(); ++i) {
    if (inst.info.brokers[i] == name) return static_cast<int>(i);
  }
  return Error(
      absl::StatusCode::kInvalidArgument, Reason::kBrokerNotFound,
      absl::StrCat("instance ", inst.info.id, " has no broker ", name));
}

// Reads `log` forward from `from`, a chunk at a time, for QueryMessages.
class QueueCursor {
 public:
  QueueCursor(const BrokerCore::TopicQueue* q, Offset from)
      : q_(q), next_(from) {}

  // The next record, or nullptr at the end.
  absl::StatusOr<const proto::Record*> Peek() {
    if (pos_ < buf_.size()) return &buf_[pos_];
    if (done_) return nullptr;
    buf_.clear();
    pos_ = 0;
    absl::StatusOr<std::vector<proto::Record>> r = q_->log->Read(next_, 256);
    if (absl::IsOutOfRange(r.status()) && next_ < q_->log->min_offset()) {
      next_ = q_->log->min_offset();  // retention passed us
      r = q_->log->Read(next_, 256);
    }
    if (!r.ok()) return r.status();
    if (r->empty()) {
      done_ = true;
      return nullptr;
    }
    buf_ = *std::move(r);
    next_ = Offset{buf_.back().offset() + 1};
    return &buf_[0];
  }
  void Pop() { ++pos_; }
  const BrokerCore::TopicQueue& queue() const { return *q_; }

 private:
  const BrokerCore::TopicQueue* q_;
  Offset next_;
  std::vector<proto::Record> buf_;
  size_t pos_ = 0;
  bool done_ = false;
};

}  // namespace

namespace internal {

Message MessageOf(const proto::Record& r, absl::string_view topic,
                  const BrokerCore::TopicQueue& q) {
  Message m;
  m.msg_id = MsgIdOf(q.log->id(), Offset{r.offset()});
  m.topic = std::string(topic);
  m.queue = q.ref;
  m.offset = Offset{r.offset()};
  m.store_time = absl::FromUnixMicros(r.store_time_us());
  if (r.producer_time_us() != 0) {
    m.born_time = absl::FromUnixMicros(r.producer_time_us());
  }
  m.keys.assign(r.keys().begin(), r.keys().end());
  m.tags.assign(r.tags().begin(), r.tags().end());
  for (const auto& [k, v] : r.properties()) m.properties.emplace_back(k, v);
  std::sort(m.properties.begin(), m.properties.end());
  m.body = r.body();
  m.stored_bytes = static_cast<int64_t>(r.ByteSizeLong());
  m.flag = r.flag();
  m.sys_flag = r.sys_flag();
  m.born_host = r.born_host();
  m.reconsume_times = r.reconsume_times();
  m.storage_queue_id = q.log->id().value;
  return m;
}

}  // namespace internal

absl::string_view TopicPermissionName(TopicPermission p) {
  switch (p) {
    case TopicPermission::kAll:
      return "all";
    case TopicPermission::kPub:
      return "pub";
    case TopicPermission::kSub:
      return "sub";
  }
  return "all";
}

absl::StatusOr<TopicPermission> ParseTopicPermission(absl::string_view text) {
  if (text == "all") return TopicPermission::kAll;
  if (text == "pub") return TopicPermission::kPub;
  if (text == "sub") return TopicPermission::kSub;
  return absl::InvalidArgumentError(
      absl::StrCat("permission \"", text, "\" is not all, pub or sub"));
}

int TopicInfo::total_read_queue_num() const {
  int n = 0;
  for (const TopicBrokerQueues& b : brokers) n += b.read_queue_num;
  return n;
}

int TopicInfo::total_write_queue_num() const {
  int n = 0;
  for (const TopicBrokerQueues& b : brokers) n += b.write_queue_num;
  return n;
}

TopicInfo BrokerCore::TopicInfoOf(const Topic& t) {
  TopicInfo info;
  info.name = t.name;
  info.permission = t.permission;
  info.message_type = t.message_type;
  info.description = t.description;
  info.created_at = t.created_at;
  info.retention = t.retention;
  for (const TopicBroker& b : t.brokers) {
    info.brokers.push_back({b.broker_name, b.read_queue_num, b.write_queue_num,
                            static_cast<int>(b.queue_ids.size())});
  }
  return info;
}

absl::StatusOr<BrokerCore::TopicView> BrokerCore::ViewTopic(
    Instance* inst, absl::string_view topic) const {
  absl::ReaderMutexLock l(&inst->topics_mu);
  auto it = inst->topics.find(std::string(topic));
  if (it == inst->topics.end()) return TopicNotFound(topic);
  const Topic& t = *it->second;
  TopicView v;
  v.name = t.name;
  v.uid = t.uid;
  v.permission = t.permission;
  for (const TopicBroker& b : t.brokers) {
    for (size_t q = 0; q < b.logs.size(); ++q) {
      v.queues.push_back({{b.broker_name, static_cast<int>(q)},
                          b.broker_index,
                          b.logs[q],
                          static_cast<int>(q) < b.write_queue_num});
    }
  }
  return v;
}

absl::Status BrokerCore::LoadTopics(Instance* inst) {
  RMQ_ASSIGN_OR_RETURN(auto rows, kv().Scan(keys::TopicPrefix(inst->prefix)));
  absl::MutexLock l(&inst->topics_mu);
  for (const auto& [key, value] : rows) {
    RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(value));
    auto t = std::make_unique<Topic>();
    t->name = f.Str(kTagName);
    t->uid = f.U64(kTagUid);
    t->permission = static_cast<TopicPermission>(f.U64(kTagPermission));
    t->message_type = f.Str(kTagMessageType, "NORMAL");
    t->description = f.Str(kTagDescription);
    t->created_at = absl::FromUnixMicros(f.I64(kTagCreatedUs));
    if (f.Has(kTagRetentionUs)) {
      t->retention = absl::Microseconds(f.I64(kTagRetentionUs));
    }
    for (const std::string& bdata : f.AllStr(kTagBroker)) {
      RMQ_ASSIGN_OR_RETURN(KvFields bf, KvFields::Parse(bdata));
      TopicBroker b;
      b.broker_index = static_cast<int>(bf.U64(kTagBrokerIndex));
      b.broker_name = absl::StrCat("broker-", b.broker_index);
      b.read_queue_num = static_cast<int>(bf.U64(kTagRead));
      b.write_queue_num = static_cast<int>(bf.U64(kTagWrite));
      for (uint64_t id : bf.AllU64(kTagQueueId)) {
        absl::StatusOr<storage::QueueLog*> log = store_->Queue(QueueId{id});
        if (!log.ok()) {
          return absl::DataLossError(absl::StrCat(
              "topic ", t->name, " of instance ", inst->info.id,
              ": storage queue ", id, " is missing: ", log.status().message()));
        }
        b.queue_ids.push_back(QueueId{id});
        b.logs.push_back(*log);
      }
      t->brokers.push_back(std::move(b));
    }
    std::string name = t->name;
    inst->topics.emplace(std::move(name), std::move(t));
  }
  return absl::OkStatus();
}

absl::StatusOr<RetentionReport> BrokerCore::ApplyTopicRetention() {
  RetentionReport report;
  absl::Time now = Now();
  for (auto& inst : instances_) {
    std::vector<std::pair<storage::QueueLog*, absl::Duration>> work;
    {
      absl::ReaderMutexLock l(&inst->topics_mu);
      for (const auto& [name, t] : inst->topics) {
        absl::Duration keep = t->retention.value_or(options_.topic_retention);
        for (const TopicBroker& b : t->brokers) {
          for (storage::QueueLog* log : b.logs) work.emplace_back(log, keep);
        }
      }
    }
    for (const auto& [log, keep] : work) {
      storage::RetentionRule rule;
      rule.remove_stored_before = now - keep;
      absl::StatusOr<int> removed = log->ApplyRetention(rule);
      if (absl::IsNotFound(removed.status())) continue;  // topic deleted
      if (!removed.ok()) return removed.status();
      report.segments_removed += *removed;
    }
  }
  return report;
}

absl::StatusOr<TopicInfo> Topics::CreateTopic(absl::string_view instance,
                                              const CreateTopicRequest& req) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst, c.FindInstance(instance));
  RMQ_RETURN_IF_ERROR(ValidateTopicName(req.name));
  RMQ_RETURN_IF_ERROR(CheckMessageType(req.message_type));
  RMQ_RETURN_IF_ERROR(CheckRetention(req.retention));
  if (req.description.size() > kMaxDescription) {
    return absl::InvalidArgumentError("topic description exceeds 200 bytes");
  }
  // Layout: broker index -> queue count.
  std::map<int, int> layout;
  if (!req.queues.empty()) {
    for (const auto& [broker, n] : req.queues) {
      RMQ_ASSIGN_OR_RETURN(int b, BrokerIndex(*inst, broker));
      RMQ_RETURN_IF_ERROR(
          CheckQueueNum(n, c.options_.max_queue_num, "queue_num"));
      if (!layout.emplace(b, n).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("broker ", broker, " is listed twice"));
      }
    }
  } else {
    int n = req.queue_num.value_or(c.options_.default_queue_num);
    RMQ_RETURN_IF_ERROR(
        CheckQueueNum(n, c.options_.max_queue_num, "queue_num"));
    if (req.brokers.empty()) {
      for (size_t b = 0; b < inst->info.brokers.size(); ++b) {
        layout[static_cast<int>(b)] = n;
      }
    }
    for (const std::string& broker : req.brokers) {
      RMQ_ASSIGN_OR_RETURN(int b, BrokerIndex(*inst, broker));
      layout[b] = n;
    }
  }

  absl::MutexLock l(&inst->topics_mu);
  if (inst->topics.count(req.name) != 0) {
    return Error(absl::StatusCode::kAlreadyExists, Reason::kTopicExists,
                 absl::StrCat("topic ", req.name, " already exists"));
  }
  if (static_cast<int>(inst->topics.size()) >= c.options_.max_topics) {
    return Error(absl::StatusCode::kResourceExhausted, Reason::kTopicLimit,
                 absl::StrCat("instance ", inst->info.id, " has reached its ",
                              c.options_.max_topics, " topics"));
  }
  auto t = std::make_unique<BrokerCore::Topic>();
  t->name = req.name;
  t->permission = req.permission;
  t->message_type = req.message_type;
  t->description = req.description;
  t->created_at = c.Now();
  t->retention = req.retention;
  std::vector<QueueId> created;
  auto undo = [&] {
    for (QueueId id : created) {
      // Best effort: an undeleted queue is removed as an orphan on open.
      c.store_->DeleteQueue(id).IgnoreError();
    }
  };
  for (const auto& [b, n] : layout) {
    BrokerCore::TopicBroker tb;
    tb.broker_index = b;
    tb.broker_name = inst->info.brokers[b];
    tb.read_queue_num = tb.write_queue_num = n;
    for (int q = 0; q < n; ++q) {
      absl::StatusOr<storage::QueueLog*> log = c.store_->CreateQueue();
      if (!log.ok()) {
        undo();
        return Annotate(log.status(), "create topic queue");
      }
      created.push_back((*log)->id());
      tb.queue_ids.push_back((*log)->id());
      tb.logs.push_back(*log);
    }
    t->brokers.push_back(std::move(tb));
  }
  t->uid = created.front().value;
  if (absl::Status s = c.kv().Put(keys::Topic(inst->prefix, t->name),
                                  EncodeTopic(*t), /*sync=*/true);
      !s.ok()) {
    undo();
    return Annotate(s, "record topic");
  }
  TopicInfo info = BrokerCore::TopicInfoOf(*t);
  inst->topics.emplace(req.name, std::move(t));
  return info;
}

absl::StatusOr<std::vector<TopicInfo>> Topics::ListTopics(
    absl::string_view instance) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst,
                       core_->FindInstance(instance));
  std::vector<std::pair<uint64_t, TopicInfo>> sorted;
  {
    absl::ReaderMutexLock l(&inst->topics_mu);
    for (const auto& [name, t] : inst->topics) {
      sorted.emplace_back(t->uid, BrokerCore::TopicInfoOf(*t));
    }
  }
  // Queue ids grow with time, so a topic's uid gives its creation order.
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TopicInfo> out;
  for (auto& [uid, info] : sorted) out.push_back(std::move(info));
  return out;
}

absl::StatusOr<TopicInfo> Topics::GetTopic(absl::string_view instance,
                                           absl::string_view topic) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst,
                       core_->FindInstance(instance));
  absl::ReaderMutexLock l(&inst->topics_mu);
  auto it = inst->topics.find(std::string(topic));
  if (it == inst->topics.end()) return TopicNotFound(topic);
  return BrokerCore::TopicInfoOf(*it->second);
}

absl::StatusOr<TopicInfo> Topics::UpdateTopic(absl::string_view instance,
                                              absl::string_view topic,
                                              const UpdateTopicRequest& req) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst, c.FindInstance(instance));
  const int max = c.options_.max_queue_num;
  if (req.read_queue_num.has_value()) {
    RMQ_RETURN_IF_ERROR(
        CheckQueueNum(*req.read_queue_num, max, "read_queue_num"));
  }
  if (req.write_queue_num.has_value()) {
    RMQ_RETURN_IF_ERROR(
        CheckQueueNum(*req.write_queue_num, max, "write_queue_num"));
  }
  for (const auto& q : req.queues) {
    if (q.read_queue_num.has_value()) {
      RMQ_RETURN_IF_ERROR(
          CheckQueueNum(*q.read_queue_num, max, "read_queue_num"));
    }
    if (q.write_queue_num.has_value()) {
      RMQ_RETURN_IF_ERROR(
          CheckQueueNum(*q.write_queue_num, max, "write_queue_num"));
    }
  }
  RMQ_RETURN_IF_ERROR(CheckRetention(req.retention));
  if (req.description.has_value() &&
      req.description->size() > kMaxDescription) {
    return absl::InvalidArgumentError("topic description exceeds 200 bytes");
  }

  absl::MutexLock l(&inst->topics_mu);
  auto it = inst->topics.find(std::string(topic));
  if (it == inst->topics.end()) return TopicNotFound(topic);
  BrokerCore::Topic& t = *it->second;

  std::vector<BrokerCore::TopicBroker> brokers = t.brokers;
  for (BrokerCore::TopicBroker& b : brokers) {
    if (req.read_queue_num.has_value()) b.read_queue_num = *req.read_queue_num;
    if (req.write_queue_num.has_value()) {
      b.write_queue_num = *req.write_queue_num;
    }
  }
  for (const auto& q : req.queues) {
    auto b = std::find_if(brokers.begin(), brokers.end(), [&](const auto& x) {
      return x.broker_name == q.broker_name;
    });
    if (b == brokers.end()) {
      return Error(absl::StatusCode::kInvalidArgument, Reason::kBrokerNotFound,
                   absl::StrCat("topic ", topic, " has no queues on broker ",
                                q.broker_name));
    }
    if (q.read_queue_num.has_value()) b->read_queue_num = *q.read_queue_num;
    if (q.write_queue_num.has_value()) b->write_queue_num = *q.write_queue_num;
  }
  std::vector<QueueId> created;
  auto undo = [&] {
    for (QueueId id : created) c.store_->DeleteQueue(id).IgnoreError();
  };
  for (BrokerCore::TopicBroker& b : brokers) {
    int want = std::max(b.read_queue_num, b.write_queue_num);
    while (static_cast<int>(b.logs.size()) < want) {
      absl::StatusOr<storage::QueueLog*> log = c.store_->CreateQueue();
      if (!log.ok()) {
        undo();
        return Annotate(log.status(), "create topic queue");
      }
      created.push_back((*log)->id());
      b.queue_ids.push_back((*log)->id());
      b.logs.push_back(*log);
    }
  }
  // Build the new metadata on a copy, write it, then install it.
  BrokerCore::Topic next;
  next.name = t.name;
  next.uid = t.uid;
  next.permission = req.permission.value_or(t.permission);
  next.message_type = t.message_type;
  next.description = req.description.value_or(t.description);
  next.created_at = t.created_at;
  next.retention = req.retention.has_value() ? req.retention : t.retention;
  next.brokers = brokers;
  if (absl::Status s = c.kv().Put(keys::Topic(inst->prefix, t.name),
                                  EncodeTopic(next), /*sync=*/true);
      !s.ok()) {
    undo();
    return Annotate(s, "record topic");
  }
  t.permission = next.permission;
  t.description = next.description;
  t.retention = next.retention;
  t.brokers = std::move(brokers);
  return BrokerCore::TopicInfoOf(t);
}

absl::Status Topics::DeleteTopic(absl::string_view instance,
                                 absl::string_view topic) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst, c.FindInstance(instance));
  std::unique_ptr<BrokerCore::Topic> t;
  {
    absl::MutexLock l(&inst->topics_mu);
    auto it = inst->topics.find(std::string(topic));
    if (it == inst->topics.end()) return TopicNotFound(topic);
    // Forget the metadata first: a crash after this leaves only storage
    // queues, which the next open deletes as orphans.
    RMQ_RETURN_IF_ERROR(
        c.kv().Delete(keys::Topic(inst->prefix, topic), /*sync=*/true));
    t = std::move(it->second);
    inst->topics.erase(it);
  }
  RMQ_RETURN_IF_ERROR(c.ForgetTopic(inst, topic));
  for (const BrokerCore::TopicBroker& b : t->brokers) {
    for (QueueId id : b.queue_ids) {
      absl::Status s = c.store_->DeleteQueue(id);
      if (!s.ok() && !absl::IsNotFound(s)) return s;
    }
  }
  return absl::OkStatus();
}

namespace {

// The checks every produced message passes (Topics::Produce).
absl::Status CheckProduce(const BrokerOptions& options,
                          const ProduceRequest& req) {
  if (req.body.empty()) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kMessageEmpty,
                 "message body is empty");
  }
  if (static_cast<int64_t>(req.body.size()) > options.max_topic_body_bytes) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kMessageTooLarge,
                 absl::StrCat("message body of ", req.body.size(),
                              " bytes is larger than the limit ",
                              options.max_topic_body_bytes));
  }
  int64_t property_bytes = 0;
  for (const auto& [k, v] : req.properties)
    property_bytes += k.size() + v.size();
  for (const std::string& k : req.keys) property_bytes += k.size();
  for (const std::string& tag : req.tags) property_bytes += tag.size();
  if (property_bytes > options.max_topic_property_bytes) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kMessageTooLarge,
                 absl::StrCat("message properties of ", property_bytes,
                              " bytes are larger than the limit ",
                              options.max_topic_property_bytes));
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

// Moves what `req` holds into the empty `record`, so that a body is copied
// into a record at most once.
void MoveIntoRecord(ProduceRequest& req, proto::Record* record) {
  record->set_body(std::move(req.body));
  for (std::string& k : req.keys) record->add_keys(std::move(k));
  for (std::string& tag : req.tags) record->add_tags(std::move(tag));
  for (auto& [k, v] : req.properties) {
    (*record->mutable_properties())[k] = std::move(v);
  }
  if (req.born_time.has_value()) {
    record->set_producer_time_us(absl::ToUnixMicros(*req.born_time));
  }
  record->set_flag(req.flag);
  record->set_sys_flag(req.sys_flag);
  record->set_born_host(std::move(req.born_host));
  record->set_reconsume_times(req.reconsume_times);
}

proto::Record RecordOf(const ProduceRequest& req) {
  ProduceRequest copy = req;
  proto::Record record;
  MoveIntoRecord(copy, &record);
  return record;
}

}  // namespace internal

absl::StatusOr<BrokerCore::ChosenQueue> BrokerCore::ChooseQueue(
    Instance* inst, absl::string_view topic, const QueueSelector& selector) {
  absl::ReaderMutexLock l(&inst->topics_mu);
  auto it = inst->topics.find(std::string(topic));
  if (it == inst->topics.end()) return TopicNotFound(topic);
  Topic& t = *it->second;
  if (t.permission == TopicPermission::kSub) {
    return Error(
        absl::StatusCode::kFailedPrecondition, Reason::kTopicNotWritable,
        absl::StrCat("topic ", t.name, " is not writable (permission sub)"));
  }
  if (selector.kind == QueueSelector::Kind::kExplicit) {
    for (const TopicBroker& b : t.brokers) {
      if (b.broker_name != selector.queue.broker_name) continue;
      int q = selector.queue.queue_id;
      if (q >= 0 && q < static_cast<int>(b.logs.size())) {
        return ChosenQueue{b.logs[q], selector.queue};
      }
    }
    return Error(
        absl::StatusCode::kNotFound, Reason::kTopicQueueNotFound,
        absl::StrCat("topic ", t.name, " has no queue ",
                     selector.queue.broker_name, "/", selector.queue.queue_id));
  }
  int writable = 0;
  for (const TopicBroker& b : t.brokers) writable += b.write_queue_num;
  uint64_t pick = selector.kind == QueueSelector::Kind::kKeyHash
                      ? StableHash(selector.key)
                      : t.round_robin.fetch_add(1, std::memory_order_relaxed);
  int index = static_cast<int>(pick % static_cast<uint64_t>(writable));
  for (const TopicBroker& b : t.brokers) {
    if (index < b.write_queue_num)
      return ChosenQueue{b.logs[index], {b.broker_name, index}};
    index -= b.write_queue_num;
  }
  return absl::InternalError(
      absl::StrCat("topic ", t.name, " has no writable queue"));
}

absl::StatusOr<ProduceResult> Topics::Produce(absl::string_view instance,
                                              const ProduceRequest& req) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst, c.FindInstance(instance));
  RMQ_RETURN_IF_ERROR(CheckProduce(c.options_, req));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::ChosenQueue chosen,
                       c.ChooseQueue(inst, req.topic, req.selector));
  if (req.deliver_time.has_value() && *req.deliver_time > c.Now()) {
    return c.Schedule(inst, req.topic, chosen.ref, internal::RecordOf(req),
                      *req.deliver_time);
  }
  proto::Record record = internal::RecordOf(req);
  absl::StatusOr<storage::AppendResult> appended =
      chosen.log->Append(absl::MakeConstSpan(&record, 1));
  if (absl::IsNotFound(appended.status())) return TopicNotFound(req.topic);
  if (!appended.ok()) {
    return Annotate(appended.status(), absl::StrCat("produce to ", req.topic,
                                                    "/", chosen.ref.broker_name,
                                                    "/", chosen.ref.queue_id));
  }
  c.NotifyQueue(chosen.log);
  ProduceResult result;
  result.msg_id = MsgIdOf(chosen.log->id(), appended->first);
  result.storage_queue_id = chosen.log->id().value;
  result.queue = chosen.ref;
  result.offset = appended->first;
  result.store_time = appended->store_time;
  return result;
}

absl::StatusOr<std::vector<ProduceResult>> Topics::ProduceBatch(
    absl::string_view instance, absl::string_view topic, const QueueRef& queue,
    const std::vector<ProduceRequest>& reqs) {
  return ProduceBatch(instance, topic, queue,
                      std::vector<ProduceRequest>(reqs));
}

absl::StatusOr<std::vector<ProduceResult>> Topics::ProduceBatch(
    absl::string_view instance, absl::string_view topic, const QueueRef& queue,
    std::vector<ProduceRequest>&& reqs) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst, c.FindInstance(instance));
  if (reqs.empty()) return absl::InvalidArgumentError("empty message batch");
  for (const ProduceRequest& req : reqs) {
    RMQ_RETURN_IF_ERROR(CheckProduce(c.options_, req));
  }
  std::vector<proto::Record> records(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    internal::MoveIntoRecord(reqs[i], &records[i]);
  }
  RMQ_ASSIGN_OR_RETURN(
      BrokerCore::ChosenQueue chosen,
      c.ChooseQueue(inst, topic, QueueSelector::Exactly(queue)));
  absl::StatusOr<storage::AppendResult> appended = chosen.log->Append(records);
  if (absl::IsNotFound(appended.status())) return TopicNotFound(topic);
  if (!appended.ok()) {
    return Annotate(appended.status(),
                    absl::StrCat("produce a batch to ", topic, "/",
                                 queue.broker_name, "/", queue.queue_id));
  }
  c.NotifyQueue(chosen.log);
  std::vector<ProduceResult> results(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    const Offset o{appended->first.value + static_cast<int64_t>(i)};
    results[i].msg_id = MsgIdOf(chosen.log->id(), o);
    results[i].storage_queue_id = chosen.log->id().value;
    results[i].queue = chosen.ref;
    results[i].offset = o;
    results[i].store_time = appended->store_time;
  }
  return results;
}

absl::StatusOr<Message> Topics::GetMessageAt(absl::string_view instance,
                                             absl::string_view topic,
                                             uint64_t storage_queue_id,
                                             Offset offset) const {
  return GetMessage(instance, topic,
                    MsgIdOf(QueueId{storage_queue_id}, offset));
}

absl::StatusOr<Message> Topics::FindMessageAt(absl::string_view instance,
                                              uint64_t storage_queue_id,
                                              Offset offset) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst,
                       core_->FindInstance(instance));
  std::string topic;
  {
    absl::ReaderMutexLock l(&inst->topics_mu);
    for (const auto& [name, t] : inst->topics) {
      for (const BrokerCore::TopicBroker& b : t->brokers) {
        for (QueueId id : b.queue_ids) {
          if (id.value == storage_queue_id) topic = name;
        }
      }
    }
  }
  if (topic.empty()) {
    return Error(
        absl::StatusCode::kNotFound, Reason::kMessageNotFound,
        absl::StrCat("no topic holds storage queue ", storage_queue_id));
  }
  return GetMessageAt(instance, topic, storage_queue_id, offset);
}

absl::StatusOr<Topics::WatchId> Topics::WatchQueue(
    absl::string_view instance, absl::string_view topic, const QueueRef& queue,
    Offset offset, absl::Time deadline, absl::AnyInvocable<void()> done) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view, c.ViewTopic(inst, topic));
  const BrokerCore::TopicQueue* q = view.Find(queue);
  if (q == nullptr) {
    return Error(absl::StatusCode::kNotFound, Reason::kTopicQueueNotFound,
                 absl::StrCat("topic ", topic, " has no queue ",
                              queue.broker_name, "/", queue.queue_id));
  }
  return c.AddWatch(q->log, offset.value, deadline, std::move(done));
}

bool Topics::CancelWatch(WatchId id) { return core_->CancelWatch(id); }

absl::StatusOr<Message> Topics::GetMessage(absl::string_view instance,
                                           absl::string_view topic,
                                           absl::string_view msg_id) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst,
                       core_->FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view,
                       core_->ViewTopic(inst, topic));
  auto not_found = [&] {
    return Error(absl::StatusCode::kNotFound, Reason::kMessageNotFound,
                 absl::StrCat("message ", msg_id, " is not in topic ", topic));
  };
  uint64_t qid = 0, offset = 0;
  if (msg_id.size() != 32 ||
      !internal::ParseHex16(msg_id.substr(0, 16), &qid) ||
      !internal::ParseHex16(msg_id.substr(16), &offset)) {
    return not_found();
  }
  for (const BrokerCore::TopicQueue& q : view.queues) {
    if (q.log->id().value != qid) continue;
    absl::StatusOr<std::vector<proto::Record>> r =
        q.log->Read(Offset{static_cast<int64_t>(offset)}, 1);
    if (absl::IsOutOfRange(r.status()) || absl::IsNotFound(r.status()) ||
        (r.ok() && r->empty())) {
      return not_found();
    }
    if (!r.ok()) return r.status();
    return internal::MessageOf(r->front(), view.name, q);
  }
  return not_found();
}

absl::StatusOr<MessageQueryResult> Topics::QueryMessages(
    absl::string_view instance, const MessageQuery& q) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst,
                       core_->FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view,
                       core_->ViewTopic(inst, q.topic));
  if (q.start_time != absl::InfinitePast() &&
      q.start_time < absl::UnixEpoch()) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kInvalidTimeRange,
                 "query start time is before the Unix epoch");
  }
  if (q.skip < 0 || q.limit < 0) {
    return absl::InvalidArgumentError("query skip and limit must be >= 0");
  }
  MessageQueryResult result;
  if (q.start_time > q.end_time) return result;

  std::vector<QueueCursor> cursors;
  cursors.reserve(view.queues.size());
  for (const BrokerCore::TopicQueue& tq : view.queues) {
    if (q.queue_id.has_value() && tq.ref.queue_id != *q.queue_id) continue;
    Offset from = tq.log->min_offset();
    if (q.start_time != absl::InfinitePast()) {
      absl::StatusOr<storage::TimeLookup> found =
          tq.log->FirstOffsetAtOrAfter(q.start_time);
      if (absl::IsNotFound(found.status())) return TopicNotFound(q.topic);
      if (!found.ok()) return found.status();
      from = found->offset;
    }
    cursors.emplace_back(&tq, from);
  }

  // K-way merge by (store time, broker, queue id, offset).
  using Key = std::tuple<int64_t, int, int, int64_t, size_t>;
  std::priority_queue<Key, std::vector<Key>, std::greater<Key>> heap;
  auto push = [&](size_t i) -> absl::Status {
    RMQ_ASSIGN_OR_RETURN(const proto::Record* r, cursors[i].Peek());
    if (r == nullptr || absl::FromUnixMicros(r->store_time_us()) > q.end_time) {
      return absl::OkStatus();
    }
    const BrokerCore::TopicQueue& tq = cursors[i].queue();
    heap.emplace(r->store_time_us(), tq.broker_index, tq.ref.queue_id,
                 r->offset(), i);
    return absl::OkStatus();
  };
  for (size_t i = 0; i < cursors.size(); ++i) RMQ_RETURN_IF_ERROR(push(i));
  int64_t scanned = 0;
  while (!heap.empty()) {
    if (scanned >= core_->options_.max_query_scan_records) {
      result.truncated = true;
      break;
    }
    size_t i = std::get<4>(heap.top());
    heap.pop();
    RMQ_ASSIGN_OR_RETURN(const proto::Record* r, cursors[i].Peek());
    ++scanned;
    bool match = true;
    if (q.key.has_value()) {
      match = std::find(r->keys().begin(), r->keys().end(), *q.key) !=
              r->keys().end();
    }
    if (match && q.uniq_key.has_value()) {
      auto it = r->properties().find("UNIQ_KEY");
      match = it != r->properties().end() && it->second == *q.uniq_key;
    }
    if (match) {
      if (result.total >= q.skip &&
          static_cast<int64_t>(result.messages.size()) < q.limit) {
        result.messages.push_back(
            internal::MessageOf(*r, view.name, cursors[i].queue()));
      }
      ++result.total;
    }
    cursors[i].Pop();
    RMQ_RETURN_IF_ERROR(push(i));
  }
  return result;
}

absl::StatusOr<TopicStatus> Topics::GetTopicStatus(
    absl::string_view instance, absl::string_view topic) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst,
                       core_->FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view,
                       core_->ViewTopic(inst, topic));
  TopicStatus status;
  status.topic = view.name;
  for (const BrokerCore::TopicQueue& q : view.queues) {
    storage::QueueLogStats stats = q.log->Stats();
    status.queues.push_back(
        {q.ref, stats.min_offset, stats.max_offset, stats.last_store_time});
  }
  return status;
}

absl::StatusOr<Topics::TimePosition> Topics::LookupTime(
    absl::string_view instance, absl::string_view topic, const QueueRef& queue,
    absl::Time t) const {
  RMQ_ASSIGN_OR_RETURN(BrokerCore::Instance * inst,
                       core_->FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(BrokerCore::TopicView view,
                       core_->ViewTopic(inst, topic));
  const BrokerCore::TopicQueue* q = view.Find(queue);
  if (q == nullptr) {
    return Error(absl::StatusCode::kNotFound, Reason::kTopicQueueNotFound,
                 absl::StrCat("topic ", topic, " has no queue ",
                              queue.broker_name, "/", queue.queue_id));
  }
  if (t < absl::UnixEpoch()) t = absl::UnixEpoch();
  absl::StatusOr<storage::TimeLookup> found = q->log->FirstOffsetAtOrAfter(t);
  if (absl::IsNotFound(found.status())) return TopicNotFound(topic);
  if (!found.ok()) return found.status();
  return TimePosition{found->offset, found->store_time};
}

}  // namespace rewindmq::broker
