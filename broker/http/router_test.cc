#include "broker/http/router.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::httpd {
namespace {

namespace http = boost::beast::http;
using ::testing::HasSubstr;

class NoopHandler final : public Handler {
 public:
  void Handle(const RequestContext&, Request&, Responder respond) override {
    respond(MakeResponse(Status::ok, "{}"));
  }
};

Request Make(http::verb method, std::string target, std::string body = "") {
  Request req{method, target, 11};
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

Request HeadOf(const Request& req) { return Request(req.base()); }

ErrorRenderer Tagged(std::string tag) {
  return [tag](TransportError error, const RequestContext&, const Request&) {
    return MakeResponse(Status::ok,
                        tag + ":" + std::string(TransportErrorName(error)));
  };
}

// The route table the product uses: health, CMQ (on /v2/index.php, and on /
// with an Action parameter), then DMS under /v2/.
class ProductRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Route health;
    health.name = "healthz";
    health.matcher = RouteMatcher::Exact("/healthz");
    health.handler = &health_;
    health.body_limit = 4096;
    router_.Add(health);

    Route cmq;
    cmq.name = "cmq";
    cmq.matcher = RouteMatcher::Exact("/v2/index.php");
    cmq.handler = &cmq_;
    cmq.body_limit = 4 << 20;
    cmq.render_error = Tagged("cmq");
    router_.Add(cmq);

    Route cmq_root = cmq;
    cmq_root.name = "cmq-root";
    cmq_root.matcher = RouteMatcher::Exact("/");
    cmq_root.accepts = [](const Request& req) {
      return HasUrlEncodedParameter(TargetQuery(ToAbsl(req.target())),
                                    "Action") ||
             (req.method() == http::verb::post &&
              HasUrlEncodedParameter(req.body(), "Action"));
    };
    router_.Add(cmq_root);

    Route dms;
    dms.name = "dms";
    dms.matcher = RouteMatcher::Prefix("/v2/");
    dms.handler = &dms_;
    dms.body_limit = 12 << 20;
    dms.render_error = Tagged("dms");
    router_.Add(dms);
  }

  std::string RouteName(const Request& req) {
    const Route* r = router_.Match(req);
    return r == nullptr ? "none" : r->name;
  }

  NoopHandler health_, cmq_, dms_;
  Router router_;
};

TEST_F(ProductRoutesTest, HealthzIsAnsweredByTheHealthRoute) {
  EXPECT_EQ(RouteName(Make(http::verb::get, "/healthz")), "healthz");
  EXPECT_EQ(RouteName(Make(http::verb::get, "/healthz/x")), "none");
}

TEST_F(ProductRoutesTest, CmqIndexPathGoesToCmqBeforeTheDmsPrefix) {
  EXPECT_EQ(RouteName(Make(http::verb::post, "/v2/index.php", "Action=X")),
            "cmq");
  EXPECT_EQ(RouteName(Make(http::verb::get, "/v2/index.php?Action=X")), "cmq");
}

TEST_F(ProductRoutesTest, RootWithActionInTheQueryGoesToCmq) {
  EXPECT_EQ(RouteName(Make(http::verb::get, "/?Action=ListQueue&a=b")),
            "cmq-root");
}

TEST_F(ProductRoutesTest, RootWithActionInAFormBodyGoesToCmq) {
  EXPECT_EQ(RouteName(Make(http::verb::post, "/", "a=1&Action=SendMessage")),
            "cmq-root");
}

TEST_F(ProductRoutesTest, RootWithoutActionMatchesNothing) {
  EXPECT_EQ(RouteName(Make(http::verb::get, "/")), "none");
  EXPECT_EQ(RouteName(Make(http::verb::get, "/?action=x")), "none");
  EXPECT_EQ(RouteName(Make(http::verb::post, "/", "Actions=1")), "none");
}

TEST_F(ProductRoutesTest, OtherV2PathsGoToDms) {
  EXPECT_EQ(RouteName(Make(http::verb::get, "/v2/p1/instances")), "dms");
  EXPECT_EQ(RouteName(Make(http::verb::get, "/v2/index.php/x")), "dms");
}

TEST_F(ProductRoutesTest, PathsOutsideEveryFacadeMatchNothing) {
  EXPECT_EQ(RouteName(Make(http::verb::get, "/v1/x")), "none");
  EXPECT_EQ(RouteName(Make(http::verb::get, "/v2")), "none");
}

