// End-to-end tests of the HTTP layer over 127.0.0.1 with test handlers.
#include "broker/http/http_server.h"

#include <atomic>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/http/health.h"
#include "broker/http/test_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::httpd {
namespace {

namespace http = boost::beast::http;
using ::rmqtest::Fetch;
using ::rmqtest::HttpResult;
using ::rmqtest::IsOk;
using ::rmqtest::StatusIs;
using ::rmqtest::TestHttpClient;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// The integer query parameter `name` of `target`, or `fallback`.
int IntParam(const Request& req, absl::string_view name, int fallback) {
  const absl::string_view query = TargetQuery(ToAbsl(req.target()));
  const std::string key = absl::StrCat(name, "=");
  for (absl::string_view item : absl::StrSplit(query, '&')) {
    int value;
    if (absl::StartsWith(item, key) &&
        absl::SimpleAtoi(item.substr(key.size()), &value)) {
      return value;
    }
  }
  return fallback;
}

// Answers under /t/:
//   /t/echo          200, the request body; X-Seen-Request-Id: ctx id
//   /t/sleep?ms=N    blocks its worker N ms, then 200 "slept N"
//   /t/defer?ms=N    returns at once; another thread answers after N ms
//   /t/keep          returns at once and keeps the Responder for the test
//   /t/order?i=K     records K, then 200 "K"
//   /t/drop          never answers
//   /t/throw         throws
// With inline=1 in the query, MayBlock() is false: the request is answered
// on the connection's I/O thread.
class TestHandler final : public Handler {
 public:
  ~TestHandler() override { JoinDeferred(); }

  bool MayBlock(const RequestContext& /*ctx*/,
                const Request& req) const override {
    return IntParam(req, "inline", 0) != 1;
  }

  void Handle(const RequestContext& ctx, Request& req,
              Responder respond) override {
    const absl::string_view path = TargetPath(ToAbsl(req.target()));
    handled_.fetch_add(1);
    if (path == "/t/echo") {
      Response res = MakeResponse(Status::ok, req.body(), "text/plain");
      res.set("X-Seen-Request-Id", ctx.request_id);
      respond(std::move(res));
    } else if (path == "/t/sleep") {
      const int ms = IntParam(req, "ms", 0);
      absl::SleepFor(absl::Milliseconds(ms));
      respond(MakeResponse(Status::ok, absl::StrCat("slept ", ms)));
    } else if (path == "/t/defer") {
      const int ms = IntParam(req, "ms", 0);
      absl::MutexLock l(&mu_);
      deferred_.emplace_back([this, ms, respond] {
        absl::SleepFor(absl::Milliseconds(ms));
        respond(MakeResponse(Status::ok, absl::StrCat("deferred ", ms)));
        deferred_done_.fetch_add(1);
      });
      received_.fetch_add(1);
    } else if (path == "/t/keep") {
      absl::MutexLock l(&mu_);
      kept_.push_back(respond);
      received_.fetch_add(1);
    } else if (path == "/t/order") {
      const int i = IntParam(req, "i", -1);
      absl::SleepFor(absl::Milliseconds(i == 0 ? 50 : 0));
      {
        absl::MutexLock l(&mu_);
        order_.push_back(i);
      }
      respond(MakeResponse(Status::ok, absl::StrCat(i)));
    } else if (path == "/t/drop") {
      // Dropping `respond` unanswered.
    } else if (path == "/t/throw") {
      throw std::runtime_error("test handler failure");
    } else {
      respond(MakeResponse(Status::not_found, "{}"));
    }
  }

  // True once `n` requests reached /t/defer or /t/keep, within 5s.
  bool AwaitReceived(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    for (int i = 0; i < 2500 && received_.load() < n && absl::Now() < deadline;
         ++i) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    return received_.load() >= n;
  }
  // True once `n` requests reached Handle(), within 5s.
  bool AwaitHandled(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    for (int i = 0; i < 2500 && handled_.load() < n && absl::Now() < deadline;
         ++i) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    return handled_.load() >= n;
  }
  bool AwaitDeferredDone(int n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    for (int i = 0;
         i < 2500 && deferred_done_.load() < n && absl::Now() < deadline; ++i) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    return deferred_done_.load() >= n;
  }

  std::vector<Responder> TakeKept() {
    absl::MutexLock l(&mu_);
    return std::move(kept_);
  }
  std::vector<int> order() {
    absl::MutexLock l(&mu_);
    return order_;
  }
  int handled() const { return handled_.load(); }

