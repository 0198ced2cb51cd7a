#include "broker/facades/cmq/cmq_handler.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/facades/cmq/signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::cmq {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHost[] = "127.0.0.1:9555";

httpd::Request MakeRequest(absl::string_view method, absl::string_view target,
                           absl::string_view body = "",
                           absl::string_view host = kHost) {
  httpd::Request req;
  req.method_string(boost::beast::string_view(method.data(), method.size()));
  req.target(boost::beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host,
          boost::beast::string_view(host.data(), host.size()));
  req.body() = std::string(body);
  req.prepare_payload();
  return req;
}

// The answer of one request, or nullopt while a long poll is pending.
struct Answer {
  std::optional<httpd::Response> response;
  bool dropped = false;

  json::object Json() const {
    EXPECT_TRUE(response.has_value());
    if (!response.has_value()) return {};
    boost::system::error_code ec;
    json::value v = json::parse(response->body(), ec);
    EXPECT_FALSE(ec) << response->body();
    return v.is_object() ? v.get_object() : json::object{};
  }
  int64_t Code() const { return Json().at("code").as_int64(); }
  std::string Message() const {
    return std::string(Json().at("message").as_string());
  }
};

class CmqHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(CmqConfig{}); }

  void Open(CmqConfig config) {
    handler_.reset();
    broker_.reset();
    broker::BrokerOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.start_timer_thread = false;
    options.cmq_min_max_msg_heap_num = 1;
    ASSERT_OK_AND_ASSIGN(broker_, broker::Broker::Open(options));
    handler_ = std::make_unique<CmqHandler>(broker_.get(), std::move(config));
  }

  // Sends `req`; the returned Answer fills in when the handler responds.
  std::shared_ptr<Answer> Send(httpd::Request req,
                               absl::string_view request_id = "rid-1") {
    auto answer = std::make_shared<Answer>();
    httpd::RequestContext ctx;
    ctx.request_id = std::string(request_id);
    handler_->Handle(ctx, req,
                     httpd::Responder::FromCallback(
                         [answer](std::optional<httpd::Response> r) {
                           if (r.has_value()) {
                             answer->response = std::move(r);
                           } else {
                             answer->dropped = true;
                           }
                         }));
    return answer;
  }

  std::shared_ptr<Answer> Get(absl::string_view query) {
    return Send(MakeRequest("GET", absl::StrCat("/v2/index.php?", query)));
  }
  std::shared_ptr<Answer> Post(absl::string_view body) {
    return Send(MakeRequest("POST", "/v2/index.php", body));
  }

  // Creates queue `name` with `extra` parameters; asserts success.
  void CreateQueue(absl::string_view name, absl::string_view extra = "") {
    auto a = Post(absl::StrCat("Action=CreateQueue&queueName=", name, extra));
    ASSERT_EQ(a->Code(), 0) << a->response->body();
  }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<CmqHandler> handler_;
};

TEST_F(CmqHandlerTest, AnswersAreHttp200JsonWithTheRequestId) {
  auto a = Get("Action=ListQueue");
  ASSERT_TRUE(a->response.has_value());
  EXPECT_EQ(a->response->result(), httpd::Status::ok);
  EXPECT_EQ((*a->response)[http::field::content_type],
            "application/json; charset=utf-8");
  EXPECT_EQ(a->Code(), 0);
  EXPECT_EQ(a->Json().at("requestId").as_string(), "rid-1");
  EXPECT_EQ(a->Json().at("totalCount").as_int64(), 0);
}

TEST_F(CmqHandlerTest, CreateQueueThenGetQueueAttributesReportsEveryField) {
  CreateQueue("orders", "&rewindSeconds=600&visibilityTimeout=45");
  auto a = Get("Action=GetQueueAttributes&queueName=orders");
  const json::object o = a->Json();
  EXPECT_EQ(o.at("code").as_int64(), 0);
  EXPECT_EQ(o.at("rewindSeconds").as_int64(), 600);
  EXPECT_EQ(o.at("visibilityTimeout").as_int64(), 45);
  EXPECT_EQ(o.at("maxMsgSize").as_int64(), 65536);
  EXPECT_EQ(o.at("createTime").as_int64(), 1700000000);
  EXPECT_EQ(o.at("rewindMsgNum").as_int64(), 0);
  EXPECT_EQ(o.at("rewindmsgNum").as_int64(), 0);
  EXPECT_EQ(o.at("queueName").as_string(), "orders");
  EXPECT_TRUE(o.contains("queueId"));
}

