#include "broker/facades/dms/route.h"

#include <string>
#include <tuple>

#include "broker/facades/dms/dms_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::dms {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::Pair;

constexpr absl::string_view kPid = "0123456789abcdef0123456789abcdef";
constexpr absl::string_view kInst = "11111111-2222-3333-4444-555555555555";

std::string Plain(absl::string_view tail) {
  return absl::StrCat("/v2/", kPid, "/instances/", kInst, tail);
}
std::string Rocketmq(absl::string_view tail) {
  return absl::StrCat("/v2/", kPid, "/rocketmq/instances/", kInst, tail);
}
std::string Engine(absl::string_view engine, absl::string_view tail) {
  return absl::StrCat("/v2/", engine, "/", kPid, "/instances/", kInst, tail);
}

std::optional<DmsCode> CodeOf(const absl::StatusOr<RouteMatch>& m) {
  return DmsCodeOf(m.status());
}

// Every SDK method of Appendix A, with its method and path.
struct Case {
  const char* method;
  std::string target;
  Operation op;
};

TEST(MatchRouteTest, EveryAppendixARouteSelectsItsOperation) {
  const std::vector<Case> cases = {
      {"GET", Plain(""), Operation::kShowInstance},
      {"GET", absl::StrCat("/v2/", kPid, "/instances?engine=rocketmq"),
       Operation::kListInstances},
      {"GET", Plain("/brokers"), Operation::kListBrokers},
      {"POST", Plain("/topics"), Operation::kCreateTopic},
      {"POST", Plain("/topics?action=delete"), Operation::kBatchDeleteTopics},
      {"GET", Plain("/topics?limit=10&offset=0"), Operation::kListTopics},
      {"GET", Plain("/topics/topic_01"), Operation::kShowTopic},
      {"PUT", Plain("/topics/topic_01"), Operation::kUpdateTopic},
      {"DELETE", Plain("/topics/topic_01"), Operation::kDeleteTopic},
      {"GET", Plain("/topics/topic_01/status"), Operation::kShowTopicStatus},
      {"GET", Plain("/topics/topic_01/groups"), Operation::kListGroupsOfTopic},
      {"POST", Plain("/groups"), Operation::kCreateGroup},
      {"POST", Plain("/groups?action=delete"), Operation::kBatchDeleteGroups},
      {"PUT", Plain("/groups"), Operation::kBatchUpdateGroups},
      {"GET", Plain("/groups"), Operation::kListGroups},
      {"GET", Plain("/groups/group_01"), Operation::kShowGroup},
      {"PUT", Plain("/groups/group_01"), Operation::kUpdateGroup},
      {"DELETE", Plain("/groups/group_01"), Operation::kDeleteGroup},
      {"GET", Plain("/groups/group_01/topics"), Operation::kShowGroupTopics},
      {"GET", Engine("rocketmq", "/groups/group_01/clients"),
       Operation::kListConsumers},
      {"GET", Rocketmq("/groups/group_01/clients"), Operation::kListConsumers},
      {"POST", Engine("reliability", "/messages"), Operation::kSendMessage},
      {"POST", Rocketmq("/messages"), Operation::kSendMessage},
      {"GET", Engine("reliability", "/messages?topic=t"),
       Operation::kQueryMessages},
      {"GET", Rocketmq("/messages?topic=t"), Operation::kQueryMessages},
      {"POST", Engine("reliability", "/messages/resend"),
       Operation::kResendMessages},
      {"POST", Rocketmq("/messages/resend"), Operation::kResendMessages},
      {"POST", Engine("reliability", "/groups/group_01/reset-message-offset"),
       Operation::kResetOffset},
      {"POST", Engine("rocketmq", "/groups/group_01/reset-message-offset"),
       Operation::kResetOffset},
      {"POST", Rocketmq("/groups/group_01/reset-message-offset"),
       Operation::kResetOffset},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.method, " ", c.target));
    absl::StatusOr<RouteMatch> m = MatchRoute(c.method, c.target);
    ASSERT_OK(m);
    EXPECT_EQ(OperationName(m->op), OperationName(c.op));
    EXPECT_EQ(m->project_id, kPid);
    if (c.op != Operation::kListInstances) {
      EXPECT_EQ(m->instance_id, kInst);
    }
  }
}

TEST(MatchRouteTest, ResetOffsetInTheEngineFormNamesFamilyEngineAndGroup) {
  ASSERT_OK_AND_ASSIGN(
      RouteMatch m,
      MatchRoute("POST", Engine("reliability",
                                "/groups/group_01/reset-message-offset")));
  EXPECT_EQ(m.family, Family::kEngine);
  EXPECT_EQ(m.engine, "reliability");
  EXPECT_EQ(m.group.Preferred(), "group_01");
}

