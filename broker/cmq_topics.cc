#include "broker/cmq_topics.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "broker/core.h"
#include "broker/errors.h"
#include "broker/kv_codec.h"
#include "broker/names.h"

namespace rewindmq::broker {
namespace {

using internal::KvFields;
using internal::KvWriter;
using Instance = BrokerCore::Instance;
using Topic = BrokerCore::CmqTopic;
using Subscription = BrokerCore::CmqSubscription;

// Topic metadata tags (key i/<inst>/ct/<lower-case name>):
//   1 name, 2 number (the n of topic-<n>), 3 filter type, 4 create time us,
//   5 last modify time us, 6 max_msg_size, 7 msg_retention_seconds,
//   8 trace, 9 one tag, repeated in order: {1: key, 2: value},
//   10 one subscription, repeated in creation order: the nested fields
//   below.
constexpr uint32_t kTagName = 1, kTagNumber = 2, kTagFilterType = 3,
                   kTagCreateUs = 4, kTagModifyUs = 5, kTagMaxSize = 6,
                   kTagRetention = 7, kTagTrace = 8, kTagTag = 9,
                   kTagSubscription = 10;
constexpr uint32_t kTagTagKey = 1, kTagTagValue = 2;
// Subscription fields: 1 name, 2 number (the n of sub-<n>), 3 endpoint,
// 4 one filter tag (repeated), 5 one binding key (repeated), 6 notify
// strategy, 7 notify content format, 8 create time us, 9 last modify us.
constexpr uint32_t kTagSubName = 1, kTagSubNumber = 2, kTagSubEndpoint = 3,
                   kTagSubFilterTag = 4, kTagSubBindingKey = 5,
                   kTagSubStrategy = 6, kTagSubFormat = 7, kTagSubCreateUs = 8,
                   kTagSubModifyUs = 9;
// The number counters (key i/<inst>/ctseq): 1 next topic, 2 next
// subscription.
constexpr uint32_t kTagNextTopic = 1, kTagNextSubscription = 2;

std::string TopicIdString(uint64_t n) { return absl::StrCat("topic-", n); }
std::string SubscriptionIdString(uint64_t n) { return absl::StrCat("sub-", n); }

std::string EncodeSubscription(const Subscription& s) {
  const CmqSubscriptionInfo& i = s.info;
  KvWriter w;
  w.Str(kTagSubName, i.name)
      .U64(kTagSubNumber, s.id)
      .Str(kTagSubEndpoint, i.endpoint);
  for (const std::string& tag : i.filter_tags) w.Str(kTagSubFilterTag, tag);
  for (const std::string& key : i.binding_keys) w.Str(kTagSubBindingKey, key);
  w.Str(kTagSubStrategy, i.notify_strategy)
      .Str(kTagSubFormat, i.notify_content_format)
      .I64(kTagSubCreateUs, absl::ToUnixMicros(i.create_time))
      .I64(kTagSubModifyUs, absl::ToUnixMicros(i.last_modify_time));
  return w.data();
}

std::string EncodeTopic(const Topic& t) {
  const CmqTopicInfo& i = t.info;
  KvWriter w;
  w.Str(kTagName, i.name)
      .U64(kTagNumber, t.id)
      .I64(kTagFilterType, static_cast<int64_t>(i.filter_type))
      .I64(kTagCreateUs, absl::ToUnixMicros(i.create_time))
      .I64(kTagModifyUs, absl::ToUnixMicros(i.last_modify_time))
      .I64(kTagMaxSize, i.max_msg_size)
      .I64(kTagRetention, i.msg_retention_seconds)
      .Bool(kTagTrace, i.trace);
  for (const CmqTag& tag : i.tags) {
    KvWriter nested;
    nested.Str(kTagTagKey, tag.key).Str(kTagTagValue, tag.value);
    w.Str(kTagTag, nested.data());
  }
  for (const Subscription& s : t.subscriptions) {
    w.Str(kTagSubscription, EncodeSubscription(s));
  }
  return w.data();
}

absl::StatusOr<Topic> DecodeTopic(absl::string_view data) {
  RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(data));
  Topic t;
  t.id = f.U64(kTagNumber);
  CmqTopicInfo& i = t.info;
  i.name = f.Str(kTagName);
  i.topic_id = TopicIdString(t.id);
  i.filter_type = f.I64(kTagFilterType, 1) == 2 ? CmqFilterType::kRoutingKey
                                                : CmqFilterType::kTags;
  i.create_time = absl::FromUnixMicros(f.I64(kTagCreateUs));
  i.last_modify_time = absl::FromUnixMicros(f.I64(kTagModifyUs));
  i.max_msg_size = f.I64(kTagMaxSize, kCmqTopicDefaultMaxMsgSize);
  i.msg_retention_seconds =
      f.I64(kTagRetention, kCmqTopicDefaultRetentionSeconds);
  i.trace = f.Bool(kTagTrace);
  for (const std::string& nested : f.AllStr(kTagTag)) {
    RMQ_ASSIGN_OR_RETURN(KvFields tf, KvFields::Parse(nested));
    i.tags.push_back({tf.Str(kTagTagKey), tf.Str(kTagTagValue)});
  }
  for (const std::string& nested : f.AllStr(kTagSubscription)) {
    RMQ_ASSIGN_OR_RETURN(KvFields sf, KvFields::Parse(nested));
    Subscription s;
    s.id = sf.U64(kTagSubNumber);
    s.info.topic_name = i.name;
    s.info.name = sf.Str(kTagSubName);
    s.info.subscription_id = SubscriptionIdString(s.id);
    s.info.endpoint = sf.Str(kTagSubEndpoint);
    s.info.filter_tags = sf.AllStr(kTagSubFilterTag);
    s.info.binding_keys = sf.AllStr(kTagSubBindingKey);
    s.info.notify_strategy = sf.Str(kTagSubStrategy, kCmqDefaultNotifyStrategy);
    s.info.notify_content_format =
        sf.Str(kTagSubFormat, kCmqDefaultNotifyContentFormat);
    s.info.create_time = absl::FromUnixMicros(sf.I64(kTagSubCreateUs));
    s.info.last_modify_time = absl::FromUnixMicros(sf.I64(kTagSubModifyUs));
    t.subscriptions.push_back(std::move(s));
  }
  return t;
}

std::string EncodeSeq(uint64_t next_topic, uint64_t next_subscription) {
  KvWriter w;
  w.U64(kTagNextTopic, next_topic).U64(kTagNextSubscription, next_subscription);
  return w.data();
}

absl::Status TopicNotFound(absl::string_view name) {
  return Error(absl::StatusCode::kNotFound, Reason::kCmqTopicNotFound,
               absl::StrCat("topic ", name, " does not exist"));
}

absl::Status SubscriptionNotFound(absl::string_view topic,
                                  absl::string_view name) {
  return Error(absl::StatusCode::kNotFound, Reason::kCmqSubscriptionNotFound,
               absl::StrCat("subscription ", name, " of topic ", topic,
                            " does not exist"));
}

absl::Status OutOfRange(absl::string_view what) {
  return Error(absl::StatusCode::kInvalidArgument, Reason::kAttributeOutOfRange,
               what);
}

absl::Status CheckRange(absl::string_view attribute, int64_t v, int64_t lo,
                        int64_t hi) {
  if (v >= lo && v <= hi) return absl::OkStatus();
  return OutOfRange(
      absl::StrCat(attribute, " ", v, " is outside ", lo, "..", hi));
}

absl::Status CheckTopicAttributes(const CmqTopicInfo& i) {
  RMQ_RETURN_IF_ERROR(CheckRange("maxMsgSize", i.max_msg_size, 1024, 1048576));
  return CheckRange("msgRetentionSeconds", i.msg_retention_seconds, 60, 86400);
}

absl::Status ValidateName(absl::string_view kind, absl::string_view name) {
  if (IsCmqV3QueueName(name)) return absl::OkStatus();
  return Error(absl::StatusCode::kInvalidArgument, Reason::kInvalidName,
               absl::StrCat(kind, " name ", name,
                            " must match ^[A-Za-z][A-Za-z0-9_-]{0,63}$"));
}

// A filter the topic's type takes: tags on a tag topic, binding keys on a
// routing-key topic.
absl::Status CheckFilterKind(const CmqTopicInfo& topic,
                             const std::vector<std::string>& filter_tags,
                             const std::vector<std::string>& binding_keys) {
  if (topic.filter_type == CmqFilterType::kTags && !binding_keys.empty()) {
    return OutOfRange(absl::StrCat("topic ", topic.name,
                                   " filters by tag; it takes no binding key"));
  }
  if (topic.filter_type == CmqFilterType::kRoutingKey && !filter_tags.empty()) {
    return OutOfRange(
        absl::StrCat("topic ", topic.name,
                     " filters by routing key; it takes no filter tag"));
  }
  return absl::OkStatus();
}

Topic* FindTopicLocked(Instance* inst, absl::string_view name)
    ABSL_SHARED_LOCKS_REQUIRED(inst->cmq_topics_mu) {
  auto it = inst->cmq_topics.find(absl::AsciiStrToLower(name));
  return it == inst->cmq_topics.end() ? nullptr : &it->second;
}

Subscription* FindSubscription(Topic& t, absl::string_view name) {
  for (Subscription& s : t.subscriptions) {
    if (absl::EqualsIgnoreCase(s.info.name, name)) return &s;
  }
  return nullptr;
}

CmqTopicInfo InfoOf(const Topic& t) {
  CmqTopicInfo info = t.info;
  info.subscription_count = static_cast<int64_t>(t.subscriptions.size());
  return info;
}

// Writes `t` (and, when given, the number counters) in one batch.
absl::Status PutTopic(BrokerCore& c, const Instance& inst, const Topic& t,
                      const std::string* seq = nullptr) {
  storage::KvBatch batch;
  batch.Put(keys::CmqTopic(inst.prefix, absl::AsciiStrToLower(t.info.name)),
            EncodeTopic(t));
  if (seq != nullptr) batch.Put(keys::CmqTopicSeq(inst.prefix), *seq);
  return c.kv().Write(batch, /*sync=*/true);
}

std::vector<absl::string_view> Words(absl::string_view key) {
  if (key.empty()) return {};
  return absl::StrSplit(key, '.');
}

}  // namespace

