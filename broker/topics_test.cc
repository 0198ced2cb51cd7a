#include "broker/topics.h"

#include <set>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/broker_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::broker {
namespace {

using ::rmqtest::IsOk;
using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::SizeIs;

class TopicsTest : public BrokerFixture {
 protected:
  void SetUp() override {
    BrokerOptions o = DefaultOptions();
    o.instances = {{"inst-a", "a", 2}, {"inst-b", "b", 1}};
    OpenBroker(o);
  }

  ProduceResult MustProduce(const std::string& topic, const std::string& body,
                            QueueSelector sel = {},
                            std::vector<std::string> keys = {}) {
    ProduceRequest req;
    req.topic = topic;
    req.body = body;
    req.selector = std::move(sel);
    req.keys = std::move(keys);
    absl::StatusOr<ProduceResult> r = topics().Produce("inst-a", req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ProduceResult{};
  }
};

TEST_F(TopicsTest, CreateSpreadsQueuesOverEveryBrokerByDefault) {
  ASSERT_OK_AND_ASSIGN(
      TopicInfo t,
      topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 3}));
  ASSERT_THAT(t.brokers, SizeIs(2));
  EXPECT_EQ(t.brokers[0].broker_name, "broker-0");
  EXPECT_EQ(t.brokers[1].broker_name, "broker-1");
  EXPECT_EQ(t.total_read_queue_num(), 6);
  EXPECT_EQ(t.total_write_queue_num(), 6);
  EXPECT_EQ(t.created_at, clock_.Now());
}

TEST_F(TopicsTest, DefaultQueueNumComesFromOptions) {
  ASSERT_OK_AND_ASSIGN(TopicInfo t,
                       topics().CreateTopic("inst-b", {.name = "orders"}));
  EXPECT_EQ(t.total_write_queue_num(), 8);
}

TEST_F(TopicsTest, ExplicitLayoutReplacesBrokersAndQueueNum) {
  ASSERT_OK_AND_ASSIGN(
      TopicInfo t,
      topics().CreateTopic("inst-a", {.name = "orders",
                                      .brokers = {"broker-0"},
                                      .queue_num = 5,
                                      .queues = {{"broker-1", 2}}}));
  ASSERT_THAT(t.brokers, SizeIs(1));
  EXPECT_EQ(t.brokers[0].broker_name, "broker-1");
  EXPECT_EQ(t.brokers[0].queue_count, 2);
}

TEST_F(TopicsTest, CreateRejectsBadNamesBrokersAndCounts) {
  EXPECT_EQ(ReasonOf(topics().CreateTopic("inst-a", {.name = "ab"}).status()),
            Reason::kInvalidName);
  EXPECT_EQ(
      ReasonOf(topics().CreateTopic("inst-a", {.name = "a/b/c"}).status()),
      Reason::kInvalidName);
  EXPECT_EQ(
      ReasonOf(topics().CreateTopic("inst-a", {.name = "TBW102"}).status()),
      Reason::kReservedName);
  EXPECT_EQ(
      ReasonOf(topics().CreateTopic("inst-a", {.name = "rmq_sys_x"}).status()),
      Reason::kReservedName);
  EXPECT_EQ(ReasonOf(topics()
                         .CreateTopic("inst-a", {.name = "orders",
                                                 .brokers = {"broker-9"}})
                         .status()),
            Reason::kBrokerNotFound);
  EXPECT_EQ(
      ReasonOf(topics()
                   .CreateTopic("inst-a", {.name = "orders", .queue_num = 51})
                   .status()),
      Reason::kInvalidQueueNum);
  EXPECT_EQ(ReasonOf(topics().CreateTopic("nope", {.name = "orders"}).status()),
            Reason::kInstanceNotFound);
}

