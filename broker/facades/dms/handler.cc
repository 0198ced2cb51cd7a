#include "broker/facades/dms/handler.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/object.hpp>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "broker/facades/dms/dms_error.h"
#include "broker/facades/dms/errors.h"
#include "broker/facades/dms/render.h"
#include "broker/facades/dms/requests.h"
#include "broker/facades/dms/route.h"
#include "broker/facades/dms/signature.h"
#include "broker/http/request_id.h"

namespace rewindmq::facade::dms {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr absl::string_view kContentType = "application/json;charset=UTF-8";

// Messages sent by earlier versions kept the sender's "ip:port" under this
// property (now it is the record's born host, which costs no property name
// on disk); queries still show it as born_host, never in property_list.
constexpr absl::string_view kBornHostProperty = "__dms_born_host";

// A successful answer: 200 with a body, or 204 without one.
struct Reply {
  http::status status = http::status::ok;
  std::optional<json::object> body;
};

Reply Ok(json::object body) { return {http::status::ok, std::move(body)}; }
Reply NoContent() { return {http::status::no_content, std::nullopt}; }

// Epoch milliseconds, rounded down (spec §6: floor(store_us / 1000)).
int64_t Millis(absl::Time t) { return absl::ToUnixMillis(t); }

// The inclusive store-time range [start_ms, end_ms] in milliseconds as
// absl::Time bounds: every microsecond of end_ms is inside.
absl::Time EndOfMillisecond(int64_t ms) {
  return absl::FromUnixMillis(ms) + absl::Milliseconds(1) -
         absl::Nanoseconds(1);
}

bool IsNotFoundLike(const absl::Status& s) {
  return s.code() == absl::StatusCode::kNotFound ||
         s.code() == absl::StatusCode::kInvalidArgument;
}

broker::TopicPermission PermissionOf(absl::string_view p) {
  if (p == "pub") return broker::TopicPermission::kPub;
  if (p == "sub") return broker::TopicPermission::kSub;
  return broker::TopicPermission::kAll;
}

// One request being answered: the route, the instance, and the calls.
class Call {
 public:
  Call(broker::Broker& broker, const DmsConfig& config,
       const httpd::RequestContext& ctx, const httpd::Request& req,
       const RouteMatch& route)
      : broker_(broker),
        config_(config),
        ctx_(ctx),
        body_(httpd::ToAbsl(req.body())),
        route_(route) {}

  absl::StatusOr<Reply> Run() {
    if (route_.op == Operation::kListInstances) return ListInstances();
    RMQ_ASSIGN_OR_RETURN(instance_, broker_.GetInstance(route_.instance_id));
    switch (route_.op) {
      case Operation::kListInstances:
        break;  // handled above
      case Operation::kShowInstance:
        return Ok(RenderInstance(InstanceViewOf(instance_)));
      case Operation::kListBrokers:
        return Ok(RenderBrokers(instance_.brokers));
      case Operation::kCreateTopic:
        return CreateTopic();
      case Operation::kBatchDeleteTopics:
        return BatchDeleteTopics();
      case Operation::kListTopics:
        return ListTopics();
      case Operation::kShowTopic:
        return ShowTopic();
      case Operation::kUpdateTopic:
        return UpdateTopic();
      case Operation::kDeleteTopic:
        return DeleteTopic();
      case Operation::kShowTopicStatus:
        return ShowTopicStatus();
      case Operation::kListGroupsOfTopic:
        return ListGroupsOfTopic();
      case Operation::kCreateGroup:
        return CreateGroup();
      case Operation::kBatchDeleteGroups:
        return BatchDeleteGroups();
      case Operation::kBatchUpdateGroups:
        return BatchUpdateGroups();
      case Operation::kListGroups:
        return ListGroups();
      case Operation::kShowGroup:
        return ShowGroup();
      case Operation::kUpdateGroup:
        return UpdateGroup();
      case Operation::kDeleteGroup:
        return DeleteGroup();
      case Operation::kShowGroupTopics:
        return ShowGroupTopics();
      case Operation::kListConsumers:
        return ListConsumers();
      case Operation::kSendMessage:
        return SendMessage();
      case Operation::kQueryMessages:
        return QueryMessages();
      case Operation::kResendMessages:
        return ResendMessages();
      case Operation::kResetOffset:
        return ResetOffset();
    }
    return absl::InternalError(
        absl::StrCat("no handler for ", OperationName(route_.op)));
  }

