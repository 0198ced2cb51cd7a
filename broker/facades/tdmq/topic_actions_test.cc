// The topic and subscription actions (tdmq-cmq-v3.md §10) through the
// TdmqHandler, with the success and error rows of §13.4.
#include "broker/facades/tdmq/topic_actions.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/facades/tdmq/actions.h"
#include "broker/facades/tdmq/tdmq_handler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::tdmq {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr int64_t kStart = 1700000000;  // the fake clock's start

class TopicActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Set(absl::FromUnixSeconds(kStart));
    Open(/*max_cmq_queues=*/1000);
  }

  void Open(int max_cmq_queues) {
    handler_.reset();
    broker_.reset();
    broker::BrokerOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.start_timer_thread = false;
    options.cmq_min_max_msg_heap_num = 1;
    options.max_cmq_queues = max_cmq_queues;
    ASSERT_OK_AND_ASSIGN(broker_, broker::Broker::Open(options));
    handler_ = std::make_unique<TdmqHandler>(broker_.get(), TdmqConfig{});
  }

  // The `Response` object of a JSON POST of `action` with `body`.
  json::object Call(absl::string_view action, absl::string_view body = "{}") {
    httpd::Request req;
    req.method(http::verb::post);
    req.target("/");
    req.version(11);
    req.set(http::field::host, "127.0.0.1:9555");
    req.set(http::field::content_type, "application/json");
    req.set("X-TC-Action",
            boost::beast::string_view(action.data(), action.size()));
    req.set("X-TC-Version", "2020-02-17");
    req.body() = std::string(body);
    req.prepare_payload();
    std::optional<httpd::Response> res;
    httpd::RequestContext ctx;
    ctx.request_id = "rid";
    handler_->Handle(
        ctx, req,
        httpd::Responder::FromCallback(
            [&res](std::optional<httpd::Response> r) { res = std::move(r); }));
    if (!res.has_value()) {
      ADD_FAILURE() << "no synchronous answer";
      return {};
    }
    EXPECT_EQ(res->result(), httpd::Status::ok);
    boost::system::error_code ec;
    json::value v = json::parse(res->body(), ec);
    if (ec || !v.is_object() || !v.as_object().contains("Response")) {
      ADD_FAILURE() << "not an API 3.0 answer: " << res->body();
      return {};
    }
    last_body_ = res->body();
    return v.as_object().at("Response").as_object();
  }

  // The error code of `action`, or "" for a success.
  std::string Code(absl::string_view action, absl::string_view body = "{}") {
    const json::object r = Call(action, body);
    if (!r.contains("Error")) return "";
    EXPECT_EQ(r.size(), 2u) << "an error holds only Error and RequestId";
    return std::string(r.at("Error").at("Code").as_string());
  }

  void Ok(absl::string_view action, absl::string_view body) {
    ASSERT_EQ(Code(action, body), "")
        << action << " " << body << ": " << last_body_;
  }

  void Queue(absl::string_view name, absl::string_view extra = "") {
    Ok("CreateCmqQueue",
       absl::StrCat(R"({"QueueName":")", name,
                    R"(","MsgRetentionSeconds":3600,"RewindSeconds":600)",
                    extra, "}"));
  }

  void Topic(absl::string_view name, int filter_type = 1) {
    Ok("CreateCmqTopic", absl::StrCat(R"({"TopicName":")", name,
                                      R"(","FilterType":)", filter_type, "}"));
  }

  // `filter`: a JSON member such as "FilterTag":["a"], or "".
  void Subscribe(absl::string_view topic, absl::string_view name,
                 absl::string_view queue, absl::string_view filter = "") {
    Ok("CreateCmqSubscribe",
       absl::StrCat(R"({"TopicName":")", topic, R"(","SubscriptionName":")",
                    name, R"(","Protocol":"queue","Endpoint":")", queue, "\"",
                    filter.empty() ? "" : ",", filter, "}"));
  }

  void Publish(absl::string_view topic, absl::string_view body,
               absl::string_view tags = "[]") {
    Ok("PublishCmqMsg",
       absl::StrCat(R"({"TopicName":")", topic, R"(","MsgContent":")", body,
                    R"(","MsgTag":)", tags, "}"));
  }

  // Receives and deletes every ACTIVE message of `queue`; the bodies in
  // order.
  std::vector<std::string> Drain(const std::string& queue) {
    std::vector<std::string> out;
    const std::string& inst = broker_->default_instance();
    while (true) {
      absl::StatusOr<std::vector<broker::CmqReceivedMessage>> r =
          broker_->cmq().ReceiveMessages(inst, queue, 16);
      if (!r.ok()) break;
      for (const broker::CmqReceivedMessage& m : *r) {
        out.push_back(m.body);
        EXPECT_OK(broker_->cmq().DeleteMessage(inst, queue, m.receipt_handle));
      }
    }
    return out;
  }

  json::object TopicDetail(absl::string_view name) {
    json::object r = Call("DescribeCmqTopicDetail",
                          absl::StrCat(R"({"TopicName":")", name, R"("})"));
    EXPECT_TRUE(r.contains("TopicDescribe")) << last_body_;
    return r.contains("TopicDescribe") ? r.at("TopicDescribe").as_object()
                                       : json::object{};
  }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<TdmqHandler> handler_;
  std::string last_body_;
};