// --- Filters ---

bool CmqFilterTagsMatch(absl::Span<const std::string> filter_tags,
                        absl::Span<const std::string> msg_tags) {
  if (filter_tags.empty()) return true;
  for (const std::string& tag : msg_tags) {
    if (std::find(filter_tags.begin(), filter_tags.end(), tag) !=
        filter_tags.end()) {
      return true;
    }
  }
  return false;
}

bool CmqBindingKeyMatches(absl::string_view binding_key,
                          absl::string_view routing_key) {
  const std::vector<absl::string_view> pattern = Words(binding_key);
  const std::vector<absl::string_view> key = Words(routing_key);
  // matches[j]: pattern words [i, end) match key words [j, end), for the i
  // of the current pass (from the last pattern word to the first).
  std::vector<char> matches(key.size() + 1, 0);
  matches[key.size()] = 1;
  for (size_t i = pattern.size(); i-- > 0;) {
    std::vector<char> next(key.size() + 1, 0);
    for (size_t j = key.size() + 1; j-- > 0;) {
      if (pattern[i] == "#") {
        // Zero words, or one word and '#' again.
        next[j] = matches[j] || (j < key.size() && next[j + 1]);
      } else if (j < key.size() &&
                 (pattern[i] == "*" || pattern[i] == key[j])) {
        next[j] = matches[j + 1];
      }
    }
    matches = std::move(next);
  }
  return matches[0] != 0;
}