TEST_F(ProductRoutesTest, BodyLimitComesFromTheRouteTheHeadMatches) {
  EXPECT_EQ(
      router_.MatchHead(HeadOf(Make(http::verb::get, "/healthz"))).body_limit,
      4096u);
  EXPECT_EQ(router_.MatchHead(HeadOf(Make(http::verb::post, "/v2/index.php")))
                .body_limit,
            4u << 20);
  EXPECT_EQ(
      router_.MatchHead(HeadOf(Make(http::verb::post, "/v2/p/x"))).body_limit,
      12u << 20);
}

TEST_F(ProductRoutesTest, RootBodyLimitAllowsCmqToSeeItsBody) {
  const Router::HeadMatch m =
      router_.MatchHead(HeadOf(Make(http::verb::post, "/")));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->name, "cmq-root");
  EXPECT_EQ(m.body_limit, 4u << 20);
}

TEST_F(ProductRoutesTest, UnroutedRequestsGetTheUnroutedLimit) {
  const Router::HeadMatch m =
      router_.MatchHead(HeadOf(Make(http::verb::post, "/nowhere")));
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.body_limit, Router::kUnroutedBodyLimit);
}

TEST_F(ProductRoutesTest, ErrorsAreRenderedInTheMatchedFacadesFormat) {
  const Request req = Make(http::verb::post, "/v2/index.php");
  const Router::HeadMatch m = router_.MatchHead(HeadOf(req));
  EXPECT_EQ(router_
                .RenderError(m.route, TransportError::kPayloadTooLarge,
                             RequestContext{}, req)
                .body(),
            "cmq:payload_too_large");
}

TEST_F(ProductRoutesTest, ErrorsOutsideEveryFacadeArePlainJson) {
  RequestContext ctx;
  ctx.request_id = "abc";
  const Response res = router_.RenderError(nullptr, TransportError::kNotFound,
                                           ctx, Make(http::verb::get, "/x"));
  EXPECT_EQ(res.result(), Status::not_found);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res.body(),
            R"({"error":{"code":"not_found","message":"no resource at /x",)"
            R"("request_id":"abc"}})");
}

TEST(RouterTest, NotFoundScopeMatchesButHasNoHandler) {
  Router router;
  Route scope;
  scope.name = "dms";
  scope.matcher = RouteMatcher::Prefix("/v2/");
  scope.render_error = Tagged("dms");
  router.Add(scope);

  const Request req = Make(http::verb::get, "/v2/nothing");
  const Route* r = router.Match(req);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->handler, nullptr);
  EXPECT_EQ(
      router.RenderError(r, TransportError::kNotFound, RequestContext{}, req)
          .body(),
      "dms:not_found");
}

TEST(RouterTest, EarlierRoutesWin) {
  Router router;
  NoopHandler h;
  Route a;
  a.name = "a";
  a.matcher = RouteMatcher::Prefix("/x");
  a.handler = &h;
  Route b = a;
  b.name = "b";
  b.matcher = RouteMatcher::Exact("/x/y");
  router.Add(a);
  router.Add(b);
  EXPECT_EQ(router.Match(Make(http::verb::get, "/x/y"))->name, "a");
}

TEST(RouterTest, PredicateMatcherSeesTheHead) {
  Router router;
  NoopHandler h;
  Route r;
  r.name = "json";
  r.matcher = RouteMatcher::Predicate("json content", [](const Request& req) {
    return req[http::field::content_type] == "application/json";
  });
  r.handler = &h;
  router.Add(r);
  Request req = Make(http::verb::post, "/anything", "{}");
  EXPECT_EQ(router.Match(req), nullptr);
  req.set(http::field::content_type, "application/json");
  EXPECT_NE(router.Match(req), nullptr);
}

TEST(RouterTest, QueryIsIgnoredWhenMatchingPaths) {
  Router router;
  NoopHandler h;
  Route r;
  r.name = "exact";
  r.matcher = RouteMatcher::Exact("/a");
  r.handler = &h;
  router.Add(r);
  EXPECT_NE(router.Match(Make(http::verb::get, "/a?b=c")), nullptr);
  EXPECT_EQ(router.Match(Make(http::verb::get, "/a/")), nullptr);
}

TEST(UrlEncodedTest, FindsParametersByDecodedName) {
  EXPECT_TRUE(HasUrlEncodedParameter("Action=x", "Action"));
  EXPECT_TRUE(HasUrlEncodedParameter("a=1&Action", "Action"));
  EXPECT_TRUE(HasUrlEncodedParameter("%41ction=1", "Action"));
  EXPECT_TRUE(HasUrlEncodedParameter("my+key=1", "my key"));
  EXPECT_FALSE(HasUrlEncodedParameter("", "Action"));
  EXPECT_FALSE(HasUrlEncodedParameter("x=Action", "Action"));
  EXPECT_FALSE(HasUrlEncodedParameter("%4=1&%zz", "Action"));
}