 private:
  const std::string& inst() const { return instance_.id; }

  InstanceView InstanceViewOf(const broker::InstanceInfo& i) const {
    return InstanceView{i.id, i.name, static_cast<int>(i.brokers.size()),
                        Millis(i.created_at), config_.advertised_address};
  }

  // ---- Name resolution (spec §1.1) --------------------------------------

  // The existing topic a path segment names: the decoded reading first,
  // then the raw one. DmsStatus(kTopicNotFound) when neither exists.
  absl::StatusOr<broker::TopicInfo> FindTopic(const PathName& name) const {
    for (const std::string& candidate : name.Candidates()) {
      absl::StatusOr<broker::TopicInfo> t =
          broker_.topics().GetTopic(inst(), candidate);
      if (t.ok() || !IsNotFoundLike(t.status())) return t;
    }
    return DmsStatus(DmsCode::kTopicNotFound);
  }

  // `with_topics` false leaves GroupInfo::topics empty (and is cheaper).
  absl::StatusOr<broker::GroupInfo> FindGroup(const PathName& name,
                                              bool with_topics = true) const {
    for (const std::string& candidate : name.Candidates()) {
      absl::StatusOr<broker::GroupInfo> g =
          broker_.groups().GetGroup(inst(), candidate, with_topics);
      if (g.ok() || !IsNotFoundLike(g.status())) return g;
    }
    return DmsStatus(DmsCode::kGroupNotFound);
  }

  // ---- Instances --------------------------------------------------------

  absl::StatusOr<Reply> ListInstances() {
    RMQ_ASSIGN_OR_RETURN(ListInstancesQuery q,
                         ParseListInstancesQuery(route_.query));
    std::vector<InstanceView> all;
    for (const broker::InstanceInfo& i : broker_.ListInstances()) {
      all.push_back(InstanceViewOf(i));
    }
    std::vector<InstanceView> matches = FilterInstances(all, q);
    return Ok(RenderInstanceList(Slice(matches, q.page),
                                 static_cast<int64_t>(matches.size())));
  }

  // ---- Topics -----------------------------------------------------------

  static TopicView TopicViewOf(const broker::TopicInfo& t) {
    TopicView v;
    v.name = t.name;
    v.permission = std::string(broker::TopicPermissionName(t.permission));
    v.message_type = t.message_type;
    v.created_at_ms = Millis(t.created_at);
    for (const broker::TopicBrokerQueues& b : t.brokers) {
      v.brokers.push_back({b.broker_name, b.read_queue_num, b.write_queue_num});
    }
    return v;
  }

  absl::StatusOr<Reply> CreateTopic() {
    RMQ_ASSIGN_OR_RETURN(CreateTopicInput in,
                         ParseCreateTopic(body_, route_.query));
    broker::CreateTopicRequest req;
    req.name = in.name;
    req.brokers = in.brokers;
    req.queue_num = in.queue_num;
    req.queues = in.queues;
    req.permission = PermissionOf(in.permission);
    req.message_type = in.message_type;
    RMQ_ASSIGN_OR_RETURN(broker::TopicInfo t,
                         broker_.topics().CreateTopic(inst(), req));
    return Ok(RenderTopicCreated(t.name));
  }

  absl::StatusOr<Reply> BatchDeleteTopics() {
    // Names that do not exist are ignored (spec §4.2).
    return BatchDelete("topics", broker::Reason::kTopicNotFound,
                       [this](const std::string& name) {
                         return broker_.topics().DeleteTopic(inst(), name);
                       });
  }

