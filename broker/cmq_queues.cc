#include "broker/cmq_queues.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/check.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "broker/core.h"
#include "broker/errors.h"
#include "broker/kv_codec.h"
#include "broker/names.h"
#include "proto/record.pb.h"

namespace rewindmq::broker {
namespace {

using internal::CmqMsg;
using internal::CmqMsgState;
using internal::KvFields;
using internal::KvWriter;
using Instance = BrokerCore::Instance;
using Queue = BrokerCore::CmqQueue;
using Completion = BrokerCore::Completion;

// Queue metadata tags. 3 (the storage QueueId) is also read by
// BrokerCore::DeleteOrphanQueues.
constexpr uint32_t kTagName = 1, kTagStorageId = 3, kTagCreateUs = 4,
                   kTagModifyUs = 5, kTagHeap = 6, kTagPolling = 7,
                   kTagVisibility = 8, kTagMaxSize = 9, kTagRetention = 10,
                   kTagRewind = 11;
// The API 3.0 extras (CmqQueueExtras). Data written before them has none of
// these tags, which then read as the CmqQueueExtras defaults.
//   12 trace (bool)
//   13 one tag, repeated in the stored order: a nested field sequence
//      {1: key, 2: value}
//   14 retention_size_mb
//   15 the dead-letter policy, absent when there is none: a nested field
//      sequence {1: dead_letter_queue, 2: policy, 3: max_time_to_live,
//      4: max_receive_count}
constexpr uint32_t kTagTrace = 12, kTagTag = 13, kTagRetentionSizeMb = 14,
                   kTagDeadLetter = 15;
constexpr uint32_t kTagTagKey = 1, kTagTagValue = 2;
constexpr uint32_t kTagDlQueue = 1, kTagDlPolicy = 2, kTagDlTimeToLive = 3,
                   kTagDlReceiveCount = 4;
// Values of the msg id counter and the floor.
constexpr uint32_t kTagValue = 1;

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr absl::string_view kMsgIdProperty = "msg_id";

std::string EncodeQueueMeta(const Queue& q)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.mu) {
  KvWriter w;
  w.Str(kTagName, q.name)
      .U64(kTagStorageId, q.storage_id.value)
      .I64(kTagCreateUs, absl::ToUnixMicros(q.create_time))
      .I64(kTagModifyUs, absl::ToUnixMicros(q.last_modify_time))
      .I64(kTagHeap, q.attrs.max_msg_heap_num)
      .I64(kTagPolling, q.attrs.polling_wait_seconds)
      .I64(kTagVisibility, q.attrs.visibility_timeout)
      .I64(kTagMaxSize, q.attrs.max_msg_size)
      .I64(kTagRetention, q.attrs.msg_retention_seconds)
      .I64(kTagRewind, q.attrs.rewind_seconds)
      .Bool(kTagTrace, q.extras.trace)
      .I64(kTagRetentionSizeMb, q.extras.retention_size_mb);
  for (const CmqTag& tag : q.extras.tags) {
    KvWriter t;
    t.Str(kTagTagKey, tag.key).Str(kTagTagValue, tag.value);
    w.Str(kTagTag, t.data());
  }
  if (q.extras.dead_letter.has_value()) {
    const CmqDeadLetterPolicy& dl = *q.extras.dead_letter;
    KvWriter d;
    d.Str(kTagDlQueue, dl.dead_letter_queue)
        .I64(kTagDlPolicy, dl.policy)
        .I64(kTagDlTimeToLive, dl.max_time_to_live)
        .I64(kTagDlReceiveCount, dl.max_receive_count);
    w.Str(kTagDeadLetter, d.data());
  }
  return w.data();
}

// The extras of stored queue metadata `f` (defaults for absent tags).
absl::StatusOr<CmqQueueExtras> DecodeQueueExtras(const KvFields& f) {
  CmqQueueExtras e;
  e.trace = f.Bool(kTagTrace);
  e.retention_size_mb = f.I64(kTagRetentionSizeMb);
  for (const std::string& data : f.AllStr(kTagTag)) {
    RMQ_ASSIGN_OR_RETURN(KvFields t, KvFields::Parse(data));
    e.tags.push_back({t.Str(kTagTagKey), t.Str(kTagTagValue)});
  }
  if (f.Has(kTagDeadLetter)) {
    RMQ_ASSIGN_OR_RETURN(KvFields d, KvFields::Parse(f.Str(kTagDeadLetter)));
    e.dead_letter = CmqDeadLetterPolicy{
        .dead_letter_queue = d.Str(kTagDlQueue),
        .policy = d.I64(kTagDlPolicy),
        .max_time_to_live = d.I64(kTagDlTimeToLive),
        .max_receive_count = d.I64(kTagDlReceiveCount),
    };
  }
  return e;
}

std::string EncodeI64(int64_t v) {
  KvWriter w;
  w.I64(kTagValue, v);
  return w.data();
}

absl::Status QueueNotFound(absl::string_view name) {
  return Error(absl::StatusCode::kNotFound, Reason::kQueueNotFound,
               absl::StrCat("queue ", name, " does not exist"));
}

absl::Status NoMessage(absl::string_view name) {
  return Error(absl::StatusCode::kDeadlineExceeded, Reason::kNoMessage,
               absl::StrCat("no message in queue ", name));
}

absl::Status InvalidHandle(absl::string_view handle) {
  return Error(absl::StatusCode::kInvalidArgument,
               Reason::kReceiptHandleInvalid,
               absl::StrCat("receipt handle ", handle,
                            " is unknown, stale or past its visibility"));
}

std::string QueueIdString(QueueId id) {
  return absl::StrCat("queue-", id.value);
}

// The create defaults of each face (tdmq-cmq-v3.md 7.2).
CmqQueueAttributes DefaultAttributes(CmqApi api) {
  CmqQueueAttributes a;
  if (api == CmqApi::kV3) {
    a.max_msg_size = 1'048'576;
    a.msg_retention_seconds = 3600;
  }
  return a;
}

// The lowest msgRetentionSeconds each face writes (tdmq-cmq-v3.md 7.2); the
// 3.0 one is also the lowest any queue holds.
int64_t MinRetentionSeconds(CmqApi api) { return api == CmqApi::kV3 ? 30 : 60; }

CmqQueueAttributes Merge(CmqQueueAttributes a,
                         const CmqQueueAttributesUpdate& u) {
  if (u.max_msg_heap_num.has_value()) a.max_msg_heap_num = *u.max_msg_heap_num;
  if (u.polling_wait_seconds.has_value()) {
    a.polling_wait_seconds = *u.polling_wait_seconds;
  }
  if (u.visibility_timeout.has_value()) {
    a.visibility_timeout = *u.visibility_timeout;
  }
  if (u.max_msg_size.has_value()) a.max_msg_size = *u.max_msg_size;
  if (u.msg_retention_seconds.has_value()) {
    a.msg_retention_seconds = *u.msg_retention_seconds;
  }
  if (u.rewind_seconds.has_value()) a.rewind_seconds = *u.rewind_seconds;
  return a;
}

absl::Status CheckRange(absl::string_view attribute, int64_t v, int64_t lo,
                        int64_t hi) {
  if (v < lo || v > hi) {
    return Error(absl::StatusCode::kInvalidArgument,
                 Reason::kAttributeOutOfRange,
                 absl::StrCat("attribute ", attribute, " value ", v,
                              " is outside ", lo, "..", hi));
  }
  return absl::OkStatus();
}

// Checks `a`, the result of merging `u`: the attributes `u` sets against
// the ranges of u.api, the others against the union of both faces' ranges
// (they were valid when written), then rewind <= retention.
absl::Status ValidateAttributes(const CmqQueueAttributes& a,
                                const CmqQueueAttributesUpdate& u,
                                const BrokerOptions& o) {
  const int64_t min_retention = MinRetentionSeconds(
      u.msg_retention_seconds.has_value() ? u.api : CmqApi::kV3);
  RMQ_RETURN_IF_ERROR(CheckRange("maxMsgHeapNum", a.max_msg_heap_num,
                                 o.cmq_min_max_msg_heap_num, 1'000'000'000));
  RMQ_RETURN_IF_ERROR(
      CheckRange("pollingWaitSeconds", a.polling_wait_seconds, 0, 30));
  RMQ_RETURN_IF_ERROR(
      CheckRange("visibilityTimeout", a.visibility_timeout, 1, 43200));
  RMQ_RETURN_IF_ERROR(CheckRange("maxMsgSize", a.max_msg_size, 1024, 1048576));
  RMQ_RETURN_IF_ERROR(CheckRange("msgRetentionSeconds", a.msg_retention_seconds,
                                 min_retention, 1296000));
  RMQ_RETURN_IF_ERROR(
      CheckRange("rewindSeconds", a.rewind_seconds, 0, 1296000));
  if (a.rewind_seconds > a.msg_retention_seconds) {
    return Error(absl::StatusCode::kInvalidArgument,
                 Reason::kRewindExceedsRetention,
                 absl::StrCat("rewindSeconds ", a.rewind_seconds,
                              " is greater than msgRetentionSeconds ",
                              a.msg_retention_seconds));
  }
  return absl::OkStatus();
}

// `e` with the extras of `u` merged in, checked as CreateQueue documents.
absl::StatusOr<CmqQueueExtras> MergeExtras(CmqQueueExtras e,
                                           const CmqQueueAttributesUpdate& u) {
  if (u.clear_dead_letter && u.dead_letter.has_value()) {
    return absl::InvalidArgumentError(
        "an update cannot both set and clear the dead-letter policy");
  }
  if (u.trace.has_value()) e.trace = *u.trace;
  if (u.tags.has_value()) e.tags = *u.tags;
  if (u.retention_size_mb.has_value()) {
    e.retention_size_mb = *u.retention_size_mb;
  }
  if (u.dead_letter.has_value()) e.dead_letter = *u.dead_letter;
  if (u.clear_dead_letter) e.dead_letter.reset();
  RMQ_RETURN_IF_ERROR(
      CheckRange("RetentionSizeInMB", e.retention_size_mb, 0, 512000));
  std::set<absl::string_view> keys;
  for (const CmqTag& tag : e.tags) {
    if (!keys.insert(tag.key).second) {
      return Error(absl::StatusCode::kInvalidArgument,
                   Reason::kAttributeOutOfRange,
                   absl::StrCat("tag key \"", tag.key, "\" is given twice"));
    }
  }
  return e;
}

absl::StatusOr<Queue*> FindQueue(Instance* inst, absl::string_view name) {
  absl::ReaderMutexLock l(&inst->cmq_mu);
  auto it = inst->cmq_queues.find(absl::AsciiStrToLower(name));
  if (it == inst->cmq_queues.end()) return QueueNotFound(name);
  return it->second;
}

void RunCompletions(std::vector<Completion>& done) {
  for (Completion& c : done) c.done(std::move(c.result));
  done.clear();
}

void PersistFloor(const Queue& q, int64_t floor, storage::KvBatch* batch) {
  batch->Put(keys::CmqFloor(q.storage_id), EncodeI64(floor));
  batch->DeleteRange(keys::CmqStatePrefix(q.storage_id),
                     keys::CmqState(q.storage_id, floor));
}

// Everything below runs with q->mu held.

absl::StatusOr<std::vector<CmqReceivedMessage>> DeliverLocked(BrokerCore& c,
                                                              Queue* q,
                                                              absl::Time now,
                                                              int max)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) {
  std::vector<CmqReceivedMessage> out;
  storage::KvBatch batch;
  const int64_t now_us = absl::ToUnixMicros(now);
  const int64_t floor_before = q->state.floor();
  absl::Status status;
  while (static_cast<int>(out.size()) < max) {
    std::optional<int64_t> offset = q->state.NextActive();
    if (!offset.has_value()) break;
    absl::StatusOr<std::vector<proto::Record>> r =
        q->log->Read(Offset{*offset}, 1);
    if (absl::IsOutOfRange(r.status()) &&
        q->log->min_offset().value > *offset) {
      q->state.ExpireBelow(q->log->min_offset().value);  // retention raced
      continue;
    }
    if (r.ok() && r->empty()) {
      status = absl::InternalError(absl::StrCat("queue ", q->name, ": offset ",
                                                *offset, " is not in the log"));
    } else {
      status = r.status();
    }
    if (!status.ok()) break;
    const proto::Record& rec = r->front();
    uint64_t token = 0;
    while (token == 0) token = absl::Uniform<uint64_t>(q->rng);
    const int64_t visible_until =
        now_us + q->attrs.visibility_timeout * kMicrosPerSecond;
    CmqMsg m = q->state.Deliver(*offset, rec.store_time_us(), now_us,
                                visible_until, token);
    batch.Put(keys::CmqState(q->storage_id, *offset),
              internal::EncodeCmqMsg(m));
    CmqReceivedMessage msg;
    auto id = rec.properties().find(std::string(kMsgIdProperty));
    msg.msg_id = id == rec.properties().end() ? "" : id->second;
    msg.body = rec.body();
    msg.receipt_handle =
        absl::StrCat(q->storage_id.value, ":", *offset, ":", m.dequeue_count,
                     ":", internal::Hex16(token));
    msg.enqueue_time = absl::FromUnixSeconds(m.enqueue_us / kMicrosPerSecond);
    msg.next_visible_time = absl::FromUnixMicros(m.visible_at_us);
    msg.dequeue_count = m.dequeue_count;
    msg.first_dequeue_time = absl::FromUnixMicros(m.first_dequeue_us);
    out.push_back(std::move(msg));
  }
  if (q->state.floor() != floor_before) {
    PersistFloor(*q, q->state.floor(), &batch);
  }
  if (!batch.empty()) {
    // On failure the messages stay INACTIVE in memory and come back when
    // their visibility ends; the caller gets the error, not the messages.
    RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
  }
  if (!status.ok() && out.empty()) return status;
  return out;
}

void EnsureWakeLocked(BrokerCore& c, Queue* q);

void ServeWaitersLocked(BrokerCore& c, Queue* q, absl::Time now,
                        std::vector<Completion>* done)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) {
  while (!q->waiters.empty() && q->state.NextActive().has_value()) {
    auto it = q->waiters.begin();
    absl::StatusOr<std::vector<CmqReceivedMessage>> msgs =
        DeliverLocked(c, q, now, it->second.max_messages);
    if (msgs.ok() && msgs->empty()) break;
    c.timers_.Cancel(it->second.deadline_timer);
    c.ForgetWaitId(it->first);
    done->push_back({std::move(it->second.done), std::move(msgs)});
    q->waiters.erase(it);
  }
}

// Expires messages, ends delays and visibility timeouts, and serves
// waiters. NotFound + kQueueNotFound once the queue was deleted.
absl::Status AdvanceLocked(BrokerCore& c, Queue* q, absl::Time now,
                           std::vector<Completion>* done,
                           int64_t* expired = nullptr)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) {
  if (q->deleted) return QueueNotFound(q->name);
  const int64_t now_s = absl::ToUnixSeconds(now);
  q->state.AdvanceTo(absl::ToUnixMicros(now));
  const int64_t floor_before = q->state.floor();
  if (now_s != q->retention_checked_s) {
    // Gone once now >= enqueueTime + msgRetentionSeconds (whole seconds):
    // kept from the first record stored at or after (now_s - R + 1) s.
    const int64_t keep_from_s = now_s - q->attrs.msg_retention_seconds + 1;
    if (keep_from_s > 0) {
      RMQ_ASSIGN_OR_RETURN(
          storage::TimeLookup found,
          q->log->FirstOffsetAtOrAfter(absl::FromUnixSeconds(keep_from_s)));
      int64_t n = q->state.ExpireBelow(found.offset.value);
      if (expired != nullptr) *expired += n;
    }
    q->retention_checked_s = now_s;
  }
  // A DELETED message enqueued before now - rewindSeconds can no longer be
  // revived. (Cheap: only the oldest DELETED messages are looked at.)
  q->state.DropDeletedBefore((now_s - q->attrs.rewind_seconds) *
                             kMicrosPerSecond);
  q->state.CompactFloor();
  if (q->state.floor() != floor_before) {
    storage::KvBatch batch;
    PersistFloor(*q, q->state.floor(), &batch);
    RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
  }
  ServeWaitersLocked(c, q, now, done);
  EnsureWakeLocked(c, q);
  return absl::OkStatus();
}