TEST(UrlEncodedTest, SplitsTargets) {
  EXPECT_EQ(TargetPath("/a/b?c=d?e"), "/a/b");
  EXPECT_EQ(TargetQuery("/a/b?c=d?e"), "c=d?e");
  EXPECT_EQ(TargetPath("/a"), "/a");
  EXPECT_EQ(TargetQuery("/a"), "");
}

TEST(UrlEncodedTest, SplitsQueriesIntoRawItems) {
  const std::vector<QueryItem> items = SplitQuery("a=1&&flag&b=x=y&=v&c=%41+");
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].name, "a");
  EXPECT_EQ(items[0].value, "1");
  EXPECT_TRUE(items[0].has_value);
  EXPECT_EQ(items[1].name, "flag");  // the empty item between is skipped
  EXPECT_EQ(items[1].value, "");
  EXPECT_FALSE(items[1].has_value);
  EXPECT_EQ(items[2].name, "b");  // split at the first '='
  EXPECT_EQ(items[2].value, "x=y");
  EXPECT_EQ(items[3].name, "");
  EXPECT_EQ(items[3].value, "v");
  EXPECT_EQ(items[4].value, "%41+");  // not decoded
  EXPECT_TRUE(SplitQuery("").empty());
  EXPECT_TRUE(SplitQuery("&&").empty());
}

TEST(UrlEncodedTest, FormatsHostsAndPorts) {
  EXPECT_EQ(FormatHostPort("127.0.0.1", 9555), "127.0.0.1:9555");
  EXPECT_EQ(FormatHostPort("::1", 8080), "[::1]:8080");
  EXPECT_EQ(FormatHostPort("localhost", 0), "localhost:0");
}

TEST(ResponderTest, DroppingAnUnansweredResponderReportsIt) {
  std::optional<std::optional<Response>> got;
  {
    Responder r = Responder::FromCallback(
        [&](std::optional<Response> res) { got = std::move(res); });
    Responder copy = r;
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->has_value());
}

TEST(ResponderTest, OnlyTheFirstAnswerCounts) {
  int calls = 0;
  Status status = Status::unknown;
  Responder r = Responder::FromCallback([&](std::optional<Response> res) {
    ++calls;
    if (res.has_value()) status = res->result();
  });
  Responder copy = r;
  r(MakeResponse(Status::ok, ""));
  copy(MakeResponse(Status::not_found, ""));
  EXPECT_TRUE(copy.responded());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(status, Status::ok);
}

TEST(JsonQuoteTest, EscapesQuotesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n"), R"("a\"b\\c\n")");
}

TEST(RedactedTargetTest, KeepsThePathAndActionAndHidesEveryOtherValue) {
  EXPECT_EQ(RedactedTarget("/v2/index.php?Action=SendMessage&SecretId=AKID1"
                           "&Signature=abc%2B&msgBody=secret+text&flag"),
            "/v2/index.php?Action=SendMessage&SecretId=*&Signature=*"
            "&msgBody=*&flag");
  EXPECT_EQ(RedactedTarget("/v2/p/instances/i/topics"),
            "/v2/p/instances/i/topics");
  EXPECT_EQ(RedactedTarget("/healthz?"), "/healthz");
  EXPECT_EQ(RedactedTarget("/x?a=1&&b="), "/x?a=*&b=*");
}

TEST(RedactedTargetTest, CutsLongPartsShort) {
  const std::string long_path = "/" + std::string(1000, 'p');
  EXPECT_EQ(RedactedTarget(long_path), long_path.substr(0, 256) + "...");
  const std::string action(100, 'A');
  EXPECT_EQ(RedactedTarget("/?Action=" + action),
            "/?Action=" + action.substr(0, 64) + "...");
  std::string many = "/?";
  for (int i = 0; i < 200; ++i) absl::StrAppend(&many, "name", i, "=v&");
  const std::string redacted = RedactedTarget(many);
  EXPECT_LT(redacted.size(), 600u);
  EXPECT_TRUE(absl::EndsWith(redacted, "&..."));
  EXPECT_EQ(redacted.find('v'), std::string::npos);
}

}  // namespace
}  // namespace rewindmq::httpd