  // Deletes every name listed under `field` in the body, ignoring names that
  // are invalid or answer `not_found`.
  template <typename DeleteFn>
  absl::StatusOr<Reply> BatchDelete(absl::string_view field,
                                    broker::Reason not_found,
                                    DeleteFn delete_one) {
    RMQ_ASSIGN_OR_RETURN(std::vector<std::string> names,
                         ParseBatchDelete(body_, field));
    for (const std::string& name : names) {
      absl::Status s = delete_one(name);
      if (!s.ok() && broker::ReasonOf(s) != not_found &&
          broker::ReasonOf(s) != broker::Reason::kInvalidName) {
        return s;
      }
    }
    return Ok(RenderJob(httpd::NewRequestId()));
  }

  absl::StatusOr<Reply> ListTopics() {
    RMQ_ASSIGN_OR_RETURN(PageRequest page, ParsePage(route_.query));
    RMQ_ASSIGN_OR_RETURN(std::vector<broker::TopicInfo> topics,
                         broker_.topics().ListTopics(inst()));
    std::vector<TopicView> views;
    for (const broker::TopicInfo& t : Slice(topics, page)) {
      views.push_back(TopicViewOf(t));
    }
    return Ok(RenderTopicList(views, page, static_cast<int64_t>(topics.size()),
                              broker_.options().max_topics));
  }

  absl::StatusOr<Reply> ShowTopic() {
    RMQ_ASSIGN_OR_RETURN(broker::TopicInfo t, FindTopic(route_.topic));
    return Ok(RenderTopic(TopicViewOf(t)));
  }

  absl::StatusOr<Reply> UpdateTopic() {
    RMQ_ASSIGN_OR_RETURN(UpdateTopicInput in, ParseUpdateTopic(body_));
    RMQ_ASSIGN_OR_RETURN(broker::TopicInfo t, FindTopic(route_.topic));
    broker::UpdateTopicRequest req;
    req.read_queue_num = in.read_queue_num;
    req.write_queue_num = in.write_queue_num;
    if (in.permission.has_value())
      req.permission = PermissionOf(*in.permission);
    req.description = in.topic_desc;
    for (const UpdateTopicInput::BrokerQueues& b : in.queues) {
      req.queues.push_back({b.broker, b.read_queue_num, b.write_queue_num});
    }
    RMQ_RETURN_IF_ERROR(
        broker_.topics().UpdateTopic(inst(), t.name, req).status());
    return NoContent();
  }

  absl::StatusOr<Reply> DeleteTopic() {
    RMQ_ASSIGN_OR_RETURN(broker::TopicInfo t, FindTopic(route_.topic));
    RMQ_RETURN_IF_ERROR(broker_.topics().DeleteTopic(inst(), t.name));
    return NoContent();
  }

  absl::StatusOr<Reply> ShowTopicStatus() {
    RMQ_ASSIGN_OR_RETURN(broker::TopicInfo t, FindTopic(route_.topic));
    RMQ_ASSIGN_OR_RETURN(broker::TopicStatus status,
                         broker_.topics().GetTopicStatus(inst(), t.name));
    std::vector<QueueStatusView> queues;
    for (const broker::QueueStatus& q : status.queues) {
      queues.push_back({q.queue.broker_name, q.queue.queue_id,
                        q.min_offset.value, q.max_offset.value,
                        q.last_store_time ? Millis(*q.last_store_time) : 0});
    }
    return Ok(RenderTopicStatus(std::move(queues)));
  }

  absl::StatusOr<Reply> ListGroupsOfTopic() {
    RMQ_ASSIGN_OR_RETURN(PageRequest page, ParsePage(route_.query));
    RMQ_ASSIGN_OR_RETURN(broker::TopicInfo t, FindTopic(route_.topic));
    RMQ_ASSIGN_OR_RETURN(std::vector<std::string> groups,
                         broker_.groups().GroupsOfTopic(inst(), t.name));
    return Ok(RenderGroupsOfTopic(Slice(groups, page),
                                  static_cast<int64_t>(groups.size())));
  }

  // ---- Consumer groups --------------------------------------------------

