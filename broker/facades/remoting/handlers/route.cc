// Name-server requests: GET_ROUTEINFO_BY_TOPIC (105), GET_BROKER_CLUSTER_INFO
// (106), GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206). Bodies are standard JSON
// without whitespace (the Go client splits brokerAddrs text by hand).
#include <boost/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "broker/errors.h"
#include "broker/facades/remoting/handlers/common.h"

namespace rewindmq::facade::remoting::internal {
namespace {

namespace json = boost::json;

int PermOf(broker::TopicPermission p) {
  switch (p) {
    case broker::TopicPermission::kPub:
      return 2;
    case broker::TopicPermission::kSub:
      return 4;
    case broker::TopicPermission::kAll:
      break;
  }
  return 6;
}

json::object BrokerData(const RemotingConfig& config, int index,
                        const std::string& name) {
  json::object addrs;
  addrs["0"] = config.advertised[index];
  json::object b;
  b["brokerAddrs"] = std::move(addrs);
  b["brokerName"] = name;
  b["cluster"] = config.cluster;
  b["enableActingMaster"] = false;
  return b;
}

int BrokerIndexOf(absl::string_view name) {
  int i = 0;
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "broker-") || !absl::SimpleAtoi(rest, &i)) {
    return -1;
  }
  return i;
}

}  // namespace

void HandleRoute(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<std::string> topic = Required(req, "topic");
  if (!topic.ok())
    return Reply(ctx, req, status::kSystemError,
                 std::string(topic.status().message()));
  absl::StatusOr<broker::TopicInfo> info =
      ctx.broker->topics().GetTopic(ctx.config->instance, *topic);
  if (!info.ok() &&
      broker::ReasonOf(info.status()) == broker::Reason::kTopicNotFound &&
      absl::StartsWith(*topic, kRetryPrefix)) {
    // A retry topic exists as soon as its group does.
    const std::string group(topic->substr(kRetryPrefix.size()));
    if (ctx.broker->groups().GetGroup(ctx.config->instance, group).ok() &&
        EnsureSystemTopic(ctx, *topic).ok()) {
      info = ctx.broker->topics().GetTopic(ctx.config->instance, *topic);
    }
  }
  if (!info.ok()) {
    if (broker::ReasonOf(info.status()) == broker::Reason::kTopicNotFound) {
      return Reply(ctx, req, status::kTopicNotExist,
                   absl::StrCat("No topic route info in name server for the "
                                "topic: ",
                                *topic));
    }
    return ReplyError(ctx, req, info.status());
  }
  json::array brokers, queues;
  for (const broker::TopicBrokerQueues& b : info->brokers) {
    const int index = BrokerIndexOf(b.broker_name);
    if (index < 0 || index >= static_cast<int>(ctx.config->advertised.size())) {
      continue;
    }
    brokers.push_back(BrokerData(*ctx.config, index, b.broker_name));
    json::object q;
    q["brokerName"] = b.broker_name;
    q["perm"] = PermOf(info->permission);
    q["readQueueNums"] = b.read_queue_num;
    q["topicSysFlag"] = 0;
    q["writeQueueNums"] = b.write_queue_num;
    queues.push_back(std::move(q));
  }
  json::object body;
  body["brokerDatas"] = std::move(brokers);
  body["filterServerTable"] = json::object();
  body["queueDatas"] = std::move(queues);
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.body = json::serialize(body);
  ctx.respond(std::move(r));
}

void HandleClusterInfo(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<broker::InstanceInfo> inst =
      ctx.broker->GetInstance(ctx.config->instance);
  if (!inst.ok()) return ReplyError(ctx, req, inst.status());
  json::object table;
  json::array names;
  for (size_t i = 0;
       i < inst->brokers.size() && i < ctx.config->advertised.size(); ++i) {
    json::object b =
        BrokerData(*ctx.config, static_cast<int>(i), inst->brokers[i]);
    b.erase("enableActingMaster");
    table[inst->brokers[i]] = std::move(b);
    names.push_back(json::value(inst->brokers[i]));
  }
  json::object clusters;
  clusters[ctx.config->cluster] = std::move(names);
  json::object body;
  body["brokerAddrTable"] = std::move(table);
  body["clusterAddrTable"] = std::move(clusters);
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.body = json::serialize(body);
  ctx.respond(std::move(r));
}

void HandleTopicList(const RequestContext& ctx, const RemotingCommand& req) {
  absl::StatusOr<std::vector<broker::TopicInfo>> topics =
      ctx.broker->topics().ListTopics(ctx.config->instance);
  if (!topics.ok()) return ReplyError(ctx, req, topics.status());
  json::array list;
  for (const broker::TopicInfo& t : *topics)
    list.push_back(json::value(t.name));
  json::object body;
  body["topicList"] = std::move(list);
  RemotingCommand r = ResponseTo(req, status::kSuccess);
  r.body = json::serialize(body);
  ctx.respond(std::move(r));
}

}  // namespace rewindmq::facade::remoting::internal