std::vector<std::string> Strings(const json::value& v) {
  std::vector<std::string> out;
  for (const json::value& e : v.as_array()) {
    out.emplace_back(e.as_string());
  }
  return out;
}

std::vector<std::string> Names(const json::value& list, const char* field) {
  std::vector<std::string> out;
  for (const json::value& e : list.as_array()) {
    out.emplace_back(e.at(field).as_string());
  }
  return out;
}

TEST_F(TopicActionsTest, TheElevenActionsAreServed) {
  for (absl::string_view name :
       {"CreateCmqTopic", "DescribeCmqTopics", "DescribeCmqTopicDetail",
        "ModifyCmqTopicAttribute", "DeleteCmqTopic", "PublishCmqMsg",
        "CreateCmqSubscribe", "DescribeCmqSubscriptionDetail",
        "ModifyCmqSubscriptionAttribute", "DeleteCmqSubscribe",
        "ClearCmqSubscriptionFilterTags"}) {
    ASSERT_OK_AND_ASSIGN(Action action, ParseAction(name));
    EXPECT_TRUE(IsTopicAction(action)) << name;
    EXPECT_EQ(ActionName(action), name);
  }
  ASSERT_OK_AND_ASSIGN(Action queue_action, ParseAction("SendCmqMsg"));
  EXPECT_FALSE(IsTopicAction(queue_action));
}

TEST_F(TopicActionsTest, CreateAppliesTheDefaultsAndDetailHasEveryField) {
  const json::object created =
      Call("CreateCmqTopic", R"({"TopicName":"order_events","Trace":true,)"
                             R"("Tags":[{"TagKey":"team","TagValue":"a"}]})");
  ASSERT_TRUE(created.contains("TopicId")) << last_body_;
  const json::object t = TopicDetail("ORDER_EVENTS");
  EXPECT_EQ(t.size(), 17u);
  EXPECT_EQ(t.at("TopicId"), created.at("TopicId"));
  EXPECT_EQ(t.at("TopicName").as_string(), "order_events");
  EXPECT_EQ(t.at("MsgRetentionSeconds").to_number<uint64_t>(), 86400u);
  EXPECT_EQ(t.at("MaxMsgSize").to_number<uint64_t>(), 65536u);
  EXPECT_EQ(t.at("Qps").to_number<uint64_t>(), 5000u);
  EXPECT_EQ(t.at("FilterType").to_number<uint64_t>(), 1u);
  EXPECT_EQ(t.at("CreateTime").to_number<uint64_t>(), uint64_t{kStart} * 1000);
  EXPECT_EQ(t.at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart} * 1000);
  EXPECT_EQ(t.at("MsgCount").to_number<uint64_t>(), 0u);
  EXPECT_EQ(t.at("CreateUin").to_number<uint64_t>(), 100000000001u);
  ASSERT_EQ(t.at("Tags").as_array().size(), 1u);
  EXPECT_EQ(t.at("Tags").as_array()[0].at("TagKey").as_string(), "team");
  EXPECT_TRUE(t.at("Trace").as_bool());
  EXPECT_EQ(t.at("TenantId").as_string(), "rewindmq");
  EXPECT_EQ(t.at("NamespaceName").as_string(), "default");
  EXPECT_EQ(t.at("Status").to_number<int64_t>(), 1);
  EXPECT_EQ(t.at("BrokerType").to_number<uint64_t>(), 0u);
  EXPECT_EQ(t.at("SubscriptionCount").to_number<int64_t>(), 0);
  Topic("plain");
  EXPECT_TRUE(TopicDetail("plain").at("Tags").as_array().empty());
}

