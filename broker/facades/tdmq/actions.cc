#include "broker/facades/tdmq/actions.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "broker/errors.h"
#include "broker/facades/tdmq/errors.h"
#include "broker/facades/tdmq/fields.h"
#include "broker/facades/tdmq/topic_actions.h"
#include "broker/names.h"

namespace rewindmq::facade::tdmq {
namespace {

namespace json = boost::json;

struct ActionRow {
  Action action;
  absl::string_view name;
};

constexpr ActionRow kActions[] = {
    {Action::kCreateCmqQueue, "CreateCmqQueue"},
    {Action::kDescribeCmqQueues, "DescribeCmqQueues"},
    {Action::kDescribeCmqQueueDetail, "DescribeCmqQueueDetail"},
    {Action::kModifyCmqQueueAttribute, "ModifyCmqQueueAttribute"},
    {Action::kDeleteCmqQueue, "DeleteCmqQueue"},
    {Action::kClearCmqQueue, "ClearCmqQueue"},
    {Action::kRewindCmqQueue, "RewindCmqQueue"},
    {Action::kSendCmqMsg, "SendCmqMsg"},
    {Action::kUnbindCmqDeadLetter, "UnbindCmqDeadLetter"},
    {Action::kCreateCmqTopic, "CreateCmqTopic"},
    {Action::kDescribeCmqTopics, "DescribeCmqTopics"},
    {Action::kDescribeCmqTopicDetail, "DescribeCmqTopicDetail"},
    {Action::kModifyCmqTopicAttribute, "ModifyCmqTopicAttribute"},
    {Action::kDeleteCmqTopic, "DeleteCmqTopic"},
    {Action::kPublishCmqMsg, "PublishCmqMsg"},
    {Action::kCreateCmqSubscribe, "CreateCmqSubscribe"},
    {Action::kDescribeCmqSubscriptionDetail, "DescribeCmqSubscriptionDetail"},
    {Action::kModifyCmqSubscriptionAttribute, "ModifyCmqSubscriptionAttribute"},
    {Action::kDeleteCmqSubscribe, "DeleteCmqSubscribe"},
    {Action::kClearCmqSubscriptionFilterTags, "ClearCmqSubscriptionFilterTags"},
};

// Known names that are answered with UnsupportedOperation (§12).
constexpr absl::string_view kUnsupported[] = {
    "ReceiveMessage", "AcknowledgeMessage",
    "SendMessages",   "SendBatchMessages",
    "SendMsg",        "DescribeCmqDeadLetterSourceQueues",
};

// Constant fields of a CmqQueue (§8.1).
constexpr uint64_t kQps = 5000;
constexpr uint64_t kBps = 52428800;
constexpr uint64_t kMaxDelaySeconds = 3600;
constexpr uint64_t kCreateUin = 100000000001;
constexpr int64_t kMaxUnackedMsgNum = 100000;

constexpr absl::string_view kRewindTooLong =
    "rewindSeconds cannot be greater than msgRetentionSeconds";

// ^[A-Za-z][A-Za-z0-9_-]{0,63}$ (§7.1).
bool IsQueueName(absl::string_view s) { return broker::IsCmqV3QueueName(s); }

// A CmqQueue object, every field of §8.1. `sources` are the queues whose
// dead-letter policy names this one.
json::object QueueJson(
    const broker::CmqQueueInfo& q,
    const std::vector<const broker::CmqQueueInfo*>& sources) {
  const broker::CmqQueueAttributes& a = q.attributes;
  const broker::CmqQueueCounters& c = q.counters;
  json::array dead_letter_source;
  for (const broker::CmqQueueInfo* s : sources) {
    dead_letter_source.push_back(
        json::object{{"QueueId", s->queue_id}, {"QueueName", s->name}});
  }
  json::value policy = nullptr;
  if (q.extras.dead_letter.has_value()) {
    const broker::CmqDeadLetterPolicy& p = *q.extras.dead_letter;
    policy = json::object{{"DeadLetterQueue", p.dead_letter_queue},
                          {"Policy", ToU64(p.policy)},
                          {"MaxTimeToLive", ToU64(p.max_time_to_live)},
                          {"MaxReceiveCount", ToU64(p.max_receive_count)}};
  }
  json::object o;
  o["QueueId"] = q.queue_id;
  o["QueueName"] = q.name;
  o["Qps"] = kQps;
  o["Bps"] = kBps;
  o["MaxDelaySeconds"] = kMaxDelaySeconds;
  o["MaxMsgHeapNum"] = ToU64(a.max_msg_heap_num);
  o["PollingWaitSeconds"] = ToU64(a.polling_wait_seconds);
  o["MsgRetentionSeconds"] = ToU64(a.msg_retention_seconds);
  o["VisibilityTimeout"] = ToU64(a.visibility_timeout);
  o["MaxMsgSize"] = ToU64(a.max_msg_size);
  o["RewindSeconds"] = ToU64(a.rewind_seconds);
  o["CreateTime"] = UnixMillis(q.create_time);
  o["LastModifyTime"] = UnixMillis(q.last_modify_time);
  o["ActiveMsgNum"] = ToU64(c.active);
  o["InactiveMsgNum"] = ToU64(c.inactive);
  o["DelayMsgNum"] = ToU64(c.delayed);
  o["RewindMsgNum"] = a.rewind_seconds == 0 ? 0 : ToU64(c.rewindable);
  o["MinMsgTime"] = c.min_msg_time.has_value()
                        ? static_cast<uint64_t>(std::max<int64_t>(
                              0, absl::ToUnixSeconds(*c.min_msg_time)))
                        : uint64_t{0};
  o["Transaction"] = false;
  o["DeadLetterSource"] = std::move(dead_letter_source);
  o["DeadLetterPolicy"] = std::move(policy);
  o["TransactionPolicy"] = nullptr;
  o["CreateUin"] = kCreateUin;
  o["Tags"] = TagsJson(q.extras.tags);
  o["Trace"] = q.extras.trace;
  o["TenantId"] = "rewindmq";
  o["NamespaceName"] = "default";
  o["Status"] = 1;
  o["MaxUnackedMsgNum"] = kMaxUnackedMsgNum;
  o["MaxMsgBacklogSize"] = a.max_msg_heap_num * a.max_msg_size;
  o["RetentionSizeInMB"] = ToU64(q.extras.retention_size_mb);
  return o;
}

// Every queue of the instance, in creation order, with extras (and no
// counters).
absl::StatusOr<std::vector<broker::CmqQueueInfo>> AllQueues(
    broker::CmqQueues& cmq, const ActionContext& ctx,
    absl::string_view search_word = "") {
  RMQ_ASSIGN_OR_RETURN(broker::CmqQueueListResult list,
                       cmq.ListQueues(ctx.instance, search_word, 0,
                                      std::numeric_limits<int64_t>::max()));
  return std::move(list.queues);
}

std::vector<const broker::CmqQueueInfo*> SourcesOf(
    absl::string_view name, const std::vector<broker::CmqQueueInfo>& all) {
  std::vector<const broker::CmqQueueInfo*> out;
  for (const broker::CmqQueueInfo& q : all) {
    if (q.extras.dead_letter.has_value() &&
        absl::EqualsIgnoreCase(q.extras.dead_letter->dead_letter_queue, name)) {
      out.push_back(&q);
    }
  }
  return out;
}

absl::Status QueueNotFound() {
  return TdmqStatus(kResourceNotFound, "queue is not existed, or deleted");
}

// The queue attribute fields of Create and Modify, read with their types.
struct AttributeFields {
  std::optional<uint64_t> max_msg_heap_num;
  std::optional<uint64_t> polling_wait_seconds;
  std::optional<uint64_t> visibility_timeout;
  std::optional<uint64_t> max_msg_size;
  std::optional<uint64_t> msg_retention_seconds;
  std::optional<uint64_t> rewind_seconds;
  std::optional<uint64_t> transaction;
  std::optional<uint64_t> first_query_interval;
  std::optional<uint64_t> max_query_count;
  std::optional<std::string> dead_letter_queue_name;
  std::optional<uint64_t> policy;
  std::optional<uint64_t> max_receive_count;
  std::optional<uint64_t> max_time_to_live;
  std::optional<bool> trace;
  std::optional<std::vector<broker::CmqTag>> tags;
  std::optional<uint64_t> retention_size_mb;
};

// Type errors of every attribute field, in table order (§6.2 step 7).
absl::StatusOr<AttributeFields> ReadAttributeFields(const Params& p,
                                                    bool with_tags) {
  AttributeFields f;
  RMQ_ASSIGN_OR_RETURN(f.max_msg_heap_num, p.U64("MaxMsgHeapNum"));
  RMQ_ASSIGN_OR_RETURN(f.polling_wait_seconds, p.U64("PollingWaitSeconds"));
  RMQ_ASSIGN_OR_RETURN(f.visibility_timeout, p.U64("VisibilityTimeout"));
  RMQ_ASSIGN_OR_RETURN(f.max_msg_size, p.U64("MaxMsgSize"));
  RMQ_ASSIGN_OR_RETURN(f.msg_retention_seconds, p.U64("MsgRetentionSeconds"));
  RMQ_ASSIGN_OR_RETURN(f.rewind_seconds, p.U64("RewindSeconds"));
  RMQ_ASSIGN_OR_RETURN(f.transaction, p.U64("Transaction"));
  RMQ_ASSIGN_OR_RETURN(f.first_query_interval, p.U64("FirstQueryInterval"));
  RMQ_ASSIGN_OR_RETURN(f.max_query_count, p.U64("MaxQueryCount"));
  RMQ_ASSIGN_OR_RETURN(f.dead_letter_queue_name,
                       p.String("DeadLetterQueueName"));
  if (f.dead_letter_queue_name.has_value() &&
      f.dead_letter_queue_name->empty()) {
    f.dead_letter_queue_name.reset();  // "" counts as absent (§3.3)
  }
  RMQ_ASSIGN_OR_RETURN(f.policy, p.U64("Policy"));
  RMQ_ASSIGN_OR_RETURN(f.max_receive_count, p.U64("MaxReceiveCount"));
  RMQ_ASSIGN_OR_RETURN(f.max_time_to_live, p.U64("MaxTimeToLive"));
  RMQ_ASSIGN_OR_RETURN(f.trace, p.Bool("Trace"));
  if (with_tags) {
    RMQ_ASSIGN_OR_RETURN(std::vector<broker::CmqTag> tags, ReadTags(p));
    if (p.object().contains("Tags")) f.tags = std::move(tags);
  }
  RMQ_ASSIGN_OR_RETURN(f.retention_size_mb, p.U64("RetentionSizeInMB"));
  return f;
}

// Ranges of §9.1 that do not depend on the stored queue.
absl::Status CheckAttributeRanges(const AttributeFields& f,
                                  const ActionContext& ctx) {
  RMQ_RETURN_IF_ERROR(CheckRange("MaxMsgHeapNum", f.max_msg_heap_num,
                                 ToU64(ctx.min_max_msg_heap_num),
                                 1'000'000'000));
  RMQ_RETURN_IF_ERROR(
      CheckRange("PollingWaitSeconds", f.polling_wait_seconds, 0, 30));
  RMQ_RETURN_IF_ERROR(
      CheckRange("VisibilityTimeout", f.visibility_timeout, 1, 43200));
  RMQ_RETURN_IF_ERROR(CheckRange("MaxMsgSize", f.max_msg_size, 1024, 1048576));
  RMQ_RETURN_IF_ERROR(
      CheckRange("MsgRetentionSeconds", f.msg_retention_seconds, 30, 1296000));
  RMQ_RETURN_IF_ERROR(
      CheckRange("RewindSeconds", f.rewind_seconds, 0, 1296000));
  RMQ_RETURN_IF_ERROR(CheckRange("Transaction", f.transaction, 0, 1));
  if (f.dead_letter_queue_name.has_value() &&
      !IsQueueName(*f.dead_letter_queue_name)) {
    return InvalidValueError("queue name format error");
  }
  RMQ_RETURN_IF_ERROR(CheckRange("Policy", f.policy, 0, 1));
  RMQ_RETURN_IF_ERROR(
      CheckRange("MaxReceiveCount", f.max_receive_count, 1, 1000));
  RMQ_RETURN_IF_ERROR(
      CheckRange("MaxTimeToLive", f.max_time_to_live, 300, 43200));
  RMQ_RETURN_IF_ERROR(
      CheckRange("RetentionSizeInMB", f.retention_size_mb, 0, 512000));
  return absl::OkStatus();
}

// The dead-letter policy after merging `f` into `stored` (nullopt: none),
// checked as §9.1 says. `retention` is the queue's effective retention.
absl::StatusOr<std::optional<broker::CmqDeadLetterPolicy>> MergePolicy(
    const AttributeFields& f,
    const std::optional<broker::CmqDeadLetterPolicy>& stored,
    absl::string_view queue_name, int64_t retention) {
  const bool touched =
      f.dead_letter_queue_name.has_value() || f.policy.has_value() ||
      f.max_receive_count.has_value() || f.max_time_to_live.has_value();
  if (!touched) return stored;
  broker::CmqDeadLetterPolicy p =
      stored.value_or(broker::CmqDeadLetterPolicy{});
  if (f.dead_letter_queue_name.has_value()) {
    p.dead_letter_queue = *f.dead_letter_queue_name;
  }
  if (f.policy.has_value()) p.policy = ToI64(*f.policy);
  if (f.max_receive_count.has_value()) {
    p.max_receive_count = ToI64(*f.max_receive_count);
  }
  if (f.max_time_to_live.has_value()) {
    p.max_time_to_live = ToI64(*f.max_time_to_live);
  }
  if (p.dead_letter_queue.empty()) {
    return InvalidValueError("a dead-letter policy needs DeadLetterQueueName");
  }
  if (absl::EqualsIgnoreCase(p.dead_letter_queue, queue_name)) {
    return InvalidValueError("a queue cannot be its own dead-letter queue");
  }
  if (p.policy == 0 && p.max_receive_count == 0) {
    return MissingParameterError("MaxReceiveCount");
  }
  if (p.policy == 1 && p.max_time_to_live == 0) {
    return MissingParameterError("MaxTimeToLive");
  }
  if (p.max_time_to_live != 0 && p.max_time_to_live >= retention) {
    return ValueOutOfRange("MaxTimeToLive");
  }
  return p;
}

absl::Status CheckDeadLetterQueueExists(
    broker::CmqQueues& cmq, const ActionContext& ctx,
    const std::optional<broker::CmqDeadLetterPolicy>& policy) {
  if (!policy.has_value()) return absl::OkStatus();
  absl::StatusOr<broker::CmqQueueInfo> q =
      cmq.GetQueueAttributes(ctx.instance, policy->dead_letter_queue);
  if (broker::ReasonOf(q.status()) == broker::Reason::kQueueNotFound) {
    return QueueNotFound();
  }
  return q.status();
}

broker::CmqQueueAttributesUpdate ToUpdate(const AttributeFields& f) {
  broker::CmqQueueAttributesUpdate u;
  u.api = broker::CmqApi::kV3;
  u.max_msg_heap_num = ToI64(f.max_msg_heap_num);
  u.polling_wait_seconds = ToI64(f.polling_wait_seconds);
  u.visibility_timeout = ToI64(f.visibility_timeout);
  u.max_msg_size = ToI64(f.max_msg_size);
  u.msg_retention_seconds = ToI64(f.msg_retention_seconds);
  u.rewind_seconds = ToI64(f.rewind_seconds);
  u.trace = f.trace;
  u.tags = f.tags;
  u.retention_size_mb = ToI64(f.retention_size_mb);
  return u;
}

constexpr int64_t kV3DefaultRetention = 3600;

absl::StatusOr<json::object> CreateCmqQueue(broker::CmqQueues& cmq,
                                            const ActionContext& ctx,
                                            const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown(
      {"QueueName", "MaxMsgHeapNum", "PollingWaitSeconds", "VisibilityTimeout",
       "MaxMsgSize", "MsgRetentionSeconds", "RewindSeconds", "Transaction",
       "FirstQueryInterval", "MaxQueryCount", "DeadLetterQueueName", "Policy",
       "MaxReceiveCount", "MaxTimeToLive", "Trace", "Tags",
       "RetentionSizeInMB"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("QueueName"));
  RMQ_ASSIGN_OR_RETURN(AttributeFields f, ReadAttributeFields(p, true));
  if (!IsQueueName(name)) return InvalidValueError("queue name format error");
  RMQ_RETURN_IF_ERROR(CheckAttributeRanges(f, ctx));
  const int64_t retention =
      ToI64(f.msg_retention_seconds).value_or(kV3DefaultRetention);
  if (ToI64(f.rewind_seconds).value_or(0) > retention) {
    return InvalidValueError(kRewindTooLong);
  }
  if (f.policy.has_value() && !f.dead_letter_queue_name.has_value()) {
    return InvalidValueError("Policy is given without DeadLetterQueueName");
  }
  RMQ_ASSIGN_OR_RETURN(std::optional<broker::CmqDeadLetterPolicy> policy,
                       MergePolicy(f, std::nullopt, name, retention));
  if (f.transaction.value_or(0) == 1) {
    return UnsupportedError(
        "transaction queues are not supported by rewindmq.");
  }
  RMQ_RETURN_IF_ERROR(CheckDeadLetterQueueExists(cmq, ctx, policy));
  broker::CmqQueueAttributesUpdate update = ToUpdate(f);
  update.dead_letter = policy;
  RMQ_ASSIGN_OR_RETURN(broker::CmqQueueInfo q,
                       cmq.CreateQueue(ctx.instance, name, update));
  return json::object{{"QueueId", q.queue_id}};
}

absl::StatusOr<json::object> ModifyCmqQueueAttribute(broker::CmqQueues& cmq,
                                                     const ActionContext& ctx,
                                                     const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown(
      {"QueueName", "MaxMsgHeapNum", "PollingWaitSeconds", "VisibilityTimeout",
       "MaxMsgSize", "MsgRetentionSeconds", "RewindSeconds",
       "FirstQueryInterval", "MaxQueryCount", "DeadLetterQueueName", "Policy",
       "MaxReceiveCount", "MaxTimeToLive", "Trace", "Transaction",
       "RetentionSizeInMB"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("QueueName"));
  RMQ_ASSIGN_OR_RETURN(AttributeFields f, ReadAttributeFields(p, false));
  RMQ_RETURN_IF_ERROR(CheckAttributeRanges(f, ctx));
  if (f.transaction.value_or(0) == 1) {
    return UnsupportedError(
        "transaction queues are not supported by rewindmq.");
  }
  RMQ_ASSIGN_OR_RETURN(broker::CmqQueueInfo current,
                       cmq.GetQueueAttributes(ctx.instance, name));
  const int64_t retention =
      ToI64(f.msg_retention_seconds)
          .value_or(current.attributes.msg_retention_seconds);
  const int64_t rewind =
      ToI64(f.rewind_seconds).value_or(current.attributes.rewind_seconds);
  if (rewind > retention) return InvalidValueError(kRewindTooLong);
  RMQ_ASSIGN_OR_RETURN(
      std::optional<broker::CmqDeadLetterPolicy> policy,
      MergePolicy(f, current.extras.dead_letter, current.name, retention));
  if (policy.has_value() &&
      (!current.extras.dead_letter.has_value() ||
       !absl::EqualsIgnoreCase(
           policy->dead_letter_queue,
           current.extras.dead_letter->dead_letter_queue))) {
    RMQ_RETURN_IF_ERROR(CheckDeadLetterQueueExists(cmq, ctx, policy));
  }
  broker::CmqQueueAttributesUpdate update = ToUpdate(f);
  if (policy.has_value()) update.dead_letter = policy;
  RMQ_RETURN_IF_ERROR(
      cmq.SetQueueAttributes(ctx.instance, name, update).status());
  return json::object{};
}

absl::StatusOr<json::object> DescribeCmqQueueDetail(broker::CmqQueues& cmq,
                                                    const ActionContext& ctx,
                                                    const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"QueueName"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("QueueName"));
  RMQ_ASSIGN_OR_RETURN(broker::CmqQueueInfo q,
                       cmq.GetQueueAttributes(ctx.instance, name));
  RMQ_ASSIGN_OR_RETURN(std::vector<broker::CmqQueueInfo> all,
                       AllQueues(cmq, ctx));
  return json::object{{"QueueDescribe", QueueJson(q, SourcesOf(q.name, all))}};
}

absl::StatusOr<json::object> DescribeCmqQueues(broker::CmqQueues& cmq,
                                               const ActionContext& ctx,
                                               const Params& p) {
  RMQ_RETURN_IF_ERROR(
      p.CheckKnown({"Offset", "Limit", "QueueName", "QueueNameList",
                    "IsTagFilter", "Filters"}));
  RMQ_ASSIGN_OR_RETURN(ListQuery query,
                       ReadListQuery(p, "QueueName", "QueueNameList"));
  RMQ_ASSIGN_OR_RETURN(std::vector<broker::CmqQueueInfo> all,
                       AllQueues(cmq, ctx));
  std::vector<const broker::CmqQueueInfo*> matches;
  for (const broker::CmqQueueInfo& q : all) {
    if (query.Matches(q.name, q.extras.tags)) matches.push_back(&q);
  }
  json::array list;
  for (uint64_t i = query.offset;
       i < matches.size() && list.size() < query.limit; ++i) {
    // The list has no counters; each queue of the page is read in full.
    absl::StatusOr<broker::CmqQueueInfo> q =
        cmq.GetQueueAttributes(ctx.instance, matches[i]->name);
    if (broker::ReasonOf(q.status()) == broker::Reason::kQueueNotFound) {
      continue;  // deleted since the list was taken
    }
    if (!q.ok()) return q.status();
    list.push_back(QueueJson(*q, SourcesOf(q->name, all)));
  }
  return json::object{{"TotalCount", matches.size()},
                      {"QueueList", std::move(list)}};
}

absl::StatusOr<json::object> DeleteCmqQueue(broker::CmqQueues& cmq,
                                            const ActionContext& ctx,
                                            const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"QueueName"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("QueueName"));
  RMQ_RETURN_IF_ERROR(cmq.DeleteQueue(ctx.instance, name));
  return json::object{};
}

absl::StatusOr<json::object> ClearCmqQueue(broker::CmqQueues& cmq,
                                           const ActionContext& ctx,
                                           const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"QueueName"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("QueueName"));
  RMQ_RETURN_IF_ERROR(cmq.ClearQueue(ctx.instance, name).status());
  return json::object{};
}

absl::StatusOr<json::object> RewindCmqQueue(broker::CmqQueues& cmq,
                                            const ActionContext& ctx,
                                            const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"QueueName", "StartConsumeTime"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("QueueName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> start,
                       p.U64("StartConsumeTime"));
  if (!start.has_value()) return MissingParameterError("StartConsumeTime");
  const int64_t seconds = NormalizeStartConsumeTime(*start);
  RMQ_RETURN_IF_ERROR(
      cmq.RewindQueue(ctx.instance, name, absl::FromUnixSeconds(seconds))
          .status());
  return json::object{};
}

absl::StatusOr<json::object> SendCmqMsg(broker::CmqQueues& cmq,
                                        const ActionContext& ctx,
                                        const Params& p) {
  RMQ_RETURN_IF_ERROR(
      p.CheckKnown({"QueueName", "MsgContent", "DelaySeconds"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("QueueName"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::string> body, p.String("MsgContent"));
  if (!body.has_value()) return MissingParameterError("MsgContent");
  RMQ_ASSIGN_OR_RETURN(std::optional<int64_t> delay, p.I64("DelaySeconds"));
  if (body->empty()) return InvalidValueError("message body can't be empty");
  const int64_t d = delay.value_or(0);
  if (d < 0 || d > static_cast<int64_t>(kMaxDelaySeconds)) {
    return InvalidValueError("delay seconds is out of range");
  }
  // The cap is also the queue's retention (§9.8), which can be as low as
  // 30 s on this face: only a longer delay needs the queue's attributes.
  if (d > 30) {
    RMQ_ASSIGN_OR_RETURN(broker::CmqQueueInfo q,
                         cmq.GetQueueAttributes(ctx.instance, name));
    if (d > q.attributes.msg_retention_seconds) {
      return InvalidValueError("delay seconds is out of range");
    }
  }
  RMQ_ASSIGN_OR_RETURN(
      std::string msg_id,
      cmq.SendMessage(ctx.instance, name, *body, absl::Seconds(d)));
  return json::object{{"Result", true}, {"MsgId", std::move(msg_id)}};
}

absl::StatusOr<json::object> UnbindCmqDeadLetter(broker::CmqQueues& cmq,
                                                 const ActionContext& ctx,
                                                 const Params& p) {
  RMQ_RETURN_IF_ERROR(p.CheckKnown({"SourceQueueName"}));
  RMQ_ASSIGN_OR_RETURN(std::string name, p.RequiredString("SourceQueueName"));
  broker::CmqQueueAttributesUpdate update;
  update.api = broker::CmqApi::kV3;
  update.clear_dead_letter = true;
  RMQ_RETURN_IF_ERROR(
      cmq.SetQueueAttributes(ctx.instance, name, update).status());
  return json::object{};
}

}  // namespace

absl::StatusOr<Action> ParseAction(absl::string_view name) {
  if (name.empty()) return MissingParameterError("Action");
  std::string normalized(name);
  normalized[0] =
      absl::ascii_toupper(static_cast<unsigned char>(normalized[0]));
  for (const ActionRow& row : kActions) {
    if (row.name == normalized) return row.action;
  }
  for (absl::string_view unsupported : kUnsupported) {
    if (unsupported == normalized) {
      return UnsupportedError(absl::StrCat("The action `", normalized,
                                           "` is not supported by rewindmq."));
    }
  }
  return TdmqStatus("InvalidAction", absl::StrCat("The action `", normalized,
                                                  "` does not exist."));
}

absl::string_view ActionName(Action action) {
  for (const ActionRow& row : kActions) {
    if (row.action == action) return row.name;
  }
  return "Unknown";
}

int64_t NormalizeStartConsumeTime(uint64_t value) {
  constexpr uint64_t kMillisFrom = 1'000'000'000'000;
  const uint64_t seconds = value >= kMillisFrom ? value / 1000 : value;
  return ToI64(seconds);
}

absl::StatusOr<json::object> RunAction(broker::CmqQueues& cmq,
                                       const ActionContext& context,
                                       Action action, const Params& params) {
  switch (action) {
    case Action::kCreateCmqQueue:
      return CreateCmqQueue(cmq, context, params);
    case Action::kDescribeCmqQueues:
      return DescribeCmqQueues(cmq, context, params);
    case Action::kDescribeCmqQueueDetail:
      return DescribeCmqQueueDetail(cmq, context, params);
    case Action::kModifyCmqQueueAttribute:
      return ModifyCmqQueueAttribute(cmq, context, params);
    case Action::kDeleteCmqQueue:
      return DeleteCmqQueue(cmq, context, params);
    case Action::kClearCmqQueue:
      return ClearCmqQueue(cmq, context, params);
    case Action::kRewindCmqQueue:
      return RewindCmqQueue(cmq, context, params);
    case Action::kSendCmqMsg:
      return SendCmqMsg(cmq, context, params);
    case Action::kUnbindCmqDeadLetter:
      return UnbindCmqDeadLetter(cmq, context, params);
    case Action::kCreateCmqTopic:
    case Action::kDescribeCmqTopics:
    case Action::kDescribeCmqTopicDetail:
    case Action::kModifyCmqTopicAttribute:
    case Action::kDeleteCmqTopic:
    case Action::kPublishCmqMsg:
    case Action::kCreateCmqSubscribe:
    case Action::kDescribeCmqSubscriptionDetail:
    case Action::kModifyCmqSubscriptionAttribute:
    case Action::kDeleteCmqSubscribe:
    case Action::kClearCmqSubscriptionFilterTags:
      if (context.topics == nullptr) {
        return absl::InternalError("tdmq action context has no cmq topics");
      }
      return RunTopicAction(*context.topics, context, action, params);
  }
  return absl::InternalError("unhandled tdmq action");
}

}  // namespace rewindmq::facade::tdmq