  GroupView GroupViewOf(const broker::GroupInfo& g) const {
    GroupView v;
    v.name = g.name;
    v.enabled = g.enabled;
    v.broadcast = g.broadcast;
    v.brokers = g.brokers.empty() ? instance_.brokers : g.brokers;
    v.group_desc = g.description;
    v.retry_max_time = g.retry_max_time;
    v.created_at_ms = Millis(g.created_at);
    v.consume_orderly = g.consume_orderly;
    v.group_online = !broker_.clients().Consumers(inst(), g.name).empty();
    v.topic_subscription_count = static_cast<int>(g.topics.size());
    return v;
  }

  static broker::UpdateGroupRequest UpdateRequestOf(
      const UpdateGroupInput& in) {
    broker::UpdateGroupRequest req;
    req.enabled = in.enabled;
    req.broadcast = in.broadcast;
    req.consume_orderly = in.consume_orderly;
    req.retry_max_time = in.retry_max_time;
    req.description = in.group_desc;
    req.brokers = in.brokers;
    return req;
  }

  absl::StatusOr<Reply> CreateGroup() {
    RMQ_ASSIGN_OR_RETURN(CreateGroupInput in,
                         ParseCreateGroup(body_, route_.query));
    broker::CreateGroupRequest req;
    req.name = in.name;
    req.enabled = in.enabled;
    req.broadcast = in.broadcast;
    req.consume_orderly = in.consume_orderly;
    req.retry_max_time = in.retry_max_time;
    req.description = in.group_desc;
    req.brokers = in.brokers;
    RMQ_ASSIGN_OR_RETURN(broker::GroupInfo g,
                         broker_.groups().CreateGroup(inst(), req));
    return Ok(RenderGroupCreated(g.name));
  }

  absl::StatusOr<Reply> BatchDeleteGroups() {
    // Names that do not exist are ignored (spec §5.2).
    return BatchDelete("groups", broker::Reason::kGroupNotFound,
                       [this](const std::string& name) {
                         return broker_.groups().DeleteGroup(inst(), name);
                       });
  }

  absl::StatusOr<Reply> BatchUpdateGroups() {
    RMQ_ASSIGN_OR_RETURN(std::vector<UpdateGroupInput> entries,
                         ParseBatchUpdateGroups(body_));
    // An unknown name fails the request before anything changes (§5.6).
    for (const UpdateGroupInput& e : entries) {
      absl::StatusOr<broker::GroupInfo> g =
          broker_.groups().GetGroup(inst(), *e.name);
      if (!g.ok()) {
        return IsNotFoundLike(g.status()) ? DmsStatus(DmsCode::kGroupNotFound)
                                          : g.status();
      }
    }
    for (const UpdateGroupInput& e : entries) {
      RMQ_RETURN_IF_ERROR(broker_.groups()
                              .UpdateGroup(inst(), *e.name, UpdateRequestOf(e))
                              .status());
    }
    return Ok(RenderJob(httpd::NewRequestId()));
  }

  absl::StatusOr<Reply> ListGroups() {
    RMQ_ASSIGN_OR_RETURN(ListGroupsQuery q, ParseListGroupsQuery(route_.query));
    RMQ_ASSIGN_OR_RETURN(std::vector<broker::GroupInfo> groups,
                         broker_.groups().ListGroups(inst()));
    std::vector<GroupView> matches;
    for (const broker::GroupInfo& g : groups) {
      if (q.group.has_value() && !absl::StrContains(g.name, *q.group)) continue;
      matches.push_back(GroupViewOf(g));
    }
    return Ok(RenderGroupList(Slice(matches, q.page), q.page,
                              static_cast<int64_t>(matches.size()),
                              broker_.options().max_groups));
  }

  absl::StatusOr<Reply> ShowGroup() {
    RMQ_ASSIGN_OR_RETURN(broker::GroupInfo g, FindGroup(route_.group));
    return Ok(RenderGroup(GroupViewOf(g), /*with_subscription_count=*/false));
  }

