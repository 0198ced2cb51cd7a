// The HTTP layer's metrics, counted by a real server over 127.0.0.1.
#include "broker/http/metrics.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/http/http_server.h"
#include "broker/http/test_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::httpd {
namespace {

using ::rmqtest::Fetch;
using ::rmqtest::HttpResult;
using ::rmqtest::TestHttpClient;
using ::testing::HasSubstr;

class HttpMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add({.name = "hello",
                 .matcher = RouteMatcher::Exact("/hello"),
                 .handler = &hello_});
    router_.Add({.name = "taken",
                 .matcher = RouteMatcher::Exact("/taken"),
                 .handler = &taken_});
    HttpServerOptions options;
    options.worker_threads = 2;
    options.metrics = &metrics_;
    ASSERT_OK_AND_ASSIGN(server_, HttpServer::Start(options, &router_));
  }

  std::string Text() const {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }

  // Waits (bounded) until the exposition contains `line`.
  bool EventuallyHas(const std::string& line) const {
    for (int i = 0; i < 200; ++i) {
      if (Text().find(line) != std::string::npos) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  prometheus::Registry registry_;
  HttpMetrics metrics_{registry_};
  SyncHandler hello_{[](const RequestContext&, Request&) {
    return MakeResponse(Status::ok, "hi", "text/plain");
  }};
  SyncHandler taken_{[](const RequestContext&, Request&) {
    return MakeResponse(Status::conflict, "taken", "text/plain");
  }};
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpMetricsTest, CountsRequestsByRouteAndStatus) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResult r, Fetch(server_->port(), "GET", "/hello"));
    EXPECT_EQ(r.status, 200);
  }
  ASSERT_OK_AND_ASSIGN(HttpResult t, Fetch(server_->port(), "GET", "/taken"));
  EXPECT_EQ(t.status, 409);
  ASSERT_OK_AND_ASSIGN(HttpResult n, Fetch(server_->port(), "GET", "/nope"));
  EXPECT_EQ(n.status, 404);

  // Counted once the response has been written, just after the client
  // may have read it.
  EXPECT_TRUE(EventuallyHas(
      R"(rewindmq_http_requests_total{route="hello",status="200"} 3)"))
      << Text();
  EXPECT_TRUE(EventuallyHas(
      R"(rewindmq_http_requests_total{route="taken",status="409"} 1)"))
      << Text();
  EXPECT_TRUE(EventuallyHas(
      R"(rewindmq_http_requests_total{route="-",status="404"} 1)"))
      << Text();
  EXPECT_TRUE(EventuallyHas(
      R"(rewindmq_http_request_duration_seconds_count{route="hello"} 3)"))
      << Text();
  EXPECT_TRUE(EventuallyHas("\nrewindmq_http_connections_accepted_total 5\n"))
      << Text();
}

TEST_F(HttpMetricsTest, EveryRouteHasItsSeriesBeforeItsFirstRequest) {
  // Resolved when the server started serving: a scrape shows each route's
  // histogram at zero rather than no series at all.
  EXPECT_THAT(
      Text(),
      HasSubstr(
          R"(rewindmq_http_request_duration_seconds_count{route="taken"} 0)"));
}

TEST_F(HttpMetricsTest, GaugesOpenConnections) {
  EXPECT_THAT(Text(), HasSubstr("\nrewindmq_http_connections 0\n"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestHttpClient> a,
                       TestHttpClient::Connect("127.0.0.1", server_->port()));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestHttpClient> b,
                       TestHttpClient::Connect("127.0.0.1", server_->port()));
  ASSERT_OK(a->Roundtrip("GET", "/hello").status());
  ASSERT_OK(b->Roundtrip("GET", "/hello").status());
  EXPECT_TRUE(EventuallyHas("\nrewindmq_http_connections 2\n")) << Text();
  a->Close();
  EXPECT_TRUE(EventuallyHas("\nrewindmq_http_connections 1\n")) << Text();
  b->Close();
  EXPECT_TRUE(EventuallyHas("\nrewindmq_http_connections 0\n")) << Text();
}

TEST_F(HttpMetricsTest, ConnectionsLeftAtShutdownAreCountedClosed) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestHttpClient> a,
                       TestHttpClient::Connect("127.0.0.1", server_->port()));
  ASSERT_OK(a->Roundtrip("GET", "/hello").status());
  server_->Shutdown(absl::Seconds(1));
  EXPECT_THAT(Text(), HasSubstr("\nrewindmq_http_connections 0\n"));
}

}  // namespace
}  // namespace rewindmq::httpd
