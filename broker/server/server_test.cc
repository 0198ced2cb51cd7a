#include "broker/server/server.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/http/test_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::server {
namespace {

using ::rmqtest::Fetch;
using ::rmqtest::HttpResult;
using ::rmqtest::StatusIs;
using ::rmqtest::TestHttpClient;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class ServerTest : public ::testing::Test {
 protected:
  ServerConfig Config() {
    ServerConfig config;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.remoting_port = 0;
    config.data_dir = dir_.Sub("data");
    config.worker_threads = 2;
    config.io_threads = 1;
    config.drain_timeout = absl::Seconds(2);
    return config;
  }

  rmqtest::ScopedTempDir dir_;
};

TEST_F(ServerTest, ServesHealthzOnTheBoundPort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> server, Server::Start(Config()));
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->address(), absl::StrCat("127.0.0.1:", server->port()));
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server->port(), "GET", "/healthz"));
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.Header("X-Request-Id"), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_OK(server->Shutdown());
}

TEST_F(ServerTest, UnknownPathsGetAPlainJson404) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> server, Server::Start(Config()));
  ASSERT_OK_AND_ASSIGN(HttpResult res, Fetch(server->port(), "GET", "/nope"));
  EXPECT_EQ(res.status, 404);
  EXPECT_THAT(res.body, HasSubstr(R"("code":"not_found")"));
}

TEST_F(ServerTest, DataDirIsCreatedAndReportedAbsolute) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> server, Server::Start(Config()));
  EXPECT_THAT(server->data_dir(), StartsWith("/"));
  EXPECT_EQ(server->data_dir(), dir_.Sub("data"));
}

TEST_F(ServerTest, ShutdownStopsServingAndIsIdempotent) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> server, Server::Start(Config()));
  const uint16_t port = server->port();
  EXPECT_OK(server->Shutdown());
  EXPECT_OK(server->Shutdown());
  EXPECT_FALSE(Fetch(port, "GET", "/healthz").ok());
}

TEST_F(ServerTest, StoreIsReopenedAfterAShutdown) {
  { ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> s, Server::Start(Config())); }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> again, Server::Start(Config()));
  EXPECT_OK(again->Shutdown());
}

TEST_F(ServerTest, SecondServerOnTheSameDataDirIsRefused) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> first, Server::Start(Config()));
  EXPECT_THAT(Server::Start(Config()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(dir_.Sub("data"))));
}

TEST_F(ServerTest, TakenPortIsReportedWithTheAddress) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> first, Server::Start(Config()));
  ServerConfig config = Config();
  config.data_dir = dir_.Sub("other");
  config.listen_port = first->port();
  EXPECT_THAT(Server::Start(config), StatusIs(absl::StatusCode::kUnavailable,
                                              HasSubstr(first->address())));
}

TEST_F(ServerTest, MetricsCountCmqAndDmsRequestsAndConnections) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> server, Server::Start(Config()));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestHttpClient> client,
                       TestHttpClient::Connect("127.0.0.1", server->port()));
  const rmqtest::HttpHeaders form = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  ASSERT_OK_AND_ASSIGN(
      HttpResult cmq,
      client->Roundtrip("POST", "/v2/index.php",
                        "Action=CreateQueue&queueName=orders", form));
  EXPECT_EQ(cmq.status, 200) << cmq.body;
  ASSERT_OK_AND_ASSIGN(
      HttpResult dms,
      client->Roundtrip(
          "POST",
          "/v2/local/instances/00000000-0000-4000-8000-000000000001/topics",
          R"({"name":"events","queue_num":2})",
          {{"Content-Type", "application/json"}}));
  EXPECT_EQ(dms.status, 200) << dms.body;

  // A request is counted once its response has been written, which may
  // trail the client's read by a moment: scrape until it shows.
  HttpResult scrape;
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK_AND_ASSIGN(scrape, client->Roundtrip("GET", "/metrics"));
    if (absl::StrContains(scrape.body, R"(route="dms",status="200")")) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.Header("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(
      scrape.body,
      HasSubstr(R"(rewindmq_http_requests_total{route="cmq",status="200"} 1)"));
  EXPECT_THAT(
      scrape.body,
      HasSubstr(R"(rewindmq_http_requests_total{route="dms",status="200"} 1)"));
  EXPECT_THAT(
      scrape.body,
      HasSubstr(
          R"(rewindmq_http_request_duration_seconds_count{route="cmq"} 1)"));
  // The one connection of this test, the scrape's own.
  EXPECT_THAT(scrape.body, HasSubstr("\nrewindmq_http_connections 1\n"));
  EXPECT_THAT(scrape.body,
              HasSubstr("\nrewindmq_http_connections_accepted_total 1\n"));
  // The broker gauges read at scrape time.
  EXPECT_THAT(
      scrape.body,
      HasSubstr(
          R"(rewindmq_cmq_queue_messages{queue="orders",state="active"} 0)"));
  EXPECT_THAT(scrape.body,
              HasSubstr(R"(topic="events",queue="broker-0/1"} 0)"));
}

}  // namespace
}  // namespace rewindmq::server