void OnWake(BrokerCore* c, Queue* q, absl::Time at) {
  std::vector<Completion> done;
  {
    absl::MutexLock l(&q->mu);
    if (q->wake_at == at) {
      q->wake_timer = 0;
      q->wake_at.reset();
    }
    absl::Status s = AdvanceLocked(*c, q, c->Now(), &done);
    if (!s.ok() && !absl::IsNotFound(s)) {
      RMQ_LOG(kWarning, "queue ", q->name, ": wake-up failed: ", s.ToString());
    }
  }
  RunCompletions(done);
}

void EnsureWakeLocked(BrokerCore& c, Queue* q)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) {
  if (q->waiters.empty()) return;
  std::optional<int64_t> next = q->state.NextDeadline();
  if (!next.has_value()) return;
  absl::Time at = absl::FromUnixMicros(*next);
  if (q->wake_at.has_value() && *q->wake_at <= at) return;
  if (q->wake_timer != 0) c.timers_.Cancel(q->wake_timer);
  q->wake_at = at;
  BrokerCore* core = &c;
  q->wake_timer =
      c.timers_.Schedule(at, [core, q, at] { OnWake(core, q, at); });
}

void OnDeadline(BrokerCore* c, Queue* q, CmqWaitId id) {
  std::vector<Completion> done;
  {
    absl::MutexLock l(&q->mu);
    // A message may have become ACTIVE at this very moment.
    absl::Status s = AdvanceLocked(*c, q, c->Now(), &done);
    if (!s.ok() && !absl::IsNotFound(s)) {
      RMQ_LOG(kWarning, "queue ", q->name, ": deadline: ", s.ToString());
    }
    auto it = q->waiters.find(id);
    if (it != q->waiters.end()) {
      c->ForgetWaitId(id);
      done.push_back({std::move(it->second.done), NoMessage(q->name)});
      q->waiters.erase(it);
    }
  }
  RunCompletions(done);
}

