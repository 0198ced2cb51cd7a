#include "broker/server/server.h"

#include <memory>
#include <string>

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

}  // namespace
}  // namespace rewindmq::server