TEST(MatchRouteTest, ResetOffsetInTheRocketmqFormNamesFamilyAndGroup) {
  ASSERT_OK_AND_ASSIGN(
      RouteMatch m,
      MatchRoute("POST", Rocketmq("/groups/group_01/reset-message-offset")));
  EXPECT_EQ(m.family, Family::kRocketmq);
  EXPECT_EQ(m.engine, "");
  EXPECT_EQ(m.group.Preferred(), "group_01");
  EXPECT_EQ(m.project_id, kPid);
}

TEST(MatchRouteTest, PlainPathsAreAlsoServedInTheOtherFamilies) {
  ASSERT_OK_AND_ASSIGN(RouteMatch a,
                       MatchRoute("GET", Rocketmq("/topics/t1/status")));
  EXPECT_EQ(a.op, Operation::kShowTopicStatus);
  ASSERT_OK_AND_ASSIGN(RouteMatch b,
                       MatchRoute("GET", Engine("reliability", "/groups")));
  EXPECT_EQ(b.op, Operation::kListGroups);
}

TEST(MatchRouteTest, AProjectIdNamedLikeAnEngineIsStillAPlainRoute) {
  ASSERT_OK_AND_ASSIGN(RouteMatch m,
                       MatchRoute("GET", "/v2/rocketmq/instances/abc"));
  EXPECT_EQ(m.family, Family::kPlain);
  EXPECT_EQ(m.project_id, "rocketmq");
  EXPECT_EQ(m.instance_id, "abc");
}

TEST(MatchRouteTest, AnUnknownEngineIsAnUnknownRoute) {
  EXPECT_THAT(CodeOf(MatchRoute("POST", Engine("kafka", "/messages"))),
              Optional(DmsCode::kRouteNotFound));
}

TEST(MatchRouteTest, UnknownPathsAreNotFound) {
  for (const std::string& target : {
           std::string("/"),
           std::string("/v1/x/instances"),
           std::string("/v2/"),
           std::string("/v2/pid"),
           std::string("/v2/pid/things"),
           Plain("/queues"),
           Plain("/topics/t1/partitions"),
           Plain("/topics/t1/status/more"),
           Plain("/groups/g1/reset-message-offset/now"),
           Plain("/messages/deadletter-resend"),
           Plain("//topics"),
           Plain("/topics//status"),
           Plain("/topics/t1//"),
       }) {
    SCOPED_TRACE(target);
    EXPECT_THAT(CodeOf(MatchRoute("GET", target)),
                Optional(DmsCode::kRouteNotFound));
  }
}

TEST(MatchRouteTest, AKnownPathWithAnotherMethodIsMethodNotAllowed) {
  for (const auto& [method, target] :
       std::vector<std::pair<const char*, std::string>>{
           {"DELETE", Plain("/topics")},
           {"PATCH", Plain("/topics/t1")},
           {"POST", Plain("/topics/t1/status")},
           {"GET", Rocketmq("/groups/g1/reset-message-offset")},
           {"PUT", Rocketmq("/messages")},
           {"GET", Rocketmq("/messages/resend")},
           {"POST", absl::StrCat("/v2/", kPid, "/instances")},
           {"DELETE", Plain("")},
       }) {
    SCOPED_TRACE(absl::StrCat(method, " ", target));
    EXPECT_THAT(CodeOf(MatchRoute(method, target)),
                Optional(DmsCode::kMethodNotAllowed));
  }
}

TEST(MatchRouteTest, OneTrailingSlashIsTolerated) {
  ASSERT_OK_AND_ASSIGN(RouteMatch m, MatchRoute("GET", Plain("/topics/")));
  EXPECT_EQ(m.op, Operation::kListTopics);
  ASSERT_OK_AND_ASSIGN(RouteMatch q,
                       MatchRoute("GET", Plain("/topics/?limit=5")));
  EXPECT_EQ(q.query.Get("limit"), "5");
}

TEST(MatchRouteTest, TheUnsetSdkProjectPlaceholderIsAnInvalidProjectId) {
  EXPECT_THAT(
      CodeOf(MatchRoute("GET", "/v2/%7Bproject_id%7D/instances?engine=x")),
      Optional(DmsCode::kProjectIdInvalid));
  EXPECT_THAT(
      CodeOf(MatchRoute("POST", absl::StrCat("/v2/reliability/%7Bproject_id%7D/"
                                             "instances/",
                                             kInst, "/messages"))),
      Optional(DmsCode::kProjectIdInvalid));
}

