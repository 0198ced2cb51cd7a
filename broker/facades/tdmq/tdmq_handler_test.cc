#include "broker/facades/tdmq/tdmq_handler.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/facades/tdmq/actions.h"
#include "broker/facades/tdmq/signature.h"
#include "broker/http/router.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::tdmq {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr char kHost[] = "127.0.0.1:9555";
constexpr char kSecretId[] = "AKIDEXAMPLE";
constexpr char kSecretKey[] = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
constexpr int64_t kStart = 1700000000;  // the fake clock's start

// xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx, lower-case hex, y in 8..b.
bool IsUuidV4(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return id[14] == '4' &&
         absl::string_view("89ab").find(id[19]) != absl::string_view::npos;
}

struct Answer {
  std::optional<httpd::Response> response;

  json::object Response() const {
    EXPECT_TRUE(response.has_value());
    if (!response.has_value()) return {};
    EXPECT_EQ(response->result(), httpd::Status::ok);
    boost::system::error_code ec;
    json::value v = json::parse(response->body(), ec);
    EXPECT_FALSE(ec) << response->body();
    if (!v.is_object() || !v.get_object().contains("Response")) {
      ADD_FAILURE() << "no Response object: " << response->body();
      return {};
    }
    EXPECT_EQ(v.get_object().size(), 1u) << response->body();
    return v.get_object().at("Response").as_object();
  }
  // The error code, or "" for a success.
  std::string Code() const {
    const json::object r = Response();
    if (!r.contains("Error")) return "";
    EXPECT_EQ(r.size(), 2u) << "an error holds only Error and RequestId";
    return std::string(r.at("Error").at("Code").as_string());
  }
  std::string Body() const { return response ? response->body() : ""; }
};

class TdmqHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Set(absl::FromUnixSeconds(kStart));
    Open(TdmqConfig{});
  }

  void Open(TdmqConfig config) {
    handler_.reset();
    broker_.reset();
    broker::BrokerOptions options;
    options.data_dir = dir_.Sub("data");
    options.clock = &clock_;
    options.start_timer_thread = false;
    options.cmq_min_max_msg_heap_num = 1;
    ASSERT_OK_AND_ASSIGN(broker_, broker::Broker::Open(options));
    handler_ = std::make_unique<TdmqHandler>(broker_.get(), std::move(config));
  }

  static httpd::Request MakeRequest(absl::string_view method,
                                    absl::string_view target,
                                    absl::string_view body) {
    httpd::Request req;
    req.method_string(boost::beast::string_view(method.data(), method.size()));
    req.target(boost::beast::string_view(target.data(), target.size()));
    req.version(11);
    req.set(http::field::host, kHost);
    req.body() = std::string(body);
    req.prepare_payload();
    return req;
  }

  // A POST as the SDKs send it: JSON body, X-TC-* headers, signed when
  // `sign` (as S-go does: service tdmq, host with port).
  httpd::Request V3(absl::string_view action, absl::string_view body,
                    bool sign = false, absl::string_view key = kSecretKey,
                    int64_t timestamp = kStart) {
    httpd::Request req = MakeRequest("POST", "/", body);
    req.set(http::field::content_type, "application/json");
    req.set("X-TC-Action",
            boost::beast::string_view(action.data(), action.size()));
    req.set("X-TC-Version", "2020-02-17");
    const std::string ts = absl::StrCat(timestamp);
    req.set("X-TC-Timestamp", ts);
    if (sign) {
      const std::string content_type = "application/json";
      const std::string host = kHost;
      Tc3Request r{
          .method = "POST",
          .path = "/",
          .query = "",
          .body = body,
          .header =
              [&](absl::string_view name) -> std::optional<absl::string_view> {
            if (name == "content-type") return content_type;
            if (name == "host") return host;
            if (name == "x-tc-timestamp") return ts;
            return std::nullopt;
          }};
      req.set(http::field::authorization,
              Tc3Authorization(r, {.secret_id = kSecretId,
                                   .secret_key = key,
                                   .service = "tdmq",
                                   .signed_host = kHost,
                                   .timestamp = timestamp}));
    }
    return req;
  }

  Answer Send(httpd::Request req) {
    Answer answer;
    httpd::RequestContext ctx;
    ctx.request_id = "rid";
    handler_->Handle(ctx, req,
                     httpd::Responder::FromCallback(
                         [&answer](std::optional<httpd::Response> r) {
                           answer.response = std::move(r);
                         }));
    EXPECT_TRUE(answer.response.has_value()) << "no synchronous answer";
    return answer;
  }

  Answer Call(absl::string_view action, absl::string_view body = "{}") {
    return Send(V3(action, body));
  }

  json::object Detail(absl::string_view queue) {
    Answer a = Call("DescribeCmqQueueDetail",
                    absl::StrCat(R"({"QueueName":")", queue, R"("})"));
    EXPECT_EQ(a.Code(), "") << a.Body();
    json::object r = a.Response();
    return r.contains("QueueDescribe") ? r.at("QueueDescribe").as_object()
                                       : json::object{};
  }

  void Create(absl::string_view body) {
    Answer a = Call("CreateCmqQueue", body);
    ASSERT_EQ(a.Code(), "") << a.Body();
  }

  broker::CmqQueues& cmq() { return broker_->cmq(); }
  const std::string& instance() { return broker_->default_instance(); }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<TdmqHandler> handler_;
};

