#include "broker/facades/dms/requests.h"

#include <boost/json/parse.hpp>
#include <string>

#include "broker/facades/dms/dms_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::facade::dms {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::Pair;

template <typename T>
std::optional<DmsCode> CodeOf(const absl::StatusOr<T>& s) {
  return DmsCodeOf(s.status());
}

QueryParams Query(absl::string_view raw) { return ParseQueryString(raw); }

// ---- Bodies -------------------------------------------------------------

TEST(ParseJsonObjectTest, AnEmptyOrBlankBodyIsBodyEmpty) {
  EXPECT_THAT(CodeOf(ParseJsonObject("")), Optional(DmsCode::kBodyEmpty));
  EXPECT_THAT(CodeOf(ParseJsonObject(" \r\n\t")),
              Optional(DmsCode::kBodyEmpty));
}

TEST(ParseJsonObjectTest, AnythingButAJsonObjectIsBodyNotJson) {
  for (absl::string_view body : {"{", "[]", "\"x\"", "12", "null", "{\"a\":1}x",
                                 "{'a':1}", "{\"a\":\"\xFF\"}"}) {
    SCOPED_TRACE(body);
    EXPECT_THAT(CodeOf(ParseJsonObject(body)), Optional(DmsCode::kBodyNotJson));
  }
}

TEST(ParseJsonObjectTest, AnObjectParses) {
  ASSERT_OK_AND_ASSIGN(boost::json::object o,
                       ParseJsonObject(R"({"topic":"t","n":1})"));
  EXPECT_EQ(o.at("topic").as_string(), "t");
}

// ---- Reset timestamp forms (§8) -----------------------------------------

absl::StatusOr<ResetPoint> Ts(absl::string_view json_value) {
  return ParseResetTimestamp(boost::json::parse(
      boost::json::string_view(json_value.data(), json_value.size())));
}

TEST(ParseResetTimestampTest, ANumberIsEpochMilliseconds) {
  EXPECT_THAT(Ts("1662652800000"),
              rmqtest::IsOkAndHolds(
                  ResetPoint{ResetPoint::Kind::kTime, 1662652800000}));
}

TEST(ParseResetTimestampTest, ANumericStringIsEpochMilliseconds) {
  EXPECT_THAT(Ts(R"("1662652800000")"),
              rmqtest::IsOkAndHolds(
                  ResetPoint{ResetPoint::Kind::kTime, 1662652800000}));
}

TEST(ParseResetTimestampTest, TheOldGoSdkExponentFormIsAccepted) {
  EXPECT_THAT(Ts("1.6626528e+12"),
              rmqtest::IsOkAndHolds(
                  ResetPoint{ResetPoint::Kind::kTime, 1662652800000}));
}

TEST(ParseResetTimestampTest, ZeroMeansEarliestAsNumberOrString) {
  const ResetPoint earliest{ResetPoint::Kind::kEarliest, 0};
  EXPECT_THAT(Ts("0"), rmqtest::IsOkAndHolds(earliest));
  EXPECT_THAT(Ts(R"("0")"), rmqtest::IsOkAndHolds(earliest));
  EXPECT_THAT(Ts("0.0"), rmqtest::IsOkAndHolds(earliest));
}

TEST(ParseResetTimestampTest, MinusOneMeansLatestAsNumberOrString) {
  const ResetPoint latest{ResetPoint::Kind::kLatest, 0};
  EXPECT_THAT(Ts("-1"), rmqtest::IsOkAndHolds(latest));
  EXPECT_THAT(Ts(R"("-1")"), rmqtest::IsOkAndHolds(latest));
  EXPECT_THAT(Ts("-1e0"), rmqtest::IsOkAndHolds(latest));
}

TEST(ParseResetTimestampTest, EveryOtherFormIsTimestampInvalid) {
  for (absl::string_view v : {
           R"("")",
           R"("abc")",
           R"("1662652800000.5")",
           R"("1.6626528e+12")",
           R"(" 1662652800000")",
           R"("+1662652800000")",
           R"("-")",
           R"("-2")",
           R"("12345678901234567890")",
           R"("99999999999999999999")",
           "1.5",
           "-2",
           "-1.5",
           "true",
           "false",
           "{}",
           "[1662652800000]",
           "18446744073709551615",
           "1e300",
       }) {
    SCOPED_TRACE(v);
    EXPECT_THAT(CodeOf(Ts(v)), Optional(DmsCode::kTimestampInvalid));
  }
}