TEST_F(TopicActionsTest, CreateTopicRefusesBadInputWithTheSpecsCodes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{}", "MissingParameter"},
      {R"({"TopicName":""})", "MissingParameter"},
      {R"({"TopicName":"t","Foo":1})", "UnknownParameter"},
      {R"({"TopicName":"t","MaxMsgSize":"1024"})", "InvalidParameter"},
      {R"({"TopicName":"1abc"})", "InvalidParameterValue"},
      {absl::StrCat(R"({"TopicName":")", std::string(65, 'a'), R"("})"),
       "InvalidParameterValue"},
      {R"({"TopicName":"t","FilterType":3})", "InvalidParameterValue"},
      {R"({"TopicName":"t","MaxMsgSize":1023})", "InvalidParameterValue"},
      {R"({"TopicName":"t","MsgRetentionSeconds":59})",
       "InvalidParameterValue"},
      {R"({"TopicName":"t","MsgRetentionSeconds":86401})",
       "InvalidParameterValue"},
      {R"({"TopicName":"t","Tags":[{"TagValue":"v"}]})", "MissingParameter"},
  };
  for (const auto& [body, code] : cases) {
    EXPECT_EQ(Code("CreateCmqTopic", body), code) << body;
  }
  Topic("orders");
  EXPECT_EQ(Code("CreateCmqTopic", R"({"TopicName":"ORDERS"})"),
            "ResourceInUse.Topic");
}

TEST_F(TopicActionsTest, TheTopicCountLimitIsTheQueueCount) {
  Open(/*max_cmq_queues=*/2);
  Topic("a");
  Topic("b");
  EXPECT_EQ(Code("CreateCmqTopic", R"({"TopicName":"c"})"),
            "LimitExceeded.Topics");
  // The name check comes first, the count last.
  EXPECT_EQ(Code("CreateCmqTopic", R"({"TopicName":"A"})"),
            "ResourceInUse.Topic");
}

TEST_F(TopicActionsTest, DescribeTopicsPagesAndFilters) {
  EXPECT_EQ(Call("DescribeCmqTopics").at("TopicList").as_array().size(), 0u);
  Topic("alpha");
  Ok("CreateCmqTopic", R"({"TopicName":"beta","Tags":[)"
                       R"({"TagKey":"env","TagValue":"prod"}]})");
  Topic("alphabet");
  json::object r = Call("DescribeCmqTopics", R"({"Offset":1,"Limit":1})");
  EXPECT_EQ(r.at("TotalCount").to_number<uint64_t>(), 3u);
  EXPECT_THAT(Names(r.at("TopicList"), "TopicName"), ElementsAre("beta"));
  EXPECT_EQ(r.at("TopicList").as_array()[0].as_object().size(), 17u);
  r = Call("DescribeCmqTopics", R"({"TopicName":"alpha"})");
  EXPECT_THAT(Names(r.at("TopicList"), "TopicName"),
              ElementsAre("alpha", "alphabet"));
  r = Call("DescribeCmqTopics", R"({"TopicNameList":["ALPHA","beta"]})");
  EXPECT_THAT(Names(r.at("TopicList"), "TopicName"),
              ElementsAre("alpha", "beta"));
  r = Call("DescribeCmqTopics",
           R"({"IsTagFilter":true,"Filters":[{"Name":"tag:env",)"
           R"("Values":["prod"]}]})");
  EXPECT_THAT(Names(r.at("TopicList"), "TopicName"), ElementsAre("beta"));
  EXPECT_EQ(Code("DescribeCmqTopics", R"({"Limit":51})"),
            "InvalidParameterValue");
  EXPECT_EQ(Code("DescribeCmqTopics", R"({"Filters":[{"Name":"env"}]})"),
            "InvalidParameterValue");
}

