#include "broker/facades/dms/handler.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/facades/dms/signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::dms {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::string_view kPid = "0123456789abcdef0123456789abcdef";
constexpr absl::string_view kInst = broker::kDefaultInstanceId;
constexpr absl::string_view kRequestId = "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a";
// 2022-09-08T16:00:00Z, the spec's example time.
constexpr int64_t kT0 = 1662652800000;

// One answered request.
struct Result {
  int status = 0;
  std::string body;
  json::value json;  // null when the body is empty

  std::string error_code() const {
    return std::string(json.at("error_code").as_string());
  }
};

std::string Path(absl::string_view tail) {
  return absl::StrCat("/v2/", kPid, "/instances/", kInst, tail);
}
std::string EnginePath(absl::string_view tail) {
  return absl::StrCat("/v2/reliability/", kPid, "/instances/", kInst, tail);
}
std::string RocketmqPath(absl::string_view tail) {
  return absl::StrCat("/v2/", kPid, "/rocketmq/instances/", kInst, tail);
}

class DmsHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(DmsConfig{}); }

  void Open(DmsConfig config) {
    handler_.reset();
    broker_.reset();
    broker::BrokerOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.start_timer_thread = false;
    options.instances = {{std::string(kInst), "rewindmq", 2}};
    absl::StatusOr<std::unique_ptr<broker::Broker>> b =
        broker::Broker::Open(options);
    ASSERT_TRUE(b.ok()) << b.status();
    broker_ = *std::move(b);
    config.clock = &clock_;
    handler_ = std::make_unique<DmsHandler>(*broker_, std::move(config));
  }

  Result Call(absl::string_view method, absl::string_view target,
              absl::string_view body = "",
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    httpd::Request req;
    req.method_string(boost::beast::string_view(method.data(), method.size()));
    req.target(boost::beast::string_view(target.data(), target.size()));
    req.version(11);
    req.set(http::field::host, "127.0.0.1:9555");
    req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::string(body);
    httpd::RequestContext ctx;
    ctx.request_id = std::string(kRequestId);
    ctx.remote = "127.0.0.1:50000";
    ctx.received = clock_.Now();
    ctx.route = "dms";
    httpd::Response res = handler_->Answer(ctx, req);
    Result r;
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    if (!r.body.empty()) {
      boost::system::error_code ec;
      r.json = json::parse(r.body, ec);
      EXPECT_FALSE(ec) << r.body;
    }
    return r;
  }

  void CreateTopic(absl::string_view name, int queue_num = 2) {
    Result r = Call("POST", Path("/topics"),
                    absl::StrCat(R"({"name":")", name, R"(","queue_num":)",
                                 queue_num, "}"));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  void CreateGroup(absl::string_view name, bool broadcast = false) {
    Result r = Call("POST", Path("/groups"),
                    absl::StrCat(R"({"name":")", name, R"(","broadcast":)",
                                 broadcast ? "true" : "false", "}"));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  // Sends `body` to `topic` at kT0 + `at_ms` and returns the response.
  json::value Send(absl::string_view topic, absl::string_view body,
                   int64_t at_ms, absl::string_view properties = "[]") {
    clock_.Set(absl::FromUnixMillis(kT0 + at_ms));
    Result r = Call("POST", EnginePath("/messages"),
                    absl::StrCat(R"({"topic":")", topic, R"(","body":")", body,
                                 R"(","property_list":)", properties, "}"));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json;
  }

  // Offsets per queue from a reset response, in response order.
  static std::vector<int64_t> Offsets(const json::value& reset) {
    std::vector<int64_t> out;
    for (const json::value& q : reset.at("queues").as_array()) {
      out.push_back(q.at("timestamp_offset").as_int64());
    }
    return out;
  }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_{absl::FromUnixMillis(kT0)};
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<DmsHandler> handler_;
};

// ---- Generic errors and instances -----------------------------------------