TEST(ParseResetTimestampTest, NineteenDigitStringsInsideInt64AreAccepted) {
  EXPECT_THAT(Ts(R"("9223372036854775807")"),
              rmqtest::IsOkAndHolds(
                  ResetPoint{ResetPoint::Kind::kTime, 9223372036854775807}));
}

TEST(ParseResetOffsetTest, ReadsTopicAndTimestamp) {
  ASSERT_OK_AND_ASSIGN(
      ResetOffsetInput in,
      ParseResetOffset(R"({"topic":"topic_01","timestamp":1662652800000})"));
  EXPECT_EQ(in.topic, "topic_01");
  EXPECT_EQ(in.point, (ResetPoint{ResetPoint::Kind::kTime, 1662652800000}));
}

TEST(ParseResetOffsetTest, UnknownFieldsAreIgnored) {
  EXPECT_OK(ParseResetOffset(
      R"({"topic":"t1","timestamp":"-1","dry_run":true,"x":{"y":[]}})"));
}

TEST(ParseResetOffsetTest, AMissingOrNullTimestampIsInvalidParameter) {
  EXPECT_THAT(CodeOf(ParseResetOffset(R"({"topic":"t1"})")),
              Optional(DmsCode::kInvalidParameter));
  EXPECT_THAT(CodeOf(ParseResetOffset(R"({"topic":"t1","timestamp":null})")),
              Optional(DmsCode::kInvalidParameter));
}

TEST(ParseResetOffsetTest, AMissingEmptyOrNonStringTopicIsInvalidParameter) {
  for (absl::string_view body :
       {R"({"timestamp":1})", R"({"topic":"","timestamp":1})",
        R"({"topic":7,"timestamp":1})", R"({"topic":["t"],"timestamp":1})"}) {
    SCOPED_TRACE(body);
    EXPECT_THAT(CodeOf(ParseResetOffset(body)),
                Optional(DmsCode::kInvalidParameter));
  }
}

TEST(ParseResetOffsetTest, TheTopicIsCheckedBeforeTheTimestampForm) {
  EXPECT_THAT(CodeOf(ParseResetOffset(R"({"timestamp":"bad"})")),
              Optional(DmsCode::kInvalidParameter));
}

TEST(ParseResetOffsetTest, ABadTimestampIsTimestampInvalid) {
  EXPECT_THAT(CodeOf(ParseResetOffset(R"({"topic":"t","timestamp":"soon"})")),
              Optional(DmsCode::kTimestampInvalid));
}

TEST(ParseResetOffsetTest, BodySyntaxErrorsComeFirst) {
  EXPECT_THAT(CodeOf(ParseResetOffset("")), Optional(DmsCode::kBodyEmpty));
  EXPECT_THAT(CodeOf(ParseResetOffset("[1]")), Optional(DmsCode::kBodyNotJson));
}

// ---- Paging -------------------------------------------------------------

TEST(ParsePageTest, DefaultsAreOffsetZeroLimitTen) {
  ASSERT_OK_AND_ASSIGN(PageRequest p, ParsePage(Query("")));
  EXPECT_EQ(p.offset, 0);
  EXPECT_EQ(p.limit, 10);
}

TEST(ParsePageTest, ReadsLimitAndOffset) {
  ASSERT_OK_AND_ASSIGN(PageRequest p, ParsePage(Query("limit=50&offset=7")));
  EXPECT_EQ(p.offset, 7);
  EXPECT_EQ(p.limit, 50);
}

TEST(ParsePageTest, OutOfRangeOrMalformedValuesAreInvalidParameter) {
  for (absl::string_view q :
       {"limit=0", "limit=51", "limit=-1", "limit=", "limit=ten", "offset=-1",
        "offset=1.5", "limit=+5"}) {
    SCOPED_TRACE(q);
    EXPECT_THAT(CodeOf(ParsePage(Query(q))),
                Optional(DmsCode::kInvalidParameter));
  }
}

TEST(ComputePageInfoTest, FirstMiddleAndLastPages) {
  PageInfo first = ComputePageInfo({0, 10}, 10, 25);
  EXPECT_EQ(first.next_offset, 10);
  EXPECT_EQ(first.previous_offset, -1);
  PageInfo middle = ComputePageInfo({10, 10}, 10, 25);
  EXPECT_EQ(middle.next_offset, 20);
  EXPECT_EQ(middle.previous_offset, 0);
  PageInfo last = ComputePageInfo({20, 10}, 5, 25);
  EXPECT_EQ(last.next_offset, -1);
  EXPECT_EQ(last.previous_offset, 10);
  PageInfo odd = ComputePageInfo({3, 10}, 10, 25);
  EXPECT_EQ(odd.previous_offset, 0);
}