TEST_F(TopicActionsTest, DetailModifyAndDeleteAnswerForTheTopic) {
  EXPECT_EQ(Code("DescribeCmqTopicDetail"), "MissingParameter");
  EXPECT_EQ(Code("DescribeCmqTopicDetail", R"({"TopicName":"nope"})"),
            "ResourceNotFound.Topic");
  Topic("t");
  clock_.Advance(absl::Seconds(3));
  Ok("ModifyCmqTopicAttribute",
     R"({"TopicName":"t","MaxMsgSize":2048,"MsgRetentionSeconds":600,)"
     R"("Trace":true})");
  const json::object t = TopicDetail("t");
  EXPECT_EQ(t.at("MaxMsgSize").to_number<uint64_t>(), 2048u);
  EXPECT_EQ(t.at("MsgRetentionSeconds").to_number<uint64_t>(), 600u);
  EXPECT_TRUE(t.at("Trace").as_bool());
  EXPECT_EQ(t.at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart + 3} * 1000);
  EXPECT_EQ(Code("ModifyCmqTopicAttribute", R"({"TopicName":"nope"})"),
            "ResourceNotFound.Topic");
  EXPECT_EQ(Code("ModifyCmqTopicAttribute",
                 R"({"TopicName":"t","MsgRetentionSeconds":59})"),
            "InvalidParameterValue");
  EXPECT_EQ(Code("ModifyCmqTopicAttribute", R"({"TopicName":"t","Foo":1})"),
            "UnknownParameter");
  EXPECT_EQ(Code("ModifyCmqTopicAttribute", "{}"), "MissingParameter");
  Ok("DeleteCmqTopic", R"({"TopicName":"T"})");
  EXPECT_EQ(Code("DescribeCmqTopicDetail", R"({"TopicName":"t"})"),
            "ResourceNotFound.Topic");
  EXPECT_EQ(Code("DeleteCmqTopic", R"({"TopicName":"t"})"),
            "ResourceNotFound.Topic");
}

TEST_F(TopicActionsTest, PublishFansOutByTags) {
  Queue("all");
  Queue("red");
  Queue("green");
  Topic("t");
  Subscribe("t", "s-all", "all");
  Subscribe("t", "s-red", "red", R"("FilterTag":["red"])");
  Subscribe("t", "s-green", "green", R"("FilterTag":["green","blue"])");
  const json::object r =
      Call("PublishCmqMsg", R"({"TopicName":"t","MsgContent":"m1",)"
                            R"("MsgTag":["red"]})");
  ASSERT_TRUE(r.contains("MsgId")) << last_body_;
  EXPECT_TRUE(r.at("Result").as_bool());
  Publish("t", "m2", R"(["blue","red"])");
  Ok("PublishCmqMsg", R"({"TopicName":"t","MsgContent":"m3"})");
  EXPECT_THAT(Drain("all"), ElementsAre("m1", "m2", "m3"));
  EXPECT_THAT(Drain("red"), ElementsAre("m1", "m2"));
  EXPECT_THAT(Drain("green"), ElementsAre("m2"));
  EXPECT_EQ(TopicDetail("t").at("SubscriptionCount").to_number<int64_t>(), 3);
}

