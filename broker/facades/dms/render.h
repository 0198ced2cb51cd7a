// Rendering of every DMS response body (spec §3-§8) from plain view
// structs, with the spec's field names and JSON types. Times in views are
// epoch milliseconds, already rounded down from the broker's store times.
// Pure functions; the handler fills the views from broker results.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "broker/facades/dms/requests.h"

namespace rewindmq::facade::dms {

using Properties = std::vector<std::pair<std::string, std::string>>;

// Serializes `o` compactly (the wire form).
std::string ToJson(const boost::json::object& o);

// ---- Instances (§3) -----------------------------------------------------

struct InstanceView {
  std::string instance_id;
  std::string name;
  int broker_num = 1;
  int64_t created_at_ms = 0;
  std::string address;  // namesrv_address and broker_address
};
// The ShowInstance body; `created_at` is a string (§1.4).
boost::json::object RenderInstance(const InstanceView& v);

// ListInstances filters of §3.2 applied to `all` (configuration order);
// paging is the caller's.
std::vector<InstanceView> FilterInstances(const std::vector<InstanceView>& all,
                                          const ListInstancesQuery& q);
boost::json::object RenderInstanceList(const std::vector<InstanceView>& page,
                                       int64_t total);

// {"total":N,"next_offset":-1,"previous_offset":-1,"brokers":[...]}.
boost::json::object RenderBrokers(const std::vector<std::string>& brokers);

// ---- Topics (§4) --------------------------------------------------------

struct TopicView {
  struct Broker {
    std::string broker_name;
    int read_queue_num = 0;
    int write_queue_num = 0;
  };
  std::string name;
  std::string permission = "all";
  std::string message_type = "NORMAL";
  int64_t created_at_ms = 0;
  std::vector<Broker> brokers;
};
boost::json::object RenderTopic(const TopicView& v);

// {"total","max","remaining","next_offset","previous_offset","topics"}.
boost::json::object RenderTopicList(const std::vector<TopicView>& page,
                                    const PageRequest& request, int64_t total,
                                    int64_t max);

// {"id":"<name>"}.
boost::json::object RenderTopicCreated(absl::string_view name);
// {"job_id":"<32 lowercase hex>"}.
boost::json::object RenderJob(absl::string_view job_id);

// One queue in ShowTopicStatus.
struct QueueStatusView {
  std::string broker_name;
  int queue_id = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_message_time_ms = 0;  // 0 when the queue is empty
};
// {"max_offset":Σ,"min_offset":Σ,"brokers":[{"broker_name",
// "queues":[{"id","min_offset","max_offset","last_message_time"}]}]},
// brokers by name, queues by id, whatever the input order.
boost::json::object RenderTopicStatus(std::vector<QueueStatusView> queues);

// {"groups":[...],"total":N}.
boost::json::object RenderGroupsOfTopic(const std::vector<std::string>& page,
                                        int64_t total);

// ---- Consumer groups (§5) -----------------------------------------------

struct GroupView {
  std::string name;
  bool enabled = true;
  bool broadcast = false;
  std::vector<std::string> brokers;
  std::string group_desc;
  int retry_max_time = 16;
  int64_t created_at_ms = 0;
  bool consume_orderly = false;
  bool group_online = false;
  int topic_subscription_count = 0;
};
// ShowGroup leaves out `topic_subscription_count`; list entries have it.
boost::json::object RenderGroup(const GroupView& v,
                                bool with_subscription_count);
// {"total","groups","max","remaining","next_offset","previous_offset"}.
boost::json::object RenderGroupList(const std::vector<GroupView>& page,
                                    const PageRequest& request, int64_t total,
                                    int64_t max);
// {"name":"<group>"}.
boost::json::object RenderGroupCreated(absl::string_view name);

// {"topics":[...],"total":N}: a group's topics without `topic`.
boost::json::object RenderGroupTopics(const std::vector<std::string>& page,
                                      int64_t total);

// One queue in the consumption details (§5.8).
struct ConsumeQueueView {
  std::string broker_name;
  int queue_id = 0;
  int64_t broker_offset = 0;    // the queue's max_offset
  int64_t consumer_offset = 0;  // committed offset, 0 when none
  int64_t last_message_time_ms = 0;
  std::string client_id;
};
// {"lag":Σ,"max_offset":Σ,"consumer_offset":Σ,"brokers":[{"broker_name",
// "queues":[{"id","lag","broker_offset","consumer_offset",
// "last_message_time","client_id"}]}]} with lag = max(0, broker_offset -
// consumer_offset); brokers by name, queues by id.
boost::json::object RenderConsumptionDetails(
    std::vector<ConsumeQueueView> queues);

struct ClientView {
  struct Subscription {
    std::string topic;
    std::string type = "TAG";
    std::string expression = "*";
  };
  std::string language;
  std::string version;
  std::string client_id;
  std::string client_addr;
  std::string consume_type = "CONSUME_PASSIVELY";
  std::vector<Subscription> subscriptions;
};
// §5.9: online = total > 0; subscription_consistency = every client has
// the same subscriptions; `subscriptions` only with `is_detail`.
boost::json::object RenderConsumers(absl::string_view group,
                                    const std::vector<ClientView>& all,
                                    const ConsumersQuery& q);

// ---- Messages (§6) ------------------------------------------------------

// The broker's view of a DMS property list: KEYS (space-separated) become
// lookup keys, TAGS the tag, UNIQ_KEY is dropped (the broker assigns the
// message id), every other property is kept in order.
struct SplitProperties {
  std::vector<std::string> keys;
  std::vector<std::string> tags;
  Properties user;
};
SplitProperties SplitMessageProperties(const Properties& properties);

// The SendMessage response: topic, body and property_list echo the
// request.
struct SendResultView {
  std::string msg_id;
  std::string broker_name;
  int queue_id = 0;
  int64_t queue_offset = 0;
};
boost::json::object RenderSendResult(const SendMessageInput& in,
                                     const SendResultView& r);

struct MessageView {
  std::string msg_id;
  std::string instance_id;
  std::string topic;
  int64_t store_timestamp_ms = 0;
  int64_t born_timestamp_ms = 0;
  int reconsume_times = 0;
  std::string body;  // bytes
  std::vector<std::string> keys;
  std::vector<std::string> tags;
  Properties properties;  // user properties
  int64_t store_size = 0;
  std::string born_host;
  std::string store_host;
  std::string broker_name;
  int queue_id = 0;
  int64_t queue_offset = 0;
};
// One Message object of §6.2. property_list = user properties, then KEYS
// (keys joined by ' '), TAGS (tags joined by "||"), UNIQ_KEY = msg_id. A
// body that is not valid UTF-8 is sent base64-encoded with the extra
// property __BODY_ENCODING=base64. body_crc is the CRC-32 of the body bytes
// masked with 0x7FFFFFFF.
boost::json::object RenderMessage(const MessageView& m);
// {"messages":[...],"total":N}.
boost::json::object RenderMessages(const std::vector<MessageView>& page,
                                   int64_t total);

// CRC-32 (IEEE, as java.util.zip.CRC32) of `data`.
uint32_t Crc32(absl::string_view data);

struct ResendResultView {
  std::string msg_id;
  std::string error_code;  // "DMS.00000000" on success
  std::string error_message;
};
// {"resend_results":[{"msg_id","error_code","error_message"}]}.
boost::json::object RenderResendResults(
    const std::vector<ResendResultView>& results);

// ---- Reset (§8) ---------------------------------------------------------

struct ResetQueueView {
  std::string broker_name;
  int queue_id = 0;
  int64_t offset = 0;  // the new consumer offset
};
// {"queues":[{"broker_name","queue_id","timestamp_offset"}]}, ordered by
// broker name then queue id.
boost::json::object RenderResetResult(std::vector<ResetQueueView> queues);

}  // namespace rewindmq::facade::dms