TEST_F(TopicsTest, DuplicateNameIsTopicExistsButOtherInstancesAreSeparate) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders"}));
  EXPECT_THAT(topics().CreateTopic("inst-a", {.name = "orders"}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(
      ReasonOf(topics().CreateTopic("inst-a", {.name = "orders"}).status()),
      Reason::kTopicExists);
  EXPECT_OK(topics().CreateTopic("inst-b", {.name = "orders"}));
}

TEST_F(TopicsTest, TopicQuotaIsEnforced) {
  BrokerOptions o = DefaultOptions();
  o.max_topics = 2;
  broker_.reset();
  OpenBroker(o);
  ASSERT_OK(topics().CreateTopic(inst_, {.name = "t-1", .queue_num = 1}));
  ASSERT_OK(topics().CreateTopic(inst_, {.name = "t-2", .queue_num = 1}));
  absl::Status s =
      topics().CreateTopic(inst_, {.name = "t-3", .queue_num = 1}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(s), Reason::kTopicLimit);
}

TEST_F(TopicsTest, ListIsInCreationOrder) {
  for (const char* name : {"zeta", "alpha", "mid"}) {
    ASSERT_OK(topics().CreateTopic("inst-a", {.name = name, .queue_num = 1}));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<TopicInfo> list,
                       topics().ListTopics("inst-a"));
  EXPECT_THAT(list, ElementsAre(Field(&TopicInfo::name, "zeta"),
                                Field(&TopicInfo::name, "alpha"),
                                Field(&TopicInfo::name, "mid")));
}

TEST_F(TopicsTest, RoundRobinCoversEveryWritableQueueInOrder) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 2}));
  std::vector<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    ProduceResult r = MustProduce("orders", "m");
    seen.push_back(absl::StrCat(r.queue.broker_name, "/", r.queue.queue_id));
  }
  EXPECT_THAT(seen, ElementsAre("broker-0/0", "broker-0/1", "broker-1/0",
                                "broker-1/1", "broker-0/0"));
}

TEST_F(TopicsTest, KeyHashIsStableAndExplicitQueueIsHonoured) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 4}));
  ProduceResult a = MustProduce("orders", "x", QueueSelector::ByKey("user-1"));
  ProduceResult b = MustProduce("orders", "y", QueueSelector::ByKey("user-1"));
  EXPECT_EQ(a.queue, b.queue);
  EXPECT_EQ(b.offset.value, a.offset.value + 1);
  ProduceResult c =
      MustProduce("orders", "z", QueueSelector::Exactly({"broker-1", 3}));
  EXPECT_EQ(c.queue, (QueueRef{"broker-1", 3}));
  ProduceRequest req{.topic = "orders", .body = "z"};
  req.selector = QueueSelector::Exactly({"broker-1", 4});
  EXPECT_EQ(ReasonOf(topics().Produce("inst-a", req).status()),
            Reason::kTopicQueueNotFound);
}

TEST_F(TopicsTest, ProduceReturnsIdOffsetAndStoreTime) {
  ASSERT_OK(topics().CreateTopic(
      "inst-a",
      {.name = "orders", .queue_num = 1, .queues = {{"broker-0", 1}}}));
  clock_.Advance(absl::Seconds(5));
  ProduceResult r1 = MustProduce("orders", "one");
  ProduceResult r2 = MustProduce("orders", "two");
  EXPECT_EQ(r1.offset, Offset{0});
  EXPECT_EQ(r2.offset, Offset{1});
  EXPECT_EQ(r1.store_time, clock_.Now());
  EXPECT_THAT(r1.msg_id, SizeIs(32));
  EXPECT_NE(r1.msg_id, r2.msg_id);
  ASSERT_OK_AND_ASSIGN(Message m,
                       topics().GetMessage("inst-a", "orders", r2.msg_id));
  EXPECT_EQ(m.body, "two");
  EXPECT_EQ(m.offset, Offset{1});
  EXPECT_EQ(m.queue, r2.queue);
}

TEST_F(TopicsTest, ProduceValidatesBodyAndPermissions) {
  ASSERT_OK(topics().CreateTopic(
      "inst-a",
      {.name = "orders", .queue_num = 1, .permission = TopicPermission::kSub}));
  EXPECT_EQ(ReasonOf(topics().Produce("inst-a", {.topic = "orders"}).status()),
            Reason::kMessageEmpty);
  EXPECT_EQ(
      ReasonOf(topics()
                   .Produce("inst-a", {.topic = "orders",
                                       .body = std::string((4 << 20) + 1, 'x')})
                   .status()),
      Reason::kMessageTooLarge);
  absl::Status s =
      topics().Produce("inst-a", {.topic = "orders", .body = "x"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), Reason::kTopicNotWritable);
  EXPECT_EQ(
      ReasonOf(
          topics().Produce("inst-a", {.topic = "ghost", .body = "x"}).status()),
      Reason::kTopicNotFound);
}