TEST_F(CmqHandlerTest, CreatingAnExistingNameInAnyCaseIsQueueExists) {
  CreateQueue("orders");
  auto a = Post("Action=CreateQueue&queueName=ORDERS");
  EXPECT_EQ(a->Code(), 4460);
  EXPECT_EQ(a->Message(), "(10210)queue is already existed,case insensitive");
}

TEST_F(CmqHandlerTest, UnknownQueueIsQueueNotExisted) {
  auto a = Get("Action=GetQueueAttributes&queueName=nope");
  EXPECT_EQ(a->Code(), 4440);
  EXPECT_EQ(a->Message(), "(10100)queue is not existed, or deleted");
}

TEST_F(CmqHandlerTest, CreateQueueRefusesAnUnderscoreInTheName) {
  auto a = Post("Action=CreateQueue&queueName=order_events");
  EXPECT_EQ(a->Code(), 4000);
  EXPECT_EQ(a->Message(), "(10020)queue name format error");
  EXPECT_EQ(Get("Action=GetQueueAttributes&queueName=order_events")->Code(),
            4440);
}

// tdmq-cmq-v3.md 7.1: a queue created over API 3.0 is reachable over 2.0.
TEST_F(CmqHandlerTest, EveryOtherActionReachesAnApi3QueueWithAnUnderscore) {
  ASSERT_OK(broker_->cmq().CreateQueue(
      broker_->default_instance(), "order_events",
      {.api = broker::CmqApi::kV3, .rewind_seconds = 600}));
  EXPECT_EQ(Get("Action=GetQueueAttributes&queueName=order_events")->Code(), 0);
  EXPECT_EQ(Post("Action=SetQueueAttributes&queueName=order_events&"
                 "visibilityTimeout=45")
                ->Code(),
            0);
  ASSERT_EQ(Post("Action=SendMessage&queueName=order_events&msgBody=a")->Code(),
            0);
  ASSERT_EQ(Post("Action=BatchSendMessage&queueName=order_events&"
                 "msgBody.0=b&msgBody.1=c")
                ->Code(),
            0);
  auto received = Get("Action=ReceiveMessage&queueName=order_events");
  ASSERT_EQ(received->Code(), 0) << received->response->body();
  EXPECT_EQ(received->Json().at("msgBody").as_string(), "a");
  auto deleted = Post(absl::StrCat(
      "Action=DeleteMessage&queueName=order_events&receiptHandle=",
      std::string(received->Json().at("receiptHandle").as_string())));
  EXPECT_EQ(deleted->Code(), 0);
  auto batch =
      Get("Action=BatchReceiveMessage&queueName=order_events&numOfMsg=2");
  ASSERT_EQ(batch->Code(), 0) << batch->response->body();
  const json::object batch_json = batch->Json();
  const json::array& msgs = batch_json.at("msgInfoList").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  auto batch_deleted = Post(absl::StrCat(
      "Action=BatchDeleteMessage&queueName=order_events&receiptHandle.0=",
      std::string(msgs[0].at("receiptHandle").as_string()), "&receiptHandle.1=",
      std::string(msgs[1].at("receiptHandle").as_string())));
  EXPECT_EQ(batch_deleted->Code(), 0) << batch_deleted->response->body();
  EXPECT_EQ(Get("Action=RewindQueue&queueName=order_events&"
                "startConsumeTime=1700000000")
                ->Code(),
            0);
  EXPECT_EQ(Post("Action=DeleteQueue&queueName=order_events")->Code(), 0);
}

