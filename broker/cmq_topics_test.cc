#include "broker/cmq_topics.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/broker_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::broker {
namespace {

using ::rmqtest::IsOkAndHolds;
using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

using Tags = std::vector<std::string>;

TEST(CmqBindingKeyTest, StarMatchesExactlyOneWord) {
  EXPECT_TRUE(CmqBindingKeyMatches("a.*.c", "a.b.c"));
  EXPECT_FALSE(CmqBindingKeyMatches("a.*.c", "a.c"));
  EXPECT_FALSE(CmqBindingKeyMatches("a.*.c", "a.b.b.c"));
  EXPECT_TRUE(CmqBindingKeyMatches("*", "x"));
  EXPECT_FALSE(CmqBindingKeyMatches("*", ""));
}

TEST(CmqBindingKeyTest, HashMatchesZeroOrMoreWords) {
  EXPECT_TRUE(CmqBindingKeyMatches("a.#", "a"));
  EXPECT_TRUE(CmqBindingKeyMatches("a.#", "a.b"));
  EXPECT_TRUE(CmqBindingKeyMatches("a.#", "a.b.c"));
  EXPECT_FALSE(CmqBindingKeyMatches("a.#", "b.a"));
  EXPECT_TRUE(CmqBindingKeyMatches("#.c", "a.b.c"));
  EXPECT_TRUE(CmqBindingKeyMatches("a.#.c", "a.c"));
  EXPECT_TRUE(CmqBindingKeyMatches("#.#", "a"));
}

TEST(CmqBindingKeyTest, HashAloneMatchesEveryKeyIncludingTheEmptyOne) {
  EXPECT_TRUE(CmqBindingKeyMatches("#", ""));
  EXPECT_TRUE(CmqBindingKeyMatches("#", "a"));
  EXPECT_TRUE(CmqBindingKeyMatches("#", "a.b.c.d.e.f"));
}

TEST(CmqBindingKeyTest, OtherWordsMatchThemselvesCaseSensitively) {
  EXPECT_TRUE(CmqBindingKeyMatches("order.created", "order.created"));
  EXPECT_FALSE(CmqBindingKeyMatches("order.created", "Order.created"));
  EXPECT_FALSE(CmqBindingKeyMatches("order", "order.created"));
  EXPECT_FALSE(CmqBindingKeyMatches("order", ""));
}

TEST(CmqBindingKeyTest, ManyHashesStayCheap) {
  std::string routing;
  for (int i = 0; i < 32; ++i) routing += i == 0 ? "a" : ".a";
  EXPECT_FALSE(
      CmqBindingKeyMatches("#.#.#.#.#.#.#.#.#.#.#.#.#.#.#.b", routing));
}

TEST(CmqFilterTagsTest, NoFilterTagsTakeEveryMessage) {  // rule 1
  EXPECT_TRUE(CmqFilterTagsMatch({}, {}));
  EXPECT_TRUE(CmqFilterTagsMatch({}, Tags{"x"}));
}

TEST(CmqFilterTagsTest, FilterTagsTakeMessagesSharingATag) {  // rule 2
  EXPECT_TRUE(CmqFilterTagsMatch(Tags{"a", "b"}, Tags{"c", "b"}));
  EXPECT_FALSE(CmqFilterTagsMatch(Tags{"a", "b"}, Tags{"c"}));
  EXPECT_FALSE(CmqFilterTagsMatch(Tags{"a"}, Tags{"A"}));
}

TEST(CmqFilterTagsTest, FilterTagsNeverTakeAMessageWithoutTags) {  // rule 3
  EXPECT_FALSE(CmqFilterTagsMatch(Tags{"a"}, {}));
}

TEST(CmqSubscriptionMatchesTest, RoutingSubscriptionWithoutKeysTakesAll) {
  CmqSubscriptionInfo s;
  EXPECT_TRUE(CmqSubscriptionMatches(CmqFilterType::kRoutingKey, s, {}));
  s.binding_keys = {"a.*", "b.#"};
  EXPECT_TRUE(CmqSubscriptionMatches(CmqFilterType::kRoutingKey, s, Tags{"b"}));
  EXPECT_TRUE(
      CmqSubscriptionMatches(CmqFilterType::kRoutingKey, s, Tags{"a.x"}));
  EXPECT_FALSE(CmqSubscriptionMatches(CmqFilterType::kRoutingKey, s, {}));
}

class CmqTopicsTest : public BrokerFixture {
 protected:
  CmqTopics& topics() { return broker_->cmq_topics(); }