  void JoinDeferred() {
    std::vector<std::thread> threads;
    {
      absl::MutexLock l(&mu_);
      threads = std::move(deferred_);
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::thread> deferred_ ABSL_GUARDED_BY(mu_);
  std::vector<Responder> kept_ ABSL_GUARDED_BY(mu_);
  std::vector<int> order_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> received_{0};
  std::atomic<int> deferred_done_{0};
  std::atomic<int> handled_{0};
};

// A facade-style error format: HTTP 200 with a code in the body, as CMQ
// answers an oversized request.
Response FacadeError(TransportError error, const RequestContext& ctx,
                     const Request&) {
  return MakeResponse(
      Status::ok,
      absl::StrCat(R"({"code":4000,"error":")", TransportErrorName(error),
                   R"(","requestId":")", ctx.request_id, "\"}"));
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    health_.set_state(HealthHandler::State::kServing);
    router_.Add(HealthRoute(&health_));

    Route small;
    small.name = "small";
    small.matcher = RouteMatcher::Exact("/small");
    small.handler = &handler_;
    small.body_limit = 1024;
    small.render_error = FacadeError;
    router_.Add(small);

    Route test;
    test.name = "test";
    test.matcher = RouteMatcher::Prefix("/t/");
    test.handler = &handler_;
    test.body_limit = 5 << 20;
    router_.Add(test);

    Route scope;
    scope.name = "facade-scope";
    scope.matcher = RouteMatcher::Prefix("/f/");
    scope.render_error = FacadeError;
    router_.Add(scope);
  }

