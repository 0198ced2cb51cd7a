// Producing: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE
// (320), and CONSUMER_SEND_MSG_BACK (36), which re-sends a failed message to
// the group's retry topic (delayed) or, past its attempts, to the dead-letter
// topic.
#include <algorithm>
#include <array>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "broker/errors.h"
#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting::internal {
namespace {

// The delay of each RocketMQ delay level (messageDelayLevel).
constexpr std::array<int64_t, 18> kDelayLevelSeconds = {
    1,   5,   10,  30,  60,  120,  180,  240,  300,
    360, 420, 480, 540, 600, 1200, 1800, 3600, 7200};

absl::Duration DelayOfLevel(int level) {
  level = std::clamp(level, 1, 18);
  return absl::Seconds(kDelayLevelSeconds[level - 1]);
}

struct SendHeader {
  std::string producer_group;
  std::string topic;
  int64_t queue_id = 0;
  int64_t sys_flag = 0;
  int64_t born_timestamp = 0;
  int64_t flag = 0;
  std::string properties;
  int64_t reconsume_times = 0;
  bool batch = false;
};

// The V2 header uses one-letter keys for the V1 names.
absl::StatusOr<SendHeader> ParseSendHeader(const RemotingCommand& req) {
  const bool v2 =
      req.code == code::kSendMessageV2 ||
      (req.code == code::kSendBatchMessage && req.Field("a") != nullptr);
  auto key = [v2](absl::string_view v1, absl::string_view letter) {
    return v2 ? letter : v1;
  };
  SendHeader h;
  const std::string* group = req.Field(key("producerGroup", "a"));
  if (group != nullptr) h.producer_group = *group;
  absl::StatusOr<std::string> topic = Required(req, key("topic", "b"));
  if (!topic.ok()) return topic.status();
  h.topic = *topic;
  absl::StatusOr<int64_t> n = IntField(req, key("queueId", "e"));
  if (!n.ok()) return n.status();
  h.queue_id = *n;
  if (n = IntField(req, key("sysFlag", "f"), 0); !n.ok()) return n.status();
  h.sys_flag = *n;
  if (n = IntField(req, key("bornTimestamp", "g"), 0); !n.ok())
    return n.status();
  h.born_timestamp = *n;
  if (n = IntField(req, key("flag", "h"), 0); !n.ok()) return n.status();
  h.flag = *n;
  if (const std::string* p = req.Field(key("properties", "i")); p != nullptr) {
    h.properties = *p;
  }
  if (n = IntField(req, key("reconsumeTimes", "j"), 0); !n.ok())
    return n.status();
  h.reconsume_times = *n;
  h.batch = BoolField(req, key("batch", "m"), false);
  return h;
}

// Fills keys, tags, properties and the deliver time of `p` from the
// properties string of a message.
void ApplyProperties(absl::string_view text, absl::Time now,
                     broker::ProduceRequest* p) {
  for (auto& [k, v] : DecodeProperties(text)) {
    if (k == "KEYS") {
      for (absl::string_view key : absl::StrSplit(v, ' ', absl::SkipEmpty())) {
        p->keys.emplace_back(key);
      }
      continue;
    }
    if (k == "TAGS") {
      if (!v.empty()) p->tags.push_back(v);
      continue;
    }
    int64_t n = 0;
    if (k == "DELAY" && absl::SimpleAtoi(v, &n) && n > 0) {
      p->deliver_time = now + DelayOfLevel(static_cast<int>(n));
    } else if (k == "TIMER_DELIVER_MS" && absl::SimpleAtoi(v, &n)) {
      p->deliver_time = absl::FromUnixMillis(n);
    } else if (k == "TIMER_DELAY_SEC" && absl::SimpleAtoi(v, &n)) {
      p->deliver_time = now + absl::Seconds(n);
    } else if (k == "TIMER_DELAY_MS" && absl::SimpleAtoi(v, &n)) {
      p->deliver_time = now + absl::Milliseconds(n);
    }
    p->properties.emplace_back(std::move(k), std::move(v));
  }
}

// The body as stored: inflated when the client compressed it.
absl::StatusOr<std::string> StoredBody(const RemotingCommand& req,
                                       int64_t sys_flag, size_t max_bytes) {
  if ((sys_flag & kSysFlagCompressed) == 0) return req.body;
  const int64_t type = sys_flag & kSysFlagCompressionTypeMask;
  if (type != 0 && type != (0x3 << 8)) {
    return absl::InvalidArgumentError("compression type not supported");
  }
  return Inflate(req.body, max_bytes);
}

// What a send stores of its header (and the producer's address).
broker::ProduceRequest ProduceOf(const RequestContext& ctx,
                                 const SendHeader& h) {
  broker::ProduceRequest p;
  p.topic = h.topic;
  p.selector = broker::QueueSelector::Exactly(QueueOf(ctx, h.queue_id));
  p.flag = static_cast<int32_t>(h.flag);
  p.sys_flag = static_cast<int32_t>(
      h.sys_flag & ~(kSysFlagCompressed | kSysFlagCompressionTypeMask));
  if (h.born_timestamp > 0)
    p.born_time = absl::FromUnixMillis(h.born_timestamp);
  p.born_host = ctx.peer;
  p.reconsume_times = static_cast<int32_t>(h.reconsume_times);
  return p;
}

void ReplySent(const RequestContext& ctx, const RemotingCommand& req,
               const std::string& msg_id, int queue_id, int64_t queue_offset) {
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.Set("msgId", msg_id);
  r.Set("queueId", absl::StrCat(queue_id));
  r.Set("queueOffset", absl::StrCat(queue_offset));
  r.Set("MSG_REGION", "DefaultRegion");
  r.Set("TRACE_ON", "false");
  ctx.respond(std::move(r));
}

void ReplySendError(const RequestContext& ctx, const RemotingCommand& req,
                    const std::string& topic, const absl::Status& s) {
  if (broker::ReasonOf(s) == broker::Reason::kTopicNotFound) {
    return Reply(
        ctx, req, status::kTopicNotExist,
        absl::StrCat("topic[", topic, "] not exist, apply first please!"));
  }
  if (broker::ReasonOf(s) == broker::Reason::kTopicQueueNotFound) {
    return Reply(ctx, req, status::kSystemError, std::string(s.message()));
  }
  ReplyError(ctx, req, s);
}

}  // namespace