TEST_F(TopicsTest, UnknownOrMalformedMessageIdIsMessageNotFound) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 1}));
  ProduceResult r = MustProduce("orders", "x");
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "other", .queue_num = 1}));
  for (const std::string& id :
       {std::string("nope"), std::string(32, 'Z'),
        r.msg_id.substr(0, 16) + std::string(15, '0') + "9"}) {
    EXPECT_EQ(ReasonOf(topics().GetMessage("inst-a", "orders", id).status()),
              Reason::kMessageNotFound)
        << id;
  }
  EXPECT_EQ(ReasonOf(topics().GetMessage("inst-a", "other", r.msg_id).status()),
            Reason::kMessageNotFound);
}

TEST_F(TopicsTest, QueryByTimeRangeIsInclusiveAndOrderedAcrossQueues) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 2}));
  const absl::Time t0 = clock_.Now();
  for (int i = 0; i < 6; ++i) {
    MustProduce("orders", absl::StrCat("m", i));
    clock_.Advance(absl::Seconds(1));
  }
  MessageQuery q{.topic = "orders",
                 .start_time = t0 + absl::Seconds(1),
                 .end_time = t0 + absl::Seconds(4),
                 .limit = 10};
  ASSERT_OK_AND_ASSIGN(MessageQueryResult r,
                       topics().QueryMessages("inst-a", q));
  EXPECT_EQ(r.total, 4);
  std::vector<std::string> bodies;
  for (const Message& m : r.messages) bodies.push_back(m.body);
  EXPECT_THAT(bodies, ElementsAre("m1", "m2", "m3", "m4"));

  q.skip = 1;
  q.limit = 2;
  ASSERT_OK_AND_ASSIGN(r, topics().QueryMessages("inst-a", q));
  EXPECT_EQ(r.total, 4);
  ASSERT_THAT(r.messages, SizeIs(2));
  EXPECT_EQ(r.messages[0].body, "m2");

  q.queue_id = 0;
  q.skip = 0;
  ASSERT_OK_AND_ASSIGN(r, topics().QueryMessages("inst-a", q));
  EXPECT_EQ(r.total, 2);  // m2 on broker-1/0 and m4 on broker-0/0

  q.start_time = q.end_time + absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(r, topics().QueryMessages("inst-a", q));
  EXPECT_EQ(r.total, 0);
}

TEST_F(TopicsTest, QueryByKeyMatchesWholeKeys) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 1}));
  MustProduce("orders", "a", {}, {"order-1", "user-7"});
  MustProduce("orders", "b", {}, {"order-10"});
  MustProduce("orders", "c", {}, {"order-1"});
  ASSERT_OK_AND_ASSIGN(
      MessageQueryResult r,
      topics().QueryMessages("inst-a", {.topic = "orders", .key = "order-1"}));
  EXPECT_EQ(r.total, 2);
  std::set<std::string> bodies;
  for (const Message& m : r.messages) bodies.insert(m.body);
  EXPECT_EQ(bodies, (std::set<std::string>{"a", "c"}));
}

TEST_F(TopicsTest, StatusReportsOffsetsAndLastStoreTimePerQueue) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 2}));
  MustProduce("orders", "a", QueueSelector::Exactly({"broker-0", 1}));
  clock_.Advance(absl::Seconds(3));
  MustProduce("orders", "b", QueueSelector::Exactly({"broker-0", 1}));
  ASSERT_OK_AND_ASSIGN(TopicStatus st,
                       topics().GetTopicStatus("inst-a", "orders"));
  ASSERT_THAT(st.queues, SizeIs(4));
  EXPECT_EQ(st.queues[1].queue, (QueueRef{"broker-0", 1}));
  EXPECT_EQ(st.queues[1].max_offset, Offset{2});
  EXPECT_EQ(st.queues[1].min_offset, Offset{0});
  EXPECT_EQ(st.queues[1].last_store_time, clock_.Now());
  EXPECT_EQ(st.queues[0].max_offset, Offset{0});
  EXPECT_FALSE(st.queues[0].last_store_time.has_value());
}