bool CmqSubscriptionMatches(CmqFilterType filter_type,
                            const CmqSubscriptionInfo& subscription,
                            absl::Span<const std::string> msg_tags) {
  if (filter_type == CmqFilterType::kTags) {
    return CmqFilterTagsMatch(subscription.filter_tags, msg_tags);
  }
  if (subscription.binding_keys.empty()) return true;
  const absl::string_view routing_key =
      msg_tags.empty() ? absl::string_view() : absl::string_view(msg_tags[0]);
  for (const std::string& binding_key : subscription.binding_keys) {
    if (CmqBindingKeyMatches(binding_key, routing_key)) return true;
  }
  return false;
}

// --- BrokerCore ---

absl::Status BrokerCore::LoadCmqTopics(Instance* inst) {
  absl::MutexLock l(&inst->cmq_topics_mu);
  absl::StatusOr<std::string> seq = kv().Get(keys::CmqTopicSeq(inst->prefix));
  if (seq.ok()) {
    RMQ_ASSIGN_OR_RETURN(KvFields f, KvFields::Parse(*seq));
    inst->next_cmq_topic_id = f.U64(kTagNextTopic, 1);
    inst->next_cmq_subscription_id = f.U64(kTagNextSubscription, 1);
  } else if (!absl::IsNotFound(seq.status())) {
    return seq.status();
  }
  RMQ_ASSIGN_OR_RETURN(auto rows,
                       kv().Scan(keys::CmqTopicPrefix(inst->prefix)));
  for (const auto& [key, value] : rows) {
    absl::StatusOr<CmqTopic> t = DecodeTopic(value);
    if (!t.ok()) return Annotate(t.status(), absl::StrCat("cmq topic ", key));
    // Numbers are never reused, even if the counters were written behind.
    inst->next_cmq_topic_id = std::max(inst->next_cmq_topic_id, t->id + 1);
    for (const Subscription& s : t->subscriptions) {
      inst->next_cmq_subscription_id =
          std::max(inst->next_cmq_subscription_id, s.id + 1);
    }
    inst->cmq_topics[absl::AsciiStrToLower(t->info.name)] = *std::move(t);
  }
  return absl::OkStatus();
}