TEST_F(TopicActionsTest, PublishIdIsNotAnyCopysId) {
  Queue("q");
  Topic("t");
  Subscribe("t", "s", "q");
  const json::object r =
      Call("PublishCmqMsg", R"({"TopicName":"t","MsgContent":"x"})");
  ASSERT_OK_AND_ASSIGN(
      std::vector<broker::CmqReceivedMessage> got,
      broker_->cmq().ReceiveMessages(broker_->default_instance(), "q", 1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].msg_id, std::string(r.at("MsgId").as_string()));
}

TEST_F(TopicActionsTest, PublishRoutesByBindingKey) {
  Queue("abc");
  Queue("ahash");
  Queue("every");
  Queue("nokey");
  Topic("r", 2);
  Subscribe("r", "s1", "abc", R"("BindingKey":["a.*.c"])");
  Subscribe("r", "s2", "ahash", R"("BindingKey":["a.#"])");
  Subscribe("r", "s3", "every", R"("BindingKey":["#"])");
  Subscribe("r", "s4", "nokey");
  Publish("r", "abc", R"(["a.b.c"])");
  Publish("r", "ac", R"(["a.c"])");
  Publish("r", "a", R"(["a"])");
  Publish("r", "none");
  EXPECT_THAT(Drain("abc"), ElementsAre("abc"));
  EXPECT_THAT(Drain("ahash"), ElementsAre("abc", "ac", "a"));
  EXPECT_THAT(Drain("every"), ElementsAre("abc", "ac", "a", "none"));
  EXPECT_THAT(Drain("nokey"), ElementsAre("abc", "ac", "a", "none"));
}

TEST_F(TopicActionsTest, PublishRefusesBadInputWithTheSpecsCodes) {
  Topic("t");
  Topic("r", 2);
  Ok("ModifyCmqTopicAttribute", R"({"TopicName":"t","MaxMsgSize":1024})");
  const std::string big(1025, 'x');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"MsgContent":"x"})", "MissingParameter"},
      {R"({"TopicName":"t"})", "MissingParameter"},
      {R"({"TopicName":"t","MsgContent":"x","Foo":1})", "UnknownParameter"},
      {R"({"TopicName":"t","MsgContent":"x","MsgTag":"a"})",
       "InvalidParameter"},
      {R"({"TopicName":"t","MsgContent":""})", "InvalidParameterValue"},
      {R"({"TopicName":"t","MsgContent":"x","MsgTag":[""]})",
       "InvalidParameterValue"},
      {absl::StrCat(R"({"TopicName":"t","MsgContent":"x","MsgTag":[")",
                    std::string(65, 'a'), R"("]})"),
       "InvalidParameterValue"},
      {R"({"TopicName":"nope","MsgContent":"x"})", "ResourceNotFound.Topic"},
      {R"({"TopicName":"r","MsgContent":"x","MsgTag":["a","b"]})",
       "InvalidParameterValue"},
      {absl::StrCat(R"({"TopicName":"t","MsgContent":")", big, R"("})"),
       "InvalidParameterValue"},
  };
  for (const auto& [body, code] : cases) {
    EXPECT_EQ(Code("PublishCmqMsg", body), code) << body;
  }
  std::string seventeen = "[";
  for (int i = 0; i < 17; ++i)
    absl::StrAppend(&seventeen, i ? "," : "", "\"t\"");
  seventeen += "]";
  EXPECT_EQ(Code("PublishCmqMsg",
                 absl::StrCat(R"({"TopicName":"t","MsgContent":"x","MsgTag":)",
                              seventeen, "}")),
            "InvalidParameterValue");
  Publish("t", std::string(1024, 'x'));
}

TEST_F(TopicActionsTest, PublishSkipsSubscriptionsWhoseQueueIsGone) {
  Queue("kept");
  Queue("gone");
  Topic("t");
  Subscribe("t", "a", "gone");
  Subscribe("t", "b", "kept");
  Ok("DeleteCmqQueue", R"({"QueueName":"gone"})");
  Publish("t", "x");
  EXPECT_THAT(Drain("kept"), ElementsAre("x"));
}