TEST_F(TopicsTest, UpdateRaisesCountsCreatingQueuesAndKeepsData) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 1}));
  MustProduce("orders", "a");
  ASSERT_OK_AND_ASSIGN(
      TopicInfo t, topics().UpdateTopic("inst-a", "orders",
                                        {.write_queue_num = 3,
                                         .permission = TopicPermission::kPub,
                                         .description = "d"}));
  EXPECT_EQ(t.brokers[0].queue_count, 3);
  EXPECT_EQ(t.brokers[0].read_queue_num, 1);
  EXPECT_EQ(t.permission, TopicPermission::kPub);
  ASSERT_OK_AND_ASSIGN(
      t, topics().UpdateTopic("inst-a", "orders", {.write_queue_num = 1}));
  EXPECT_EQ(t.brokers[0].queue_count, 3);  // lowering never removes queues
  ASSERT_OK_AND_ASSIGN(TopicStatus st,
                       topics().GetTopicStatus("inst-a", "orders"));
  EXPECT_THAT(st.queues, SizeIs(6));
  Reopen();
  ASSERT_OK_AND_ASSIGN(t, topics().GetTopic("inst-a", "orders"));
  EXPECT_EQ(t.brokers[0].queue_count, 3);
  EXPECT_EQ(t.description, "d");
  EXPECT_EQ(ReasonOf(topics()
                         .UpdateTopic("inst-a", "orders", {.read_queue_num = 0})
                         .status()),
            Reason::kInvalidQueueNum);
}

TEST_F(TopicsTest, DeleteRemovesDataAndAllowsANewTopicOfTheSameName) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 1}));
  ProduceResult r = MustProduce("orders", "a");
  ASSERT_OK(topics().DeleteTopic("inst-a", "orders"));
  EXPECT_EQ(ReasonOf(topics().GetTopic("inst-a", "orders").status()),
            Reason::kTopicNotFound);
  EXPECT_EQ(ReasonOf(topics().DeleteTopic("inst-a", "orders")),
            Reason::kTopicNotFound);
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders", .queue_num = 1}));
  ASSERT_OK_AND_ASSIGN(TopicStatus st,
                       topics().GetTopicStatus("inst-a", "orders"));
  EXPECT_EQ(st.queues[0].max_offset, Offset{0});
  EXPECT_EQ(
      ReasonOf(topics().GetMessage("inst-a", "orders", r.msg_id).status()),
      Reason::kMessageNotFound);
}

TEST_F(TopicsTest, TopicsSurviveARestart) {
  ASSERT_OK(topics().CreateTopic("inst-a", {.name = "orders",
                                            .queue_num = 2,
                                            .message_type = "FIFO",
                                            .retention = absl::Hours(1)}));
  ProduceResult r = MustProduce("orders", "persisted");
  Reopen();
  ASSERT_OK_AND_ASSIGN(TopicInfo t, topics().GetTopic("inst-a", "orders"));
  EXPECT_EQ(t.message_type, "FIFO");
  EXPECT_EQ(t.retention, absl::Hours(1));
  EXPECT_EQ(t.total_write_queue_num(), 4);
  ASSERT_OK_AND_ASSIGN(Message m,
                       topics().GetMessage("inst-a", "orders", r.msg_id));
  EXPECT_EQ(m.body, "persisted");
}

TEST_F(TopicsTest, RetentionDropsOldSegmentsOfTopics) {
  BrokerOptions o = DefaultOptions();
  o.store.segment_bytes = 4096;  // many small segments
  o.topic_retention = absl::Hours(1);
  broker_.reset();
  OpenBroker(o);
  ASSERT_OK(topics().CreateTopic(inst_, {.name = "orders", .queue_num = 1}));
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(topics().Produce(
        inst_, {.topic = "orders", .body = std::string(200, 'x')}));
  }
  clock_.Advance(absl::Hours(2));
  ASSERT_OK(topics().Produce(inst_, {.topic = "orders", .body = "new"}));
  ASSERT_OK_AND_ASSIGN(RetentionReport rep, broker_->RunRetention());
  EXPECT_GT(rep.segments_removed, 0);
  ASSERT_OK_AND_ASSIGN(TopicStatus st,
                       topics().GetTopicStatus(inst_, "orders"));
  EXPECT_GT(st.queues[0].min_offset.value, 0);
  EXPECT_EQ(st.queues[0].max_offset, Offset{51});
}

}  // namespace
}  // namespace rewindmq::broker