TEST_F(DmsHandlerTest, OnlyScansAndDeletesAreSentToTheWorkerPool) {
  auto may_block = [this](absl::string_view method, const std::string& target) {
    httpd::Request req;
    req.method_string(boost::beast::string_view(method.data(), method.size()));
    req.target(boost::beast::string_view(target.data(), target.size()));
    return handler_->MayBlock(httpd::RequestContext{}, req);
  };
  EXPECT_FALSE(may_block("POST", EnginePath("/groups/g/reset-message-offset")));
  EXPECT_FALSE(may_block("POST", EnginePath("/messages")));
  EXPECT_FALSE(may_block("GET", Path("/topics/t/status")));
  EXPECT_FALSE(may_block("POST", Path("/topics")));
  EXPECT_TRUE(may_block("GET", EnginePath("/messages?topic=t&msg_id=x")));
  EXPECT_TRUE(may_block("GET", EnginePath("/messages/")));
  EXPECT_TRUE(may_block("DELETE", Path("/topics/t")));
  EXPECT_TRUE(may_block("POST", Path("/topics?action=delete")));
  EXPECT_TRUE(may_block("POST", EnginePath("/messages/m1/resend")));
}

TEST_F(DmsHandlerTest, TheDefaultInstanceIsShownWithItsBrokers) {
  Result r = Call("GET", Path(""));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("instance_id").as_string(), std::string(kInst));
  EXPECT_EQ(r.json.at("broker_num").as_int64(), 2);
  EXPECT_TRUE(r.json.at("created_at").is_string());
  EXPECT_EQ(r.json.at("namesrv_address").as_string(), "127.0.0.1:9555");

  Result b = Call("GET", Path("/brokers"));
  EXPECT_EQ(b.json.at("total").as_int64(), 2);
}