TEST_F(CmqHandlerTest, SendReceiveDeleteRoundTrip) {
  CreateQueue("q1");
  auto sent = Post("Action=SendMessage&queueName=q1&msgBody=hello+world");
  ASSERT_EQ(sent->Code(), 0);
  const std::string msg_id(sent->Json().at("msgId").as_string());

  auto received = Get("Action=ReceiveMessage&queueName=q1");
  const json::object m = received->Json();
  ASSERT_EQ(m.at("code").as_int64(), 0) << received->response->body();
  EXPECT_EQ(m.at("msgId").as_string(), msg_id);
  EXPECT_EQ(m.at("msgBody").as_string(), "hello world");
  EXPECT_EQ(m.at("dequeueCount").as_int64(), 1);
  EXPECT_EQ(m.at("enqueueTime").as_int64(), 1700000000);
  EXPECT_EQ(m.at("nextVisibleTime").as_int64(), 1700000030);

  const std::string handle(m.at("receiptHandle").as_string());
  auto deleted = Post(
      absl::StrCat("Action=DeleteMessage&queueName=q1&receiptHandle=", handle));
  EXPECT_EQ(deleted->Code(), 0);
  auto again = Post(
      absl::StrCat("Action=DeleteMessage&queueName=q1&receiptHandle=", handle));
  EXPECT_EQ(again->Code(), 4430);
}

TEST_F(CmqHandlerTest, BatchSendAndBatchReceiveKeepIndexOrder) {
  CreateQueue("q1");
  auto sent = Post(
      "Action=BatchSendMessage&queueName=q1&msgBody.0=a&msgBody.1=b&"
      "msgBody.2=c");
  ASSERT_EQ(sent->Code(), 0);
  EXPECT_EQ(sent->Json().at("msgList").as_array().size(), 3u);

  auto received = Get("Action=BatchReceiveMessage&queueName=q1&numOfMsg=16");
  const json::object o = received->Json();
  const json::array& list = o.at("msgInfoList").as_array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].as_object().at("msgBody").as_string(), "a");
  EXPECT_EQ(list[2].as_object().at("msgBody").as_string(), "c");
}

TEST_F(CmqHandlerTest, BatchDeleteWithOneBadHandleIsPartiallyFailed) {
  CreateQueue("q1");
  ASSERT_EQ(Post("Action=SendMessage&queueName=q1&msgBody=x")->Code(), 0);
  auto received = Get("Action=ReceiveMessage&queueName=q1");
  const std::string handle(received->Json().at("receiptHandle").as_string());
  auto a = Post(absl::StrCat(
      "Action=BatchDeleteMessage&queueName=q1&receiptHandle.1=", handle,
      "&receiptHandle.2=bogus"));
  const json::object o = a->Json();
  EXPECT_EQ(o.at("code").as_int64(), 6010);
  const json::array& errors = o.at("errorList").as_array();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].as_object().at("code").as_int64(), 4430);
  EXPECT_EQ(errors[0].as_object().at("receiptHandle").as_string(), "bogus");
}

TEST_F(CmqHandlerTest, EmptyQueueWithoutWaitIsNoMessageAtOnce) {
  CreateQueue("q1");
  auto a = Get("Action=ReceiveMessage&queueName=q1&pollingWaitSeconds=0");
  ASSERT_TRUE(a->response.has_value());
  EXPECT_EQ(a->Code(), 7000);
  EXPECT_EQ(a->Message(), "(10200)no message");
}

TEST_F(CmqHandlerTest, LongPollAnswersWhenAMessageArrives) {
  CreateQueue("q1");
  auto waiting =
      Get("Action=ReceiveMessage&queueName=q1&pollingWaitSeconds=10");
  EXPECT_FALSE(waiting->response.has_value());

  ASSERT_EQ(Post("Action=SendMessage&queueName=q1&msgBody=late")->Code(), 0);
  broker_->RunDueTimers();

  ASSERT_TRUE(waiting->response.has_value());
  EXPECT_EQ(waiting->Json().at("msgBody").as_string(), "late");
}