CmqQueueInfo InfoLocked(const Queue& q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.mu) {
  CmqQueueInfo info;
  info.name = q.name;
  info.queue_id = QueueIdString(q.storage_id);
  info.attributes = q.attrs;
  info.create_time = q.create_time;
  info.last_modify_time = q.last_modify_time;
  info.extras = q.extras;
  return info;
}

// The store times of the records [from, to) of `q`'s log, in order.
absl::StatusOr<std::vector<int64_t>> ReadStoreTimes(const Queue& q,
                                                    int64_t from, int64_t to) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(to - from, 0)));
  while (from < to) {
    const int n = static_cast<int>(std::min<int64_t>(to - from, 1024));
    RMQ_ASSIGN_OR_RETURN(std::vector<proto::Record> records,
                         q.log->Read(Offset{from}, n));
    if (records.empty()) {
      return absl::InternalError(absl::StrCat("queue ", q.storage_id.value,
                                              ": offset ", from,
                                              " is not in the log"));
    }
    for (const proto::Record& r : records) out.push_back(r.store_time_us());
    from += static_cast<int64_t>(records.size());
  }
  return out;
}

absl::StatusOr<CmqQueueCounters> CountersLocked(Queue* q)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) {
  CmqQueueCounters c;
  c.active = q->state.active_count();
  c.inactive = q->state.inactive_count();
  c.delayed = q->state.delayed_count();
  c.rewindable = q->state.deleted_count();
  std::optional<int64_t> first = q->state.FirstUndeleted();
  if (first.has_value()) {
    int64_t enqueue_us = 0;
    if (const CmqMsg* m = q->state.Find(*first); m != nullptr) {
      enqueue_us = m->enqueue_us;
    } else {
      RMQ_ASSIGN_OR_RETURN(std::vector<proto::Record> r,
                           q->log->Read(Offset{*first}, 1));
      if (!r.empty()) enqueue_us = r.front().store_time_us();
    }
    c.min_msg_time = absl::FromUnixSeconds(enqueue_us / kMicrosPerSecond);
  }
  return c;
}

struct ParsedHandle {
  uint64_t queue = 0;
  int64_t offset = 0;
  int64_t dequeue_count = 0;
  uint64_t token = 0;
};