TEST(SliceTest, ClipsToTheItems) {
  std::vector<int> items = {0, 1, 2, 3, 4};
  EXPECT_THAT(Slice(items, {3, 10}), ElementsAre(3, 4));
  EXPECT_TRUE(Slice(items, {9, 10}).empty());
}

// ---- Instances ----------------------------------------------------------

TEST(ParseListInstancesQueryTest, ReadsFiltersAndIgnoresTheRest) {
  ASSERT_OK_AND_ASSIGN(
      ListInstancesQuery q,
      ParseListInstancesQuery(Query(
          "engine=rocketmq&name=rew&exact_match_name=true&include_failure="
          "true&enterprise_project_id=0&status=RUNNING&limit=5")));
  EXPECT_EQ(q.engine, "rocketmq");
  EXPECT_EQ(q.name, "rew");
  EXPECT_TRUE(q.exact_match_name);
  EXPECT_EQ(q.status, "RUNNING");
  EXPECT_EQ(q.page.limit, 5);
}

TEST(ParseListInstancesQueryTest, ABooleanOtherThanTrueOrFalseIsInvalid) {
  EXPECT_THAT(CodeOf(ParseListInstancesQuery(Query("exact_match_name=yes"))),
              Optional(DmsCode::kInvalidParameter));
}

// ---- Topics -------------------------------------------------------------

TEST(ParseCreateTopicTest, TheSdkBodyIsReadWithDefaults) {
  ASSERT_OK_AND_ASSIGN(CreateTopicInput in,
                       ParseCreateTopic(R"({"name":"topic_01"})", Query("")));
  EXPECT_EQ(in.name, "topic_01");
  EXPECT_TRUE(in.brokers.empty());
  EXPECT_EQ(in.queue_num, std::nullopt);
  EXPECT_EQ(in.permission, "all");
  EXPECT_EQ(in.message_type, "NORMAL");
}

TEST(ParseCreateTopicTest, ReadsEveryField) {
  ASSERT_OK_AND_ASSIGN(
      CreateTopicInput in,
      ParseCreateTopic(
          R"({"name":"t1","brokers":["broker-0"],"queue_num":3,)"
          R"("queues":[{"broker":"broker-1","queue_num":5},{"broker":"broker-0"}],)"
          R"("permission":"pub","message_type":"FIFO"})",
          Query("")));
  EXPECT_THAT(in.brokers, ElementsAre("broker-0"));
  EXPECT_EQ(in.queue_num, 3);
  EXPECT_THAT(in.queues, ElementsAre(Pair("broker-1", 5), Pair("broker-0", 3)));
  EXPECT_EQ(in.permission, "pub");
  EXPECT_EQ(in.message_type, "FIFO");
}

TEST(ParseCreateTopicTest, IllTypedOrOutOfRangeFieldsAreInvalidParameter) {
  for (absl::string_view body : {
           R"({})",
           R"({"name":""})",
           R"({"name":5})",
           R"({"name":"t1","queue_num":0})",
           R"({"name":"t1","queue_num":51})",
           R"({"name":"t1","queue_num":"3"})",
           R"({"name":"t1","queue_num":2.5})",
           R"({"name":"t1","brokers":"broker-0"})",
           R"({"name":"t1","brokers":[0]})",
           R"({"name":"t1","queues":[{"queue_num":3}]})",
           R"({"name":"t1","queues":{}})",
           R"({"name":"t1","permission":"ALL"})",
           R"({"name":"t1","message_type":"normal"})",
       }) {
    SCOPED_TRACE(body);
    EXPECT_THAT(CodeOf(ParseCreateTopic(body, Query(""))),
                Optional(DmsCode::kInvalidParameter));
  }
}

TEST(ParseCreateTopicTest, AnUnknownActionIsInvalidParameter) {
  EXPECT_THAT(
      CodeOf(ParseCreateTopic(R"({"name":"t1"})", Query("action=purge"))),
      Optional(DmsCode::kInvalidParameter));
}

TEST(ParseBatchDeleteTest, ReadsTheNames) {
  EXPECT_THAT(ParseBatchDelete(R"({"topics":["a1","b1"]})", "topics"),
              rmqtest::IsOkAndHolds(ElementsAre("a1", "b1")));
}