TEST_F(CmqHandlerTest, LongPollEndsWithNoMessageWhenTheWaitRunsOut) {
  CreateQueue("q1");
  auto waiting = Get("Action=ReceiveMessage&queueName=q1&pollingWaitSeconds=5");
  EXPECT_FALSE(waiting->response.has_value());
  clock_.Advance(absl::Seconds(5));
  broker_->RunDueTimers();
  ASSERT_TRUE(waiting->response.has_value());
  EXPECT_EQ(waiting->Code(), 7000);
}

TEST_F(CmqHandlerTest, QueueDefaultWaitAppliesWhenTheRequestNamesNone) {
  CreateQueue("q1", "&pollingWaitSeconds=3");
  auto waiting = Get("Action=ReceiveMessage&queueName=q1");
  EXPECT_FALSE(waiting->response.has_value());
  clock_.Advance(absl::Seconds(3));
  broker_->RunDueTimers();
  ASSERT_TRUE(waiting->response.has_value());
  EXPECT_EQ(waiting->Code(), 7000);
}

TEST_F(CmqHandlerTest, RewindRevivesDeletedMessagesWithTheirIds) {
  CreateQueue("q1", "&rewindSeconds=600");
  ASSERT_EQ(Post("Action=SendMessage&queueName=q1&msgBody=A1")->Code(), 0);
  auto first = Get("Action=ReceiveMessage&queueName=q1");
  const std::string msg_id(first->Json().at("msgId").as_string());
  ASSERT_EQ(
      Post(absl::StrCat(
               "Action=DeleteMessage&queueName=q1&"
               "receiptHandle=",
               std::string(first->Json().at("receiptHandle").as_string())))
          ->Code(),
      0);
  clock_.Advance(absl::Seconds(10));

  auto rewind =
      Get("Action=RewindQueue&queueName=q1&startConsumeTime=1700000000");
  ASSERT_EQ(rewind->Code(), 0) << rewind->response->body();

  auto again = Get("Action=ReceiveMessage&queueName=q1&pollingWaitSeconds=0");
  const json::object m = again->Json();
  ASSERT_EQ(m.at("code").as_int64(), 0);
  EXPECT_EQ(m.at("msgId").as_string(), msg_id);
  EXPECT_EQ(m.at("dequeueCount").as_int64(), 2);
}

TEST_F(CmqHandlerTest, RewindOutsideTheWindowIsInvalidRewindTime) {
  CreateQueue("q1", "&rewindSeconds=600");
  auto a = Get("Action=RewindQueue&queueName=q1&startConsumeTime=1699999399");
  EXPECT_EQ(a->Code(), 4000);
  EXPECT_THAT(a->Message(), HasSubstr("(10680)"));
  EXPECT_EQ(Get("Action=RewindQueue&queueName=q1&"
                "startConsumeTime=1700000000000")
                ->Json()
                .at("code")
                .as_int64(),
            4000);
}

TEST_F(CmqHandlerTest, RewindOnAQueueWithoutRewindIsCannotBeRewinded) {
  CreateQueue("q1");
  auto a = Get("Action=RewindQueue&queueName=q1&startConsumeTime=1700000000");
  EXPECT_EQ(a->Code(), 6050);
  EXPECT_EQ(a->Message(), "(10670)your queue cannot be rewinded");
}

TEST_F(CmqHandlerTest, SetQueueAttributesRewindAboveCurrentRetentionIs10700) {
  CreateQueue("q1", "&msgRetentionSeconds=600");
  auto a = Post("Action=SetQueueAttributes&queueName=q1&rewindSeconds=601");
  EXPECT_EQ(a->Code(), 4000);
  EXPECT_THAT(a->Message(), HasSubstr("(10700)"));
  auto ok = Post("Action=SetQueueAttributes&queueName=q1&rewindSeconds=600");
  EXPECT_EQ(ok->Json().at("rewindSeconds").as_int64(), 600);
}