std::optional<ParsedHandle> ParseHandle(absl::string_view h) {
  if (!IsWellFormedReceiptHandle(h)) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(h, ':');
  ParsedHandle p;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[0], &p.queue) ||
      !absl::SimpleAtoi(parts[1], &p.offset) ||
      !absl::SimpleAtoi(parts[2], &p.dequeue_count) ||
      !internal::ParseHex16(parts[3], &p.token)) {
    return std::nullopt;
  }
  return p;
}

// Deletes one handle; q->mu held and the queue advanced.
absl::Status DeleteOneLocked(BrokerCore& c, Queue* q, absl::string_view handle,
                             absl::Time now, storage::KvBatch* batch)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu) {
  std::optional<ParsedHandle> p = ParseHandle(handle);
  if (!p.has_value() || p->queue != q->storage_id.value ||
      !q->state.IsCurrentDelivery(p->offset, p->dequeue_count, p->token,
                                  absl::ToUnixMicros(now))) {
    return InvalidHandle(handle);
  }
  // Kept for RewindQueue only while a rewind can still reach it.
  const int64_t window_start_us =
      (absl::ToUnixSeconds(now) - q->attrs.rewind_seconds) * kMicrosPerSecond;
  const bool keep = q->attrs.rewind_seconds > 0 &&
                    q->state.Find(p->offset)->enqueue_us >= window_start_us;
  CmqMsg m = q->state.Delete(p->offset, keep);
  batch->Put(keys::CmqState(q->storage_id, p->offset),
             internal::EncodeCmqMsg(m));
  (void)c;
  return absl::OkStatus();
}

}  // namespace

// --- BrokerCore CMQ helpers ---

absl::Status BrokerCore::LoadCmqQueues(Instance* inst) {
  {
    absl::StatusOr<std::string> v = kv().Get(keys::MsgId(inst->prefix));
    absl::MutexLock l(&inst->msg_id_mu);
    if (v.ok()) {
      RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(*v));
      // Ids up to the recorded limit may have been handed out; skip them.
      inst->next_msg_id = inst->msg_id_limit =
          static_cast<uint64_t>(f.I64(kTagValue, 1));
    } else if (!absl::IsNotFound(v.status())) {
      return v.status();
    }
  }
  RMQ_ASSIGN_OR_RETURN(auto rows,
                       kv().Scan(keys::CmqQueuePrefix(inst->prefix)));
  absl::MutexLock l(&inst->cmq_mu);
  for (const auto& [key, value] : rows) {
    RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(value));
    auto q = std::make_unique<Queue>();
    q->instance = inst;
    q->storage_id = QueueId{f.U64(kTagStorageId)};
    absl::StatusOr<storage::QueueLog*> log = store_->Queue(q->storage_id);
    if (!log.ok()) {
      return absl::DataLossError(
          absl::StrCat("queue ", f.Str(kTagName), " of instance ",
                       inst->info.id, ": storage queue ", q->storage_id.value,
                       " is missing: ", log.status().message()));
    }
    q->log = *log;
    absl::MutexLock ql(&q->mu);
    q->name = f.Str(kTagName);
    q->create_time = absl::FromUnixMicros(f.I64(kTagCreateUs));
    q->last_modify_time = absl::FromUnixMicros(f.I64(kTagModifyUs));
    CmqQueueAttributes defaults;
    q->attrs.max_msg_heap_num = f.I64(kTagHeap, defaults.max_msg_heap_num);
    q->attrs.polling_wait_seconds =
        f.I64(kTagPolling, defaults.polling_wait_seconds);
    q->attrs.visibility_timeout =
        f.I64(kTagVisibility, defaults.visibility_timeout);
    q->attrs.max_msg_size = f.I64(kTagMaxSize, defaults.max_msg_size);
    q->attrs.msg_retention_seconds =
        f.I64(kTagRetention, defaults.msg_retention_seconds);
    q->attrs.rewind_seconds = f.I64(kTagRewind, defaults.rewind_seconds);
    RMQ_ASSIGN_OR_RETURN(q->extras, DecodeQueueExtras(f));

    int64_t floor = 0;
    absl::StatusOr<std::string> fv = kv().Get(keys::CmqFloor(q->storage_id));
    if (fv.ok()) {
      RMQ_ASSIGN_OR_RETURN(KvFields ff, KvFields::Parse(*fv));
      floor = ff.I64(kTagValue);
    } else if (!absl::IsNotFound(fv.status())) {
      return fv.status();
    }
    const int64_t end = q->log->max_offset().value;
    floor = std::min(std::max(floor, q->log->min_offset().value), end);
    q->state.Reset(floor, end);
    std::string prefix = keys::CmqStatePrefix(q->storage_id);
    RMQ_ASSIGN_OR_RETURN(auto states, kv().Scan(prefix));
    storage::KvBatch stale;
    for (const auto& [skey, svalue] : states) {
      uint64_t offset = 0;
      if (!internal::ParseHex16(absl::string_view(skey).substr(prefix.size()),
                                &offset)) {
        return absl::DataLossError(absl::StrCat("malformed state key ", skey));
      }
      if (static_cast<int64_t>(offset) < floor ||
          static_cast<int64_t>(offset) >= end) {
        // Below the floor, or written for a send that never reached the log.
        stale.Delete(skey);
        continue;
      }
      RMQ_ASSIGN_OR_RETURN(CmqMsg m, internal::DecodeCmqMsg(svalue));
      q->state.Load(static_cast<int64_t>(offset), m);
    }
    q->state.FinishLoad();
    if (!stale.empty()) RMQ_RETURN_IF_ERROR(kv().Write(stale));
    std::string lower = absl::AsciiStrToLower(q->name);
    inst->cmq_queues[lower] = q.get();
    inst->all_cmq_queues.push_back(std::move(q));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> BrokerCore::AllocateMsgIds(Instance* inst, int n) {
  absl::MutexLock l(&inst->msg_id_mu);
  if (inst->next_msg_id + n > inst->msg_id_limit) {
    // Record the new limit before handing out ids below it, so an id is
    // never given twice, even after a crash.
    uint64_t limit = inst->next_msg_id + n + 4096;
    RMQ_RETURN_IF_ERROR(kv().Put(keys::MsgId(inst->prefix),
                                 EncodeI64(static_cast<int64_t>(limit)),
                                 /*sync=*/true));
    inst->msg_id_limit = limit;
  }
  uint64_t first = inst->next_msg_id;
  inst->next_msg_id += n;
  return first;
}