  absl::StatusOr<Reply> UpdateGroup() {
    RMQ_ASSIGN_OR_RETURN(UpdateGroupInput in, ParseUpdateGroup(body_));
    RMQ_ASSIGN_OR_RETURN(broker::GroupInfo g,
                         FindGroup(route_.group, /*with_topics=*/false));
    if (in.name.has_value() && *in.name != g.name) {
      return DmsStatus(DmsCode::kInvalidParameter,
                       "name must equal the group in the path");
    }
    RMQ_RETURN_IF_ERROR(broker_.groups()
                            .UpdateGroup(inst(), g.name, UpdateRequestOf(in))
                            .status());
    return NoContent();
  }

  absl::StatusOr<Reply> DeleteGroup() {
    RMQ_ASSIGN_OR_RETURN(broker::GroupInfo g,
                         FindGroup(route_.group, /*with_topics=*/false));
    RMQ_RETURN_IF_ERROR(broker_.groups().DeleteGroup(inst(), g.name));
    return NoContent();
  }

  absl::StatusOr<Reply> ShowGroupTopics() {
    RMQ_ASSIGN_OR_RETURN(GroupTopicsQuery q,
                         ParseGroupTopicsQuery(route_.query));
    RMQ_ASSIGN_OR_RETURN(broker::GroupInfo g, FindGroup(route_.group));
    if (!q.topic.has_value()) {
      return Ok(RenderGroupTopics(Slice(g.topics, q.page),
                                  static_cast<int64_t>(g.topics.size())));
    }
    RMQ_ASSIGN_OR_RETURN(broker::GroupTopicLag lag,
                         broker_.groups().GetLag(inst(), g.name, *q.topic));
    std::vector<ConsumeQueueView> queues;
    for (const broker::QueueLag& l : lag.queues) {
      // The client that pulled the queue in the last minute (dms 5.8).
      queues.push_back(
          {l.queue.broker_name, l.queue.queue_id, l.max_offset.value,
           l.committed ? l.committed->value : 0,
           l.last_consumed_store_time ? Millis(*l.last_consumed_store_time) : 0,
           broker_.clients().LastPuller(inst(), g.name, *q.topic, l.queue,
                                        absl::Seconds(60))});
    }
    return Ok(RenderConsumptionDetails(std::move(queues)));
  }

  absl::StatusOr<Reply> ListConsumers() {
    RMQ_ASSIGN_OR_RETURN(ConsumersQuery q, ParseConsumersQuery(route_.query));
    RMQ_ASSIGN_OR_RETURN(broker::GroupInfo g,
                         FindGroup(route_.group, /*with_topics=*/false));
    // RocketMQ clients connected now (remoting), one entry per client id.
    std::vector<ClientView> clients;
    for (const broker::ConsumerClientInfo& c :
         broker_.clients().Consumers(inst(), g.name)) {
      ClientView v;
      v.language = c.language;
      v.version = c.version;
      v.client_id = c.client_id;
      v.client_addr = c.address;
      if (!c.consume_type.empty()) v.consume_type = c.consume_type;
      for (const broker::ClientSubscription& sub : c.subscriptions) {
        if (absl::StartsWith(sub.topic, "%RETRY%")) continue;
        v.subscriptions.push_back(
            {sub.topic, sub.expression_type, sub.expression});
      }
      clients.push_back(std::move(v));
    }
    return Ok(RenderConsumers(g.name, clients, q));
  }

  // ---- Messages ---------------------------------------------------------

  MessageView MessageViewOf(const broker::Message& m) const {
    MessageView v;
    v.msg_id = m.msg_id;
    v.instance_id = inst();
    v.topic = m.topic;
    v.store_timestamp_ms = Millis(m.store_time);
    v.born_timestamp_ms =
        m.born_time ? Millis(*m.born_time) : v.store_timestamp_ms;
    v.body = m.body;
    v.keys = m.keys;
    v.tags = m.tags;
    for (const auto& [name, value] : m.properties) {
      if (name == kBornHostProperty) {
        v.born_host = value;
      } else {
        v.properties.emplace_back(name, value);
      }
    }
    if (v.born_host.empty()) v.born_host = m.born_host;
    v.reconsume_times = m.reconsume_times;
    v.store_size = m.stored_bytes;
    v.store_host = config_.advertised_address;
    v.broker_name = m.queue.broker_name;
    v.queue_id = m.queue.queue_id;
    v.queue_offset = m.offset.value;
    return v;
  }