// --- Topics ---

absl::StatusOr<CmqTopicInfo> CmqTopics::CreateTopic(
    absl::string_view instance, absl::string_view name,
    const CmqTopicCreate& create) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_RETURN_IF_ERROR(ValidateName("topic", name));
  if (create.filter_type != CmqFilterType::kTags &&
      create.filter_type != CmqFilterType::kRoutingKey) {
    return OutOfRange(absl::StrCat("filter type ",
                                   static_cast<int>(create.filter_type),
                                   " is neither 1 (tags) nor 2 (routing key)"));
  }
  Topic t;
  t.info.name = std::string(name);
  t.info.filter_type = create.filter_type;
  t.info.max_msg_size =
      create.max_msg_size.value_or(kCmqTopicDefaultMaxMsgSize);
  t.info.msg_retention_seconds =
      create.msg_retention_seconds.value_or(kCmqTopicDefaultRetentionSeconds);
  t.info.trace = create.trace;
  t.info.tags = create.tags;
  RMQ_RETURN_IF_ERROR(CheckTopicAttributes(t.info));

  const std::string lower = absl::AsciiStrToLower(name);
  absl::MutexLock l(&inst->cmq_topics_mu);
  if (inst->cmq_topics.count(lower) != 0) {
    return Error(
        absl::StatusCode::kAlreadyExists, Reason::kCmqTopicExists,
        absl::StrCat("topic ", name, " already exists (names ignore case)"));
  }
  if (static_cast<int64_t>(inst->cmq_topics.size()) >=
      c.options_.max_cmq_queues) {
    return Error(absl::StatusCode::kResourceExhausted, Reason::kCmqTopicLimit,
                 absl::StrCat("instance ", inst->info.id, " has reached its ",
                              c.options_.max_cmq_queues, " topics"));
  }
  t.id = inst->next_cmq_topic_id;
  t.info.topic_id = TopicIdString(t.id);
  t.info.create_time = t.info.last_modify_time = c.Now();
  const std::string seq = EncodeSeq(t.id + 1, inst->next_cmq_subscription_id);
  RMQ_RETURN_IF_ERROR(Annotate(PutTopic(c, *inst, t, &seq),
                               absl::StrCat("create topic ", name)));
  inst->next_cmq_topic_id = t.id + 1;
  CmqTopicInfo info = InfoOf(t);
  inst->cmq_topics[lower] = std::move(t);
  return info;
}