  ~HttpServerTest() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(5));
    handler_.JoinDeferred();
  }

  void Start(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(options, &router_);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  std::unique_ptr<TestHttpClient> Connect(
      absl::Duration timeout = absl::Seconds(10)) {
    absl::StatusOr<std::unique_ptr<TestHttpClient>> client =
        TestHttpClient::Connect("127.0.0.1", server_->port(), timeout);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? *std::move(client) : nullptr;
  }

  // True once the server has no connection left, within 5s.
  bool AwaitNoConnections() {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    for (int i = 0;
         i < 1000 && server_->connection_count() > 0 && absl::Now() < deadline;
         ++i) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return server_->connection_count() == 0;
  }

  HealthHandler health_;
  TestHandler handler_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

std::string GetRequest(absl::string_view target) {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: t\r\n\r\n");
}

TEST_F(HttpServerTest, StartReportsTheBoundPort) {
  Start();
  EXPECT_EQ(server_->host(), "127.0.0.1");
  EXPECT_NE(server_->port(), 0);
  EXPECT_EQ(server_->address(), absl::StrCat("127.0.0.1:", server_->port()));
}

TEST_F(HttpServerTest, BindGivesThePortBeforeServingAndServeAnswersLater) {
  HttpServerOptions options;
  ASSERT_OK_AND_ASSIGN(server_, HttpServer::Bind(options));
  ASSERT_NE(server_->port(), 0);
  // Connections wait in the backlog until Serve().
  std::unique_ptr<TestHttpClient> early = Connect();
  ASSERT_NE(early, nullptr);
  ASSERT_OK(early->Send("GET", "/healthz"));
  ASSERT_OK(server_->Serve(&router_));
  ASSERT_OK_AND_ASSIGN(HttpResult res, early->Read());
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(server_->Serve(&router_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(HttpServerTest, BoundButNeverServedServerShutsDown) {
  ASSERT_OK_AND_ASSIGN(server_, HttpServer::Bind(HttpServerOptions{}));
  const uint16_t port = server_->port();
  server_->Shutdown(absl::Seconds(1));
  EXPECT_FALSE(
      TestHttpClient::Connect("127.0.0.1", port, absl::Seconds(1)).ok());
  EXPECT_THAT(server_->Serve(&router_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(HttpServerTest, StartFailsClearlyWhenThePortIsTaken) {
  Start();
  HttpServerOptions options;
  options.port = server_->port();
  EXPECT_THAT(HttpServer::Start(options, &router_),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("127.0.0.1:", server_->port()))));
}

TEST_F(HttpServerTest, StartRejectsAHostThatIsNotAnAddress) {
  HttpServerOptions options;
  options.host = "not an address";
  EXPECT_THAT(HttpServer::Start(options, &router_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HttpServerTest, HealthzAnswersOkOnceServing) {
  Start();
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "GET", "/healthz"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"({"status":"serving"})");
  health_.set_state(HealthHandler::State::kStopping);
  ASSERT_OK_AND_ASSIGN(res, Fetch(server_->port(), "GET", "/healthz"));
  EXPECT_EQ(res.status, 503);
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResult res,
                         client->Roundtrip("POST", "/t/echo", absl::StrCat(i)));
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, absl::StrCat(i));
    EXPECT_TRUE(res.keep_alive);
  }
  EXPECT_EQ(server_->connection_count(), 1);
}

TEST_F(HttpServerTest, PipelinedResponsesComeBackInRequestOrder) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  // The first request takes longest; answers must still be in order.
  std::string wire;
  for (int ms : {60, 30, 0, 10, 0}) {
    absl::StrAppend(&wire, GetRequest(absl::StrCat("/t/sleep?ms=", ms)));
  }
  ASSERT_OK(client->SendRaw(wire));
  for (int ms : {60, 30, 0, 10, 0}) {
    ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
    EXPECT_EQ(res.body, absl::StrCat("slept ", ms));
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreHandledOneAtATimeInOrder) {
  HttpServerOptions options;
  options.worker_threads = 4;
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  std::string wire;
  for (int i = 0; i < 6; ++i) {
    absl::StrAppend(&wire, GetRequest(absl::StrCat("/t/order?i=", i)));
  }
  ASSERT_OK(client->SendRaw(wire));
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
    EXPECT_EQ(res.body, absl::StrCat(i));
  }
  EXPECT_THAT(handler_.order(), ::testing::ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST_F(HttpServerTest, PipelineDeeperThanTheLimitIsStillAnsweredInFull) {
  HttpServerOptions options;
  options.pipeline_limit = 2;
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  std::string wire;
  for (int i = 0; i < 30; ++i) {
    absl::StrAppend(&wire, "POST /t/echo HTTP/1.1\r\nHost: t\r\n",
                    "Content-Length: ", absl::StrCat(i).size(), "\r\n\r\n", i);
  }
  ASSERT_OK(client->SendRaw(wire));
  for (int i = 0; i < 30; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
    EXPECT_EQ(res.body, absl::StrCat(i));
  }
}

TEST_F(HttpServerTest, PipelinedConnectionCloseEndsTheAnswersThere) {
  HttpServerOptions options;
  options.io_threads = 2;
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  // Answers ready together go out in one write; the one that asks to close
  // must still be the last one sent.
  std::string wire;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&wire, "POST /t/echo HTTP/1.1\r\nHost: t\r\n",
                    i == 1 ? "Connection: close\r\n" : "",
                    "Content-Length: 1\r\n\r\n", i);
  }
  ASSERT_OK(client->SendRaw(wire));
  ASSERT_OK_AND_ASSIGN(HttpResult first, client->Read());
  EXPECT_EQ(first.body, "0");
  EXPECT_TRUE(first.keep_alive);
  ASSERT_OK_AND_ASSIGN(HttpResult second, client->Read());
  EXPECT_EQ(second.body, "1");
  EXPECT_FALSE(second.keep_alive);
  EXPECT_OK(client->WaitForClose());
  EXPECT_EQ(handler_.handled(), 2);
}

TEST_F(HttpServerTest, BodyOverTheRouteLimitGetsTheFacadeErrorAndCloses) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(
      HttpResult res,
      client->Roundtrip("POST", "/small", std::string(2000, 'x')));
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.body, HasSubstr(R"("error":"payload_too_large")"));
  EXPECT_FALSE(res.keep_alive);
  EXPECT_OK(client->WaitForClose());
  EXPECT_EQ(handler_.handled(), 0);
  // The server is fine afterwards.
  ASSERT_OK_AND_ASSIGN(res, Fetch(server_->port(), "POST", "/small", "ok"));
  EXPECT_EQ(res.status, 404);  // TestHandler does not know /small.
}

TEST_F(HttpServerTest, ChunkedBodyOverTheRouteLimitIsRefused) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  std::string wire =
      "POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i)
    absl::StrAppend(&wire, "200\r\n", std::string(512, 'y'), "\r\n");
  absl::StrAppend(&wire, "0\r\n\r\n");
  ASSERT_OK(client->SendRaw(wire));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_THAT(res.body, HasSubstr("payload_too_large"));
  EXPECT_FALSE(res.keep_alive);
  EXPECT_OK(client->WaitForClose());
}