TEST_F(TdmqHandlerTest, AnswersCarryAUuidRequestIdAndEchoTheTraceId) {
  httpd::Request req = V3("DescribeCmqQueues", "{}");
  req.set("X-TC-TraceId", "trace-7");
  Answer a = Send(std::move(req));
  EXPECT_EQ(a.Code(), "");
  EXPECT_EQ((*a.response)["X-TC-TraceId"], "trace-7");
  EXPECT_EQ((*a.response)[http::field::content_type], "application/json");
  const std::string id(a.Response().at("RequestId").as_string());
  EXPECT_TRUE(IsUuidV4(id)) << id;
  EXPECT_NE(
      id,
      std::string(
          Call("DescribeCmqQueues").Response().at("RequestId").as_string()));
}

TEST_F(TdmqHandlerTest, CreateAppliesTheApi3DefaultsAndDetailHasEveryField) {
  Create(R"({"QueueName":"orders_x1","RewindSeconds":600,"Tags":[)"
         R"({"TagKey":"team","TagValue":"billing"}]})");
  const json::object q = Detail("orders_x1");
  EXPECT_EQ(q.at("QueueName").as_string(), "orders_x1");
  EXPECT_EQ(q.at("MsgRetentionSeconds").to_number<uint64_t>(), 3600u);
  EXPECT_EQ(q.at("MaxMsgSize").to_number<uint64_t>(), 1048576u);
  EXPECT_EQ(q.at("VisibilityTimeout").to_number<uint64_t>(), 30u);
  EXPECT_EQ(q.at("RewindSeconds").to_number<uint64_t>(), 600u);
  EXPECT_EQ(q.at("CreateTime").to_number<uint64_t>(), uint64_t{kStart} * 1000);
  EXPECT_EQ(q.at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart} * 1000);
  EXPECT_TRUE(q.at("DeadLetterPolicy").is_null());
  EXPECT_TRUE(q.at("TransactionPolicy").is_null());
  EXPECT_TRUE(q.at("DeadLetterSource").as_array().empty());
  EXPECT_EQ(json::serialize(q.at("Tags")),
            R"([{"TagKey":"team","TagValue":"billing"}])");
  for (const char* field : {"QueueId",
                            "Qps",
                            "Bps",
                            "MaxDelaySeconds",
                            "MaxMsgHeapNum",
                            "PollingWaitSeconds",
                            "ActiveMsgNum",
                            "InactiveMsgNum",
                            "DelayMsgNum",
                            "RewindMsgNum",
                            "MinMsgTime",
                            "Transaction",
                            "CreateUin",
                            "Trace",
                            "TenantId",
                            "NamespaceName",
                            "Status",
                            "MaxUnackedMsgNum",
                            "MaxMsgBacklogSize",
                            "RetentionSizeInMB"}) {
    EXPECT_TRUE(q.contains(field)) << field;
  }
  // The same queue, seen by the 2.0 face of the broker.
  ASSERT_OK_AND_ASSIGN(broker::CmqQueueInfo info,
                       cmq().GetQueueAttributes(instance(), "ORDERS_X1"));
  EXPECT_EQ(info.queue_id, q.at("QueueId").as_string());
}