  absl::StatusOr<Reply> SendMessage() {
    RMQ_ASSIGN_OR_RETURN(SendMessageInput in, ParseSendMessage(body_));
    SplitProperties split = SplitMessageProperties(in.properties);
    broker::ProduceRequest req;
    req.topic = in.topic;
    req.body = in.body;
    req.keys = std::move(split.keys);
    req.tags = std::move(split.tags);
    req.properties = std::move(split.user);
    req.born_host = ctx_.remote;
    req.born_time = ctx_.received;
    req.selector = broker::QueueSelector::RoundRobin();
    RMQ_ASSIGN_OR_RETURN(broker::ProduceResult r,
                         broker_.topics().Produce(inst(), req));
    return Ok(RenderSendResult(
        in, {r.msg_id, r.queue.broker_name, r.queue.queue_id, r.offset.value}));
  }

  absl::StatusOr<Reply> QueryMessages() {
    RMQ_ASSIGN_OR_RETURN(QueryMessagesInput in,
                         ParseQueryMessages(route_.query));
    if (in.msg_id.has_value()) {
      absl::StatusOr<broker::Message> m =
          broker_.topics().GetMessage(inst(), in.topic, *in.msg_id);
      if (!m.ok() &&
          broker::ReasonOf(m.status()) == broker::Reason::kMessageNotFound) {
        // Not a broker id: maybe a RocketMQ client's own id (UNIQ_KEY,
        // what its SendResult and consoles call the message id).
        broker::MessageQuery by_uniq;
        by_uniq.topic = in.topic;
        by_uniq.uniq_key = *in.msg_id;
        by_uniq.limit = 1;
        RMQ_ASSIGN_OR_RETURN(broker::MessageQueryResult r,
                             broker_.topics().QueryMessages(inst(), by_uniq));
        if (r.messages.empty()) return Ok(RenderMessages({}, 0));
        m = r.messages.front();
      }
      if (!m.ok()) return m.status();
      std::vector<MessageView> page;
      if (in.offset == 0) page.push_back(MessageViewOf(*m));
      return Ok(RenderMessages(page, 1));
    }
    broker::MessageQuery q;
    q.topic = in.topic;
    q.queue_id = in.queue_id;
    q.key = in.key;
    q.start_time = absl::FromUnixMillis(*in.start_time_ms);
    q.end_time = EndOfMillisecond(*in.end_time_ms);
    q.skip = in.offset;
    q.limit = in.limit;
    RMQ_ASSIGN_OR_RETURN(broker::MessageQueryResult r,
                         broker_.topics().QueryMessages(inst(), q));
    std::vector<MessageView> page;
    for (const broker::Message& m : r.messages) {
      page.push_back(MessageViewOf(m));
    }
    return Ok(RenderMessages(page, r.total));
  }

  // Whether message `id` exists in `topic`, or in any topic when absent.
  absl::StatusOr<bool> MessageExists(const std::optional<std::string>& topic,
                                     const std::string& id) const {
    std::vector<std::string> topics;
    if (topic.has_value()) {
      topics.push_back(*topic);
    } else {
      RMQ_ASSIGN_OR_RETURN(std::vector<broker::TopicInfo> all,
                           broker_.topics().ListTopics(inst()));
      for (const broker::TopicInfo& t : all) topics.push_back(t.name);
    }
    for (const std::string& t : topics) {
      absl::StatusOr<broker::Message> m =
          broker_.topics().GetMessage(inst(), t, id);
      if (m.ok()) return true;
      if (!IsNotFoundLike(m.status())) return m.status();
    }
    return false;
  }