absl::StatusOr<std::vector<CmqTopicInfo>> CmqTopics::ListTopics(
    absl::string_view instance) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  std::vector<std::pair<uint64_t, CmqTopicInfo>> all;
  {
    absl::ReaderMutexLock l(&inst->cmq_topics_mu);
    for (const auto& [lower, t] : inst->cmq_topics) {
      all.emplace_back(t.id, InfoOf(t));
    }
  }
  // Numbers grow with time: creation order.
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<CmqTopicInfo> out;
  out.reserve(all.size());
  for (auto& [id, info] : all) out.push_back(std::move(info));
  return out;
}

absl::StatusOr<CmqTopicInfo> CmqTopics::GetTopic(absl::string_view instance,
                                                 absl::string_view name) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  absl::ReaderMutexLock l(&inst->cmq_topics_mu);
  const Topic* t = FindTopicLocked(inst, name);
  if (t == nullptr) return TopicNotFound(name);
  return InfoOf(*t);
}

absl::StatusOr<CmqTopicInfo> CmqTopics::SetTopicAttributes(
    absl::string_view instance, absl::string_view name,
    const CmqTopicUpdate& update) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  absl::MutexLock l(&inst->cmq_topics_mu);
  Topic* t = FindTopicLocked(inst, name);
  if (t == nullptr) return TopicNotFound(name);
  Topic next = *t;
  if (update.max_msg_size.has_value()) {
    next.info.max_msg_size = *update.max_msg_size;
  }
  if (update.msg_retention_seconds.has_value()) {
    next.info.msg_retention_seconds = *update.msg_retention_seconds;
  }
  if (update.trace.has_value()) next.info.trace = *update.trace;
  RMQ_RETURN_IF_ERROR(CheckTopicAttributes(next.info));
  next.info.last_modify_time = c.Now();
  RMQ_RETURN_IF_ERROR(PutTopic(c, *inst, next));
  *t = std::move(next);
  return InfoOf(*t);
}

absl::Status CmqTopics::DeleteTopic(absl::string_view instance,
                                    absl::string_view name) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  absl::MutexLock l(&inst->cmq_topics_mu);
  const std::string lower = absl::AsciiStrToLower(name);
  auto it = inst->cmq_topics.find(lower);
  if (it == inst->cmq_topics.end()) return TopicNotFound(name);
  storage::KvBatch batch;
  batch.Delete(keys::CmqTopic(inst->prefix, lower));
  RMQ_RETURN_IF_ERROR(c.kv().Write(batch, /*sync=*/true));
  inst->cmq_topics.erase(it);
  return absl::OkStatus();
}

// --- Subscriptions ---