TEST_F(TdmqHandlerTest, CreateRefusesBadInputWithTheSpecsCodes) {
  Create(R"({"QueueName":"orders"})");
  struct Case {
    const char* body;
    const char* code;
  };
  for (const Case& c : std::vector<Case>{
           {R"({})", "MissingParameter"},
           {R"({"QueueName":""})", "MissingParameter"},
           {R"({"QueueName":"1abc"})", "InvalidParameterValue"},
           {R"({"QueueName":"a234567890123456789012345678901234567890123)"
            R"(4567890123456789012345"})",
            "InvalidParameterValue"},
           {R"({"QueueName":"q1","VisibilityTimeout":0})",
            "InvalidParameterValue"},
           {R"({"QueueName":"q1","RewindSeconds":7200})",
            "InvalidParameterValue"},
           {R"({"QueueName":"ORDERS"})", "ResourceInUse.Queue"},
           {R"({"QueueName":"q1","Transaction":1})", "UnsupportedOperation"},
           {R"({"QueueName":"q1","Foo":1})", "UnknownParameter"},
           {R"({"QueueName":"q1","VisibilityTimeout":"30"})",
            "InvalidParameter"},
           {R"({"QueueName":"q1","DeadLetterQueueName":"nope",)"
            R"("MaxReceiveCount":3})",
            "ResourceNotFound"},
           {R"({"QueueName":"q1","DeadLetterQueueName":"orders"})",
            "MissingParameter"},
           {R"({"QueueName":"q1","Tags":[{"TagKey":"a","TagValue":"1"},)"
            R"({"TagKey":"a","TagValue":"2"}]})",
            "InvalidParameterValue"},
       }) {
    Answer a = Call("CreateCmqQueue", c.body);
    EXPECT_EQ(a.Code(), c.code) << c.body << " -> " << a.Body();
  }
  // None of the refused creates left a queue behind.
  EXPECT_EQ(Call("DescribeCmqQueues")
                .Response()
                .at("TotalCount")
                .to_number<uint64_t>(),
            1u);
}

TEST_F(TdmqHandlerTest, DeadLetterPolicyIsStoredReportedAndUnbound) {
  Create(R"({"QueueName":"dlq"})");
  Create(R"({"QueueName":"work","DeadLetterQueueName":"dlq",)"
         R"("MaxReceiveCount":5})");
  const json::object work = Detail("work");
  ASSERT_TRUE(work.at("DeadLetterPolicy").is_object());
  EXPECT_EQ(work.at("DeadLetterPolicy").at("DeadLetterQueue").as_string(),
            "dlq");
  EXPECT_EQ(
      work.at("DeadLetterPolicy").at("MaxReceiveCount").to_number<uint64_t>(),
      5u);
  const json::object dlq = Detail("dlq");
  ASSERT_EQ(dlq.at("DeadLetterSource").as_array().size(), 1u);
  EXPECT_EQ(dlq.at("DeadLetterSource").at(0).at("QueueName").as_string(),
            "work");

  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(Call("UnbindCmqDeadLetter", R"({"SourceQueueName":"work"})").Code(),
            "");
  EXPECT_TRUE(Detail("work").at("DeadLetterPolicy").is_null());
  EXPECT_EQ(Detail("work").at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart + 5} * 1000);
  EXPECT_TRUE(Detail("dlq").at("DeadLetterSource").as_array().empty());
  EXPECT_EQ(Call("UnbindCmqDeadLetter", R"({"SourceQueueName":"nope"})").Code(),
            "ResourceNotFound");
}

TEST_F(TdmqHandlerTest, ModifyMergesAndChecksTheMergedSet) {
  Create(R"({"QueueName":"orders","MsgRetentionSeconds":3600,)"
         R"("RewindSeconds":600})");
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Call("ModifyCmqQueueAttribute",
                 R"({"QueueName":"orders","VisibilityTimeout":45,)"
                 R"("MaxMsgSize":2048})")
                .Code(),
            "");
  json::object q = Detail("orders");
  EXPECT_EQ(q.at("VisibilityTimeout").to_number<uint64_t>(), 45u);
  EXPECT_EQ(q.at("MaxMsgSize").to_number<uint64_t>(), 2048u);
  EXPECT_EQ(q.at("RewindSeconds").to_number<uint64_t>(), 600u);
  EXPECT_EQ(q.at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart + 2} * 1000);
  EXPECT_EQ(Call("ModifyCmqQueueAttribute",
                 R"({"QueueName":"orders","MsgRetentionSeconds":300})")
                .Code(),
            "InvalidParameterValue");
  EXPECT_EQ(Call("ModifyCmqQueueAttribute",
                 R"({"QueueName":"orders","PollingWaitSeconds":31})")
                .Code(),
            "InvalidParameterValue");
  EXPECT_EQ(Call("ModifyCmqQueueAttribute", R"({"QueueName":"nope"})").Code(),
            "ResourceNotFound");
  // A call with only the name succeeds and moves LastModifyTime.
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(Call("ModifyCmqQueueAttribute", R"({"QueueName":"orders"})").Code(),
            "");
  EXPECT_EQ(Detail("orders").at("LastModifyTime").to_number<uint64_t>(),
            uint64_t{kStart + 5} * 1000);
}

