// The facade behind the real HTTP server, over 127.0.0.1: registration,
// X-Request-Id, raw SDK paths through Beast, body limits.
#include <boost/json/parse.hpp>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/facades/dms/handler.h"
#include "broker/facades/dms/signature.h"
#include "broker/http/http_server.h"
#include "broker/http/router.h"
#include "broker/http/test_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::dms {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::string_view kInst = broker::kDefaultInstanceId;

std::string Path(absl::string_view tail) {
  return absl::StrCat("/v2/local/instances/", kInst, tail);
}

bool IsRequestId(absl::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

class DmsHttpTest : public ::testing::Test {
 protected:
  void Start(DmsConfig config) {
    broker::BrokerOptions options;
    options.data_dir = dir_.Sub("data");
    options.start_timer_thread = false;
    ASSERT_OK_AND_ASSIGN(broker_, broker::Broker::Open(options));
    dms_ = RegisterDmsRoutes(router_, *broker_, config);
    ASSERT_OK_AND_ASSIGN(server_, httpd::HttpServer::Start({}, &router_));
    port_ = server_->port();
  }

  void SetUp() override { Start(DmsConfig{}); }

  void TearDown() override {
    server_.reset();  // stops serving before the handler and broker go
    dms_.reset();
    broker_.reset();
  }

  rmqtest::HttpResult Fetch(absl::string_view method, absl::string_view target,
                            absl::string_view body = "",
                            const rmqtest::HttpHeaders& headers = {
                                {"Content-Type", "application/json"}}) {
    absl::StatusOr<rmqtest::HttpResult> r =
        rmqtest::Fetch(port_, method, target, body, headers);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : rmqtest::HttpResult{};
  }

  rmqtest::ScopedTempDir dir_;
  std::unique_ptr<broker::Broker> broker_;
  httpd::Router router_;
  std::unique_ptr<DmsHandler> dms_;
  std::unique_ptr<httpd::HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(DmsHttpTest, EveryResponseCarriesARequestIdAndJson) {
  rmqtest::HttpResult ok = Fetch("GET", Path(""));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(IsRequestId(ok.Header("X-Request-Id")))
      << ok.Header("X-Request-Id");
  EXPECT_EQ(ok.Header("Content-Type"), "application/json;charset=UTF-8");

  rmqtest::HttpResult missing = Fetch("GET", Path("/nothing"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(IsRequestId(missing.Header("X-Request-Id")));
  EXPECT_THAT(missing.body, HasSubstr("DMS.00404001"));
}

TEST_F(DmsHttpTest, ACreateSendAndRewindCycleWorksOverHttp) {
  ASSERT_EQ(Fetch("POST", Path("/topics"), R"({"name":"orders","queue_num":2})")
                .status,
            200);
  ASSERT_EQ(Fetch("POST", Path("/groups"), R"({"name":"billing"})").status,
            200);
  for (int i = 0; i < 4; ++i) {
    rmqtest::HttpResult sent = Fetch(
        "POST",
        absl::StrCat("/v2/reliability/local/instances/", kInst, "/messages"),
        absl::StrCat(R"({"topic":"orders","body":"m)", i, R"("})"));
    ASSERT_EQ(sent.status, 200) << sent.body;
  }
  rmqtest::HttpResult reset =
      Fetch("POST",
            absl::StrCat("/v2/local/rocketmq/instances/", kInst,
                         "/groups/billing/reset-message-offset"),
            R"({"topic":"orders","timestamp":"-1"})");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(
      reset.body,
      R"({"queues":[)"
      R"({"broker_name":"broker-0","queue_id":0,"timestamp_offset":2},)"
      R"({"broker_name":"broker-0","queue_id":1,"timestamp_offset":2}]})");
  rmqtest::HttpResult details =
      Fetch("GET", Path("/groups/billing/topics?topic=orders"));
  ASSERT_EQ(details.status, 200) << details.body;
  EXPECT_THAT(details.body, StartsWith(R"({"lag":0,"max_offset":4,)"));

  rmqtest::HttpResult deleted = Fetch("DELETE", Path("/groups/billing"));
  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
}

TEST_F(DmsHttpTest, NodeSdkPathsWithRawBarAndPercentReachTheHandler) {
  ASSERT_EQ(Fetch("POST", Path("/topics"), R"({"name":"a|b%01"})").status, 200);
  rmqtest::HttpResult raw = Fetch("GET", Path("/topics/a|b%01"));
  EXPECT_EQ(raw.status, 200) << raw.body;
  rmqtest::HttpResult encoded = Fetch("GET", Path("/topics/a%7Cb%2501"));
  EXPECT_EQ(encoded.status, 200) << encoded.body;
}

class SmallLimitDmsHttpTest : public DmsHttpTest {
 protected:
  void SetUp() override {
    DmsConfig config;
    config.body_limit = 64;
    Start(config);
  }
};

TEST_F(SmallLimitDmsHttpTest, ABodyOverTheLimitIs413InTheDmsFormat) {
  rmqtest::HttpResult r = Fetch(
      "POST", Path("/topics"),
      absl::StrCat(R"({"name":"orders","x":")", std::string(100, 'x'), "\"}"));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("DMS.00400800"));
}

constexpr absl::string_view kAk = "AK1";
constexpr absl::string_view kSk = "SK1";

class SignedDmsHttpTest : public DmsHttpTest {
 protected:
  void SetUp() override {
    DmsConfig config;
    config.credentials = {{std::string(kAk), std::string(kSk)}};
    Start(config);
  }
};

TEST_F(SignedDmsHttpTest, OnlySignedRequestsAreServed) {
  const std::string target = Path("/topics");
  const std::string body = R"({"name":"orders"})";
  rmqtest::HttpResult unsigned_r = Fetch("POST", target, body);
  EXPECT_EQ(unsigned_r.status, 401);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(unsigned_r.body, ec);
  ASSERT_FALSE(ec) << unsigned_r.body;
  EXPECT_EQ(v.at("request_id").as_string(),
            unsigned_r.Header("X-Request-Id").c_str());

  const std::string host = absl::StrCat("127.0.0.1:", port_);
  const std::string date =
      absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone());
  rmqtest::HttpHeaders headers = {{"Content-Type", "application/json"},
                                  {"Host", host},
                                  {"X-Project-Id", "local"},
                                  {"X-Sdk-Date", date}};
  headers.emplace_back("Authorization",
                       SignRequest(kAk, kSk, "POST", target, headers, body));
  rmqtest::HttpResult signed_r = Fetch("POST", target, body, headers);
  EXPECT_EQ(signed_r.status, 200) << signed_r.body;
}

}  // namespace
}  // namespace rewindmq::facade::dms