TEST_F(HttpServerTest, LargeBodyOutsideEveryRouteIsPlain413) {
  Start();
  ASSERT_OK_AND_ASSIGN(
      HttpResult res,
      Fetch(server_->port(), "POST", "/nowhere", std::string(100 << 10, 'z')));
  EXPECT_EQ(res.status, 413);
  EXPECT_THAT(res.body, HasSubstr(R"("code":"payload_too_large")"));
}

TEST_F(HttpServerTest, FourMebibyteBodyWithinTheLimitIsDelivered) {
  Start();
  const std::string body(4 << 20, 'b');
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "POST", "/t/echo", body));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body.size(), body.size());
}

TEST_F(HttpServerTest, ExpectContinueGetsContinueWhenTheBodyFits) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->SendRaw(
      "POST /t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n"));
  ASSERT_OK_AND_ASSIGN(HttpResult interim, client->Read());
  EXPECT_EQ(interim.status, 100);
  ASSERT_OK(client->SendRaw("hello"));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "hello");
}

TEST_F(HttpServerTest, ExpectContinueOverTheLimitIsRefusedWithoutTheBody) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->SendRaw(
      "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n"
      "Expect: 100-continue\r\n\r\n"));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.body, HasSubstr("payload_too_large"));
  EXPECT_OK(client->WaitForClose());
}

TEST_F(HttpServerTest, HeadersUpToTheLimitAreAccepted) {
  Start();  // header_limit 64 KiB
  ASSERT_OK_AND_ASSIGN(
      HttpResult res,
      Fetch(server_->port(), "GET",
            absl::StrCat("/t/echo?msgBody=", std::string(20 << 10, 'q')), "",
            {{"X-Big", std::string(20 << 10, 'h')}}));
  EXPECT_EQ(res.status, 200);
}

TEST_F(HttpServerTest, HeadersOverTheLimitGet431AndClose) {
  HttpServerOptions options;
  options.header_limit = 16 << 10;
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(
      HttpResult res,
      client->Roundtrip("GET", "/t/echo", "",
                        {{"X-Big", std::string(17 << 10, 'h')}}));
  EXPECT_EQ(res.status, 431);
  EXPECT_THAT(res.Header("X-Request-Id"), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_FALSE(res.keep_alive);
  EXPECT_OK(client->WaitForClose());
}

TEST_F(HttpServerTest, GarbageGets400AndClose) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->SendRaw("HELLO THERE\r\n\r\n"));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.status, 400);
  EXPECT_OK(client->WaitForClose());
}

TEST_F(HttpServerTest, TransferEncodingNotEndingInChunkedGets400AndClose) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  // The body is a whole request: it must never be read as the next one.
  ASSERT_OK(client->SendRaw(
      "POST /t/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"
      "GET /t/order?i=7 HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.status, 400);
  EXPECT_THAT(res.body, HasSubstr("bad_request"));
  EXPECT_OK(client->WaitForClose());
  EXPECT_EQ(handler_.handled(), 0);
}

TEST_F(HttpServerTest, UnknownPathGetsPlainJson404WithTheRequestId) {
  Start();
  ASSERT_OK_AND_ASSIGN(HttpResult res, Fetch(server_->port(), "GET", "/nope",
                                             "", {{"X-Request-Id", "rid-1"}}));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.Header("X-Request-Id"), "rid-1");
  EXPECT_EQ(res.Header("Content-Type"), "application/json");
  EXPECT_THAT(res.body, HasSubstr(R"("request_id":"rid-1")"));
  EXPECT_TRUE(res.keep_alive);
}

TEST_F(HttpServerTest, PathInAFacadeScopeGetsTheFacadesNotFound) {
  Start();
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "GET", "/f/unknown"));
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.body, HasSubstr(R"("error":"not_found")"));
}

TEST_F(HttpServerTest, EveryResponseCarriesARequestId) {
  Start();
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "POST", "/t/echo", "x"));
  EXPECT_THAT(res.Header("X-Request-Id"), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(res.Header("X-Seen-Request-Id"), res.Header("X-Request-Id"));
}