TEST_F(TopicActionsTest, CreateSubscribeRefusesBadInputWithTheSpecsCodes) {
  Queue("q");
  Topic("t");
  Topic("r", 2);
  auto body = [](absl::string_view topic, absl::string_view name,
                 absl::string_view protocol, absl::string_view endpoint,
                 absl::string_view extra = "") {
    return absl::StrCat(R"({"TopicName":")", topic, R"(","SubscriptionName":")",
                        name, R"(","Protocol":")", protocol,
                        R"(","Endpoint":")", endpoint, "\"", extra, "}");
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"TopicName":"t","Protocol":"queue","Endpoint":"q"})",
       "MissingParameter"},
      {R"({"TopicName":"t","SubscriptionName":"s","Endpoint":"q"})",
       "MissingParameter"},
      {body("t", "s", "queue", "q", R"(,"Foo":1)"), "UnknownParameter"},
      {body("t", "s", "queue", "q", R"(,"FilterTag":"a")"), "InvalidParameter"},
      {body("t", "1s", "queue", "q"), "InvalidParameterValue"},
      {body("t", "s", "smtp", "q"), "InvalidParameterValue"},
      {body("t", "s", "queue", "q!"), "InvalidParameterValue"},
      {body("t", "s", "queue", "q", R"(,"NotifyStrategy":"SOMETIMES")"),
       "InvalidParameterValue"},
      {body("t", "s", "queue", "q",
            R"(,"FilterTag":["a","b","c","d","e","f"])"),
       "InvalidParameterValue"},
      {body("t", "s", "queue", "q", R"(,"FilterTag":["abcdefghijklmnopq"])"),
       "InvalidParameterValue"},
      {body("r", "s", "queue", "q",
            R"(,"BindingKey":["a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"])"),
       "InvalidParameterValue"},
      {body("t", "s", "queue", "q", R"(,"NotifyContentFormat":"JSON")"),
       "InvalidParameterValue"},
      {body("t", "s", "http", "http://example.com/hook"),
       "UnsupportedOperation"},
      {body("t", "s", "HTTP", "http://example.com/hook"),
       "UnsupportedOperation"},
      {body("nope", "s", "queue", "q"), "ResourceNotFound.Topic"},
      {body("r", "s", "queue", "q", R"(,"FilterTag":["a"])"),
       "InvalidParameterValue"},
      {body("t", "s", "queue", "q", R"(,"BindingKey":["a"])"),
       "InvalidParameterValue"},
      {body("t", "s", "queue", "nope"), "ResourceNotFound"},
  };
  for (const auto& [b, code] : cases) {
    EXPECT_EQ(Code("CreateCmqSubscribe", b), code) << b;
  }
  const json::object made =
      Call("CreateCmqSubscribe", body("t", "s", "Queue", "q"));
  ASSERT_TRUE(made.contains("SubscriptionId")) << last_body_;
  EXPECT_EQ(Code("CreateCmqSubscribe", body("t", "S", "queue", "q")),
            "ResourceInUse.Subscription");
  // Subscription names are unique per topic only.
  Subscribe("r", "s", "q");
}