TEST_F(CmqHandlerTest, BodyAboveMaxMsgSizeIsExceedMaximumMessageSize) {
  CreateQueue("q1", "&maxMsgSize=1024");
  auto a = Post(absl::StrCat("Action=SendMessage&queueName=q1&msgBody=",
                             std::string(1025, 'x')));
  EXPECT_EQ(a->Code(), 4400);
}

TEST_F(CmqHandlerTest, UnknownActionIsActionNameNotExisted) {
  auto a = Get("Action=CreateTopic&topicName=t");
  EXPECT_EQ(a->Code(), 4000);
  EXPECT_EQ(a->Message(), "(10430)action name CreateTopic is not existed");
}

TEST_F(CmqHandlerTest, MissingActionIsActionNotExisted) {
  EXPECT_THAT(Get("queueName=q")->Message(), HasSubstr("(10280)"));
}

TEST_F(CmqHandlerTest, OtherMethodsAreUnexpectedHttpWithStatus200) {
  auto a = Send(MakeRequest("PUT", "/v2/index.php?Action=ListQueue"));
  EXPECT_EQ(a->response->result(), httpd::Status::ok);
  EXPECT_EQ(a->Message(),
            "(10410)unexpected http PUT only GET or POST is supported");
}

TEST_F(CmqHandlerTest, PostBodyIsFormDecodedWhateverTheContentType) {
  httpd::Request req = MakeRequest("POST", "/v2/index.php",
                                   "Action=CreateQueue&queueName=q%2D1");
  req.set(http::field::content_type, "*/*;charset=utf-8");
  EXPECT_EQ(Send(std::move(req))->Code(), 0);
  EXPECT_EQ(Get("Action=GetQueueAttributes&queueName=q-1")->Code(), 0);
}

TEST_F(CmqHandlerTest, PostBodyWinsOverTheQueryOnAClash) {
  CreateQueue("fromBody");
  auto a = Send(MakeRequest("POST",
                            "/v2/index.php?Action=GetQueueAttributes&"
                            "queueName=fromQuery",
                            "queueName=fromBody"));
  EXPECT_EQ(a->Code(), 0);
}

TEST_F(CmqHandlerTest, NumericClientRequestIdIsEchoedAsANumber) {
  auto a = Get("Action=ListQueue&clientRequestId=1231231231");
  EXPECT_EQ(a->Json().at("clientRequestId").as_int64(), 1231231231);
  auto e = Get("Action=Nope&clientRequestId=77");
  EXPECT_EQ(e->Json().at("clientRequestId").as_int64(), 77);
}

TEST_F(CmqHandlerTest, StrictModeRefusesUnsignedRequests) {
  CmqConfig config;
  config.secret_keys["AKIDrewindmqDemo0001"] = "rewindmq-demo-secret-key";
  Open(std::move(config));
  auto a = Get("Action=ListQueue");
  EXPECT_EQ(a->Code(), 4100);
  EXPECT_EQ(a->Message(), "(10270)secret id is not existed");
}

TEST_F(CmqHandlerTest, StrictModeAcceptsTheSpecsSignedRewindExample) {
  CmqConfig config;
  config.secret_keys["AKIDrewindmqDemo0001"] = "rewindmq-demo-secret-key";
  Open(std::move(config));
  // Worked example 1 (spec §4.2), sent to a server reached as
  // 127.0.0.1:8181. The queue does not exist, so a verified request gets
  // past authentication to 4440.
  auto a = Send(MakeRequest(
      "GET",
      "/v2/index.php?Action=RewindQueue&Nonce=4815162342&RequestClient=SDK_"
      "Python_1.3&SecretId=AKIDrewindmqDemo0001&SignatureMethod=HmacSHA256&"
      "Timestamp=1700000000&queueName=orders-q1&startConsumeTime=1699999400&"
      "Signature=8NY7JWdwg%2FR48wz%2FV2H9VefEhWjzXpaveCOS6NuVWBE%3D",
      "", "127.0.0.1:8181"));
  EXPECT_EQ(a->Code(), 4440);
  auto tampered = Send(MakeRequest(
      "GET",
      "/v2/index.php?Action=RewindQueue&Nonce=4815162342&RequestClient=SDK_"
      "Python_1.3&SecretId=AKIDrewindmqDemo0001&SignatureMethod=HmacSHA256&"
      "Timestamp=1700000000&queueName=orders-q2&startConsumeTime=1699999400&"
      "Signature=8NY7JWdwg%2FR48wz%2FV2H9VefEhWjzXpaveCOS6NuVWBE%3D",
      "", "127.0.0.1:8181"));
  EXPECT_EQ(tampered->Message(), "(10030)authentication failed");
}