TEST_F(HttpServerTest, SaneClientRequestIdIsEchoedAndOddOneReplaced) {
  Start();
  ASSERT_OK_AND_ASSIGN(
      HttpResult res,
      Fetch(server_->port(), "POST", "/t/echo", "x",
            {{"X-Request-Id", "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a"}}));
  EXPECT_EQ(res.Header("X-Request-Id"), "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a");
  EXPECT_EQ(res.Header("X-Seen-Request-Id"),
            "4c1f0b5e0a3d4d1f9c2b7e6a5d4c3b2a");

  ASSERT_OK_AND_ASSIGN(res, Fetch(server_->port(), "POST", "/t/echo", "x",
                                  {{"X-Request-Id", "has spaces in it"}}));
  EXPECT_THAT(res.Header("X-Request-Id"), MatchesRegex("[0-9a-f]{32}"));
}

TEST_F(HttpServerTest, DeferredResponseFromAnotherThreadIsDelivered) {
  Start();
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "GET", "/t/defer?ms=150"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "deferred 150");
}

TEST_F(HttpServerTest, DeferredResponsesHoldNoWorkerThread) {
  HttpServerOptions options;
  options.worker_threads = 1;
  Start(options);
  std::vector<std::unique_ptr<TestHttpClient>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(Connect());
    ASSERT_NE(waiting.back(), nullptr);
    ASSERT_OK(waiting.back()->Send("GET", "/t/defer?ms=800"));
  }
  ASSERT_TRUE(handler_.AwaitReceived(4));
  // With the only worker free, other requests are answered meanwhile.
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "GET", "/healthz"));
  EXPECT_EQ(res.status, 200);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  for (auto& client : waiting) {
    ASSERT_OK_AND_ASSIGN(res, client->Read());
    EXPECT_EQ(res.body, "deferred 800");
  }
}

TEST_F(HttpServerTest, ClientLeavingDuringADeferredResponseIsHarmless) {
  Start();
  {
    std::unique_ptr<TestHttpClient> client = Connect();
    ASSERT_NE(client, nullptr);
    ASSERT_OK(client->Send("GET", "/t/defer?ms=200"));
    ASSERT_TRUE(handler_.AwaitReceived(1));
    client->Close();
  }
  ASSERT_TRUE(handler_.AwaitDeferredDone(1));
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "GET", "/healthz"));
  EXPECT_EQ(res.status, 200);
  EXPECT_TRUE(AwaitNoConnections());
}

TEST_F(HttpServerTest, DroppedResponderBecomesAnInternalError) {
  Start();
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       Fetch(server_->port(), "GET", "/t/drop"));
  EXPECT_EQ(res.status, 500);
  EXPECT_THAT(res.body, HasSubstr(R"("code":"internal")"));
}

TEST_F(HttpServerTest, ThrowingHandlerBecomesAnInternalError) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Roundtrip("GET", "/t/throw"));
  EXPECT_EQ(res.status, 500);
  // The connection stays usable.
  ASSERT_OK_AND_ASSIGN(res, client->Roundtrip("POST", "/t/echo", "after"));
  EXPECT_EQ(res.body, "after");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(
      HttpResult res,
      client->Roundtrip("POST", "/t/echo", "x", {{"Connection", "close"}}));
  EXPECT_EQ(res.status, 200);
  EXPECT_FALSE(res.keep_alive);
  EXPECT_OK(client->WaitForClose());
}

TEST_F(HttpServerTest, Http10WithoutKeepAliveClosesAfterTheResponse) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->SendRaw("GET /healthz HTTP/1.0\r\n\r\n"));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.status, 200);
  EXPECT_OK(client->WaitForClose());
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect(absl::Seconds(5));
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Roundtrip("GET", "/healthz"));
  EXPECT_EQ(res.status, 200);
  EXPECT_OK(client->WaitForClose());
}

TEST_F(HttpServerTest, LongPollOutlastsTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(100);
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(HttpResult res,
                       client->Roundtrip("GET", "/t/defer?ms=400"));
  EXPECT_EQ(res.body, "deferred 400");
}

TEST_F(HttpServerTest, ConnectionsBeyondTheMaximumAreClosed) {
  HttpServerOptions options;
  options.max_connections = 2;
  Start(options);
  std::unique_ptr<TestHttpClient> a = Connect();
  std::unique_ptr<TestHttpClient> b = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_OK(a->Roundtrip("GET", "/healthz").status());
  ASSERT_OK(b->Roundtrip("GET", "/healthz").status());
  std::unique_ptr<TestHttpClient> c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_OK(c->WaitForClose());
  EXPECT_EQ(server_->connection_count(), 2);
}

