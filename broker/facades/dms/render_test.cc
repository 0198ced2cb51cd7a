#include "broker/facades/dms/render.h"

#include <boost/json/parse.hpp>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::facade::dms {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;

std::vector<std::string> Keys(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  return keys;
}

// ---- Instances ----------------------------------------------------------

InstanceView Instance(std::string id, std::string name) {
  return {std::move(id), std::move(name), 2, 1662652800000, "127.0.0.1:9555"};
}

TEST(RenderInstanceTest, HasTheSpecFieldsWithTheirTypes) {
  json::object o = RenderInstance(
      Instance("00000000-0000-4000-8000-000000000001", "rewindmq"));
  EXPECT_EQ(o.at("instance_id").as_string(),
            "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(o.at("name").as_string(), "rewindmq");
  EXPECT_EQ(o.at("engine").as_string(), "reliability");
  EXPECT_EQ(o.at("engine_version").as_string(), "4.8.0");
  EXPECT_EQ(o.at("status").as_string(), "RUNNING");
  EXPECT_EQ(o.at("type").as_string(), "cluster");
  EXPECT_EQ(o.at("broker_num").as_int64(), 2);
  // created_at of an instance is a string of epoch milliseconds.
  EXPECT_EQ(o.at("created_at").as_string(), "1662652800000");
  EXPECT_EQ(o.at("ssl_enable").as_bool(), false);
  EXPECT_EQ(o.at("enterprise_project_id").as_string(), "0");
  EXPECT_EQ(o.at("namesrv_address").as_string(), "127.0.0.1:9555");
  EXPECT_TRUE(o.at("tags").as_array().empty());
  EXPECT_GE(o.at("storage_space").as_int64(), 0);
}

TEST(FilterInstancesTest, AppliesEngineNameIdAndStatusFilters) {
  const std::vector<InstanceView> all = {Instance("i-1", "orders-a"),
                                         Instance("i-2", "orders-b"),
                                         Instance("i-3", "billing")};
  ListInstancesQuery q;
  q.engine = "rocketmq";
  EXPECT_EQ(FilterInstances(all, q).size(), 3u);
  q.engine = "reliability";
  EXPECT_EQ(FilterInstances(all, q).size(), 3u);
  q.engine = "kafka";
  EXPECT_TRUE(FilterInstances(all, q).empty());
  q.engine = "rocketmq";
  q.name = "orders";
  EXPECT_EQ(FilterInstances(all, q).size(), 2u);
  q.exact_match_name = true;
  EXPECT_TRUE(FilterInstances(all, q).empty());
  q.name = "billing";
  ASSERT_EQ(FilterInstances(all, q).size(), 1u);
  q.name.reset();
  q.instance_id = "i-2";
  EXPECT_EQ(FilterInstances(all, q).at(0).name, "orders-b");
  q.instance_id.reset();
  q.status = "FROZEN";
  EXPECT_TRUE(FilterInstances(all, q).empty());
}

TEST(RenderInstanceListTest, CarriesInstancesAndTheMatchCount) {
  json::object o = RenderInstanceList({Instance("i-1", "a")}, 3);
  EXPECT_EQ(o.at("instances").as_array().size(), 1u);
  EXPECT_EQ(o.at("instance_num").as_int64(), 3);
}

TEST(RenderBrokersTest, ListsEveryBrokerWithIdZero) {
  EXPECT_EQ(ToJson(RenderBrokers({"broker-0", "broker-1"})),
            R"({"total":2,"next_offset":-1,"previous_offset":-1,"brokers":[)"
            R"({"broker_name":"broker-0","ids":[0]},)"
            R"({"broker_name":"broker-1","ids":[0]}]})");
}

// ---- Topics -------------------------------------------------------------

TopicView Topic() {
  TopicView t;
  t.name = "topic_01";
  t.permission = "all";
  t.message_type = "NORMAL";
  t.created_at_ms = 1662652800123;
  t.brokers = {{"broker-0", 3, 2}, {"broker-1", 4, 4}};
  return t;
}

TEST(RenderTopicTest, SumsQueueCountsOverBrokers) {
  EXPECT_EQ(
      ToJson(RenderTopic(Topic())),
      R"({"name":"topic_01","total_read_queue_num":7,)"
      R"("total_write_queue_num":6,"permission":"all",)"
      R"("created_at":1662652800123,"brokers":[)"
      R"({"broker_name":"broker-0","read_queue_num":3,"write_queue_num":2},)"
      R"({"broker_name":"broker-1","read_queue_num":4,"write_queue_num":4}],)"
      R"("message_type":"NORMAL"})");
}

TEST(RenderTopicListTest, HasQuotaAndPagingFields) {
  json::object o = RenderTopicList({Topic()}, {10, 10}, 11, 2000);
  EXPECT_EQ(o.at("total").as_int64(), 11);
  EXPECT_EQ(o.at("max").as_int64(), 2000);
  EXPECT_EQ(o.at("remaining").as_int64(), 1989);
  EXPECT_EQ(o.at("next_offset").as_int64(), -1);
  EXPECT_EQ(o.at("previous_offset").as_int64(), 0);
  EXPECT_EQ(o.at("topics").as_array().size(), 1u);
}

TEST(RenderTopicCreatedTest, AnswersWithTheNameAsId) {
  EXPECT_EQ(ToJson(RenderTopicCreated("t1")), R"({"id":"t1"})");
  EXPECT_EQ(ToJson(RenderJob("0123456789abcdef0123456789abcdef")),
            R"({"job_id":"0123456789abcdef0123456789abcdef"})");
}

TEST(RenderTopicStatusTest, GroupsQueuesByBrokerAndSumsOffsets) {
  // Deliberately out of order.
  json::object o = RenderTopicStatus({
      {"broker-1", 0, 0, 3, 1662652803000},
      {"broker-0", 1, 0, 0, 0},
      {"broker-0", 0, 2, 6, 1662652801234},
  });
  EXPECT_EQ(
      ToJson(o),
      R"({"max_offset":9,"min_offset":2,"brokers":[)"
      R"({"broker_name":"broker-0","queues":[)"
      R"({"id":0,"min_offset":2,"max_offset":6,"last_message_time":1662652801234},)"
      R"({"id":1,"min_offset":0,"max_offset":0,"last_message_time":0}]},)"
      R"({"broker_name":"broker-1","queues":[)"
      R"({"id":0,"min_offset":0,"max_offset":3,"last_message_time":1662652803000}]}]})");
}

TEST(RenderGroupsOfTopicTest, ListsNamesAndTotal) {
  EXPECT_EQ(ToJson(RenderGroupsOfTopic({"g1", "g2"}, 5)),
            R"({"groups":["g1","g2"],"total":5})");
}

// ---- Groups -------------------------------------------------------------

GroupView Group() {
  GroupView g;
  g.name = "group_01";
  g.brokers = {"broker-0"};
  g.group_desc = "billing";
  g.retry_max_time = 16;
  g.created_at_ms = 1662652800000;
  g.topic_subscription_count = 2;
  return g;
}

TEST(RenderGroupTest, ShowLeavesOutTheSubscriptionCount) {
  json::object o = RenderGroup(Group(), false);
  EXPECT_THAT(Keys(o),
              ElementsAre("name", "enabled", "broadcast", "brokers",
                          "group_desc", "retry_max_time", "created_at",
                          "permissions", "consume_orderly", "group_online"));
  EXPECT_TRUE(o.at("enabled").as_bool());
  EXPECT_FALSE(o.at("group_online").as_bool());
  EXPECT_EQ(o.at("created_at").as_int64(), 1662652800000);
  EXPECT_EQ(o.at("retry_max_time").as_int64(), 16);
}

TEST(RenderGroupListTest, EntriesCarryTheSubscriptionCount) {
  json::object o = RenderGroupList({Group()}, {0, 10}, 1, 4000);
  EXPECT_EQ(o.at("max").as_int64(), 4000);
  EXPECT_EQ(o.at("remaining").as_int64(), 3999);
  EXPECT_EQ(o.at("next_offset").as_int64(), -1);
  EXPECT_EQ(o.at("previous_offset").as_int64(), -1);
  EXPECT_EQ(o.at("groups")
                .as_array()
                .at(0)
                .as_object()
                .at("topic_subscription_count")
                .as_int64(),
            2);
  EXPECT_EQ(ToJson(RenderGroupCreated("g1")), R"({"name":"g1"})");
}

TEST(RenderGroupTopicsTest, ListsTopicsAndTotal) {
  EXPECT_EQ(ToJson(RenderGroupTopics({"t1"}, 1)),
            R"({"topics":["t1"],"total":1})");
}

TEST(RenderConsumptionDetailsTest, ComputesLagPerQueueAndSums) {
  json::object o = RenderConsumptionDetails({
      {"broker-0", 1, 6, 2, 1662652800500, ""},
      {"broker-0", 0, 6, 6, 1662652800900, ""},
      {"broker-1", 0, 12, 0, 0, ""},
  });
  EXPECT_EQ(ToJson(o),
            R"({"lag":16,"max_offset":24,"consumer_offset":8,"brokers":[)"
            R"({"broker_name":"broker-0","queues":[)"
            R"({"id":0,"lag":0,"broker_offset":6,"consumer_offset":6,)"
            R"("last_message_time":1662652800900,"client_id":""},)"
            R"({"id":1,"lag":4,"broker_offset":6,"consumer_offset":2,)"
            R"("last_message_time":1662652800500,"client_id":""}]},)"
            R"({"broker_name":"broker-1","queues":[)"
            R"({"id":0,"lag":12,"broker_offset":12,"consumer_offset":0,)"
            R"("last_message_time":0,"client_id":""}]}]})");
}

TEST(RenderConsumptionDetailsTest, LagIsNeverNegative) {
  json::object o = RenderConsumptionDetails({{"broker-0", 0, 3, 5, 0, ""}});
  EXPECT_EQ(o.at("lag").as_int64(), 0);
}

TEST(RenderConsumersTest, WithNoClientsTheGroupIsOfflineAndConsistent) {
  EXPECT_EQ(ToJson(RenderConsumers("g1", {}, ConsumersQuery{})),
            R"({"group_name":"g1","online":false,)"
            R"("subscription_consistency":true,"total":0,"next_offset":-1,)"
            R"("previous_offset":-1,"clients":[]})");
}

TEST(RenderConsumersTest, SubscriptionsAppearOnlyWithDetail) {
  ClientView a;
  a.client_id = "c1";
  a.subscriptions = {{"t1", "TAG", "*"}};
  ClientView b = a;
  b.client_id = "c2";
  b.subscriptions = {{"t2", "TAG", "*"}};
  ConsumersQuery q;
  json::object plain = RenderConsumers("g1", {a, b}, q);
  EXPECT_TRUE(plain.at("online").as_bool());
  EXPECT_FALSE(plain.at("subscription_consistency").as_bool());
  EXPECT_FALSE(plain.at("clients").as_array().at(0).as_object().contains(
      "subscriptions"));
  q.is_detail = true;
  q.page.limit = 1;
  json::object detail = RenderConsumers("g1", {a, b}, q);
  EXPECT_EQ(detail.at("total").as_int64(), 2);
  EXPECT_EQ(detail.at("next_offset").as_int64(), 1);
  ASSERT_EQ(detail.at("clients").as_array().size(), 1u);
  EXPECT_TRUE(detail.at("clients").as_array().at(0).as_object().contains(
      "subscriptions"));
}

// ---- Messages -----------------------------------------------------------

TEST(SplitMessagePropertiesTest, KeysTagsAndUserPropertiesAreSeparated) {
  SplitProperties s = SplitMessageProperties({{"KEYS", "k1  k2 "},
                                              {"color", "red"},
                                              {"TAGS", "tagA"},
                                              {"UNIQ_KEY", "forged"},
                                              {"size", "L"}});
  EXPECT_THAT(s.keys, ElementsAre("k1", "k2"));
  EXPECT_THAT(s.tags, ElementsAre("tagA"));
  EXPECT_EQ(s.user.size(), 2u);
  EXPECT_EQ(s.user[0].first, "color");
  EXPECT_EQ(s.user[1].first, "size");
}

TEST(RenderSendResultTest, EchoesTheRequestAndNamesThePosition) {
  SendMessageInput in{"t1", "hello", {{"KEYS", "k1"}}};
  EXPECT_EQ(ToJson(RenderSendResult(
                in, {"644F0E2A315323EAB33D8F4733110009", "broker-0", 3, 17})),
            R"({"topic":"t1","body":"hello","property_list":)"
            R"([{"name":"KEYS","value":"k1"}],)"
            R"("msg_id":"644F0E2A315323EAB33D8F4733110009","queue_id":3,)"
            R"("queue_offset":17,"broker_name":"broker-0"})");
  SendMessageInput bare{"t1", "x", {}};
  EXPECT_EQ(json::parse(ToJson(RenderSendResult(bare, {})))
                .at("property_list")
                .as_array()
                .size(),
            0u);
}

MessageView Message(std::string body) {
  MessageView m;
  m.msg_id = "644F0E2A315323EAB33D8F4733110009";
  m.instance_id = "i-1";
  m.topic = "t1";
  m.store_timestamp_ms = 1662652800500;
  m.born_timestamp_ms = 1662652800499;
  m.body = std::move(body);
  m.keys = {"k1", "k2"};
  m.tags = {"tagA"};
  m.properties = {{"color", "red"}};
  m.store_size = 120;
  m.born_host = "127.0.0.1:50000";
  m.store_host = "127.0.0.1:9555";
  m.broker_name = "broker-0";
  m.queue_id = 1;
  m.queue_offset = 5;
  return m;
}

std::vector<std::pair<std::string, std::string>> PropertyPairs(
    const json::object& o) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const json::value& p : o.at("property_list").as_array()) {
    out.emplace_back(p.at("name").as_string(), p.at("value").as_string());
  }
  return out;
}