absl::StatusOr<CmqSubscriptionInfo> CmqTopics::CreateSubscription(
    absl::string_view instance, absl::string_view topic, absl::string_view name,
    const CmqSubscriptionCreate& create) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  RMQ_RETURN_IF_ERROR(ValidateName("subscription", name));
  absl::MutexLock l(&inst->cmq_topics_mu);
  Topic* t = FindTopicLocked(inst, topic);
  if (t == nullptr) return TopicNotFound(topic);
  RMQ_RETURN_IF_ERROR(
      CheckFilterKind(t->info, create.filter_tags, create.binding_keys));
  {
    absl::ReaderMutexLock ql(&inst->cmq_mu);
    if (inst->cmq_queues.count(absl::AsciiStrToLower(create.endpoint)) == 0) {
      return Error(absl::StatusCode::kNotFound, Reason::kQueueNotFound,
                   absl::StrCat("queue ", create.endpoint, " does not exist"));
    }
  }
  if (FindSubscription(*t, name) != nullptr) {
    return Error(absl::StatusCode::kAlreadyExists,
                 Reason::kCmqSubscriptionExists,
                 absl::StrCat("subscription ", name, " of topic ", t->info.name,
                              " already exists (names ignore case)"));
  }
  Subscription s;
  s.id = inst->next_cmq_subscription_id;
  s.info.topic_name = t->info.name;
  s.info.name = std::string(name);
  s.info.subscription_id = SubscriptionIdString(s.id);
  s.info.endpoint = create.endpoint;
  s.info.filter_tags = create.filter_tags;
  s.info.binding_keys = create.binding_keys;
  s.info.notify_strategy = create.notify_strategy;
  s.info.notify_content_format = create.notify_content_format;
  s.info.create_time = s.info.last_modify_time = c.Now();
  Topic next = *t;
  next.subscriptions.push_back(s);
  const std::string seq = EncodeSeq(inst->next_cmq_topic_id, s.id + 1);
  RMQ_RETURN_IF_ERROR(Annotate(
      PutTopic(c, *inst, next, &seq),
      absl::StrCat("create subscription ", name, " of topic ", t->info.name)));
  inst->next_cmq_subscription_id = s.id + 1;
  *t = std::move(next);
  return s.info;
}

absl::StatusOr<std::vector<CmqSubscriptionInfo>> CmqTopics::ListSubscriptions(
    absl::string_view instance, absl::string_view topic) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  absl::ReaderMutexLock l(&inst->cmq_topics_mu);
  const Topic* t = FindTopicLocked(inst, topic);
  if (t == nullptr) return TopicNotFound(topic);
  std::vector<CmqSubscriptionInfo> out;
  for (const Subscription& s : t->subscriptions) out.push_back(s.info);
  return out;
}

absl::StatusOr<std::vector<CmqSubscriptionInfo>>
CmqTopics::ListSubscriptionsOfQueue(absl::string_view instance,
                                    absl::string_view queue) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  std::vector<std::pair<uint64_t, CmqSubscriptionInfo>> found;
  {
    absl::ReaderMutexLock l(&inst->cmq_topics_mu);
    for (const auto& [lower, t] : inst->cmq_topics) {
      for (const Subscription& s : t.subscriptions) {
        if (absl::EqualsIgnoreCase(s.info.endpoint, queue)) {
          found.emplace_back(s.id, s.info);
        }
      }
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<CmqSubscriptionInfo> out;
  out.reserve(found.size());
  for (auto& [id, info] : found) out.push_back(std::move(info));
  return out;
}

absl::StatusOr<CmqSubscriptionInfo> CmqTopics::GetSubscription(
    absl::string_view instance, absl::string_view topic,
    absl::string_view name) const {
  RMQ_ASSIGN_OR_RETURN(Instance * inst, core_->FindInstance(instance));
  absl::ReaderMutexLock l(&inst->cmq_topics_mu);
  Topic* t = FindTopicLocked(inst, topic);
  if (t == nullptr) return TopicNotFound(topic);
  const Subscription* s = FindSubscription(*t, name);
  if (s == nullptr) return SubscriptionNotFound(t->info.name, name);
  return s->info;
}

absl::StatusOr<CmqSubscriptionInfo> CmqTopics::SetSubscriptionAttributes(
    absl::string_view instance, absl::string_view topic, absl::string_view name,
    const CmqSubscriptionUpdate& update) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  absl::MutexLock l(&inst->cmq_topics_mu);
  Topic* t = FindTopicLocked(inst, topic);
  if (t == nullptr) return TopicNotFound(topic);
  Topic next = *t;
  Subscription* s = FindSubscription(next, name);
  if (s == nullptr) return SubscriptionNotFound(t->info.name, name);
  CmqSubscriptionInfo& i = s->info;
  if (update.notify_strategy.has_value()) {
    i.notify_strategy = *update.notify_strategy;
  }
  if (update.notify_content_format.has_value()) {
    i.notify_content_format = *update.notify_content_format;
  }
  if (update.filter_tags.has_value()) i.filter_tags = *update.filter_tags;
  if (update.binding_keys.has_value()) i.binding_keys = *update.binding_keys;
  RMQ_RETURN_IF_ERROR(
      CheckFilterKind(next.info, i.filter_tags, i.binding_keys));
  i.last_modify_time = c.Now();
  CmqSubscriptionInfo info = i;
  RMQ_RETURN_IF_ERROR(PutTopic(c, *inst, next));
  *t = std::move(next);
  return info;
}