absl::StatusOr<RetentionReport> BrokerCore::ApplyCmqRetention() {
  RetentionReport report;
  for (auto& inst : instances_) {
    std::vector<Queue*> queues;
    {
      absl::ReaderMutexLock l(&inst->cmq_mu);
      for (const auto& [name, q] : inst->cmq_queues) queues.push_back(q);
    }
    for (Queue* q : queues) {
      std::vector<Completion> done;
      std::optional<absl::Time> cutoff;
      absl::Status status;
      {
        absl::MutexLock l(&q->mu);
        status =
            AdvanceLocked(*this, q, Now(), &done, &report.cmq_messages_expired);
        // Every record below the floor is gone: drop the segments stored
        // entirely before the floor record.
        if (status.ok() && q->state.floor() < q->state.end()) {
          absl::StatusOr<std::vector<proto::Record>> r =
              q->log->Read(Offset{q->state.floor()}, 1);
          if (r.ok() && !r->empty()) {
            cutoff = absl::FromUnixMicros(r->front().store_time_us());
          }
          status = r.status();
        } else if (status.ok()) {
          std::optional<absl::Time> last = q->log->Stats().last_store_time;
          if (last.has_value()) cutoff = *last + absl::Microseconds(1);
        }
      }
      RunCompletions(done);
      if (absl::IsNotFound(status)) continue;  // deleted meanwhile
      RMQ_RETURN_IF_ERROR(status);
      if (!cutoff.has_value()) continue;
      storage::RetentionRule rule;
      rule.remove_stored_before = cutoff;
      absl::StatusOr<int> removed = q->log->ApplyRetention(rule);
      if (absl::IsNotFound(removed.status())) continue;
      if (!removed.ok()) return removed.status();
      report.segments_removed += *removed;
    }
  }
  return report;
}

void BrokerCore::CancelAllWaiters() {
  CompleteAllWaiters(Error(absl::StatusCode::kCancelled, Reason::kWaitCancelled,
                           "broker is closing"));
}

void BrokerCore::CompleteAllWaiters(const absl::Status& status) {
  std::vector<Completion> done;
  for (auto& inst : instances_) {
    absl::ReaderMutexLock l(&inst->cmq_mu);
    for (const auto& q : inst->all_cmq_queues) {
      absl::MutexLock ql(&q->mu);
      for (auto& [id, w] : q->waiters) {
        timers_.Cancel(w.deadline_timer);
        ForgetWaitId(id);
        done.push_back({std::move(w.done), status});
      }
      q->waiters.clear();
    }
  }
  RunCompletions(done);
}

CmqWaitId BrokerCore::NewWaitId(CmqQueue* q) {
  absl::MutexLock l(&waiters_mu_);
  CmqWaitId id = next_wait_id_++;
  wait_queue_[id] = q;
  return id;
}

void BrokerCore::ForgetWaitId(CmqWaitId id) {
  absl::MutexLock l(&waiters_mu_);
  wait_queue_.erase(id);
}

BrokerCore::CmqQueue* BrokerCore::QueueOfWait(CmqWaitId id) {
  absl::MutexLock l(&waiters_mu_);
  auto it = wait_queue_.find(id);
  return it == wait_queue_.end() ? nullptr : it->second;
}

// --- CmqQueues ---

absl::StatusOr<CmqQueueInfo> CmqQueues::CreateQueue(
    absl::string_view instance, absl::string_view name,
    const CmqQueueAttributesUpdate& attributes) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_RETURN_IF_ERROR(attributes.api == CmqApi::kV3
                          ? ValidateCmqV3QueueName(name)
                          : ValidateCmqQueueName(name));
  CmqQueueAttributes attrs =
      Merge(DefaultAttributes(attributes.api), attributes);
  RMQ_RETURN_IF_ERROR(ValidateAttributes(attrs, attributes, c.options_));
  RMQ_ASSIGN_OR_RETURN(CmqQueueExtras extras,
                       MergeExtras(CmqQueueExtras(), attributes));
  const std::string lower = absl::AsciiStrToLower(name);
  absl::MutexLock l(&inst->cmq_mu);
  if (inst->cmq_queues.count(lower) != 0) {
    return Error(
        absl::StatusCode::kAlreadyExists, Reason::kQueueExists,
        absl::StrCat("queue ", name, " already exists (names ignore case)"));
  }
  if (static_cast<int>(inst->cmq_queues.size()) >= c.options_.max_cmq_queues) {
    return Error(absl::StatusCode::kResourceExhausted, Reason::kQueueLimit,
                 absl::StrCat("instance ", inst->info.id, " has reached its ",
                              c.options_.max_cmq_queues, " queues"));
  }
  RMQ_ASSIGN_OR_RETURN(storage::QueueLog * log, c.store_->CreateQueue());
  auto q = std::make_unique<Queue>();
  q->instance = inst;
  q->storage_id = log->id();
  q->log = log;
  CmqQueueInfo info;
  {
    absl::MutexLock ql(&q->mu);
    q->name = std::string(name);
    q->create_time = q->last_modify_time = c.Now();
    q->attrs = attrs;
    q->extras = std::move(extras);
    q->state.Reset(log->min_offset().value, log->max_offset().value);
    absl::Status s = c.kv().Put(keys::CmqQueue(inst->prefix, lower),
                                EncodeQueueMeta(*q), /*sync=*/true);
    if (!s.ok()) {
      // Best effort: an undeleted queue is removed as an orphan on open.
      c.store_->DeleteQueue(q->storage_id).IgnoreError();
      return Annotate(s, absl::StrCat("create queue ", name));
    }
    info = InfoLocked(*q);
  }
  inst->cmq_queues[lower] = q.get();
  inst->all_cmq_queues.push_back(std::move(q));
  return info;
}

absl::StatusOr<CmqQueueListResult> CmqQueues::ListQueues(
    absl::string_view instance, absl::string_view search_word, int64_t offset,
    int64_t limit) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  if (offset < 0 || limit < 0) {
    return absl::InvalidArgumentError("list offset and limit must be >= 0");
  }
  std::vector<std::pair<uint64_t, CmqQueueInfo>> all;
  {
    absl::ReaderMutexLock l(&inst->cmq_mu);
    for (const auto& [lower, q] : inst->cmq_queues) {
      absl::MutexLock ql(&q->mu);
      if (!search_word.empty() && !absl::StrContains(q->name, search_word)) {
        continue;
      }
      all.emplace_back(q->storage_id.value, InfoLocked(*q));
    }
  }
  // Storage queue ids grow with time: creation order.
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  CmqQueueListResult result;
  result.total = static_cast<int64_t>(all.size());
  for (int64_t i = offset; i < result.total && i < offset + limit; ++i) {
    result.queues.push_back(std::move(all[i].second));
  }
  return result;
}

absl::StatusOr<CmqQueueInfo> CmqQueues::GetQueueAttributes(
    absl::string_view instance, absl::string_view name) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(Queue * q, FindQueue(inst, name));
  std::vector<Completion> done;
  absl::StatusOr<CmqQueueInfo> info;
  {
    absl::MutexLock l(&q->mu);
    absl::Status s = AdvanceLocked(c, q, c.Now(), &done);
    if (!s.ok()) {
      info = s;
    } else {
      info = InfoLocked(*q);
      absl::StatusOr<CmqQueueCounters> counters = CountersLocked(q);
      if (counters.ok()) {
        info->counters = *counters;
      } else {
        info = counters.status();
      }
    }
  }
  RunCompletions(done);
  return info;
}