void HandleSend(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<SendHeader> h = ParseSendHeader(req);
  if (!h.ok())
    return Reply(ctx, req, status::kMessageIllegal,
                 std::string(h.status().message()));
  if ((h->sys_flag & kSysFlagTransactionMask) == kSysFlagTransactionPrepared) {
    return Reply(ctx, req, status::kMessageIllegal,
                 "transaction message is not supported");
  }
  const size_t max_body =
      static_cast<size_t>(ctx.broker->options().max_topic_body_bytes);
  absl::StatusOr<std::string> body = StoredBody(req, h->sys_flag, max_body);
  if (!body.ok())
    return Reply(ctx, req, status::kMessageIllegal,
                 std::string(body.status().message()));
  broker::ProduceRequest p = ProduceOf(ctx, *h);
  p.body = *std::move(body);
  ApplyProperties(h->properties, Now(ctx), &p);
  for (const auto& [k, v] : p.properties) {
    if (k == "TRAN_MSG" && v == "true") {
      return Reply(ctx, req, status::kMessageIllegal,
                   "transaction message is not supported");
    }
  }
  absl::StatusOr<broker::ProduceResult> r =
      ctx.broker->topics().Produce(ctx.config->instance, p);
  if (!r.ok()) return ReplySendError(ctx, req, h->topic, r.status());
  const int64_t physical =
      r->scheduled ? r->offset.value
                   : PhysicalOffset(r->storage_queue_id, r->offset.value);
  ReplySent(ctx, req, OffsetMsgId(StoreHost(ctx), physical), r->queue.queue_id,
            r->offset.value);
}

void HandleSendBatch(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<SendHeader> h = ParseSendHeader(req);
  if (!h.ok())
    return Reply(ctx, req, status::kMessageIllegal,
                 std::string(h.status().message()));
  absl::StatusOr<std::vector<BatchItem>> items = DecodeBatchBody(req.body);
  if (!items.ok())
    return Reply(ctx, req, status::kMessageIllegal,
                 std::string(items.status().message()));
  std::vector<broker::ProduceRequest> batch;
  batch.reserve(items->size());
  const absl::Time now = Now(ctx);
  for (BatchItem& item : *items) {
    broker::ProduceRequest p = ProduceOf(ctx, *h);
    p.flag = item.flag;
    p.body = std::move(item.body);
    ApplyProperties(item.properties, now, &p);
    p.deliver_time.reset();  // clients refuse delayed messages in batches
    batch.push_back(std::move(p));
  }
  absl::StatusOr<std::vector<broker::ProduceResult>> r =
      ctx.broker->topics().ProduceBatch(ctx.config->instance, h->topic,
                                        QueueOf(ctx, h->queue_id), batch);
  if (!r.ok()) return ReplySendError(ctx, req, h->topic, r.status());
  std::vector<std::string> ids;
  for (const broker::ProduceResult& one : *r) {
    ids.push_back(
        OffsetMsgId(StoreHost(ctx),
                    PhysicalOffset(one.storage_queue_id, one.offset.value)));
  }
  ReplySent(ctx, req, absl::StrJoin(ids, ","), r->front().queue.queue_id,
            r->front().offset.value);
}