TEST(ParseBatchDeleteTest, AMissingOrEmptyListIsInvalidParameter) {
  for (absl::string_view body :
       {R"({})", R"({"topics":[]})", R"({"topics":"a1"})",
        R"({"groups":["g1"]})", R"({"topics":[""]})"}) {
    SCOPED_TRACE(body);
    EXPECT_THAT(CodeOf(ParseBatchDelete(body, "topics")),
                Optional(DmsCode::kInvalidParameter));
  }
}

TEST(ParseUpdateTopicTest, ReadsEveryField) {
  ASSERT_OK_AND_ASSIGN(
      UpdateTopicInput in,
      ParseUpdateTopic(
          R"({"read_queue_num":4,"write_queue_num":2,"permission":"sub",)"
          R"("topic_desc":"d","queues":[{"broker":"broker-0","read_queue_num":6}]})"));
  EXPECT_EQ(in.read_queue_num, 4);
  EXPECT_EQ(in.write_queue_num, 2);
  EXPECT_EQ(in.permission, "sub");
  EXPECT_EQ(in.topic_desc, "d");
  ASSERT_EQ(in.queues.size(), 1u);
  EXPECT_EQ(in.queues[0].broker, "broker-0");
  EXPECT_EQ(in.queues[0].read_queue_num, 6);
  EXPECT_EQ(in.queues[0].write_queue_num, std::nullopt);
}

TEST(ParseUpdateTopicTest, ABodyWithNothingToChangeIsInvalidParameter) {
  EXPECT_THAT(CodeOf(ParseUpdateTopic(R"({"name":"t1","queues":[]})")),
              Optional(DmsCode::kInvalidParameter));
}

TEST(ParseUpdateTopicTest, ALongDescriptionIsInvalidButCharactersCount) {
  const std::string ok_desc =
      absl::StrCat(R"({"topic_desc":")", std::string(100, 'a'),
                   [] {
                     std::string s;
                     for (int i = 0; i < 100; ++i) s += "\xE6\xB6\x88";  // 消
                     return s;
                   }(),
                   R"("})");
  EXPECT_OK(ParseUpdateTopic(ok_desc));
  EXPECT_THAT(CodeOf(ParseUpdateTopic(absl::StrCat(
                  R"({"topic_desc":")", std::string(201, 'a'), R"("})"))),
              Optional(DmsCode::kInvalidParameter));
}

// ---- Groups -------------------------------------------------------------

TEST(ParseCreateGroupTest, DefaultsFollowTheSpec) {
  ASSERT_OK_AND_ASSIGN(CreateGroupInput in,
                       ParseCreateGroup(R"({"name":"group_01"})", Query("")));
  EXPECT_EQ(in.name, "group_01");
  EXPECT_FALSE(in.broadcast);
  EXPECT_EQ(in.retry_max_time, 16);
  EXPECT_TRUE(in.enabled);
  EXPECT_FALSE(in.consume_orderly);
  EXPECT_EQ(in.group_desc, "");
}

TEST(ParseCreateGroupTest, ReadsEveryField) {
  ASSERT_OK_AND_ASSIGN(
      CreateGroupInput in,
      ParseCreateGroup(
          R"({"name":"g1","brokers":["broker-0"],"broadcast":true,)"
          R"("retry_max_time":3,"enabled":false,"consume_orderly":true,)"
          R"("group_desc":"billing"})",
          Query("")));
  EXPECT_THAT(in.brokers, ElementsAre("broker-0"));
  EXPECT_TRUE(in.broadcast);
  EXPECT_EQ(in.retry_max_time, 3);
  EXPECT_FALSE(in.enabled);
  EXPECT_TRUE(in.consume_orderly);
  EXPECT_EQ(in.group_desc, "billing");
}

TEST(ParseCreateGroupTest, IllTypedOrOutOfRangeFieldsAreInvalidParameter) {
  for (absl::string_view body : {
           R"({"broadcast":true})",
           R"({"name":"g1","broadcast":"true"})",
           R"({"name":"g1","retry_max_time":0})",
           R"({"name":"g1","retry_max_time":17})",
           R"({"name":"g1","enabled":1})",
       }) {
    SCOPED_TRACE(body);
    EXPECT_THAT(CodeOf(ParseCreateGroup(body, Query(""))),
                Optional(DmsCode::kInvalidParameter));
  }
}

TEST(ParseCreateGroupTest, AnUnknownActionIsInvalidParameter) {
  EXPECT_THAT(
      CodeOf(ParseCreateGroup(R"({"name":"g1"})", Query("action=update"))),
      Optional(DmsCode::kInvalidParameter));
}