TEST(RenderMessageTest, HasEverySpecFieldWithItsType) {
  json::object o = RenderMessage(Message("hello"));
  EXPECT_THAT(Keys(o), ElementsAre("msg_id", "instance_id", "topic",
                                   "store_timestamp", "born_timestamp",
                                   "reconsume_times", "body", "body_crc",
                                   "store_size", "property_list", "born_host",
                                   "store_host", "queue_id", "queue_offset"));
  EXPECT_EQ(o.at("store_timestamp").as_int64(), 1662652800500);
  EXPECT_EQ(o.at("born_timestamp").as_int64(), 1662652800499);
  EXPECT_EQ(o.at("reconsume_times").as_int64(), 0);
  EXPECT_EQ(o.at("body").as_string(), "hello");
  // CRC32("hello") = 0x3610A686.
  EXPECT_EQ(o.at("body_crc").as_int64(), 0x3610A686 & 0x7FFFFFFF);
  EXPECT_EQ(o.at("queue_offset").as_int64(), 5);
  EXPECT_THAT(PropertyPairs(o),
              ElementsAre(std::pair<std::string, std::string>("color", "red"),
                          std::pair<std::string, std::string>("KEYS", "k1 k2"),
                          std::pair<std::string, std::string>("TAGS", "tagA"),
                          std::pair<std::string, std::string>(
                              "UNIQ_KEY", "644F0E2A315323EAB33D8F4733110009")));
}