TEST_F(DmsHandlerTest, ListInstancesFindsTheInstanceForTheRocketmqEngine) {
  Result r =
      Call("GET", absl::StrCat("/v2/", kPid, "/instances?engine=rocketmq"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("instance_num").as_int64(), 1);
  Result none =
      Call("GET", absl::StrCat("/v2/", kPid, "/instances?engine=kafka"));
  EXPECT_EQ(none.json.at("instance_num").as_int64(), 0);
}

TEST_F(DmsHandlerTest, AnUnknownInstanceIs404) {
  Result r = Call("GET", absl::StrCat("/v2/", kPid, "/instances/nope/topics"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_code(), "DMS.00404022");
}

TEST_F(DmsHandlerTest, AnUnknownRouteIs404InTheDmsFormat) {
  Result r = Call("GET", Path("/queues"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(
      r.body,
      R"({"error_code":"DMS.00404001","error_msg":"The requested URL does not exist."})");
}

TEST_F(DmsHandlerTest, AWrongMethodIs405) {
  Result r = Call("PATCH", Path("/topics"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.error_code(), "DMS.00405001");
}

TEST_F(DmsHandlerTest, TheSdkProjectPlaceholderIs400) {
  Result r =
      Call("GET", absl::StrCat("/v2/%7Bproject_id%7D/instances/", kInst));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_code(), "DMS.00400002");
}

TEST_F(DmsHandlerTest, TheInstanceIsCheckedBeforeTheBody) {
  Result r = Call("POST", absl::StrCat("/v2/", kPid, "/instances/nope/topics"),
                  "not json");
  EXPECT_EQ(r.error_code(), "DMS.00404022");
}

// ---- Topics ---------------------------------------------------------------

TEST_F(DmsHandlerTest, ATopicIsCreatedShownListedUpdatedAndDeleted) {
  Result created =
      Call("POST", Path("/topics"), R"({"name":"topic_01","queue_num":3})");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body, R"({"id":"topic_01"})");

  Result shown = Call("GET", Path("/topics/topic_01"));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.json.at("total_read_queue_num").as_int64(), 6);
  EXPECT_EQ(shown.json.at("brokers").as_array().size(), 2u);
  EXPECT_EQ(shown.json.at("created_at").as_int64(), kT0);

  Result listed = Call("GET", Path("/topics?limit=10&offset=0"));
  EXPECT_EQ(listed.json.at("total").as_int64(), 1);
  EXPECT_EQ(listed.json.at("max").as_int64(), 2000);
  EXPECT_EQ(listed.json.at("remaining").as_int64(), 1999);

  Result updated = Call("PUT", Path("/topics/topic_01"),
                        R"({"read_queue_num":4,"write_queue_num":4})");
  EXPECT_EQ(updated.status, 204);
  EXPECT_TRUE(updated.body.empty());
  EXPECT_EQ(Call("GET", Path("/topics/topic_01"))
                .json.at("total_write_queue_num")
                .as_int64(),
            8);

  EXPECT_EQ(Call("DELETE", Path("/topics/topic_01")).status, 204);
  Result gone = Call("GET", Path("/topics/topic_01"));
  EXPECT_EQ(gone.status, 400);
  EXPECT_EQ(gone.error_code(), "DMS.00400876");
}

TEST_F(DmsHandlerTest, CreateTopicErrorsUseTheSpecsCodes) {
  CreateTopic("topic_01");
  EXPECT_EQ(
      Call("POST", Path("/topics"), R"({"name":"topic_01"})").error_code(),
      "DMS.40050005");
  EXPECT_EQ(Call("POST", Path("/topics"), R"({"name":"a"})").error_code(),
            "DMS.00400800");
  EXPECT_EQ(Call("POST", Path("/topics"), R"({"name":"TBW102"})").error_code(),
            "DMS.00400800");
  EXPECT_EQ(
      Call("POST", Path("/topics"), R"({"name":"t2","brokers":["broker-9"]})")
          .error_code(),
      "DMS.00400800");
  EXPECT_EQ(Call("POST", Path("/topics"), "").error_code(), "DMS.00400004");
  EXPECT_EQ(Call("POST", Path("/topics"), "[").error_code(), "DMS.00400005");
}

TEST_F(DmsHandlerTest, BatchDeleteIgnoresUnknownTopicsAndAnswersAJobId) {
  CreateTopic("t1_a");
  Result r = Call("POST", Path("/topics?action=delete"),
                  R"({"topics":["t1_a","never_there"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("job_id").as_string().size(), 32u);
  EXPECT_EQ(Call("GET", Path("/topics")).json.at("total").as_int64(), 0);
  EXPECT_EQ(Call("POST", Path("/topics?action=purge"), R"({"name":"t1_b"})")
                .error_code(),
            "DMS.00400800");
}

TEST_F(DmsHandlerTest, TopicStatusListsEveryQueueWithOffsetsAndTimes) {
  CreateTopic("topic_01", 1);  // broker-0 queue 0, broker-1 queue 0
  Send("topic_01", "a", 0);
  Send("topic_01", "b", 500);
  Send("topic_01", "c", 1234);
  Result r = Call("GET", Path("/topics/topic_01/status"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json.at("max_offset").as_int64(), 3);
  EXPECT_EQ(r.json.at("min_offset").as_int64(), 0);
  const json::array& brokers = r.json.at("brokers").as_array();
  ASSERT_EQ(brokers.size(), 2u);
  EXPECT_EQ(brokers[0].at("broker_name").as_string(), "broker-0");
  const json::value& q0 = brokers[0].at("queues").as_array().at(0);
  EXPECT_EQ(q0.at("max_offset").as_int64(), 2);
  EXPECT_EQ(q0.at("last_message_time").as_int64(), kT0 + 1234);
}

TEST_F(DmsHandlerTest, ARawNodeSdkNameAndAnEncodedNameReachTheSameTopic) {
  CreateTopic("test%01");
  // The Node SDK sends the name raw; "%01" decodes to a name that does not
  // exist, so the raw reading is used.
  EXPECT_EQ(Call("GET", Path("/topics/test%01")).status, 200);
  // Clients that encode path parameters send %25.
  EXPECT_EQ(Call("GET", Path("/topics/test%2501")).status, 200);
}

// ---- Groups ---------------------------------------------------------------

TEST_F(DmsHandlerTest, AGroupIsCreatedShownUpdatedListedAndDeleted) {
  Result created = Call("POST", Path("/groups"),
                        R"({"name":"group_01","group_desc":"billing"})");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body, R"({"name":"group_01"})");
  EXPECT_EQ(
      Call("POST", Path("/groups"), R"({"name":"group_01"})").error_code(),
      "DMS.40050015");

  Result shown = Call("GET", Path("/groups/group_01"));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.json.at("group_desc").as_string(), "billing");
  EXPECT_FALSE(shown.json.as_object().contains("topic_subscription_count"));
  EXPECT_THAT(shown.json.at("brokers").as_array(),
              ElementsAre("broker-0", "broker-1"));

  EXPECT_EQ(Call("PUT", Path("/groups/group_01"),
                 R"({"enabled":false,"retry_max_time":3})")
                .status,
            204);
  Result updated = Call("GET", Path("/groups/group_01"));
  EXPECT_FALSE(updated.json.at("enabled").as_bool());
  EXPECT_EQ(updated.json.at("retry_max_time").as_int64(), 3);
  EXPECT_EQ(
      Call("PUT", Path("/groups/group_01"), R"({"name":"other"})").error_code(),
      "DMS.00400800");

  CreateGroup("group_02");
  Result listed = Call("GET", Path("/groups?group=_02"));
  EXPECT_EQ(listed.json.at("total").as_int64(), 1);
  EXPECT_EQ(listed.json.at("max").as_int64(), 4000);
  EXPECT_EQ(listed.json.at("groups")
                .as_array()
                .at(0)
                .at("topic_subscription_count")
                .as_int64(),
            0);

  EXPECT_EQ(Call("DELETE", Path("/groups/group_01")).status, 204);
  Result gone = Call("GET", Path("/groups/group_01"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.error_code(), "DMS.10240405");
}

TEST_F(DmsHandlerTest, BatchUpdateWithAnUnknownGroupChangesNothing) {
  CreateGroup("group_01");
  Result r = Call("PUT", Path("/groups"),
                  R"({"groups":[{"name":"group_01","enabled":false},)"
                  R"({"name":"missing_1","enabled":false}]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_code(), "DMS.10240405");
  EXPECT_TRUE(
      Call("GET", Path("/groups/group_01")).json.at("enabled").as_bool());

  Result ok = Call("PUT", Path("/groups"),
                   R"({"groups":[{"name":"group_01","enabled":false}]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_FALSE(
      Call("GET", Path("/groups/group_01")).json.at("enabled").as_bool());
}

TEST_F(DmsHandlerTest, BatchDeleteGroupsDropsThem) {
  CreateGroup("group_01");
  Result r = Call("POST", Path("/groups?action=delete"),
                  R"({"groups":["group_01","missing_1"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Call("GET", Path("/groups/group_01")).status, 404);
}

TEST_F(DmsHandlerTest, AGroupWithoutConsumersListsNoClientsInBothForms) {
  CreateGroup("group_01");
  for (const std::string& target :
       {absl::StrCat("/v2/rocketmq/", kPid, "/instances/", kInst,
                     "/groups/group_01/clients"),
        RocketmqPath("/groups/group_01/clients?is_detail=true")}) {
    Result r = Call("GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json.at("group_name").as_string(), "group_01");
    EXPECT_FALSE(r.json.at("online").as_bool());
    EXPECT_EQ(r.json.at("total").as_int64(), 0);
  }
  EXPECT_EQ(Call("GET", RocketmqPath("/groups/nobody_1/clients")).status, 404);
}

// ---- Messages -------------------------------------------------------------

TEST_F(DmsHandlerTest, SendRoundRobinsAndEchoesTheRequest) {
  CreateTopic("topic_01", 1);
  json::value first =
      Send("topic_01", "hello", 0, R"([{"name":"KEYS","value":"order-1"}])");
  EXPECT_EQ(first.at("topic").as_string(), "topic_01");
  EXPECT_EQ(first.at("body").as_string(), "hello");
  EXPECT_EQ(first.at("property_list").as_array().size(), 1u);
  EXPECT_EQ(first.at("msg_id").as_string().size(), 32u);
  EXPECT_EQ(first.at("queue_offset").as_int64(), 0);
  json::value second = Send("topic_01", "world", 1);
  EXPECT_NE(first.at("broker_name"), second.at("broker_name"));
}

TEST_F(DmsHandlerTest, SendErrorsUseTheSpecsCodes) {
  CreateTopic("topic_01");
  EXPECT_EQ(
      Call("POST", EnginePath("/messages"), R"({"topic":"nope_1","body":"x"})")
          .error_code(),
      "DMS.00400876");
  EXPECT_EQ(Call("POST", EnginePath("/messages"), R"({"topic":"topic_01"})")
                .error_code(),
            "DMS.00400800");
  const std::string big = absl::StrCat(R"({"topic":"topic_01","body":")",
                                       std::string((4 << 20) + 1, 'x'), "\"}");
  Result r = Call("POST", EnginePath("/messages"), big);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_code(), "DMS.10540011");
  ASSERT_EQ(
      Call("PUT", Path("/topics/topic_01"), R"({"permission":"sub"})").status,
      204);
  Result not_writable = Call("POST", RocketmqPath("/messages"),
                             R"({"topic":"topic_01","body":"x"})");
  EXPECT_EQ(not_writable.error_code(), "DMS.00400800");
}

TEST_F(DmsHandlerTest, ABornHostPropertyOfEarlierVersionsIsShownAsBornHost) {
  CreateTopic("topic_01", 1);
  // Messages sent by earlier versions carry the sender in a property.
  broker::ProduceRequest old;
  old.topic = "topic_01";
  old.body = "old";
  old.properties = {{"__dms_born_host", "10.0.0.9:4242"}, {"k", "v"}};
  ASSERT_OK(broker_->topics().Produce(std::string(kInst), old).status());
  Result r = Call("GET", EnginePath(absl::StrCat(
                             "/messages?topic=topic_01&start_time=0&end_time=",
                             kT0 + 100000)));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value& m = r.json.at("messages").as_array().at(0);
  EXPECT_EQ(m.at("born_host").as_string(), "10.0.0.9:4242");
  for (const json::value& p : m.at("property_list").as_array()) {
    EXPECT_NE(p.at("name").as_string(), "__dms_born_host");
  }
}

TEST_F(DmsHandlerTest, MessagesAreFoundByTimeRangeKeyAndId) {
  CreateTopic("topic_01", 1);
  json::value a =
      Send("topic_01", "a", 0, R"([{"name":"KEYS","value":"k1 k2"}])");
  Send("topic_01", "b", 1000, R"([{"name":"KEYS","value":"k22"}])");
  Send("topic_01", "c", 2000, R"([{"name":"TAGS","value":"tagA"}])");

  // Both bounds inclusive.
  Result range =
      Call("GET",
           EnginePath(absl::StrCat("/messages?topic=topic_01&start_time=", kT0,
                                   "&end_time=", kT0 + 1000)));
  ASSERT_EQ(range.status, 200) << range.body;
  EXPECT_EQ(range.json.at("total").as_int64(), 2);
  const json::value& m0 = range.json.at("messages").as_array().at(0);
  EXPECT_EQ(m0.at("body").as_string(), "a");
  EXPECT_EQ(m0.at("store_timestamp").as_int64(), kT0);
  EXPECT_EQ(m0.at("born_host").as_string(), "127.0.0.1:50000");
  EXPECT_EQ(m0.at("store_host").as_string(), "127.0.0.1:9555");
  EXPECT_EQ(m0.at("instance_id").as_string(), std::string(kInst));
  bool has_uniq_key = false;
  for (const json::value& p : m0.at("property_list").as_array()) {
    EXPECT_NE(p.at("name").as_string(), "__dms_born_host");
    if (p.at("name").as_string() == "UNIQ_KEY") {
      has_uniq_key = true;
      EXPECT_EQ(p.at("value"), a.at("msg_id"));
    }
  }
  EXPECT_TRUE(has_uniq_key);

  Result by_key =
      Call("GET", RocketmqPath(absl::StrCat("/messages?topic=topic_01&key=k2&"
                                            "start_time=0&end_time=",
                                            kT0 + 5000)));
  ASSERT_EQ(by_key.status, 200) << by_key.body;
  EXPECT_EQ(by_key.json.at("total").as_int64(), 1);

  Result by_id = Call(
      "GET", EnginePath(absl::StrCat("/messages?topic=topic_01&msg_id=",
                                     std::string(a.at("msg_id").as_string()))));
  EXPECT_EQ(by_id.json.at("total").as_int64(), 1);
  EXPECT_EQ(by_id.json.at("messages").as_array().at(0).at("body").as_string(),
            "a");

  Result missing = Call("GET", EnginePath("/messages?topic=topic_01&msg_id="
                                          "00000000000000000000000000000000"));
  ASSERT_EQ(missing.status, 200) << missing.body;
  EXPECT_EQ(missing.body, R"({"messages":[],"total":0})");
}

TEST_F(DmsHandlerTest, MessageQueryErrorsUseTheSpecsCodes) {
  CreateTopic("topic_01");
  EXPECT_EQ(Call("GET", EnginePath("/messages?topic=topic_01")).error_code(),
            "DMS.00400800");
  EXPECT_EQ(Call("GET", EnginePath("/messages?topic=topic_01&start_time=x&"
                                   "end_time=1"))
                .error_code(),
            "DMS.00400142");
  EXPECT_EQ(Call("GET", EnginePath("/messages?topic=nope_1&start_time=0&"
                                   "end_time=1"))
                .error_code(),
            "DMS.00400876");
}

TEST_F(DmsHandlerTest, ResendReportsEachMessage) {
  CreateTopic("topic_01");
  CreateGroup("group_01");
  json::value a = Send("topic_01", "a", 0);
  Result r =
      Call("POST", EnginePath("/messages/resend"),
           absl::StrCat(
               R"({"group":"group_01","topic":"topic_01","client_id":"c1",)",
               R"("msg_id_list":[")", std::string(a.at("msg_id").as_string()),
               R"(","00000000000000000000000000000000"]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::array& results = r.json.at("resend_results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("error_code").as_string(), "DMS.50050004");
  EXPECT_EQ(results[1].at("error_code").as_string(), "DMS.00400800");
  EXPECT_EQ(results[1].at("error_message").as_string(), "Message not found.");
  EXPECT_EQ(Call("POST", RocketmqPath("/messages/resend"),
                 R"({"group":"nobody_1","client_id":"c1"})")
                .error_code(),
            "DMS.10240405");
}

// ---- Reset ----------------------------------------------------------------

class ResetTest : public DmsHandlerTest {
 protected:
  void SetUp() override {
    DmsHandlerTest::SetUp();
    CreateTopic("topic_01", 1);  // two queues: broker-0/0 and broker-1/0
    CreateGroup("group_01");
    // Round robin: a, c, e on broker-0; b, d, f on broker-1.
    for (int i = 0; i < 6; ++i) {
      Send("topic_01", std::string(1, static_cast<char>('a' + i)), i * 1000);
    }
  }

  Result Reset(absl::string_view path, absl::string_view timestamp_json) {
    return Call("POST", path,
                absl::StrCat(R"({"topic":"topic_01","timestamp":)",
                             timestamp_json, "}"));
  }
};

TEST_F(ResetTest, ATimeBetweenMessagesMovesEachQueueToTheNextMessage) {
  // kT0+1500: broker-0 has 0,2000,4000 → offset 1; broker-1 has
  // 1000,3000,5000 → offset 1.
  Result r = Reset(EnginePath("/groups/group_01/reset-message-offset"),
                   absl::StrCat(kT0 + 1500));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      r.body,
      R"({"queues":[)"
      R"({"broker_name":"broker-0","queue_id":0,"timestamp_offset":1},)"
      R"({"broker_name":"broker-1","queue_id":0,"timestamp_offset":1}]})");
}

TEST_F(ResetTest, ATimeEqualToAStoreTimeLandsOnThatMessage) {
  Result r = Reset(RocketmqPath("/groups/group_01/reset-message-offset"),
                   absl::StrCat("\"", kT0 + 2000, "\""));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(Offsets(r.json), ElementsAre(1, 1));
}

TEST_F(ResetTest, BothUrlFormsAndBothEnginesReset) {
  for (const std::string& path :
       {EnginePath("/groups/group_01/reset-message-offset"),
        absl::StrCat("/v2/rocketmq/", kPid, "/instances/", kInst,
                     "/groups/group_01/reset-message-offset"),
        RocketmqPath("/groups/group_01/reset-message-offset")}) {
    SCOPED_TRACE(path);
    Result r = Reset(path, "0");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_THAT(Offsets(r.json), ElementsAre(0, 0));
  }
}

TEST_F(ResetTest, MinusOneSkipsTheBacklogAndZeroRewindsToTheStart) {
  const std::string path = EnginePath("/groups/group_01/reset-message-offset");
  EXPECT_THAT(Offsets(Reset(path, "-1").json), ElementsAre(3, 3));
  EXPECT_THAT(Offsets(Reset(path, "\"0\"").json), ElementsAre(0, 0));
  // A time after the newest message also lands on max_offset.
  EXPECT_THAT(Offsets(Reset(path, absl::StrCat(kT0 + 60000)).json),
              ElementsAre(3, 3));
  // The old Go SDK's float form.
  EXPECT_THAT(Offsets(Reset(path, "1.6626528e+12").json), ElementsAre(0, 0));
}

TEST_F(ResetTest, TheLargestTimestampLandsOnMaxOffset) {
  Result r = Reset(EnginePath("/groups/group_01/reset-message-offset"),
                   "\"9223372036854775807\"");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(Offsets(r.json), ElementsAre(3, 3));
}

TEST_F(ResetTest, TheResetShowsInConsumptionDetailsAndTopicLists) {
  ASSERT_EQ(Reset(EnginePath("/groups/group_01/reset-message-offset"),
                  absl::StrCat(kT0 + 2500))
                .status,
            200);
  Result details = Call("GET", Path("/groups/group_01/topics?topic=topic_01"));
  ASSERT_EQ(details.status, 200) << details.body;
  // broker-0 (0, 2000, 4000 ms) moves to offset 2, broker-1 (1000, 3000,
  // 5000 ms) to offset 1; each queue holds 3 messages.
  EXPECT_EQ(details.json.at("max_offset").as_int64(), 6);
  EXPECT_EQ(details.json.at("consumer_offset").as_int64(), 3);
  EXPECT_EQ(details.json.at("lag").as_int64(), 3);
  const json::value& q =
      details.json.at("brokers").as_array().at(0).at("queues").as_array().at(0);
  EXPECT_EQ(q.at("broker_offset").as_int64(), 3);
  EXPECT_EQ(q.at("consumer_offset").as_int64(), 2);
  EXPECT_EQ(q.at("lag").as_int64(), 1);
  // The last consumed message of broker-0 is the one at offset 1 (kT0+2000).
  EXPECT_EQ(q.at("last_message_time").as_int64(), kT0 + 2000);
  EXPECT_EQ(q.at("client_id").as_string(), "");

  Result topics = Call("GET", Path("/groups/group_01/topics"));
  EXPECT_EQ(topics.body, R"({"topics":["topic_01"],"total":1})");
  Result groups = Call("GET", Path("/topics/topic_01/groups"));
  EXPECT_EQ(groups.body, R"({"groups":["group_01"],"total":1})");
  EXPECT_EQ(Call("GET", Path("/groups?group=group_01"))
                .json.at("groups")
                .as_array()
                .at(0)
                .at("topic_subscription_count")
                .as_int64(),
            1);
}

TEST_F(ResetTest, AnUnknownGroupIs404BeforeAnUnknownTopic) {
  Result r = Call("POST", EnginePath("/groups/nobody_1/reset-message-offset"),
                  R"({"topic":"nope_1","timestamp":0})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.error_code(), "DMS.10240405");
}

TEST_F(ResetTest, AnUnknownTopicIs400) {
  Result r = Call("POST", EnginePath("/groups/group_01/reset-message-offset"),
                  R"({"topic":"nope_1","timestamp":0})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_code(), "DMS.00400876");
}

TEST_F(ResetTest, ABadTimestampIsRefusedBeforeTheGroupIsLookedUp) {
  Result r = Call("POST", EnginePath("/groups/nobody_1/reset-message-offset"),
                  R"({"topic":"topic_01","timestamp":"yesterday"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_code(), "DMS.00400142");
  EXPECT_EQ(Call("POST", EnginePath("/groups/group_01/reset-message-offset"),
                 R"({"topic":"topic_01"})")
                .error_code(),
            "DMS.00400800");
}

TEST_F(ResetTest, ABroadcastGroupCannotBeReset) {
  CreateGroup("group_bc", /*broadcast=*/true);
  Result r = Reset(EnginePath("/groups/group_bc/reset-message-offset"), "0");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_code(), "DMS.00400800");
  EXPECT_THAT(std::string(r.json.at("error_msg").as_string()),
              HasSubstr("broadcast"));
}

// ---- Signatures -----------------------------------------------------------

constexpr absl::string_view kAk = "EXAMPLEAK0000000000";
constexpr absl::string_view kSk = "ExampleSecretKey0000000000000000000000000";

class SignedDmsHandlerTest : public DmsHandlerTest {
 protected:
  void SetUp() override {
    DmsConfig config;
    config.credentials = {{std::string(kAk), std::string(kSk)}};
    Open(std::move(config));
  }

  std::vector<std::pair<std::string, std::string>> SignedHeaders(
      absl::string_view method, absl::string_view target,
      absl::string_view body, absl::string_view sk = kSk) {
    const std::string date =
        absl::FormatTime("%Y%m%dT%H%M%SZ", clock_.Now(), absl::UTCTimeZone());
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"},
        {"Host", "127.0.0.1:9555"},
        {"X-Project-Id", std::string(kPid)},
        {"X-Sdk-Date", date}};
    std::string auth = SignRequest(kAk, sk, method, target, headers, body);
    headers.emplace_back("Authorization", std::move(auth));
    return headers;
  }
};

TEST_F(SignedDmsHandlerTest, AnUnsignedRequestIs401WithTheRequestIdInTheBody) {
  Result r = Call("GET", Path(""));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.error_code(), "APIGW.0301");
  EXPECT_EQ(r.json.at("request_id").as_string(), std::string(kRequestId));
  EXPECT_THAT(std::string(r.json.at("error_msg").as_string()),
              HasSubstr("Authorization header missing or malformed"));
}

TEST_F(SignedDmsHandlerTest, ASignatureIsCheckedBeforeRouting) {
  EXPECT_EQ(Call("GET", "/v2/nowhere").status, 401);
}

TEST_F(SignedDmsHandlerTest, ASignedRequestIsServed) {
  const std::string target = Path("/topics");
  const std::string body = R"({"name":"topic_01"})";
  Result r = Call("POST", target, body, SignedHeaders("POST", target, body));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SignedDmsHandlerTest, AWrongSecretIs401) {
  const std::string target = Path("");
  Result r = Call("GET", target, "", SignedHeaders("GET", target, "", "bad"));
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(std::string(r.json.at("error_msg").as_string()),
              HasSubstr("verify aksk signature fail"));
}

// ---- Transport errors -----------------------------------------------------

TEST_F(DmsHandlerTest, TheRouteServesV2WithTheConfiguredLimitAndDmsErrors) {
  DmsConfig config;
  config.body_limit = 1234;
  DmsHandler handler(*broker_, config);
  httpd::Route route = MakeDmsRoute(&handler);
  EXPECT_EQ(route.name, "dms");
  EXPECT_EQ(route.body_limit, 1234u);
  httpd::Request head{http::verb::get, "/v2/p/instances", 11};
  EXPECT_TRUE(route.matcher.Matches(head));
  httpd::Request other{http::verb::get, "/healthz", 11};
  EXPECT_FALSE(route.matcher.Matches(other));

  httpd::RequestContext ctx;
  ctx.request_id = std::string(kRequestId);
  httpd::Response too_large =
      route.render_error(httpd::TransportError::kPayloadTooLarge, ctx, head);
  EXPECT_EQ(too_large.result_int(), 413u);
  EXPECT_THAT(too_large.body(), HasSubstr("DMS.00400800"));
  EXPECT_THAT(too_large.body(), HasSubstr("1234"));
  httpd::Response internal =
      route.render_error(httpd::TransportError::kInternal, ctx, head);
  EXPECT_EQ(internal.result_int(), 500u);
  EXPECT_EQ(
      internal.body(),
      R"({"error_code":"DMS.00500000","error_msg":"Internal service error."})");
}

}  // namespace
}  // namespace rewindmq::facade::dms