absl::StatusOr<CmqQueueInfo> CmqQueues::SetQueueAttributes(
    absl::string_view instance, absl::string_view name,
    const CmqQueueAttributesUpdate& update) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(Queue * q, FindQueue(inst, name));
  std::vector<Completion> done;
  auto apply = [&]() -> absl::StatusOr<CmqQueueInfo> {
    absl::MutexLock l(&q->mu);
    const absl::Time now = c.Now();
    RMQ_RETURN_IF_ERROR(AdvanceLocked(c, q, now, &done));
    CmqQueueAttributes next = Merge(q->attrs, update);
    RMQ_RETURN_IF_ERROR(ValidateAttributes(next, update, c.options_));
    RMQ_ASSIGN_OR_RETURN(CmqQueueExtras next_extras,
                         MergeExtras(q->extras, update));
    const CmqQueueAttributes before = q->attrs;
    CmqQueueExtras extras_before = std::move(q->extras);
    const absl::Time modified_before = q->last_modify_time;
    q->attrs = next;
    q->extras = std::move(next_extras);
    q->last_modify_time = now;
    absl::Status s =
        c.kv().Put(keys::CmqQueue(inst->prefix, absl::AsciiStrToLower(q->name)),
                   EncodeQueueMeta(*q), /*sync=*/true);
    if (!s.ok()) {
      q->attrs = before;
      q->extras = std::move(extras_before);
      q->last_modify_time = modified_before;
      return s;
    }
    if (next.rewind_seconds < before.rewind_seconds) {
      const int64_t cutoff =
          next.rewind_seconds == 0
              ? std::numeric_limits<int64_t>::max()
              : (absl::ToUnixSeconds(now) - next.rewind_seconds) *
                    kMicrosPerSecond;
      const int64_t floor_before = q->state.floor();
      storage::KvBatch batch;
      for (int64_t offset : q->state.DropDeletedBefore(cutoff)) {
        CmqMsg m = *q->state.Find(offset);
        batch.Put(keys::CmqState(q->storage_id, offset),
                  internal::EncodeCmqMsg(m));
      }
      q->state.CompactFloor();
      if (q->state.floor() != floor_before) {
        PersistFloor(*q, q->state.floor(), &batch);
      }
      if (!batch.empty()) RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
    }
    q->retention_checked_s = INT64_MIN;  // apply a new retention at once
    RMQ_RETURN_IF_ERROR(AdvanceLocked(c, q, now, &done));
    CmqQueueInfo info = InfoLocked(*q);
    RMQ_ASSIGN_OR_RETURN(info.counters, CountersLocked(q));
    return info;
  };
  absl::StatusOr<CmqQueueInfo> info = apply();
  RunCompletions(done);
  return info;
}

absl::Status CmqQueues::DeleteQueue(absl::string_view instance,
                                    absl::string_view name) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  std::vector<Completion> done;
  QueueId storage_id;
  {
    absl::MutexLock l(&inst->cmq_mu);
    const std::string lower = absl::AsciiStrToLower(name);
    auto it = inst->cmq_queues.find(lower);
    if (it == inst->cmq_queues.end()) return QueueNotFound(name);
    Queue* q = it->second;
    storage_id = q->storage_id;
    // Metadata and message states go in one batch; the storage queue after
    // it (an orphan left by a crash is deleted on open).
    storage::KvBatch batch;
    batch.Delete(keys::CmqQueue(inst->prefix, lower));
    batch.DeleteRange(keys::CmqAllBegin(storage_id),
                      keys::CmqAllEnd(storage_id));
    RMQ_RETURN_IF_ERROR(c.kv().Write(batch, /*sync=*/true));
    inst->cmq_queues.erase(it);
    absl::MutexLock ql(&q->mu);
    q->deleted = true;
    for (auto& [id, w] : q->waiters) {
      c.timers_.Cancel(w.deadline_timer);
      c.ForgetWaitId(id);
      done.push_back({std::move(w.done), QueueNotFound(q->name)});
    }
    q->waiters.clear();
    if (q->wake_timer != 0) c.timers_.Cancel(q->wake_timer);
    q->wake_timer = 0;
    q->wake_at.reset();
    q->state.Reset(0, 0);
  }
  RunCompletions(done);
  absl::Status s = c.store_->DeleteQueue(storage_id);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  return absl::OkStatus();
}

absl::StatusOr<std::string> CmqQueues::SendMessage(absl::string_view instance,
                                                   absl::string_view name,
                                                   absl::string_view body,
                                                   absl::Duration delay) {
  std::string b(body);
  RMQ_ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      BatchSendMessage(instance, name, absl::MakeConstSpan(&b, 1), delay));
  return ids.front();
}