TEST_F(TopicActionsTest, DescribeSubscriptionsByTopicAndByQueue) {
  Queue("q1");
  Queue("q2");
  Topic("t");
  Topic("u");
  EXPECT_TRUE(Call("DescribeCmqSubscriptionDetail", R"({"TopicName":"t"})")
                  .at("SubscriptionSet")
                  .as_array()
                  .empty());
  Subscribe("t", "first", "q1", R"("FilterTag":["a"])");
  clock_.Advance(absl::Seconds(1));
  Subscribe("t", "second", "q2");
  Subscribe("u", "third", "Q1");

  json::object r =
      Call("DescribeCmqSubscriptionDetail", R"({"TopicName":"t"})");
  EXPECT_EQ(r.at("TotalCount").to_number<uint64_t>(), 2u);
  EXPECT_THAT(Names(r.at("SubscriptionSet"), "SubscriptionName"),
              ElementsAre("first", "second"));
  const json::object s = r.at("SubscriptionSet").as_array()[0].as_object();
  EXPECT_EQ(s.size(), 13u);
  EXPECT_EQ(s.at("SubscriptionName").as_string(), "first");
  EXPECT_FALSE(s.at("SubscriptionId").as_string().empty());
  EXPECT_EQ(s.at("TopicOwner").to_number<uint64_t>(), 1250000000u);
  EXPECT_EQ(s.at("MsgCount").to_number<uint64_t>(), 0u);
  EXPECT_EQ(s.at("CreateTime").to_number<uint64_t>(), uint64_t{kStart} * 1000);
  EXPECT_EQ(s.at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart} * 1000);
  EXPECT_THAT(Strings(s.at("BindingKey")), IsEmpty());
  EXPECT_EQ(s.at("Endpoint").as_string(), "q1");
  EXPECT_THAT(Strings(s.at("FilterTags")), ElementsAre("a"));
  EXPECT_EQ(s.at("Protocol").as_string(), "queue");
  EXPECT_EQ(s.at("NotifyStrategy").as_string(), "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(s.at("NotifyContentFormat").as_string(), "SIMPLIFIED");
  EXPECT_EQ(s.at("TopicName").as_string(), "t");

  r = Call("DescribeCmqSubscriptionDetail",
           R"({"TopicName":"t","SubscriptionName":"sec"})");
  EXPECT_THAT(Names(r.at("SubscriptionSet"), "SubscriptionName"),
              ElementsAre("second"));
  r = Call("DescribeCmqSubscriptionDetail",
           R"({"TopicName":"t","Offset":1,"Limit":1})");
  EXPECT_EQ(r.at("TotalCount").to_number<uint64_t>(), 2u);
  EXPECT_THAT(Names(r.at("SubscriptionSet"), "SubscriptionName"),
              ElementsAre("second"));
  r = Call("DescribeCmqSubscriptionDetail",
           R"({"QueryType":"queue","QueueName":"q1"})");
  EXPECT_THAT(Names(r.at("SubscriptionSet"), "SubscriptionName"),
              ElementsAre("first", "third"));
  EXPECT_THAT(Names(r.at("SubscriptionSet"), "TopicName"),
              UnorderedElementsAre("t", "u"));

  EXPECT_EQ(Code("DescribeCmqSubscriptionDetail"), "MissingParameter");
  EXPECT_EQ(Code("DescribeCmqSubscriptionDetail", R"({"QueryType":"queue"})"),
            "MissingParameter");
  EXPECT_EQ(Code("DescribeCmqSubscriptionDetail",
                 R"({"TopicName":"t","QueryType":"group"})"),
            "InvalidParameterValue");
  EXPECT_EQ(
      Code("DescribeCmqSubscriptionDetail", R"({"TopicName":"t","Limit":51})"),
      "InvalidParameterValue");
  EXPECT_EQ(Code("DescribeCmqSubscriptionDetail", R"({"TopicName":"nope"})"),
            "ResourceNotFound.Topic");
}

TEST_F(TopicActionsTest, ModifiedAndClearedFiltersChangeDelivery) {
  Queue("q");
  Topic("t");
  Subscribe("t", "s", "q", R"("FilterTag":["a"])");
  Publish("t", "1", R"(["b"])");
  clock_.Advance(absl::Seconds(2));
  Ok("ModifyCmqSubscriptionAttribute",
     R"({"TopicName":"t","SubscriptionName":"s","FilterTags":["b"],)"
     R"("NotifyStrategy":"BACKOFF_RETRY"})");
  const json::object s =
      Call("DescribeCmqSubscriptionDetail", R"({"TopicName":"t"})")
          .at("SubscriptionSet")
          .as_array()[0]
          .as_object();
  EXPECT_THAT(Strings(s.at("FilterTags")), ElementsAre("b"));
  EXPECT_EQ(s.at("NotifyStrategy").as_string(), "BACKOFF_RETRY");
  EXPECT_EQ(s.at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart + 2} * 1000);
  Publish("t", "2", R"(["b"])");
  Publish("t", "3");
  Ok("ClearCmqSubscriptionFilterTags",
     R"({"TopicName":"t","SubscriptionName":"S"})");
  Publish("t", "4");
  EXPECT_THAT(Drain("q"), ElementsAre("2", "4"));

  Topic("r", 2);
  Queue("rq");
  Subscribe("r", "s", "rq", R"("BindingKey":["x"])");
  Ok("ModifyCmqSubscriptionAttribute",
     R"({"TopicName":"r","SubscriptionName":"s","BindingKey":["y.*"]})");
  Publish("r", "x", R"(["x"])");
  Publish("r", "y", R"(["y.z"])");
  EXPECT_THAT(Drain("rq"), ElementsAre("y"));
}