  absl::StatusOr<Reply> ResendMessages() {
    RMQ_ASSIGN_OR_RETURN(ResendInput in, ParseResend(body_));
    // The group must exist even though no consumer can be online.
    RMQ_RETURN_IF_ERROR(broker_.groups().GetGroup(inst(), in.group).status());
    std::vector<ResendResultView> results;
    for (const std::string& id : in.msg_ids) {
      RMQ_ASSIGN_OR_RETURN(bool exists, MessageExists(in.topic, id));
      if (!exists) {
        results.push_back(
            {id, std::string(DmsErrorCodeString(DmsCode::kInvalidParameter)),
             "Message not found."});
      } else {
        // No consumer can be attached to the group through this broker
        // API, so `client_id` is never online.
        const DmsError offline = MakeDmsError(DmsCode::kGroupOffline);
        results.push_back({id, offline.error_code, offline.error_msg});
      }
    }
    return Ok(RenderResendResults(results));
  }

  // ---- Reset ------------------------------------------------------------

  absl::StatusOr<Reply> ResetOffset() {
    RMQ_ASSIGN_OR_RETURN(ResetOffsetInput in, ParseResetOffset(body_));
    RMQ_ASSIGN_OR_RETURN(broker::GroupInfo g,
                         FindGroup(route_.group, /*with_topics=*/false));
    broker::ResetTarget target;
    switch (in.point.kind) {
      case ResetPoint::Kind::kTime:
        target = broker::ResetTarget::At(
            absl::FromUnixMillis(in.point.timestamp_ms));
        break;
      case ResetPoint::Kind::kEarliest:
        target = broker::ResetTarget::Earliest();
        break;
      case ResetPoint::Kind::kLatest:
        target = broker::ResetTarget::Latest();
        break;
    }
    // One time-index lookup per queue (never a message scan); all queues
    // are committed in one batch.
    RMQ_ASSIGN_OR_RETURN(
        broker::ResetResult r,
        broker_.groups().ResetGroup(inst(), g.name, in.topic, target));
    std::vector<ResetQueueView> queues;
    for (const broker::QueuePosition& p : r.queues) {
      queues.push_back({p.queue.broker_name, p.queue.queue_id, p.offset.value});
    }
    return Ok(RenderResetResult(std::move(queues)));
  }

  broker::Broker& broker_;
  const DmsConfig& config_;
  const httpd::RequestContext& ctx_;
  const absl::string_view body_;
  const RouteMatch& route_;
  broker::InstanceInfo instance_;
};

httpd::Response JsonResponse(http::status status, std::string body) {
  return httpd::MakeResponse(status, std::move(body), kContentType);
}

httpd::Response ErrorResponse(const DmsError& e,
                              const httpd::RequestContext& ctx) {
  return JsonResponse(e.status, RenderErrorBody(e, ctx.request_id));
}

// The response for a failed request; server faults are logged in full and
// answered generically.
httpd::Response FailureResponse(const absl::Status& s,
                                const httpd::RequestContext& ctx,
                                absl::string_view what) {
  DmsError e = ToDmsError(s);
  if (static_cast<int>(e.status) >= 500) {
    RMQ_LOG(kError, "dms request ", ctx.request_id, " ", what, ": ",
            s.ToString());
    e = MakeDmsError(DmsCode::kInternal);
  }
  return ErrorResponse(e, ctx);
}

}  // namespace

DmsHandler::DmsHandler(broker::Broker& broker, DmsConfig config)
    : broker_(broker), config_(std::move(config)) {}

void DmsHandler::Handle(const httpd::RequestContext& ctx, httpd::Request& req,
                        httpd::Responder respond) {
  respond(Answer(ctx, req));
}