absl::StatusOr<std::vector<std::string>> CmqQueues::BatchSendMessage(
    absl::string_view instance, absl::string_view name,
    absl::Span<const std::string> bodies, absl::Duration delay) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  if (bodies.empty()) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kBatchEmpty,
                 "a batch needs at least one message");
  }
  for (const std::string& body : bodies) {
    if (body.empty()) {
      return Error(absl::StatusCode::kInvalidArgument, Reason::kMessageEmpty,
                   "message body is empty");
    }
  }
  if (delay < absl::ZeroDuration() || delay > absl::Seconds(3600)) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kDelayOutOfRange,
                 absl::StrCat("delay ", absl::FormatDuration(delay),
                              " is outside 0..3600s"));
  }
  RMQ_ASSIGN_OR_RETURN(Queue * q, FindQueue(inst, name));
  const int n = static_cast<int>(bodies.size());
  std::vector<Completion> done;
  auto send = [&]() -> absl::StatusOr<std::vector<std::string>> {
    absl::MutexLock l(&q->mu);
    const absl::Time now = c.Now();
    RMQ_RETURN_IF_ERROR(AdvanceLocked(c, q, now, &done));
    int64_t total = 0;
    for (const std::string& body : bodies) {
      if (static_cast<int64_t>(body.size()) > q->attrs.max_msg_size) {
        return Error(
            absl::StatusCode::kInvalidArgument, Reason::kMessageTooLarge,
            absl::StrCat("message of ", body.size(),
                         " bytes exceeds maxMsgSize ", q->attrs.max_msg_size,
                         " of queue ", q->name));
      }
      total += static_cast<int64_t>(body.size());
    }
    if (total > c.options_.max_cmq_batch_bytes) {
      return Error(absl::StatusCode::kInvalidArgument, Reason::kBatchTooLarge,
                   absl::StrCat("batch of ", total, " bytes exceeds ",
                                c.options_.max_cmq_batch_bytes));
    }
    if (q->state.undeleted_count() + n > q->attrs.max_msg_heap_num) {
      return Error(
          absl::StatusCode::kResourceExhausted, Reason::kHeapFull,
          absl::StrCat("queue ", q->name, " holds ", q->state.undeleted_count(),
                       " messages; maxMsgHeapNum is ",
                       q->attrs.max_msg_heap_num));
    }
    RMQ_ASSIGN_OR_RETURN(uint64_t first_id, c.AllocateMsgIds(inst, n));
    std::vector<std::string> ids;
    std::vector<proto::Record> records(n);
    for (int i = 0; i < n; ++i) {
      ids.push_back(absl::StrCat(first_id + i));
      records[i].set_body(bodies[i]);
      (*records[i].mutable_properties())[std::string(kMsgIdProperty)] =
          ids.back();
    }
    const int64_t first = q->state.end();
    const int64_t delay_us = absl::ToInt64Microseconds(delay);
    const int64_t now_us = absl::ToUnixMicros(now);
    // A delayed batch is recorded DELAYED before it is appended, so a crash
    // right after the append cannot make it visible early.
    std::vector<std::pair<int64_t, CmqMsg>> provisional;
    if (delay_us > 0) {
      provisional = internal::CmqQueueState::DelayedEntries(first, n, now_us,
                                                            now_us + delay_us);
      storage::KvBatch batch;
      for (const auto& [offset, m] : provisional) {
        batch.Put(keys::CmqState(q->storage_id, offset),
                  internal::EncodeCmqMsg(m));
      }
      RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
    }
    absl::StatusOr<storage::AppendResult> appended = q->log->Append(records);
    if (!appended.ok()) {
      if (!provisional.empty()) {
        storage::KvBatch undo;
        undo.DeleteRange(keys::CmqState(q->storage_id, first),
                         keys::CmqState(q->storage_id, first + n));
        // Best effort: entries past the log's end are dropped on open.
        c.kv().Write(undo).IgnoreError();
      }
      return Annotate(appended.status(),
                      absl::StrCat("send to queue ", q->name));
    }
    RMQ_CHECK_MSG(appended->first.value == first,
                  "cmq queue log grew behind the broker's back");
    const int64_t enqueue_us = absl::ToUnixMicros(appended->store_time);
    std::vector<std::pair<int64_t, CmqMsg>> entries = q->state.Append(
        first, n, enqueue_us, delay_us > 0 ? enqueue_us + delay_us : 0);
    if (!entries.empty() && enqueue_us != now_us) {
      storage::KvBatch batch;
      for (const auto& [offset, m] : entries) {
        batch.Put(keys::CmqState(q->storage_id, offset),
                  internal::EncodeCmqMsg(m));
      }
      RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
    }
    ServeWaitersLocked(c, q, now, &done);
    EnsureWakeLocked(c, q);
    return ids;
  };
  absl::StatusOr<std::vector<std::string>> ids = send();
  RunCompletions(done);
  return ids;
}

absl::StatusOr<std::vector<CmqReceivedMessage>> CmqQueues::ReceiveMessages(
    absl::string_view instance, absl::string_view name, int max_messages) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  if (max_messages < 1) {
    return absl::InvalidArgumentError("receive needs max_messages >= 1");
  }
  RMQ_ASSIGN_OR_RETURN(Queue * q, FindQueue(inst, name));
  std::vector<Completion> done;
  auto receive = [&]() -> absl::StatusOr<std::vector<CmqReceivedMessage>> {
    absl::MutexLock l(&q->mu);
    const absl::Time now = c.Now();
    RMQ_RETURN_IF_ERROR(AdvanceLocked(c, q, now, &done));
    RMQ_ASSIGN_OR_RETURN(std::vector<CmqReceivedMessage> msgs,
                         DeliverLocked(c, q, now, max_messages));
    EnsureWakeLocked(c, q);
    if (msgs.empty()) return NoMessage(q->name);
    return msgs;
  };
  absl::StatusOr<std::vector<CmqReceivedMessage>> msgs = receive();
  RunCompletions(done);
  return msgs;
}

CmqWaitId CmqQueues::ReceiveAsync(absl::string_view instance,
                                  absl::string_view name, int max_messages,
                                  std::optional<absl::Duration> wait,
                                  CmqReceiveCallback done) {
  BrokerCore& c = *core_;
  absl::StatusOr<Instance*> inst = c.FindInstance(instance);
  if (!inst.ok()) {
    done(inst.status());
    return 0;
  }
  if (max_messages < 1) {
    done(absl::InvalidArgumentError("receive needs max_messages >= 1"));
    return 0;
  }
  if (wait.has_value() &&
      (*wait < absl::ZeroDuration() || *wait > c.options_.max_polling_wait)) {
    done(
        Error(absl::StatusCode::kInvalidArgument, Reason::kPollWaitOutOfRange,
              absl::StrCat("polling wait ", absl::FormatDuration(*wait),
                           " is outside 0..",
                           absl::FormatDuration(c.options_.max_polling_wait))));
    return 0;
  }
  absl::StatusOr<Queue*> found = FindQueue(*inst, name);
  if (!found.ok()) {
    done(found.status());
    return 0;
  }
  Queue* q = *found;
  std::vector<Completion> completions;
  CmqWaitId id = 0;
  {
    absl::MutexLock l(&q->mu);
    const absl::Time now = c.Now();
    absl::Status s = AdvanceLocked(c, q, now, &completions);
    absl::StatusOr<std::vector<CmqReceivedMessage>> msgs =
        s.ok() ? DeliverLocked(c, q, now, max_messages)
               : absl::StatusOr<std::vector<CmqReceivedMessage>>(s);
    const absl::Duration w =
        c.waits_stopped_.load()
            ? absl::ZeroDuration()
            : wait.value_or(absl::Seconds(q->attrs.polling_wait_seconds));
    if (!msgs.ok() || !msgs->empty()) {
      completions.push_back({std::move(done), std::move(msgs)});
    } else if (w <= absl::ZeroDuration()) {
      completions.push_back({std::move(done), NoMessage(q->name)});
    } else {
      id = c.NewWaitId(q);
      BrokerCore::CmqWaiter& waiter = q->waiters[id];
      waiter.max_messages = max_messages;
      waiter.done = std::move(done);
      BrokerCore* core = &c;
      waiter.deadline_timer = c.timers_.Schedule(
          now + w, [core, q, id] { OnDeadline(core, q, id); });
      EnsureWakeLocked(c, q);
    }
  }
  RunCompletions(completions);
  return id;
}

bool CmqQueues::CancelReceive(CmqWaitId id) {
  BrokerCore& c = *core_;
  Queue* q = c.QueueOfWait(id);
  if (q == nullptr) return false;
  CmqReceiveCallback done;
  {
    absl::MutexLock l(&q->mu);
    auto it = q->waiters.find(id);
    if (it == q->waiters.end()) return false;
    c.timers_.Cancel(it->second.deadline_timer);
    c.ForgetWaitId(id);
    done = std::move(it->second.done);
    q->waiters.erase(it);
  }
  done(Error(absl::StatusCode::kCancelled, Reason::kWaitCancelled,
             "receive was cancelled"));
  return true;
}