TEST_F(TdmqHandlerTest, SendThenReceiveOverTheBrokerThenRewindRevives) {
  Create(R"({"QueueName":"orders","MsgRetentionSeconds":3600,)"
         R"("RewindSeconds":600})");
  Answer sent =
      Call("SendCmqMsg", R"({"QueueName":"orders","MsgContent":"héllo"})");
  ASSERT_EQ(sent.Code(), "") << sent.Body();
  EXPECT_TRUE(sent.Response().at("Result").as_bool());
  const std::string msg_id(sent.Response().at("MsgId").as_string());

  ASSERT_OK_AND_ASSIGN(auto got,
                       cmq().ReceiveMessages(instance(), "orders", 1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].msg_id, msg_id);
  EXPECT_EQ(got[0].body, "héllo");
  ASSERT_OK(cmq().DeleteMessage(instance(), "orders", got[0].receipt_handle));
  EXPECT_EQ(Detail("orders").at("RewindMsgNum").to_number<uint64_t>(), 1u);

  clock_.Advance(absl::Seconds(10));
  // Milliseconds and seconds name the same instant.
  EXPECT_EQ(Call("RewindCmqQueue",
                 absl::StrCat(R"({"QueueName":"orders","StartConsumeTime":)",
                              (kStart - 5) * 1000, "}"))
                .Code(),
            "");
  const json::object q = Detail("orders");
  EXPECT_EQ(q.at("ActiveMsgNum").to_number<uint64_t>(), 1u);
  EXPECT_EQ(q.at("RewindMsgNum").to_number<uint64_t>(), 0u);
  ASSERT_OK_AND_ASSIGN(auto again,
                       cmq().ReceiveMessages(instance(), "orders", 1));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].msg_id, msg_id);
  EXPECT_EQ(again[0].dequeue_count, 2);
}

TEST_F(TdmqHandlerTest, SendAndRewindRefuseBadInput) {
  Create(R"({"QueueName":"small","MaxMsgSize":1024,)"
         R"("MsgRetentionSeconds":60,"RewindSeconds":0})");
  const std::string big(1025, 'x');
  struct Case {
    std::string action;
    std::string body;
    const char* code;
  };
  for (const Case& c : std::vector<Case>{
           {"SendCmqMsg", R"({"QueueName":"small","MsgContent":""})",
            "InvalidParameterValue"},
           {"SendCmqMsg", R"({"QueueName":"small"})", "MissingParameter"},
           {"SendCmqMsg",
            absl::StrCat(R"({"QueueName":"small","MsgContent":")", big, "\"}"),
            "InvalidParameterValue"},
           {"SendCmqMsg",
            R"({"QueueName":"small","MsgContent":"x","DelaySeconds":3601})",
            "InvalidParameterValue"},
           {"SendCmqMsg",
            R"({"QueueName":"small","MsgContent":"x","DelaySeconds":61})",
            "InvalidParameterValue"},
           {"SendCmqMsg", R"({"QueueName":"nope","MsgContent":"x"})",
            "ResourceNotFound"},
           {"RewindCmqQueue",
            absl::StrCat(R"({"QueueName":"small","StartConsumeTime":)", kStart,
                         "}"),
            "FailedOperation"},
           {"RewindCmqQueue", R"({"QueueName":"small"})", "MissingParameter"},
           {"RewindCmqQueue",
            absl::StrCat(R"({"QueueName":"nope","StartConsumeTime":)", kStart,
                         "}"),
            "ResourceNotFound"},
       }) {
    Answer a = Call(c.action, c.body);
    EXPECT_EQ(a.Code(), c.code)
        << c.action << " " << c.body.substr(0, 80) << " -> " << a.Body();
  }
  Create(R"({"QueueName":"rw","RewindSeconds":600})");
  EXPECT_EQ(Call("RewindCmqQueue",
                 absl::StrCat(R"({"QueueName":"rw","StartConsumeTime":)",
                              kStart - 601, "}"))
                .Code(),
            "InvalidParameterValue");
  EXPECT_EQ(Call("RewindCmqQueue",
                 absl::StrCat(R"({"QueueName":"rw","StartConsumeTime":)",
                              kStart + 60, "}"))
                .Code(),
            "InvalidParameterValue");
}