bool DmsHandler::MayBlock(const httpd::RequestContext& /*ctx*/,
                          const httpd::Request& req) const {
  if (broker_.SyncsEachWrite()) return true;
  // Judged from the method and the path's end, without a full route match
  // (Answer() does that): message queries (GET .../messages), resends
  // (POST .../resend), batch deletes (POST ...?action=delete) and deletes.
  const absl::string_view method = httpd::ToAbsl(req.method_string());
  const absl::string_view target = httpd::ToAbsl(req.target());
  absl::string_view path = httpd::TargetPath(target);
  absl::ConsumeSuffix(&path, "/");
  if (method == "DELETE") return true;
  if (method == "GET") return absl::EndsWith(path, "/messages");
  if (method == "POST") {
    return absl::EndsWith(path, "/resend") ||
           httpd::HasUrlEncodedParameter(httpd::TargetQuery(target), "action");
  }
  return false;
}

httpd::Response DmsHandler::Answer(const httpd::RequestContext& ctx,
                                   const httpd::Request& req) const {
  // An exception escapes to the HTTP layer, which logs it and answers with
  // the route's internal error (RenderDmsTransportError).
  const absl::string_view method = httpd::ToAbsl(req.method_string());
  const absl::string_view target = httpd::ToAbsl(req.target());

  // 1. Signature, before routing (§1.6 evaluation order).
  auto header =
      [&req](absl::string_view name) -> std::optional<absl::string_view> {
    auto it = req.find(boost::beast::string_view(name.data(), name.size()));
    if (it == req.end()) return std::nullopt;
    return httpd::ToAbsl(it->value());
  };
  absl::Status auth =
      VerifySignature({method, target, httpd::ToAbsl(req.body()), header},
                      config_.credentials, config_.clock->Now());
  if (!auth.ok()) return FailureResponse(auth, ctx, "signature");

  // 2. Route, method and project id.
  absl::StatusOr<RouteMatch> route = MatchRoute(method, target);
  if (!route.ok()) return FailureResponse(route.status(), ctx, target);

  // 3. Instance, parsing, broker call, rendering.
  Call call(broker_, config_, ctx, req, *route);
  absl::StatusOr<Reply> reply = call.Run();
  if (!reply.ok()) {
    return FailureResponse(reply.status(), ctx, OperationName(route->op));
  }
  if (!reply->body.has_value()) {
    httpd::Response res{reply->status, 11};
    return res;
  }
  return JsonResponse(reply->status, ToJson(*reply->body));
}

httpd::Response RenderDmsTransportError(httpd::TransportError error,
                                        const httpd::RequestContext& ctx,
                                        const httpd::Request& /*req*/,
                                        uint64_t body_limit) {
  switch (error) {
    case httpd::TransportError::kNotFound:
      return ErrorResponse(MakeDmsError(DmsCode::kRouteNotFound), ctx);
    case httpd::TransportError::kPayloadTooLarge: {
      DmsError e = MakeDmsError(
          DmsCode::kInvalidParameter,
          absl::StrCat("request body larger than ", body_limit, " bytes"));
      e.status = http::status::payload_too_large;
      return ErrorResponse(e, ctx);
    }
    case httpd::TransportError::kInternal:
      return ErrorResponse(MakeDmsError(DmsCode::kInternal), ctx);
    case httpd::TransportError::kBusy:
      return ErrorResponse(MakeDmsError(DmsCode::kBusy), ctx);
    default:
      return ErrorResponse(MakeDmsError(DmsCode::kInvalidParameter), ctx);
  }
}

httpd::Route MakeDmsRoute(DmsHandler* handler) {
  httpd::Route route;
  route.name = "dms";
  route.matcher = httpd::RouteMatcher::Prefix("/v2/");
  route.handler = handler;
  route.body_limit = handler->config().body_limit;
  const uint64_t limit = route.body_limit;
  route.render_error = [limit](httpd::TransportError error,
                               const httpd::RequestContext& ctx,
                               const httpd::Request& req) {
    return RenderDmsTransportError(error, ctx, req, limit);
  };
  return route;
}

std::unique_ptr<DmsHandler> RegisterDmsRoutes(httpd::Router& router,
                                              broker::Broker& broker,
                                              const DmsConfig& config) {
  auto handler = std::make_unique<DmsHandler>(broker, config);
  router.Add(MakeDmsRoute(handler.get()));
  return handler;
}

}  // namespace rewindmq::facade::dms