TEST_F(CmqHandlerTest, UnknownActionIsReportedBeforeCredentials) {
  CmqConfig config;
  config.secret_keys["AKID1"] = "key";
  Open(std::move(config));
  EXPECT_THAT(Get("Action=Subscribe")->Message(), HasSubstr("(10430)"));
}

TEST(ErrorBodyTest, ServerFaultsShowOnlyTheGenericText) {
  const std::string body =
      ErrorBody({"rid-9", std::nullopt},
                absl::DataLossError("checksum mismatch in /var/lib/rmq/seg-7"));
  EXPECT_EQ(body, R"({"code":6000,"message":"(10050)server internal error",)"
                  R"("requestId":"rid-9"})");
  EXPECT_THAT(body, Not(HasSubstr("seg-7")));
}

TEST(RenderCmqTransportErrorTest, OversizedBodyIsCannotParseWithStatus200) {
  httpd::RequestContext ctx;
  ctx.request_id = "rid";
  const httpd::Response r = RenderCmqTransportError(
      httpd::TransportError::kPayloadTooLarge, ctx,
      MakeRequest("POST", "/v2/index.php?clientRequestId=5"));
  EXPECT_EQ(r.result(), httpd::Status::ok);
  EXPECT_EQ(r.body(),
            R"({"code":4000,"message":"(10420)cannot parse request, or )"
            R"(request size is more than 1MB","requestId":"rid",)"
            R"("clientRequestId":5})");
}

TEST(RenderCmqTransportErrorTest, HandlerFailureIsServerInternalError) {
  const httpd::Response r =
      RenderCmqTransportError(httpd::TransportError::kInternal, {},
                              MakeRequest("POST", "/v2/index.php"));
  EXPECT_EQ(r.result(), httpd::Status::ok);
  EXPECT_THAT(r.body(), HasSubstr(R"("code":6000)"));
}

TEST(RenderCmqTransportErrorTest, NotFoundStaysAnHttp404) {
  const httpd::Response r = RenderCmqTransportError(
      httpd::TransportError::kNotFound, {}, MakeRequest("GET", "/v2/x.php"));
  EXPECT_EQ(r.result(), httpd::Status::not_found);
}

TEST(CmqRoutesTest, ServesIndexPhpAlwaysAndRootOnlyWithAnAction) {
  CmqHandler handler(nullptr, CmqConfig{});
  httpd::Router router;
  RegisterCmqRoutes(router, &handler);

  const httpd::Route* php =
      router.Match(MakeRequest("GET", "/v2/index.php?queueName=q"));
  ASSERT_NE(php, nullptr);
  EXPECT_EQ(php->handler, &handler);
  EXPECT_EQ(php->body_limit, uint64_t{4} << 20);

  EXPECT_NE(router.Match(MakeRequest("GET", "/?Action=ListQueue")), nullptr);
  EXPECT_NE(router.Match(MakeRequest("POST", "/", "Action=ListQueue")),
            nullptr);
  EXPECT_EQ(router.Match(MakeRequest("GET", "/")), nullptr);
  EXPECT_EQ(router.Match(MakeRequest("GET", "/v2/other.php?Action=x")),
            nullptr);
  // An API 3.0 form (signature v1) names version 2020-02-17: not ours.
  EXPECT_EQ(router.Match(MakeRequest(
                "POST", "/", "Action=DescribeCmqQueues&Version=2020-02-17")),
            nullptr);
}

}  // namespace
}  // namespace rewindmq::facade::cmq