absl::Status CmqTopics::DeleteSubscription(absl::string_view instance,
                                           absl::string_view topic,
                                           absl::string_view name) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  absl::MutexLock l(&inst->cmq_topics_mu);
  Topic* t = FindTopicLocked(inst, topic);
  if (t == nullptr) return TopicNotFound(topic);
  Topic next = *t;
  auto it = std::find_if(next.subscriptions.begin(), next.subscriptions.end(),
                         [&](const Subscription& s) {
                           return absl::EqualsIgnoreCase(s.info.name, name);
                         });
  if (it == next.subscriptions.end()) {
    return SubscriptionNotFound(t->info.name, name);
  }
  next.subscriptions.erase(it);
  RMQ_RETURN_IF_ERROR(PutTopic(c, *inst, next));
  *t = std::move(next);
  return absl::OkStatus();
}

// --- Publish ---

absl::StatusOr<CmqPublishResult> CmqTopics::Publish(
    absl::string_view instance, absl::string_view topic, absl::string_view body,
    absl::Span<const std::string> msg_tags) {
  BrokerCore& c = *core_;
  RMQ_ASSIGN_OR_RETURN(Instance * inst, c.FindInstance(instance));
  if (body.empty()) {
    return Error(absl::StatusCode::kInvalidArgument, Reason::kMessageEmpty,
                 "message body is empty");
  }
  // The fan-out sends with cmq_topics_mu released, from a copy taken here.
  CmqTopicInfo info;
  std::vector<CmqSubscriptionInfo> subscriptions;
  {
    absl::ReaderMutexLock l(&inst->cmq_topics_mu);
    const Topic* t = FindTopicLocked(inst, topic);
    if (t == nullptr) return TopicNotFound(topic);
    info = t->info;
    for (const Subscription& s : t->subscriptions) {
      subscriptions.push_back(s.info);
    }
  }
  if (info.filter_type == CmqFilterType::kRoutingKey && msg_tags.size() > 1) {
    return OutOfRange(absl::StrCat("topic ", info.name,
                                   " filters by routing key; a message has at "
                                   "most one, not ",
                                   msg_tags.size()));
  }
  if (static_cast<int64_t>(body.size()) > info.max_msg_size) {
    return Error(
        absl::StatusCode::kInvalidArgument, Reason::kMessageTooLarge,
        absl::StrCat("message of ", body.size(), " bytes exceeds maxMsgSize ",
                     info.max_msg_size, " of topic ", info.name));
  }
  CmqPublishResult result;
  RMQ_ASSIGN_OR_RETURN(uint64_t id, c.AllocateMsgIds(inst, 1));
  result.msg_id = absl::StrCat(id);
  for (const CmqSubscriptionInfo& s : subscriptions) {
    if (!CmqSubscriptionMatches(info.filter_type, s, msg_tags)) continue;
    absl::StatusOr<std::string> copy =
        c.cmq_.SendMessage(instance, s.endpoint, body);
    if (copy.ok()) {
      result.copies.push_back({s.name, s.endpoint, *std::move(copy)});
      continue;
    }
    const Reason reason = ReasonOf(copy.status());
    if (reason == Reason::kQueueNotFound ||
        reason == Reason::kMessageTooLarge || reason == Reason::kHeapFull) {
      RMQ_LOG(kInfo, "topic ", info.name, " message ", result.msg_id,
              ": subscription ", s.name, " skipped: ", copy.status().message());
      ++result.skipped;
      continue;
    }
    return Annotate(copy.status(), absl::StrCat("publish to topic ", info.name,
                                                ", subscription ", s.name));
  }
  return result;
}

}  // namespace rewindmq::broker