TEST_F(HttpServerTest, ShutdownFinishesTheRequestInFlight) {
  Start();
  std::unique_ptr<TestHttpClient> busy = Connect();
  std::unique_ptr<TestHttpClient> idle = Connect();
  ASSERT_NE(busy, nullptr);
  ASSERT_NE(idle, nullptr);
  ASSERT_OK(idle->Roundtrip("GET", "/healthz").status());
  ASSERT_OK(busy->Send("GET", "/t/defer?ms=300"));
  ASSERT_TRUE(handler_.AwaitReceived(1));

  const absl::Time start = absl::Now();
  std::thread stopper([&] { server_->Shutdown(absl::Seconds(5)); });
  // The idle connection is closed at once; the busy one gets its answer.
  EXPECT_OK(idle->WaitForClose());
  ASSERT_OK_AND_ASSIGN(HttpResult res, busy->Read());
  EXPECT_EQ(res.body, "deferred 300");
  EXPECT_FALSE(res.keep_alive);
  EXPECT_OK(busy->WaitForClose());
  stopper.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // No new connections.
  EXPECT_FALSE(
      TestHttpClient::Connect("127.0.0.1", server_->port(), absl::Seconds(1))
          .ok());
}

TEST_F(HttpServerTest, ShutdownGivesUpOnRequestsAfterTheDrainTimeout) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Send("GET", "/t/keep"));
  ASSERT_TRUE(handler_.AwaitReceived(1));

  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(200));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_OK(client->WaitForClose());

  // The handler answers after the server has gone: discarded, no crash.
  std::vector<Responder> kept = handler_.TakeKept();
  server_.reset();
  ASSERT_EQ(kept.size(), 1u);
  kept[0](MakeResponse(Status::ok, "too late"));
}

TEST_F(HttpServerTest, NonBlockingRequestsAreAnsweredWithoutAWorker) {
  HttpServerOptions options;
  options.worker_threads = 1;
  Start(options);
  // The only worker is busy for a while...
  std::unique_ptr<TestHttpClient> busy = Connect();
  ASSERT_NE(busy, nullptr);
  ASSERT_OK(busy->Send("GET", "/t/sleep?ms=1500"));
  ASSERT_TRUE(handler_.AwaitHandled(1));
  // ...and requests that do not block are answered meanwhile, in order,
  // each outcome as on the worker pool.
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  const absl::Time start = absl::Now();
  ASSERT_OK(client->SendRaw(absl::StrCat(
      "POST /t/echo?inline=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
      "\r\none",
      GetRequest("/t/defer?inline=1&ms=50"), GetRequest("/t/drop?inline=1"),
      GetRequest("/t/throw?inline=1"), GetRequest("/t/order?inline=1&i=7"))));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.body, "one");
  ASSERT_OK_AND_ASSIGN(res, client->Read());
  EXPECT_EQ(res.body, "deferred 50");
  ASSERT_OK_AND_ASSIGN(res, client->Read());
  EXPECT_EQ(res.status, 500);
  ASSERT_OK_AND_ASSIGN(res, client->Read());
  EXPECT_EQ(res.status, 500);
  ASSERT_OK_AND_ASSIGN(res, client->Read());
  EXPECT_EQ(res.body, "7");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1000));
  ASSERT_OK_AND_ASSIGN(res, busy->Read());
  EXPECT_EQ(res.body, "slept 1500");
}