TEST(MatchRouteTest, ProjectIdsOutsideTheCharsetOrTooLongAreInvalid) {
  EXPECT_THAT(CodeOf(MatchRoute("GET", "/v2/a.b/instances")),
              Optional(DmsCode::kProjectIdInvalid));
  EXPECT_THAT(
      CodeOf(MatchRoute(
          "GET", absl::StrCat("/v2/", std::string(65, 'a'), "/instances"))),
      Optional(DmsCode::kProjectIdInvalid));
  EXPECT_OK(MatchRoute(
      "GET", absl::StrCat("/v2/", std::string(64, 'a'), "/instances")));
}

TEST(MatchRouteTest, RouteErrorsComeBeforeProjectIdErrors) {
  EXPECT_THAT(CodeOf(MatchRoute("GET", "/v2/%7Bp%7D/instances/i/nothing")),
              Optional(DmsCode::kRouteNotFound));
  EXPECT_THAT(CodeOf(MatchRoute("DELETE", "/v2/%7Bp%7D/instances/i/topics")),
              Optional(DmsCode::kMethodNotAllowed));
}

TEST(MatchRouteTest, AnEncodedPathNameIsDecodedAndKeepsItsRawForm) {
  ASSERT_OK_AND_ASSIGN(RouteMatch m,
                       MatchRoute("GET", Plain("/topics/test%2501")));
  EXPECT_EQ(m.topic.raw, "test%2501");
  EXPECT_THAT(m.topic.decoded, Optional(std::string("test%01")));
  EXPECT_THAT(m.topic.Candidates(), ElementsAre("test%01", "test%2501"));
}

TEST(MatchRouteTest, ARawNodeSdkNameWithAValidEscapeHasBothReadings) {
  // The Node SDK sends the topic "test%01" unencoded.
  ASSERT_OK_AND_ASSIGN(RouteMatch m,
                       MatchRoute("GET", Plain("/topics/test%01/status")));
  EXPECT_THAT(m.topic.Candidates(), ElementsAre("test\x01", "test%01"));
}

TEST(MatchRouteTest, AMalformedEscapeLeavesOnlyTheRawName) {
  ASSERT_OK_AND_ASSIGN(RouteMatch m, MatchRoute("GET", Plain("/groups/a%zzb")));
  EXPECT_EQ(m.group.decoded, std::nullopt);
  EXPECT_THAT(m.group.Candidates(), ElementsAre("a%zzb"));
  ASSERT_OK_AND_ASSIGN(RouteMatch t, MatchRoute("GET", Plain("/groups/ab%")));
  EXPECT_THAT(t.group.Candidates(), ElementsAre("ab%"));
}

TEST(MatchRouteTest, AnEscapeDecodingToInvalidUtf8LeavesOnlyTheRawName) {
  ASSERT_OK_AND_ASSIGN(RouteMatch m, MatchRoute("GET", Plain("/groups/g%FF1")));
  EXPECT_THAT(m.group.Candidates(), ElementsAre("g%FF1"));
}

TEST(MatchRouteTest, ARawVerticalBarReachesTheNameUnchanged) {
  ASSERT_OK_AND_ASSIGN(RouteMatch m, MatchRoute("GET", Plain("/topics/a|b")));
  EXPECT_THAT(m.topic.Candidates(), ElementsAre("a|b"));
  ASSERT_OK_AND_ASSIGN(RouteMatch e, MatchRoute("GET", Plain("/topics/a%7Cb")));
  EXPECT_THAT(e.topic.Candidates(), ElementsAre("a|b", "a%7Cb"));
}

TEST(MatchRouteTest, AnUnknownActionStaysACreate) {
  ASSERT_OK_AND_ASSIGN(RouteMatch m,
                       MatchRoute("POST", Plain("/groups?action=purge")));
  EXPECT_EQ(m.op, Operation::kCreateGroup);
  EXPECT_EQ(m.query.Get("action"), "purge");
}

TEST(ParseQueryStringTest, DecodesInArrivalOrderAndKeepsPlusSigns) {
  QueryParams q = ParseQueryString("topic=a%20b&key=x+y&&flag&bad=%zz&topic=2");
  EXPECT_THAT(q.all(), ElementsAre(Pair("topic", "a b"), Pair("key", "x+y"),
                                   Pair("flag", ""), Pair("bad", "%zz"),
                                   Pair("topic", "2")));
  EXPECT_EQ(q.Get("topic"), "a b");
  EXPECT_FALSE(q.Has("missing"));
}

TEST(IsValidUtf8Test, AcceptsWellFormedTextAndRefusesBrokenSequences) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xE6\xB6\x88\xE6\x81\xAF"));  // 消息
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));          // emoji
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE6\xB6"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace rewindmq::facade::dms