absl::Status CmqQueues::DeleteMessage(absl::string_view instance,
                                      absl::string_view name,
                                      absl::string_view receipt_handle) {
  RMQ_ASSIGN_OR_RETURN(
      std::vector<CmqDeleteOutcome> outcomes,
      BatchDeleteMessage(instance, name, {std::string(receipt_handle)}));
  return outcomes.front().status;
}

absl::StatusOr<std::vector<CmqDeleteOutcome>> CmqQueues::BatchDeleteMessage(
    absl::string_view instance, absl::string_view name,
    absl::Span<const std::string> receipt_handles) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(Queue * q, FindQueue(inst, name));
  std::vector<Completion> done;
  auto remove = [&]() -> absl::StatusOr<std::vector<CmqDeleteOutcome>> {
    absl::MutexLock l(&q->mu);
    const absl::Time now = c.Now();
    RMQ_RETURN_IF_ERROR(AdvanceLocked(c, q, now, &done));
    const int64_t floor_before = q->state.floor();
    storage::KvBatch batch;
    std::vector<CmqDeleteOutcome> outcomes;
    for (const std::string& h : receipt_handles) {
      outcomes.push_back({h, DeleteOneLocked(c, q, h, now, &batch)});
    }
    q->state.CompactFloor();
    if (q->state.floor() != floor_before) {
      PersistFloor(*q, q->state.floor(), &batch);
    }
    if (!batch.empty()) RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
    return outcomes;
  };
  absl::StatusOr<std::vector<CmqDeleteOutcome>> outcomes = remove();
  RunCompletions(done);
  return outcomes;
}

absl::StatusOr<int64_t> CmqQueues::ClearQueue(absl::string_view instance,
                                              absl::string_view name) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(Queue * q, FindQueue(inst, name));
  std::vector<Completion> done;
  auto clear = [&]() -> absl::StatusOr<int64_t> {
    absl::MutexLock l(&q->mu);
    const absl::Time now = c.Now();
    RMQ_RETURN_IF_ERROR(AdvanceLocked(c, q, now, &done));
    const int64_t cleared = q->state.undeleted_count();
    if (cleared == 0) return 0;
    // DeleteOneLocked's rule: kept for rewind when rewind is on and the
    // message was enqueued inside the window. Enqueue times grow with the
    // offset, so the kept messages are those from `keep_from` on; the ones
    // below go as with retention (AdvanceLocked has already dropped the
    // DELETED messages there).
    int64_t keep_from = q->state.end();
    if (q->attrs.rewind_seconds > 0) {
      keep_from = q->state.floor();
      const int64_t window_start_s =
          absl::ToUnixSeconds(now) - q->attrs.rewind_seconds;
      if (window_start_s > 0) {
        RMQ_ASSIGN_OR_RETURN(storage::TimeLookup found,
                             q->log->FirstOffsetAtOrAfter(
                                 absl::FromUnixSeconds(window_start_s)));
        keep_from =
            std::clamp(found.offset.value, q->state.floor(), q->state.end());
      }
    }
    // Never-delivered messages have no entry: their enqueue time is the
    // record's store time.
    const int64_t read_from = std::max(keep_from, q->state.cursor());
    RMQ_ASSIGN_OR_RETURN(std::vector<int64_t> enqueue_us,
                         ReadStoreTimes(*q, read_from, q->state.end()));
    internal::CmqQueueState before = q->state;  // restored if the write fails
    const int64_t floor_before = q->state.floor();
    q->state.ExpireBelow(keep_from);
    std::vector<std::pair<int64_t, CmqMsg>> entries = q->state.DeleteLive(
        absl::MakeConstSpan(enqueue_us).subspan(q->state.cursor() - read_from));
    q->state.CompactFloor();
    storage::KvBatch batch;
    if (q->state.floor() != floor_before) {
      PersistFloor(*q, q->state.floor(), &batch);
    }
    for (const auto& [offset, m] : entries) {
      batch.Put(keys::CmqState(q->storage_id, offset),
                internal::EncodeCmqMsg(m));
    }
    if (absl::Status s = c.kv().Write(batch); !s.ok()) {
      q->state = std::move(before);
      return Annotate(s, absl::StrCat("clear queue ", q->name));
    }
    return cleared;
  };
  absl::StatusOr<int64_t> n = clear();
  RunCompletions(done);
  return n;
}

absl::StatusOr<int64_t> CmqQueues::RewindQueue(absl::string_view instance,
                                               absl::string_view name,
                                               absl::Time start_consume_time) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_ASSIGN_OR_RETURN(Queue * q, FindQueue(inst, name));
  std::vector<Completion> done;
  auto rewind = [&]() -> absl::StatusOr<int64_t> {
    absl::MutexLock l(&q->mu);
    const absl::Time now = c.Now();
    RMQ_RETURN_IF_ERROR(AdvanceLocked(c, q, now, &done));
    if (q->attrs.rewind_seconds == 0) {
      return Error(absl::StatusCode::kFailedPrecondition,
                   Reason::kRewindDisabled,
                   absl::StrCat("queue ", q->name,
                                " cannot be rewound: rewindSeconds is 0"));
    }
    const int64_t now_s = absl::ToUnixSeconds(now);
    const int64_t t_s = absl::ToUnixSeconds(start_consume_time);
    if (t_s < now_s - q->attrs.rewind_seconds || t_s > now_s) {
      return Error(absl::StatusCode::kInvalidArgument,
                   Reason::kRewindTimeOutOfRange,
                   absl::StrCat("rewind time ", t_s, " is outside [",
                                now_s - q->attrs.rewind_seconds, ", ", now_s,
                                "] for queue ", q->name));
    }
    // One index lookup finds where enqueueTime >= T starts; the DELETED
    // messages from there on are revived in seq order.
    RMQ_ASSIGN_OR_RETURN(
        storage::TimeLookup found,
        q->log->FirstOffsetAtOrAfter(absl::FromUnixSeconds(t_s)));
    std::vector<int64_t> revived =
        q->state.Revive(found.offset.value, t_s * kMicrosPerSecond);
    storage::KvBatch batch;
    for (int64_t offset : revived) {
      batch.Put(keys::CmqState(q->storage_id, offset),
                internal::EncodeCmqMsg(*q->state.Find(offset)));
    }
    if (!batch.empty()) RMQ_RETURN_IF_ERROR(c.kv().Write(batch));
    ServeWaitersLocked(c, q, now, &done);
    EnsureWakeLocked(c, q);
    return static_cast<int64_t>(revived.size());
  };
  absl::StatusOr<int64_t> n = rewind();
  RunCompletions(done);
  return n;
}

}  // namespace rewindmq::broker