TEST_F(HttpServerTest, InlineAndPooledRequestsOfAConnectionKeepTheirOrder) {
  Start();
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  // i=0 sleeps 50 ms on a worker; the inline ones after it must wait.
  std::string wire = GetRequest("/t/order?i=0");
  for (int i = 1; i <= 4; ++i) {
    absl::StrAppend(&wire, GetRequest(absl::StrCat("/t/order?i=", i,
                                                   i % 2 ? "&inline=1" : "")));
  }
  ASSERT_OK(client->SendRaw(wire));
  for (int i = 0; i <= 4; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
    EXPECT_EQ(res.body, absl::StrCat(i));
  }
  EXPECT_EQ(handler_.order(), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(HttpServerTest, BodyWithoutRoomInTheBudgetGetsTheRoutesBusyAnswer) {
  HttpServerOptions options;
  options.body_budget = 1000;
  Start(options);
  // One body holds 800 of the 1000 bytes while its handler sleeps.
  std::unique_ptr<TestHttpClient> holder = Connect();
  ASSERT_NE(holder, nullptr);
  ASSERT_OK(holder->Send("POST", "/t/sleep?ms=600", std::string(800, 'a')));
  ASSERT_TRUE(handler_.AwaitHandled(1));
  // A connection with nothing else in progress is told the server is busy,
  // in the route's format, and closed; its handler never runs.
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(
      HttpResult res,
      client->Roundtrip("POST", "/small", std::string(500, 'b')));
  EXPECT_EQ(res.status, 200);
  EXPECT_THAT(res.body, HasSubstr(R"("error":"busy")"));
  EXPECT_FALSE(res.keep_alive);
  EXPECT_OK(client->WaitForClose());
  ASSERT_OK_AND_ASSIGN(res,
                       Fetch(server_->port(), "POST", "/t/echo", "tiny body"));
  EXPECT_EQ(res.status, 200);
  // Without a facade format: plain JSON 503.
  ASSERT_OK_AND_ASSIGN(
      res, Fetch(server_->port(), "POST", "/t/echo", std::string(500, 'c')));
  EXPECT_EQ(res.status, 503);
  EXPECT_THAT(res.body, HasSubstr(R"("code":"busy")"));
  EXPECT_EQ(handler_.handled(), 2);
  ASSERT_OK_AND_ASSIGN(res, holder->Read());
  EXPECT_EQ(res.body, "slept 600");
  // The room is back once the body is done with.
  ASSERT_OK_AND_ASSIGN(
      res, Fetch(server_->port(), "POST", "/t/echo", std::string(900, 'd')));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body.size(), 900u);
}

TEST_F(HttpServerTest, ReadAheadWaitsForRoomInTheBudgetInsteadOfFailing) {
  HttpServerOptions options;
  options.body_budget = 1000;
  Start(options);
  std::unique_ptr<TestHttpClient> holder = Connect();
  ASSERT_NE(holder, nullptr);
  ASSERT_OK(holder->Send("POST", "/t/sleep?ms=300", std::string(800, 'a')));
  ASSERT_TRUE(handler_.AwaitHandled(1));
  // This connection has a request in progress when its next body finds no
  // room: it waits, and reads the body once the first answer is written
  // (by then the other body is done with).
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->SendRaw(absl::StrCat(
      GetRequest("/t/sleep?ms=600"),
      "POST /t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n\r\n",
      std::string(500, 'e'))));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.body, "slept 600");
  ASSERT_OK_AND_ASSIGN(res, client->Read());
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, std::string(500, 'e'));
  ASSERT_OK_AND_ASSIGN(res, holder->Read());
  EXPECT_EQ(res.body, "slept 300");
}

TEST_F(HttpServerTest, TrickledHeaderBehindALongPollGetsTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect(absl::Seconds(5));
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Send("GET", "/t/keep"));
  ASSERT_TRUE(handler_.AwaitReceived(1));
  // Half a header, then nothing: the connection is closed after the read
  // timeout, although the poll before it is still open.
  const absl::Time start = absl::Now();
  ASSERT_OK(client->SendRaw("GET /t/echo HTTP/1.1\r\nHo"));
  EXPECT_OK(client->WaitForClose());
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  for (Responder& r : handler_.TakeKept()) r(MakeResponse(Status::ok, "late"));
}

TEST_F(HttpServerTest, QuietReadAheadBehindALongPollHasNoTimeout) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(100);
  options.idle_timeout = absl::Milliseconds(100);
  Start(options);
  std::unique_ptr<TestHttpClient> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Send("GET", "/t/keep"));
  ASSERT_TRUE(handler_.AwaitReceived(1));
  absl::SleepFor(absl::Milliseconds(400));
  for (Responder& r : handler_.TakeKept()) r(MakeResponse(Status::ok, "late"));
  ASSERT_OK_AND_ASSIGN(HttpResult res, client->Read());
  EXPECT_EQ(res.body, "late");
}

TEST_F(HttpServerTest, ResponderDroppedAfterTheServerIsGoneIsHarmless) {
  Start();
  ASSERT_OK(Connect()->Send("GET", "/t/keep"));
  ASSERT_TRUE(handler_.AwaitReceived(1));
  std::vector<Responder> kept = handler_.TakeKept();
  server_->Shutdown(absl::Milliseconds(50));
  server_.reset();
  kept.clear();  // Dropped unanswered: the 500 goes nowhere.
}

}  // namespace
}  // namespace rewindmq::httpd