TEST_F(TdmqHandlerTest, DelayedSendsAreCountedAsDelayed) {
  Create(R"({"QueueName":"orders"})");
  ASSERT_EQ(Call("SendCmqMsg",
                 R"({"QueueName":"orders","MsgContent":"x","DelaySeconds":5})")
                .Code(),
            "");
  EXPECT_EQ(Detail("orders").at("DelayMsgNum").to_number<uint64_t>(), 1u);
}

TEST_F(TdmqHandlerTest, ClearDeletesUnderTheRewindRule) {
  Create(R"({"QueueName":"orders","RewindSeconds":600})");
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(
        cmq().SendMessage(instance(), "orders", absl::StrCat("m", i)).status());
  }
  ASSERT_OK_AND_ASSIGN(auto inflight,
                       cmq().ReceiveMessages(instance(), "orders", 1));
  ASSERT_EQ(Call("ClearCmqQueue", R"({"QueueName":"orders"})").Code(), "");
  json::object q = Detail("orders");
  EXPECT_EQ(q.at("ActiveMsgNum").to_number<uint64_t>(), 0u);
  EXPECT_EQ(q.at("InactiveMsgNum").to_number<uint64_t>(), 0u);
  EXPECT_EQ(q.at("MinMsgTime").to_number<uint64_t>(), 0u);
  EXPECT_EQ(q.at("RewindMsgNum").to_number<uint64_t>(), 3u);
  EXPECT_FALSE(
      cmq()
          .DeleteMessage(instance(), "orders", inflight[0].receipt_handle)
          .ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_EQ(Call("RewindCmqQueue",
                 absl::StrCat(R"({"QueueName":"orders","StartConsumeTime":)",
                              kStart, "}"))
                .Code(),
            "");
  EXPECT_EQ(Detail("orders").at("ActiveMsgNum").to_number<uint64_t>(), 3u);
  EXPECT_EQ(Call("ClearCmqQueue", R"({"QueueName":"nope"})").Code(),
            "ResourceNotFound");
}