TEST(ParseUpdateGroupTest, OnlyPresentFieldsAreSet) {
  ASSERT_OK_AND_ASSIGN(UpdateGroupInput in,
                       ParseUpdateGroup(R"({"enabled":false,"name":"g1"})"));
  EXPECT_EQ(in.enabled, false);
  EXPECT_EQ(in.name, "g1");
  EXPECT_EQ(in.broadcast, std::nullopt);
  EXPECT_EQ(in.retry_max_time, std::nullopt);
  EXPECT_EQ(in.brokers, std::nullopt);
}

TEST(ParseBatchUpdateGroupsTest, EveryEntryNeedsAName) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<UpdateGroupInput> in,
      ParseBatchUpdateGroups(
          R"({"groups":[{"name":"g1","enabled":false},{"name":"g2"}]})"));
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[1].name, "g2");
  EXPECT_THAT(CodeOf(ParseBatchUpdateGroups(R"({"groups":[{"enabled":1}]})")),
              Optional(DmsCode::kInvalidParameter));
  EXPECT_THAT(
      CodeOf(ParseBatchUpdateGroups(R"({"groups":[{"enabled":true}]})")),
      Optional(DmsCode::kInvalidParameter));
  EXPECT_THAT(CodeOf(ParseBatchUpdateGroups(R"({"groups":[]})")),
              Optional(DmsCode::kInvalidParameter));
}

TEST(ParseGroupQueriesTest, ReadFiltersPagesAndFlags) {
  ASSERT_OK_AND_ASSIGN(ListGroupsQuery g,
                       ParseListGroupsQuery(Query("group=bill&limit=2")));
  EXPECT_EQ(g.group, "bill");
  EXPECT_EQ(g.page.limit, 2);
  ASSERT_OK_AND_ASSIGN(GroupTopicsQuery t,
                       ParseGroupTopicsQuery(Query("topic=t1&offset=1")));
  EXPECT_EQ(t.topic, "t1");
  EXPECT_EQ(t.page.offset, 1);
  ASSERT_OK_AND_ASSIGN(GroupTopicsQuery none,
                       ParseGroupTopicsQuery(Query("topic=")));
  EXPECT_EQ(none.topic, std::nullopt);
  ASSERT_OK_AND_ASSIGN(ConsumersQuery c,
                       ParseConsumersQuery(Query("is_detail=true")));
  EXPECT_TRUE(c.is_detail);
  EXPECT_THAT(CodeOf(ParseConsumersQuery(Query("is_detail=1"))),
              Optional(DmsCode::kInvalidParameter));
}

// ---- Messages -----------------------------------------------------------

TEST(ParseSendMessageTest, ReadsTopicBodyAndPropertiesInOrder) {
  ASSERT_OK_AND_ASSIGN(
      SendMessageInput in,
      ParseSendMessage(
          R"({"topic":"t1","body":"hello","property_list":)"
          R"([{"name":"KEYS","value":"k1 k2"},{"name":"TAGS","value":"tagA"}]})"));
  EXPECT_EQ(in.topic, "t1");
  EXPECT_EQ(in.body, "hello");
  EXPECT_THAT(in.properties,
              ElementsAre(Pair("KEYS", "k1 k2"), Pair("TAGS", "tagA")));
}

TEST(ParseSendMessageTest, MissingOrBadFieldsAreInvalidParameter) {
  for (
      absl::string_view body : {
          R"({"body":"x"})",
          R"({"topic":"t1"})",
          R"({"topic":"t1","body":""})",
          R"({"topic":"t1","body":{"a":1}})",
          R"({"topic":"t1","body":"x","property_list":{}})",
          R"({"topic":"t1","body":"x","property_list":[{"name":"a"}]})",
          R"({"topic":"t1","body":"x","property_list":[{"name":"","value":"v"}]})",
          R"({"topic":"t1","body":"x","property_list":[{"name":"a","value":1}]})",
      }) {
    SCOPED_TRACE(body);
    EXPECT_THAT(CodeOf(ParseSendMessage(body)),
                Optional(DmsCode::kInvalidParameter));
  }
}