TEST(RenderMessageTest, ABodyThatIsNotUtf8IsSentAsBase64) {
  const std::string bytes("\x00\xFF\x10", 3);
  json::object o = RenderMessage(Message(bytes));
  EXPECT_EQ(o.at("body").as_string(), absl::Base64Escape(bytes));
  EXPECT_THAT(PropertyPairs(o),
              ::testing::Contains(std::pair<std::string, std::string>(
                  "__BODY_ENCODING", "base64")));
}

TEST(RenderMessagesTest, CarriesThePageAndTheTotal) {
  json::object o = RenderMessages({Message("a"), Message("b")}, 7);
  EXPECT_EQ(o.at("messages").as_array().size(), 2u);
  EXPECT_EQ(o.at("total").as_int64(), 7);
  EXPECT_EQ(ToJson(RenderMessages({}, 0)), R"({"messages":[],"total":0})");
}

TEST(Crc32Test, MatchesJavaUtilZipCrc32) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
}

TEST(RenderResendResultsTest, OneEntryPerMessage) {
  EXPECT_EQ(
      ToJson(RenderResendResults(
          {{"A", "DMS.00000000", "Success."},
           {"B", "DMS.50050004", "The consumer group is offline."}})),
      R"({"resend_results":[)"
      R"({"msg_id":"A","error_code":"DMS.00000000","error_message":"Success."},)"
      R"({"msg_id":"B","error_code":"DMS.50050004",)"
      R"("error_message":"The consumer group is offline."}]})");
}

// ---- Reset --------------------------------------------------------------

TEST(RenderResetResultTest, OrdersByBrokerThenQueueAndNamesTheOffset) {
  EXPECT_EQ(
      ToJson(RenderResetResult(
          {{"broker-1", 0, 0}, {"broker-0", 1, 2}, {"broker-0", 0, 2}})),
      R"({"queues":[)"
      R"({"broker_name":"broker-0","queue_id":0,"timestamp_offset":2},)"
      R"({"broker_name":"broker-0","queue_id":1,"timestamp_offset":2},)"
      R"({"broker_name":"broker-1","queue_id":0,"timestamp_offset":0}]})");
}

}  // namespace
}  // namespace rewindmq::facade::dms