TEST_F(TdmqHandlerTest, DescribeQueuesPagesAndFilters) {
  Create(R"({"QueueName":"alpha","Tags":[{"TagKey":"env","TagValue":"dev"}]})");
  clock_.Advance(absl::Seconds(1));
  Create(R"({"QueueName":"beta","Tags":[{"TagKey":"env","TagValue":"prod"}]})");
  clock_.Advance(absl::Seconds(1));
  Create(R"({"QueueName":"alphabet"})");
  auto names = [&](absl::string_view body) {
    Answer a = Call("DescribeCmqQueues", body);
    EXPECT_EQ(a.Code(), "") << a.Body();
    std::vector<std::string> out;
    const json::object r = a.Response();
    if (!r.contains("QueueList")) return out;
    for (const json::value& q : r.at("QueueList").as_array()) {
      out.emplace_back(q.at("QueueName").as_string());
    }
    return out;
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(names("{}"), ElementsAre("alpha", "beta", "alphabet"));
  EXPECT_THAT(names(R"({"Offset":1,"Limit":1})"), ElementsAre("beta"));
  EXPECT_EQ(Call("DescribeCmqQueues", R"({"Offset":1,"Limit":1})")
                .Response()
                .at("TotalCount")
                .to_number<uint64_t>(),
            3u);
  EXPECT_THAT(names(R"({"QueueName":"alpha"})"),
              ElementsAre("alpha", "alphabet"));
  EXPECT_THAT(names(R"({"QueueNameList":["BETA","alphabet"]})"),
              ElementsAre("beta", "alphabet"));
  EXPECT_THAT(names(R"({"IsTagFilter":true,"Filters":[{"Name":"tag:env",)"
                    R"("Values":["prod"]}]})"),
              ElementsAre("beta"));
  // Filters without IsTagFilter do not filter.
  EXPECT_THAT(names(R"({"Filters":[{"Name":"tag:env","Values":["x"]}]})"),
              ElementsAre("alpha", "beta", "alphabet"));
  EXPECT_EQ(Call("DescribeCmqQueues", R"({"Limit":51})").Code(),
            "InvalidParameterValue");
  EXPECT_EQ(Call("DescribeCmqQueues",
                 R"({"IsTagFilter":true,"Filters":[{"Name":"env"}]})")
                .Code(),
            "InvalidParameterValue");
}

TEST_F(TdmqHandlerTest, DeleteThenDetailIsNotFound) {
  Create(R"({"QueueName":"orders"})");
  EXPECT_EQ(Call("DeleteCmqQueue", R"({"QueueName":"orders"})").Code(), "");
  EXPECT_EQ(Call("DescribeCmqQueueDetail", R"({"QueueName":"orders"})").Code(),
            "ResourceNotFound");
  EXPECT_EQ(Call("DeleteCmqQueue", R"({"QueueName":"orders"})").Code(),
            "ResourceNotFound");
}

TEST_F(TdmqHandlerTest, ActionVersionAndMethodAreCheckedFirst) {
  httpd::Request no_version = V3("DescribeCmqQueues", "{}");
  no_version.erase("X-TC-Version");
  EXPECT_EQ(Send(std::move(no_version)).Code(), "MissingParameter");
  httpd::Request old_version = V3("DescribeCmqQueues", "{}");
  old_version.set("X-TC-Version", "2019-03-04");
  EXPECT_EQ(Send(std::move(old_version)).Code(), "NoSuchVersion");
  EXPECT_EQ(Call("Foo").Code(), "InvalidAction");
  // An action name that is not UTF-8 is quoted without breaking the JSON.
  EXPECT_EQ(Call("ModifyCmq\xe1ueueAttribute").Code(), "InvalidAction");
  EXPECT_EQ(Call("ReceiveMessage").Code(), "UnsupportedOperation");
  // The first character is upper-cased (as S-py does), the rest must match.
  EXPECT_EQ(Call("describeCmqQueues").Code(), "");
  EXPECT_EQ(Call("describecmqqueues").Code(), "InvalidAction");
  httpd::Request put = V3("DescribeCmqQueues", "{}");
  put.method_string("PUT");
  EXPECT_EQ(Send(std::move(put)).Code(), "UnsupportedProtocol");
  EXPECT_EQ(Call("DescribeCmqQueues", "{").Code(), "InvalidParameter");
}

TEST_F(TdmqHandlerTest, GetWithFlattenedQueryIsServed) {
  Create(R"({"QueueName":"orders"})");
  httpd::Request get =
      MakeRequest("GET", "/?QueueNameList.0=orders&Limit=5", "");
  get.set("X-TC-Action", "DescribeCmqQueues");
  get.set("X-TC-Version", "2020-02-17");
  Answer a = Send(std::move(get));
  ASSERT_EQ(a.Code(), "") << a.Body();
  EXPECT_EQ(a.Response().at("TotalCount").to_number<uint64_t>(), 1u);
}

TEST_F(TdmqHandlerTest, SignatureV1FormsAreServedInOpenModeOnly) {
  httpd::Request form = MakeRequest(
      "POST", "/",
      "QueueName=q1&Tags.0.TagKey=k&Tags.0.TagValue=v&Action=CreateCmqQueue&"
      "Nonce=4052&Timestamp=1796159236&Version=2020-02-17&SecretId=AKIDtest&"
      "Region=ap-guangzhou&SignatureMethod=HmacSHA256&Signature=abc%3D");
  form.set(http::field::content_type, "application/x-www-form-urlencoded");
  Answer created = Send(form);
  ASSERT_EQ(created.Code(), "") << created.Body();
  EXPECT_EQ(json::serialize(Detail("q1").at("Tags")),
            R"([{"TagKey":"k","TagValue":"v"}])");
  Answer listed = Send(MakeRequest(
      "GET", "/?Action=DescribeCmqQueues&Version=2020-02-17&Limit=5", ""));
  ASSERT_EQ(listed.Code(), "") << listed.Body();
  EXPECT_EQ(listed.Response().at("TotalCount").to_number<uint64_t>(), 1u);
  EXPECT_EQ(Send(MakeRequest("GET", "/?Action=DescribeCmqQueues", "")).Code(),
            "MissingParameter");

  TdmqConfig config;
  config.secret_keys[kSecretId] = kSecretKey;
  Open(std::move(config));
  EXPECT_EQ(Send(form).Code(), "AuthFailure.InvalidAuthorization");
}

TEST_F(TdmqHandlerTest, RoutesTakeV3HeadsV1QueriesAndV1FormBodies) {
  httpd::Router router;
  RegisterTdmqRoutes(router, handler_.get());
  RegisterTdmqFormRoute(router, handler_.get());
  auto route = [&](const httpd::Request& req) -> std::string {
    const httpd::Route* r = router.Match(req);
    return r == nullptr ? "none" : r->name;
  };
  EXPECT_EQ(route(V3("DescribeCmqQueues", "{}")), "tdmq");
  EXPECT_EQ(route(MakeRequest("GET", "/?Action=X&Version=2020-02-17", "")),
            "tdmq-v1");
  httpd::Request v1 =
      MakeRequest("POST", "/", "Action=DescribeCmqQueues&Version=2020-02-17");
  v1.set(http::field::content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(route(v1), "tdmq-v1");
  httpd::Request v2 = MakeRequest("POST", "/", "Action=ListQueue");
  v2.set(http::field::content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(route(v2), "none");
  EXPECT_EQ(route(MakeRequest("GET", "/?Action=ListQueue", "")), "none");
}

TEST_F(TdmqHandlerTest, StrictModeVerifiesTc3Signatures) {
  TdmqConfig config;
  config.secret_keys[kSecretId] = kSecretKey;
  Open(std::move(config));
  const std::string body = R"({"QueueName":"orders"})";
  EXPECT_EQ(Send(V3("CreateCmqQueue", body, /*sign=*/true)).Code(), "");
  EXPECT_EQ(Send(V3("DescribeCmqQueues", "{}")).Code(),
            "AuthFailure.InvalidAuthorization");
  EXPECT_EQ(Send(V3("DescribeCmqQueues", "{}", true, "wrong-key")).Code(),
            "AuthFailure.SignatureFailure");
  EXPECT_EQ(Send(V3("DescribeCmqQueues", "{}", true, kSecretKey, kStart - 301))
                .Code(),
            "AuthFailure.SignatureExpire");
  httpd::Request altered = V3("DescribeCmqQueues", "{}", true);
  altered.body() = R"({"Limit":1})";
  altered.prepare_payload();
  EXPECT_EQ(Send(std::move(altered)).Code(), "AuthFailure.SignatureFailure");
  EXPECT_EQ(Send(V3("DescribeCmqQueues", "{}", true)).Code(), "");
}

TEST(TdmqRoutesTest, HeadsWithX_TC_ActionOrTc3AuthorizationAreOurs) {
  auto head = [](absl::string_view target) {
    httpd::Request req;
    req.method(http::verb::post);
    req.target(boost::beast::string_view(target.data(), target.size()));
    return req;
  };
  httpd::Request a = head("/");
  a.set("X-TC-Action", "DescribeCmqQueues");
  EXPECT_TRUE(IsTdmqHead(a));
  httpd::Request b = head("/");
  b.set(http::field::authorization,
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/127/tc3_request, ...");
  EXPECT_TRUE(IsTdmqHead(b));
  httpd::Request c = head("/?Action=ListQueue");
  EXPECT_FALSE(IsTdmqHead(c));
  httpd::Request d = head("/v2/index.php");
  d.set("X-TC-Action", "DescribeCmqQueues");
  EXPECT_FALSE(IsTdmqHead(d));
}

TEST(TdmqActionsTest, StartConsumeTimeUnitFollowsItsMagnitude) {
  EXPECT_EQ(NormalizeStartConsumeTime(1582108595), 1582108595);
  EXPECT_EQ(NormalizeStartConsumeTime(1582108595000), 1582108595);
  EXPECT_EQ(NormalizeStartConsumeTime(1582108595999), 1582108595);
  EXPECT_EQ(NormalizeStartConsumeTime(999999999999), 999999999999);
}

}  // namespace
}  // namespace rewindmq::facade::tdmq