  void MakeQueue(const std::string& name) {
    ASSERT_OK(cmq().CreateQueue(inst_, name,
                                {.api = CmqApi::kV3,
                                 .msg_retention_seconds = 3600,
                                 .rewind_seconds = 600}));
  }

  void Subscribe(const std::string& topic, const std::string& name,
                 const std::string& queue, Tags filter_tags = {},
                 Tags binding_keys = {}) {
    ASSERT_OK(
        topics().CreateSubscription(inst_, topic, name,
                                    {.endpoint = queue,
                                     .filter_tags = std::move(filter_tags),
                                     .binding_keys = std::move(binding_keys)}));
  }

  // The bodies ACTIVE in `queue`, received (and deleted) in order.
  std::vector<std::string> Drain(const std::string& queue) {
    std::vector<std::string> bodies;
    while (true) {
      absl::StatusOr<std::vector<CmqReceivedMessage>> r =
          cmq().ReceiveMessages(inst_, queue, 16);
      if (!r.ok()) break;
      for (const CmqReceivedMessage& m : *r) {
        bodies.push_back(m.body);
        EXPECT_OK(cmq().DeleteMessage(inst_, queue, m.receipt_handle));
      }
    }
    return bodies;
  }
};

TEST_F(CmqTopicsTest, CreateAppliesTheDefaultsAndNumbersIds) {
  ASSERT_OK_AND_ASSIGN(CmqTopicInfo a, topics().CreateTopic(inst_, "events"));
  EXPECT_EQ(a.name, "events");
  EXPECT_EQ(a.topic_id, "topic-1");
  EXPECT_EQ(a.filter_type, CmqFilterType::kTags);
  EXPECT_EQ(a.max_msg_size, 65536);
  EXPECT_EQ(a.msg_retention_seconds, 86400);
  EXPECT_FALSE(a.trace);
  EXPECT_EQ(a.create_time, clock_.Now());
  EXPECT_EQ(a.last_modify_time, clock_.Now());
  ASSERT_OK_AND_ASSIGN(
      CmqTopicInfo b,
      topics().CreateTopic(inst_, "routes",
                           {.filter_type = CmqFilterType::kRoutingKey}));
  EXPECT_EQ(b.topic_id, "topic-2");
  EXPECT_EQ(b.filter_type, CmqFilterType::kRoutingKey);
}

TEST_F(CmqTopicsTest, NamesAreCheckedAndUniqueIgnoringCase) {
  EXPECT_THAT(topics().CreateTopic(inst_, "1abc"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(
      ReasonOf(topics().CreateTopic(inst_, std::string(65, 'a')).status()),
      Reason::kInvalidName);
  ASSERT_OK(topics().CreateTopic(inst_, "order_events"));
  absl::Status s = topics().CreateTopic(inst_, "ORDER_EVENTS").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(ReasonOf(s), Reason::kCmqTopicExists);
  ASSERT_OK_AND_ASSIGN(CmqTopicInfo t,
                       topics().GetTopic(inst_, "Order_Events"));
  EXPECT_EQ(t.name, "order_events");
}

TEST_F(CmqTopicsTest, AttributesOutsideTheirRangesAreRefused) {
  for (const CmqTopicCreate& bad :
       {CmqTopicCreate{.filter_type = static_cast<CmqFilterType>(3)},
        CmqTopicCreate{.max_msg_size = 1023},
        CmqTopicCreate{.max_msg_size = 1048577},
        CmqTopicCreate{.msg_retention_seconds = 59},
        CmqTopicCreate{.msg_retention_seconds = 86401}}) {
    absl::Status s = topics().CreateTopic(inst_, "t", bad).status();
    EXPECT_EQ(ReasonOf(s), Reason::kAttributeOutOfRange) << s;
  }
  EXPECT_THAT(topics().ListTopics(inst_), IsOkAndHolds(IsEmpty()));
}

TEST_F(CmqTopicsTest, TheTopicCountIsTheQueueQuota) {
  BrokerOptions o = DefaultOptions();
  o.max_cmq_queues = 2;
  broker_.reset();
  OpenBroker(o);
  ASSERT_OK(topics().CreateTopic(inst_, "a"));
  ASSERT_OK(topics().CreateTopic(inst_, "b"));
  absl::Status s = topics().CreateTopic(inst_, "c").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(ReasonOf(s), Reason::kCmqTopicLimit);
  // Queues count on their own.
  ASSERT_OK(cmq().CreateQueue(inst_, "q1"));
  ASSERT_OK(topics().DeleteTopic(inst_, "a"));
  ASSERT_OK(topics().CreateTopic(inst_, "c"));
}

TEST_F(CmqTopicsTest, ModifySetsTheGivenAttributesAndTheModifyTime) {
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  clock_.Advance(absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(CmqTopicInfo t,
                       topics().SetTopicAttributes(
                           inst_, "T", {.max_msg_size = 2048, .trace = true}));
  EXPECT_EQ(t.max_msg_size, 2048);
  EXPECT_EQ(t.msg_retention_seconds, 86400);
  EXPECT_TRUE(t.trace);
  EXPECT_EQ(t.last_modify_time, clock_.Now());
  EXPECT_LT(t.create_time, t.last_modify_time);
  EXPECT_EQ(ReasonOf(topics()
                         .SetTopicAttributes(inst_, "t",
                                             {.msg_retention_seconds = 10})
                         .status()),
            Reason::kAttributeOutOfRange);
  EXPECT_EQ(ReasonOf(topics().SetTopicAttributes(inst_, "nope", {}).status()),
            Reason::kCmqTopicNotFound);
}

TEST_F(CmqTopicsTest, TopicsSubscriptionsAndIdsSurviveAReopen) {
  MakeQueue("q1");
  ASSERT_OK(topics().CreateTopic(
      inst_, "events",
      {.max_msg_size = 4096, .trace = true, .tags = {{"team", "billing"}}}));
  ASSERT_OK(topics().CreateTopic(inst_, "gone"));
  Subscribe("events", "s1", "q1", {"red", "blue"});
  ASSERT_OK(topics().DeleteTopic(inst_, "gone"));
  Reopen();
  ASSERT_OK_AND_ASSIGN(std::vector<CmqTopicInfo> all,
                       topics().ListTopics(inst_));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "events");
  EXPECT_EQ(all[0].topic_id, "topic-1");
  EXPECT_EQ(all[0].max_msg_size, 4096);
  EXPECT_TRUE(all[0].trace);
  ASSERT_EQ(all[0].tags.size(), 1u);
  EXPECT_EQ(all[0].tags[0].key, "team");
  EXPECT_EQ(all[0].tags[0].value, "billing");
  EXPECT_EQ(all[0].subscription_count, 1);
  EXPECT_EQ(all[0].create_time, clock_.Now());
  ASSERT_OK_AND_ASSIGN(CmqSubscriptionInfo s,
                       topics().GetSubscription(inst_, "events", "S1"));
  EXPECT_EQ(s.subscription_id, "sub-1");
  EXPECT_EQ(s.endpoint, "q1");
  EXPECT_EQ(s.topic_name, "events");
  EXPECT_THAT(s.filter_tags, ElementsAre("red", "blue"));
  EXPECT_EQ(s.notify_strategy, "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(s.notify_content_format, "SIMPLIFIED");
  // Numbers are never reused, not even the deleted topic's.
  ASSERT_OK_AND_ASSIGN(CmqTopicInfo next, topics().CreateTopic(inst_, "gone"));
  EXPECT_EQ(next.topic_id, "topic-3");
  ASSERT_OK_AND_ASSIGN(
      CmqSubscriptionInfo s2,
      topics().CreateSubscription(inst_, "events", "s2", {.endpoint = "q1"}));
  EXPECT_EQ(s2.subscription_id, "sub-2");
}

TEST_F(CmqTopicsTest, SubscriptionCreateChecksInTheDocumentedOrder) {
  MakeQueue("q1");
  ASSERT_OK(topics().CreateTopic(inst_, "tags"));
  ASSERT_OK(topics().CreateTopic(inst_, "keys",
                                 {.filter_type = CmqFilterType::kRoutingKey}));
  auto reason = [&](absl::string_view topic, absl::string_view name,
                    const CmqSubscriptionCreate& c) {
    return ReasonOf(
        topics().CreateSubscription(inst_, topic, name, c).status());
  };
  EXPECT_EQ(reason("nope", "_bad", {.endpoint = "q1"}), Reason::kInvalidName);
  EXPECT_EQ(reason("nope", "s", {.endpoint = "q1"}), Reason::kCmqTopicNotFound);
  EXPECT_EQ(reason("tags", "s", {.endpoint = "nope", .binding_keys = {"a"}}),
            Reason::kAttributeOutOfRange);
  EXPECT_EQ(reason("keys", "s", {.endpoint = "q1", .filter_tags = {"a"}}),
            Reason::kAttributeOutOfRange);
  EXPECT_EQ(reason("tags", "s", {.endpoint = "nope"}), Reason::kQueueNotFound);
  Subscribe("tags", "s", "q1");
  EXPECT_EQ(reason("tags", "S", {.endpoint = "q1"}),
            Reason::kCmqSubscriptionExists);
  // Another topic may reuse the name.
  Subscribe("keys", "s", "Q1");
  EXPECT_THAT(topics().ListSubscriptionsOfQueue(inst_, "q1"),
              IsOkAndHolds(testing::SizeIs(2)));
}

TEST_F(CmqTopicsTest, PublishFansOutByTagInSubscriptionOrder) {
  MakeQueue("all");
  MakeQueue("red");
  MakeQueue("redblue");
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  Subscribe("t", "s-all", "all");
  Subscribe("t", "s-red", "red", {"red"});
  Subscribe("t", "s-redblue", "redblue", {"red", "blue"});

  ASSERT_OK_AND_ASSIGN(CmqPublishResult r1,
                       topics().Publish(inst_, "t", "m1", Tags{"blue"}));
  ASSERT_OK_AND_ASSIGN(CmqPublishResult r2, topics().Publish(inst_, "t", "m2"));
  ASSERT_OK_AND_ASSIGN(
      CmqPublishResult r3,
      topics().Publish(inst_, "t", "m3", Tags{"green", "red"}));

  ASSERT_EQ(r1.copies.size(), 2u);
  EXPECT_EQ(r1.copies[0].subscription, "s-all");
  EXPECT_EQ(r1.copies[1].queue, "redblue");
  EXPECT_EQ(r2.copies.size(), 1u);
  EXPECT_EQ(r3.copies.size(), 3u);
  EXPECT_THAT(Drain("all"), ElementsAre("m1", "m2", "m3"));
  EXPECT_THAT(Drain("red"), ElementsAre("m3"));
  EXPECT_THAT(Drain("redblue"), ElementsAre("m1", "m3"));
}

TEST_F(CmqTopicsTest, PublishIdIsNewAndDistinctFromTheCopies) {
  MakeQueue("q1");
  MakeQueue("q2");
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  Subscribe("t", "a", "q1");
  Subscribe("t", "b", "q2");
  ASSERT_OK_AND_ASSIGN(CmqPublishResult r, topics().Publish(inst_, "t", "x"));
  ASSERT_EQ(r.copies.size(), 2u);
  EXPECT_NE(r.msg_id, r.copies[0].msg_id);
  EXPECT_NE(r.msg_id, r.copies[1].msg_id);
  EXPECT_NE(r.copies[0].msg_id, r.copies[1].msg_id);
  ASSERT_OK_AND_ASSIGN(std::string later, cmq().SendMessage(inst_, "q1", "y"));
  EXPECT_NE(later, r.msg_id);
}

TEST_F(CmqTopicsTest, PublishRoutesByBindingKey) {
  MakeQueue("abc");
  MakeQueue("ahash");
  MakeQueue("every");
  ASSERT_OK(topics().CreateTopic(inst_, "r",
                                 {.filter_type = CmqFilterType::kRoutingKey}));
  Subscribe("r", "s1", "abc", {}, {"a.*.c"});
  Subscribe("r", "s2", "ahash", {}, {"a.#"});
  Subscribe("r", "s3", "every", {}, {"#"});
  for (const char* key : {"a.b.c", "a.c", "a", "x"}) {
    ASSERT_OK(topics().Publish(inst_, "r", key, Tags{key}));
  }
  ASSERT_OK(topics().Publish(inst_, "r", "none"));
  EXPECT_THAT(Drain("abc"), ElementsAre("a.b.c"));
  EXPECT_THAT(Drain("ahash"), ElementsAre("a.b.c", "a.c", "a"));
  EXPECT_THAT(Drain("every"), ElementsAre("a.b.c", "a.c", "a", "x", "none"));
  EXPECT_EQ(
      ReasonOf(topics().Publish(inst_, "r", "two", Tags{"a", "b"}).status()),
      Reason::kAttributeOutOfRange);
}

TEST_F(CmqTopicsTest, PublishSkipsMissingSmallAndFullQueues) {
  MakeQueue("ok");
  ASSERT_OK(cmq().CreateQueue(inst_, "small",
                              {.api = CmqApi::kV3, .max_msg_size = 1024}));
  ASSERT_OK(cmq().CreateQueue(inst_, "full",
                              {.api = CmqApi::kV3, .max_msg_heap_num = 1}));
  MakeQueue("doomed");
  ASSERT_OK(cmq().SendMessage(inst_, "full", "filler"));
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  Subscribe("t", "a", "doomed");
  Subscribe("t", "b", "small");
  Subscribe("t", "c", "full");
  Subscribe("t", "d", "ok");
  ASSERT_OK(cmq().DeleteQueue(inst_, "doomed"));

  ASSERT_OK_AND_ASSIGN(CmqPublishResult r,
                       topics().Publish(inst_, "t", std::string(2000, 'x')));
  EXPECT_EQ(r.skipped, 3);
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_EQ(r.copies[0].queue, "ok");
  // The subscription to the deleted queue stays.
  EXPECT_THAT(topics().ListSubscriptions(inst_, "t"),
              IsOkAndHolds(testing::SizeIs(4)));
}

TEST_F(CmqTopicsTest, PublishChecksTheBodyAgainstTheTopic) {
  ASSERT_OK(topics().CreateTopic(inst_, "t", {.max_msg_size = 1024}));
  EXPECT_EQ(ReasonOf(topics().Publish(inst_, "t", "").status()),
            Reason::kMessageEmpty);
  EXPECT_EQ(
      ReasonOf(topics().Publish(inst_, "t", std::string(1025, 'x')).status()),
      Reason::kMessageTooLarge);
  EXPECT_EQ(ReasonOf(topics().Publish(inst_, "nope", "x").status()),
            Reason::kCmqTopicNotFound);
  EXPECT_OK(topics().Publish(inst_, "t", std::string(1024, 'x')));
}

TEST_F(CmqTopicsTest, ModifiedAndClearedFiltersChangeDelivery) {
  MakeQueue("q");
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  Subscribe("t", "s", "q", {"a"});
  ASSERT_OK(topics().Publish(inst_, "t", "1", Tags{"b"}));
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(
      CmqSubscriptionInfo s,
      topics().SetSubscriptionAttributes(
          inst_, "t", "s",
          {.notify_strategy = "BACKOFF_RETRY", .filter_tags = Tags{"b"}}));
  EXPECT_EQ(s.notify_strategy, "BACKOFF_RETRY");
  EXPECT_EQ(s.last_modify_time, clock_.Now());
  EXPECT_LT(s.create_time, s.last_modify_time);
  ASSERT_OK(topics().Publish(inst_, "t", "2", Tags{"b"}));
  ASSERT_OK(topics().Publish(inst_, "t", "3"));
  ASSERT_OK(topics().SetSubscriptionAttributes(inst_, "t", "s",
                                               {.filter_tags = Tags{}}));
  ASSERT_OK(topics().Publish(inst_, "t", "4"));
  EXPECT_THAT(Drain("q"), ElementsAre("2", "4"));
  EXPECT_EQ(ReasonOf(topics()
                         .SetSubscriptionAttributes(inst_, "t", "s",
                                                    {.binding_keys = Tags{"a"}})
                         .status()),
            Reason::kAttributeOutOfRange);
  EXPECT_EQ(
      ReasonOf(
          topics().SetSubscriptionAttributes(inst_, "t", "x", {}).status()),
      Reason::kCmqSubscriptionNotFound);
}

TEST_F(CmqTopicsTest, DeletingATopicDropsItsSubscriptionsAndKeepsCopies) {
  MakeQueue("q");
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  Subscribe("t", "s", "q");
  ASSERT_OK(topics().Publish(inst_, "t", "kept"));
  ASSERT_OK(topics().DeleteTopic(inst_, "T"));
  EXPECT_EQ(ReasonOf(topics().GetTopic(inst_, "t").status()),
            Reason::kCmqTopicNotFound);
  EXPECT_THAT(topics().ListSubscriptionsOfQueue(inst_, "q"),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Drain("q"), ElementsAre("kept"));
  EXPECT_EQ(ReasonOf(topics().DeleteTopic(inst_, "t")),
            Reason::kCmqTopicNotFound);
  Reopen();
  EXPECT_THAT(topics().ListTopics(inst_), IsOkAndHolds(IsEmpty()));
}

TEST_F(CmqTopicsTest, DeleteSubscriptionStopsItsDeliveries) {
  MakeQueue("q");
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  Subscribe("t", "s", "q");
  ASSERT_OK(topics().DeleteSubscription(inst_, "t", "S"));
  EXPECT_EQ(ReasonOf(topics().DeleteSubscription(inst_, "t", "s")),
            Reason::kCmqSubscriptionNotFound);
  ASSERT_OK_AND_ASSIGN(CmqPublishResult r, topics().Publish(inst_, "t", "x"));
  EXPECT_THAT(r.copies, IsEmpty());
  EXPECT_THAT(Drain("q"), IsEmpty());
  ASSERT_OK_AND_ASSIGN(CmqTopicInfo t, topics().GetTopic(inst_, "t"));
  EXPECT_EQ(t.subscription_count, 0);
}

TEST_F(CmqTopicsTest, CopiesAreOrdinaryMessagesUnderTheRewindRule) {
  MakeQueue("q1");
  MakeQueue("q2");
  ASSERT_OK(topics().CreateTopic(inst_, "t"));
  Subscribe("t", "a", "q1");
  Subscribe("t", "b", "q2");
  ASSERT_OK(topics().Publish(inst_, "t", "m"));
  EXPECT_THAT(Drain("q1"), ElementsAre("m"));
  EXPECT_THAT(Drain("q2"), ElementsAre("m"));
  clock_.Advance(absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(
      int64_t revived,
      cmq().RewindQueue(inst_, "q1", clock_.Now() - absl::Seconds(10)));
  EXPECT_EQ(revived, 1);
  EXPECT_THAT(Drain("q1"), ElementsAre("m"));
  EXPECT_THAT(Drain("q2"), IsEmpty());
}

TEST_F(CmqTopicsTest, UnknownInstanceIsNotFound) {
  EXPECT_EQ(ReasonOf(topics().CreateTopic("nope", "t").status()),
            Reason::kInstanceNotFound);
  EXPECT_THAT(topics().Publish("nope", "t", "x"), Not(rmqtest::IsOk()));
}

}  // namespace
}  // namespace rewindmq::broker