TEST_F(TopicActionsTest, SubscriptionChangesRefuseBadInputWithTheSpecsCodes) {
  Queue("q");
  Topic("t");
  Topic("r", 2);
  Subscribe("t", "s", "q");
  Subscribe("r", "s", "q");
  const std::vector<std::pair<std::string, std::string>> modify = {
      {R"({"TopicName":"t"})", "MissingParameter"},
      {R"({"TopicName":"t","SubscriptionName":"s","Foo":1})",
       "UnknownParameter"},
      {R"({"TopicName":"t","SubscriptionName":"s","FilterTags":[1]})",
       "InvalidParameter"},
      {R"({"TopicName":"t","SubscriptionName":"s",)"
       R"("FilterTags":["a","b","c","d","e","f"]})",
       "InvalidParameterValue"},
      {R"({"TopicName":"t","SubscriptionName":"s",)"
       R"("NotifyContentFormat":"JSON"})",
       "InvalidParameterValue"},
      {R"({"TopicName":"t","SubscriptionName":"s","BindingKey":["a"]})",
       "InvalidParameterValue"},
      {R"({"TopicName":"r","SubscriptionName":"s","FilterTags":["a"]})",
       "InvalidParameterValue"},
      {R"({"TopicName":"nope","SubscriptionName":"s"})",
       "ResourceNotFound.Topic"},
      {R"({"TopicName":"t","SubscriptionName":"nope"})",
       "ResourceNotFound.Subscription"},
  };
  for (const auto& [b, code] : modify) {
    EXPECT_EQ(Code("ModifyCmqSubscriptionAttribute", b), code) << b;
  }
  for (absl::string_view action :
       {"DeleteCmqSubscribe", "ClearCmqSubscriptionFilterTags"}) {
    EXPECT_EQ(Code(action, R"({"TopicName":"t"})"), "MissingParameter");
    EXPECT_EQ(Code(action, R"({"TopicName":"nope","SubscriptionName":"s"})"),
              "ResourceNotFound.Topic");
    EXPECT_EQ(Code(action, R"({"TopicName":"t","SubscriptionName":"nope"})"),
              "ResourceNotFound.Subscription");
  }
  Ok("DeleteCmqSubscribe", R"({"TopicName":"t","SubscriptionName":"S"})");
  EXPECT_EQ(
      Code("DeleteCmqSubscribe", R"({"TopicName":"t","SubscriptionName":"s"})"),
      "ResourceNotFound.Subscription");
  EXPECT_EQ(TopicDetail("t").at("SubscriptionCount").to_number<int64_t>(), 0);
}

TEST_F(TopicActionsTest, TopicsAndSubscriptionsSurviveARestart) {
  Queue("q");
  Topic("t");
  Subscribe("t", "s", "q", R"("FilterTag":["a"])");
  const std::string id(TopicDetail("t").at("TopicId").as_string());
  Open(/*max_cmq_queues=*/1000);
  EXPECT_EQ(TopicDetail("t").at("TopicId").as_string(), id);
  Publish("t", "yes", R"(["a"])");
  Publish("t", "no", R"(["b"])");
  EXPECT_THAT(Drain("q"), ElementsAre("yes"));
}

}  // namespace
}  // namespace rewindmq::facade::tdmq