void HandleSendBack(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<int64_t> physical = IntField(req, "offset");
  absl::StatusOr<std::string> group = Required(req, "group");
  absl::StatusOr<int64_t> delay_level = IntField(req, "delayLevel", 0);
  if (!physical.ok() || !group.ok() || !delay_level.ok()) {
    return Reply(ctx, req, status::kSystemError, "bad send-back header");
  }
  uint64_t queue_id = 0;
  int64_t offset = 0;
  SplitPhysicalOffset(*physical, &queue_id, &offset);
  absl::StatusOr<broker::Message> m = ctx.broker->topics().FindMessageAt(
      ctx.config->instance, queue_id, Offset{offset});
  if (!m.ok()) {
    return Reply(ctx, req, status::kSystemError,
                 absl::StrCat("look message by offset failed, ", *physical));
  }
  absl::StatusOr<broker::GroupInfo> g =
      ctx.broker->groups().GetGroup(ctx.config->instance, *group);
  if (!g.ok()) return ReplyError(ctx, req, g.status());
  absl::StatusOr<int64_t> max =
      IntField(req, "maxReconsumeTimes", g->retry_max_time);
  if (!max.ok())
    return Reply(ctx, req, status::kSystemError, "bad maxReconsumeTimes");

  broker::ProduceRequest p;
  p.body = m->body;
  p.keys = m->keys;
  p.tags = m->tags;
  p.flag = m->flag;
  p.sys_flag = m->sys_flag;
  p.born_time = m->born_time;
  p.born_host = m->born_host;
  p.reconsume_times = m->reconsume_times + 1;
  const std::string* origin_id = req.Field("originMsgId");
  bool has_retry_topic = false, has_origin_id = false;
  for (const auto& [k, v] : m->properties) {
    if (k == "RECONSUME_TIME" || k == "DELAY") continue;
    has_retry_topic = has_retry_topic || k == "RETRY_TOPIC";
    has_origin_id = has_origin_id || k == "ORIGIN_MESSAGE_ID";
    p.properties.emplace_back(k, v);
  }
  if (!has_retry_topic) p.properties.emplace_back("RETRY_TOPIC", m->topic);
  if (!has_origin_id) {
    p.properties.emplace_back("ORIGIN_MESSAGE_ID",
                              origin_id != nullptr ? *origin_id : m->msg_id);
  }
  p.properties.emplace_back("RECONSUME_TIME", absl::StrCat(p.reconsume_times));

  const bool dead = m->reconsume_times >= *max || *delay_level < 0;
  if (dead) {
    p.topic = absl::StrCat(kDlqPrefix, *group);
    p.properties.emplace_back("DLQ_ORIGIN_TOPIC", m->topic);
    p.properties.emplace_back("DLQ_ORIGIN_MESSAGE_ID", m->msg_id);
  } else {
    p.topic = absl::StrCat(kRetryPrefix, *group);
    const int level = *delay_level == 0 ? 3 + m->reconsume_times
                                        : static_cast<int>(*delay_level);
    p.deliver_time = Now(ctx) + DelayOfLevel(level);
  }
  if (absl::Status s = EnsureSystemTopic(ctx, p.topic); !s.ok()) {
    return ReplyError(ctx, req, s);
  }
  p.selector = broker::QueueSelector::Exactly(QueueOf(ctx, 0));
  absl::StatusOr<broker::ProduceResult> r =
      ctx.broker->topics().Produce(ctx.config->instance, p);
  if (!r.ok()) return ReplyError(ctx, req, r.status());
  Reply(ctx, req, status::kSuccess);
}

}  // namespace rewindmq::facade::remoting::internal