TEST(ParseSendMessageTest, ABodyOverFourMebibytesIsMessageTooLarge) {
  const std::string at_limit = absl::StrCat(
      R"({"topic":"t1","body":")", std::string(kMaxBodyBytes, 'a'), R"("})");
  EXPECT_OK(ParseSendMessage(at_limit));
  const std::string over =
      absl::StrCat(R"({"topic":"t1","body":")",
                   std::string(kMaxBodyBytes + 1, 'a'), R"("})");
  absl::StatusOr<SendMessageInput> in = ParseSendMessage(over);
  EXPECT_THAT(CodeOf(in), Optional(DmsCode::kMessageTooLarge));
  EXPECT_EQ(in.status().message(),
            "The message size is 4194305, larger than the size limit 4194304.");
}

TEST(ParseSendMessageTest, PropertiesOverSixteenKibibytesAreMessageTooLarge) {
  const std::string body = absl::StrCat(
      R"({"topic":"t1","body":"x","property_list":[{"name":"p","value":")",
      std::string(kMaxPropertyBytes, 'v'), R"("}]})");
  EXPECT_THAT(CodeOf(ParseSendMessage(body)),
              Optional(DmsCode::kMessageTooLarge));
}

TEST(ParseQueryMessagesTest, ATimeRangeQueryReadsEveryParameter) {
  ASSERT_OK_AND_ASSIGN(
      QueryMessagesInput in,
      ParseQueryMessages(Query("topic=topic_01&limit=10&offset=0&start_time="
                               "1662652800000&end_time=1662656400000&queue=2&"
                               "key=k1")));
  EXPECT_EQ(in.topic, "topic_01");
  EXPECT_EQ(in.start_time_ms, 1662652800000);
  EXPECT_EQ(in.end_time_ms, 1662656400000);
  EXPECT_EQ(in.queue_id, 2);
  EXPECT_EQ(in.key, "k1");
  EXPECT_EQ(in.msg_id, std::nullopt);
}

TEST(ParseQueryMessagesTest, AMessageIdNeedsNoTimeRange) {
  ASSERT_OK_AND_ASSIGN(QueryMessagesInput in,
                       ParseQueryMessages(Query(
                           "topic=t1&msg_id=644F0E2A315323EAB33D8F4733110009"
                           "&start_time=bad")));
  EXPECT_EQ(in.msg_id, "644F0E2A315323EAB33D8F4733110009");
}

TEST(ParseQueryMessagesTest, LimitsAreCappedAtOneHundred) {
  ASSERT_OK_AND_ASSIGN(
      QueryMessagesInput in,
      ParseQueryMessages(Query("topic=t1&msg_id=X&limit=1000")));
  EXPECT_EQ(in.limit, 100);
}

TEST(ParseQueryMessagesTest, MissingTopicOrRangeIsInvalidParameter) {
  for (absl::string_view q :
       {"start_time=1&end_time=2", "topic=&start_time=1&end_time=2", "topic=t1",
        "topic=t1&start_time=1", "topic=t1&msg_id=&end_time=2",
        "topic=t1&msg_id=x&limit=0", "topic=t1&msg_id=x&queue=-1"}) {
    SCOPED_TRACE(q);
    EXPECT_THAT(CodeOf(ParseQueryMessages(Query(q))),
                Optional(DmsCode::kInvalidParameter));
  }
}

TEST(ParseQueryMessagesTest, MalformedTimesAreTimestampInvalid) {
  for (absl::string_view q :
       {"topic=t1&start_time=-1&end_time=2", "topic=t1&start_time=1&end_time=x",
        "topic=t1&start_time=1.5&end_time=2",
        "topic=t1&start_time=&end_time=2"}) {
    SCOPED_TRACE(q);
    EXPECT_THAT(CodeOf(ParseQueryMessages(Query(q))),
                Optional(DmsCode::kTimestampInvalid));
  }
}

TEST(ParseResendTest, GroupAndClientIdAreRequired) {
  ASSERT_OK_AND_ASSIGN(
      ResendInput in,
      ParseResend(
          R"({"group":"g1","topic":"t1","client_id":"c1","msg_id_list":["A","B"]})"));
  EXPECT_EQ(in.group, "g1");
  EXPECT_EQ(in.topic, "t1");
  EXPECT_EQ(in.client_id, "c1");
  EXPECT_THAT(in.msg_ids, ElementsAre("A", "B"));
  EXPECT_THAT(CodeOf(ParseResend(R"({"client_id":"c1"})")),
              Optional(DmsCode::kInvalidParameter));
  EXPECT_THAT(CodeOf(ParseResend(R"({"group":"g1"})")),
              Optional(DmsCode::kInvalidParameter));
}

}  // namespace
}  // namespace rewindmq::facade::dms