namespace rewindmq::broker {
namespace {

class TopicsRocketMqTest : public BrokerFixture {
 protected:
  void SetUp() override {
    BrokerFixture::SetUp();
    ASSERT_OK(topics()
                  .CreateTopic(inst_, {.name = "orders", .queue_num = 2})
                  .status());
  }
  int64_t MaxOffset(int queue) {
    absl::StatusOr<TopicStatus> st = topics().GetTopicStatus(inst_, "orders");
    EXPECT_TRUE(st.ok());
    return st->queues[queue].max_offset.value;
  }
};

TEST_F(TopicsRocketMqTest, BatchIsStoredConsecutivelyOnTheNamedQueue) {
  std::vector<ProduceRequest> batch(3);
  for (int i = 0; i < 3; ++i) batch[i].body = absl::StrCat("m", i);
  batch[2].flag = 9;
  ASSERT_OK_AND_ASSIGN(
      std::vector<ProduceResult> r,
      topics().ProduceBatch(inst_, "orders", {"broker-0", 1}, batch));
  ASSERT_THAT(r, SizeIs(3));
  EXPECT_EQ(r[0].offset, Offset{0});
  EXPECT_EQ(r[2].offset, Offset{2});
  EXPECT_EQ(MaxOffset(1), 3);
  ASSERT_OK_AND_ASSIGN(Message m,
                       topics().GetMessage(inst_, "orders", r[2].msg_id));
  EXPECT_EQ(m.flag, 9);
  EXPECT_EQ(m.body, "m2");
}

TEST_F(TopicsRocketMqTest, BatchWithOneBadMessageStoresNothing) {
  std::vector<ProduceRequest> batch(2);
  batch[0].body = "ok";
  EXPECT_THAT(topics().ProduceBatch(inst_, "orders", {"broker-0", 0}, batch),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(MaxOffset(0), 0);
}

TEST_F(TopicsRocketMqTest, DelayedMessageIsAppendedWhenDueEvenAfterARestart) {
  ProduceRequest req;
  req.topic = "orders";
  req.body = "later";
  req.selector = QueueSelector::Exactly({"broker-0", 0});
  req.deliver_time = clock_.Now() + absl::Seconds(30);
  ASSERT_OK_AND_ASSIGN(ProduceResult r, topics().Produce(inst_, req));
  EXPECT_TRUE(r.scheduled);
  EXPECT_EQ(MaxOffset(0), 0);
  Reopen();
  clock_.Advance(absl::Seconds(29));
  broker_->RunDueTimers();
  EXPECT_EQ(MaxOffset(0), 0);
  clock_.Advance(absl::Seconds(1));
  broker_->RunDueTimers();
  EXPECT_EQ(MaxOffset(0), 1);
  ASSERT_OK_AND_ASSIGN(
      Topics::TimePosition pos,
      topics().LookupTime(inst_, "orders", {"broker-0", 0}, absl::UnixEpoch()));
  EXPECT_EQ(pos.store_time, clock_.Now());  // stamped when appended
  Reopen();
  broker_->RunDueTimers();
  EXPECT_EQ(MaxOffset(0), 1) << "delivered once";
}

TEST_F(TopicsRocketMqTest, WatchFiresOnAppendOnDeadlineAndNotAfterCancel) {
  int fired = 0;
  ASSERT_OK(topics()
                .WatchQueue(inst_, "orders", {"broker-0", 0}, Offset{0},
                            clock_.Now() + absl::Seconds(5), [&] { ++fired; })
                .status());
  EXPECT_EQ(fired, 0);
  ASSERT_OK(
      topics()
          .Produce(inst_, {.topic = "orders",
                           .body = "x",
                           .selector = QueueSelector::Exactly({"broker-0", 0})})
          .status());
  EXPECT_EQ(fired, 1);

  ASSERT_OK(topics()
                .WatchQueue(inst_, "orders", {"broker-0", 1}, Offset{0},
                            clock_.Now() + absl::Seconds(5), [&] { ++fired; })
                .status());
  clock_.Advance(absl::Seconds(5));
  broker_->RunDueTimers();
  EXPECT_EQ(fired, 2);

  ASSERT_OK_AND_ASSIGN(
      Topics::WatchId id,
      topics().WatchQueue(inst_, "orders", {"broker-0", 1}, Offset{0},
                          clock_.Now() + absl::Seconds(5), [&] { ++fired; }));
  EXPECT_TRUE(topics().CancelWatch(id));
  clock_.Advance(absl::Seconds(5));
  broker_->RunDueTimers();
  EXPECT_EQ(fired, 2);
  // Already past the offset: fires at once.
  ASSERT_OK(topics()
                .WatchQueue(inst_, "orders", {"broker-0", 0}, Offset{0},
                            clock_.Now() + absl::Seconds(5), [&] { ++fired; })
                .status());
  EXPECT_EQ(fired, 3);
}

TEST_F(TopicsRocketMqTest, PendingResetFencesStaleCommitsUntilAdopted) {
  ASSERT_OK(groups().CreateGroup(inst_, {.name = "billing"}).status());
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(topics()
                  .Produce(inst_, {.topic = "orders",
                                   .body = "x",
                                   .selector =
                                       QueueSelector::Exactly({"broker-0", 0})})
                  .status());
  }
  ASSERT_OK(groups()
                .ResetGroup(inst_, "billing", "orders", ResetTarget::Earliest())
                .status());
  CommitRequest stale{.group = "billing",
                      .topic = "orders",
                      .queue = {"broker-0", 0},
                      .next_offset = Offset{3},
                      .yield_to_pending_reset = true};
  ASSERT_OK(groups().Commit(inst_, stale));
  EXPECT_THAT(
      groups().GetCommitted(inst_, "billing", "orders", {"broker-0", 0}),
      rmqtest::IsOkAndHolds(std::optional<Offset>(Offset{0})));
  EXPECT_THAT(groups().CheckPendingReset(inst_, "billing", "orders",
                                         {"broker-0", 0}, Offset{3}),
              rmqtest::IsOkAndHolds(std::optional<Offset>(Offset{0})));
  // Adopted by a pull at the reset offset; commits count again.
  EXPECT_THAT(groups().CheckPendingReset(inst_, "billing", "orders",
                                         {"broker-0", 0}, Offset{0}),
              rmqtest::IsOkAndHolds(std::optional<Offset>()));
  ASSERT_OK(groups().Commit(inst_, stale));
  EXPECT_THAT(
      groups().GetCommitted(inst_, "billing", "orders", {"broker-0", 0}),
      rmqtest::IsOkAndHolds(std::optional<Offset>(Offset{3})));
}

TEST_F(TopicsRocketMqTest, PendingResetExpires) {
  ASSERT_OK(groups().CreateGroup(inst_, {.name = "billing"}).status());
  ASSERT_OK(groups()
                .ResetGroup(inst_, "billing", "orders", ResetTarget::Latest())
                .status());
  clock_.Advance(ConsumerGroups::kPendingResetLifetime);
  EXPECT_THAT(groups().CheckPendingReset(inst_, "billing", "orders",
                                         {"broker-0", 0}, Offset{7}),
              rmqtest::IsOkAndHolds(std::optional<Offset>()));
}

TEST_F(TopicsRocketMqTest, RegistryTracksConsumersAndLocksPerConnection) {
  ClientRegistry& r = broker_->clients();
  const auto c1 = r.NewConnection(), c2 = r.NewConnection();
  EXPECT_TRUE(r.Heartbeat(inst_, "billing", c1, {.client_id = "a"}));
  EXPECT_FALSE(r.Heartbeat(inst_, "billing", c1, {.client_id = "a"}));
  EXPECT_TRUE(r.Heartbeat(inst_, "billing", c2, {.client_id = "b"}));
  EXPECT_THAT(r.Consumers(inst_, "billing"), SizeIs(2));
  const std::vector<TopicQueueRef> q = {{"orders", {"broker-0", 0}}};
  EXPECT_THAT(r.Lock(inst_, "billing", "a", c1, q), SizeIs(1));
  EXPECT_THAT(r.Lock(inst_, "billing", "b", c2, q), SizeIs(0));
  EXPECT_THAT(r.DropConnection(c1),
              ElementsAre(std::make_pair(inst_, std::string("billing"))));
  EXPECT_THAT(r.Consumers(inst_, "billing"), SizeIs(1));
  EXPECT_THAT(r.Lock(inst_, "billing", "b", c2, q), SizeIs(1))
      << "released with its connection";
  clock_.Advance(absl::Seconds(121));
  EXPECT_THAT(r.Expire(absl::Seconds(120)), SizeIs(1));
  EXPECT_THAT(r.Consumers(inst_, "billing"), SizeIs(0));
}

}  // namespace
}  // namespace rewindmq::broker
