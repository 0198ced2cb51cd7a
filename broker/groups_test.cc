#include "broker/groups.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/broker_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::broker {
namespace {

using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

class GroupsTest : public BrokerFixture {
 protected:
  void SetUp() override {
    BrokerFixture::SetUp();
    ASSERT_OK(topics().CreateTopic(inst_, {.name = "orders", .queue_num = 2}));
    ASSERT_OK(groups().CreateGroup(inst_, {.name = "billing"}));
  }

  // Produces `n` messages to `q`, one per second of fake time.
  std::vector<ProduceResult> Fill(const QueueRef& q, int n,
                                  const std::string& topic = "orders") {
    std::vector<ProduceResult> out;
    for (int i = 0; i < n; ++i) {
      ProduceRequest req{.topic = topic,
                         .body = absl::StrCat(q.queue_id, "-", i)};
      req.selector = QueueSelector::Exactly(q);
      absl::StatusOr<ProduceResult> r = topics().Produce(inst_, req);
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) out.push_back(*r);
      clock_.Advance(absl::Seconds(1));
    }
    return out;
  }

  FetchResult MustFetch(const QueueRef& q, std::optional<Offset> from = {},
                        std::optional<uint64_t> epoch = {}, int max = 100) {
    absl::StatusOr<FetchResult> r = groups().Fetch(inst_, {.group = "billing",
                                                           .topic = "orders",
                                                           .queue = q,
                                                           .from = from,
                                                           .epoch = epoch,
                                                           .max_records = max});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : FetchResult{};
  }

  const QueueRef q0_{"broker-0", 0};
  const QueueRef q1_{"broker-0", 1};
};

TEST_F(GroupsTest, CreateListShowUpdateDelete) {
  ASSERT_OK(groups().CreateGroup(inst_, {.name = "audit",
                                         .broadcast = true,
                                         .retry_max_time = 3,
                                         .description = "x"}));
  EXPECT_EQ(ReasonOf(groups().CreateGroup(inst_, {.name = "audit"}).status()),
            Reason::kGroupExists);
  EXPECT_EQ(ReasonOf(groups().CreateGroup(inst_, {.name = "a"}).status()),
            Reason::kInvalidName);
  EXPECT_THAT(
      groups().CreateGroup(inst_, {.name = "bad", .retry_max_time = 17}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::vector<GroupInfo> list, groups().ListGroups(inst_));
  EXPECT_THAT(list, ElementsAre(Field(&GroupInfo::name, "billing"),
                                Field(&GroupInfo::name, "audit")));
  ASSERT_OK_AND_ASSIGN(
      GroupInfo g,
      groups().UpdateGroup(inst_, "audit",
                           {.enabled = false, .retry_max_time = 5}));
  EXPECT_FALSE(g.enabled);
  EXPECT_TRUE(g.broadcast);
  EXPECT_EQ(g.retry_max_time, 5);
  Reopen();
  ASSERT_OK_AND_ASSIGN(g, groups().GetGroup(inst_, "audit"));
  EXPECT_EQ(g.retry_max_time, 5);
  EXPECT_EQ(g.description, "x");
  ASSERT_OK(groups().DeleteGroup(inst_, "audit"));
  EXPECT_THAT(groups().GetGroup(inst_, "audit"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ReasonOf(groups().DeleteGroup(inst_, "audit")),
            Reason::kGroupNotFound);
}

TEST_F(GroupsTest, NewGroupStartsAtTheEarliestRetainedOffset) {
  Fill(q0_, 3);
  FetchResult r = MustFetch(q0_);
  EXPECT_EQ(r.from, Offset{0});
  ASSERT_THAT(r.messages, SizeIs(3));
  EXPECT_EQ(r.messages[0].body, "0-0");
  EXPECT_EQ(r.next_offset, Offset{3});
  EXPECT_EQ(r.epoch, 0u);
  EXPECT_FALSE(r.position_reset);
}

TEST_F(GroupsTest, FetchResumesFromTheCommittedOffset) {
  Fill(q0_, 5);
  ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{3},
                                    .epoch = 0}));
  FetchResult r = MustFetch(q0_);
  EXPECT_EQ(r.from, Offset{3});
  ASSERT_THAT(r.messages, SizeIs(2));
  EXPECT_EQ(r.messages[0].offset, Offset{3});
  // An explicit position with the current epoch is used as is.
  r = MustFetch(q0_, Offset{4}, 0);
  EXPECT_EQ(r.from, Offset{4});
}

TEST_F(GroupsTest, CommitPastMaxOffsetIsOutOfRange) {
  Fill(q0_, 2);
  absl::Status s = groups().Commit(inst_, {.group = "billing",
                                           .topic = "orders",
                                           .queue = q0_,
                                           .next_offset = Offset{3}});
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ReasonOf(s), Reason::kOffsetOutOfRange);
}

TEST_F(GroupsTest, UnknownGroupTopicAndQueueHaveTheirReasons) {
  EXPECT_EQ(
      ReasonOf(
          groups()
              .Fetch(inst_, {.group = "ghost", .topic = "orders", .queue = q0_})
              .status()),
      Reason::kGroupNotFound);
  EXPECT_EQ(
      ReasonOf(groups()
                   .Fetch(inst_,
                          {.group = "billing", .topic = "ghost", .queue = q0_})
                   .status()),
      Reason::kTopicNotFound);
  EXPECT_EQ(ReasonOf(groups()
                         .Fetch(inst_, {.group = "billing",
                                        .topic = "orders",
                                        .queue = {"broker-0", 7}})
                         .status()),
            Reason::kTopicQueueNotFound);
  // The group is checked before the topic.
  EXPECT_EQ(
      ReasonOf(groups()
                   .ResetGroup(inst_, "ghost", "ghost", ResetTarget::Latest())
                   .status()),
      Reason::kGroupNotFound);
}

TEST_F(GroupsTest, DisabledGroupCannotFetch) {
  ASSERT_OK(groups().UpdateGroup(inst_, "billing", {.enabled = false}));
  absl::Status s =
      groups()
          .Fetch(inst_, {.group = "billing", .topic = "orders", .queue = q0_})
          .status();
  EXPECT_EQ(ReasonOf(s), Reason::kGroupDisabled);
}

TEST_F(GroupsTest, LagIsReportedPerQueue) {
  Fill(q0_, 4);
  Fill(q1_, 2);
  ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{1}}));
  ASSERT_OK_AND_ASSIGN(GroupTopicLag lag,
                       groups().GetLag(inst_, "billing", "orders"));
  ASSERT_THAT(lag.queues, SizeIs(2));
  EXPECT_THAT(lag.queues[0].committed, Optional(Offset{1}));
  EXPECT_EQ(lag.queues[0].lag, 3);
  EXPECT_TRUE(lag.queues[0].last_consumed_store_time.has_value());
  EXPECT_FALSE(lag.queues[1].committed.has_value());
  EXPECT_EQ(lag.queues[1].lag, 2);
}

TEST_F(GroupsTest, ResetToTimeChoosesTheFirstRecordAtOrAfter) {
  const absl::Time t0 = clock_.Now();
  std::vector<ProduceResult> p0 = Fill(q0_, 5);  // t0, t0+1s, ..., t0+4s
  ASSERT_OK_AND_ASSIGN(
      ResetResult r,
      groups().ResetGroup(inst_, "billing", "orders",
                          ResetTarget::At(t0 + absl::Milliseconds(2500))));
  ASSERT_THAT(r.queues, SizeIs(2));
  EXPECT_EQ(r.queues[0].queue, q0_);
  EXPECT_EQ(r.queues[0].offset, Offset{3});
  EXPECT_THAT(r.queues[0].store_time, Optional(p0[3].store_time));
  EXPECT_EQ(r.queues[1].offset, Offset{0});  // empty queue: max_offset
  EXPECT_FALSE(r.queues[1].store_time.has_value());
  EXPECT_EQ(r.epoch, 1u);
  FetchResult f = MustFetch(q0_);
  EXPECT_EQ(f.from, Offset{3});

  ASSERT_OK_AND_ASSIGN(
      r, groups().ResetGroup(inst_, "billing", "orders",
                             ResetTarget::At(t0 + absl::Hours(1))));
  EXPECT_EQ(r.queues[0].offset, Offset{5});
  ASSERT_OK_AND_ASSIGN(
      r, groups().ResetGroup(inst_, "billing", "orders",
                             ResetTarget::At(t0 - absl::Hours(1))));
  EXPECT_EQ(r.queues[0].offset, Offset{0});
  ASSERT_OK_AND_ASSIGN(r,
                       groups().ResetGroup(inst_, "billing", "orders",
                                           ResetTarget::At(p0[2].store_time)));
  EXPECT_EQ(r.queues[0].offset, Offset{2});
}

TEST_F(GroupsTest, ResetToEarliestAndLatest) {
  Fill(q0_, 3);
  ASSERT_OK_AND_ASSIGN(
      ResetResult r,
      groups().ResetGroup(inst_, "billing", "orders", ResetTarget::Latest()));
  EXPECT_EQ(r.queues[0].offset, Offset{3});
  EXPECT_EQ(MustFetch(q0_).messages.size(), 0u);
  ASSERT_OK_AND_ASSIGN(r, groups().ResetGroup(inst_, "billing", "orders",
                                              ResetTarget::Earliest()));
  EXPECT_EQ(r.queues[0].offset, Offset{0});
  EXPECT_TRUE(r.queues[0].store_time.has_value());
  EXPECT_THAT(r.queues[0].previous, Optional(Offset{3}));
  EXPECT_EQ(r.epoch, 2u);
}

TEST_F(GroupsTest, DryRunReportsPositionsAndChangesNothing) {
  const absl::Time t0 = clock_.Now();
  std::vector<ProduceResult> p = Fill(q0_, 4);
  ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{4}}));
  ASSERT_OK_AND_ASSIGN(
      ResetResult r, groups().ResetGroup(inst_, "billing", "orders",
                                         ResetTarget::At(t0 + absl::Seconds(1)),
                                         /*dry_run=*/true));
  EXPECT_TRUE(r.dry_run);
  EXPECT_EQ(r.queues[0].offset, Offset{1});
  EXPECT_THAT(r.queues[0].store_time, Optional(p[1].store_time));
  EXPECT_THAT(r.queues[0].previous, Optional(Offset{4}));
  EXPECT_EQ(r.epoch, 0u);
  ASSERT_OK_AND_ASSIGN(GroupTopicLag lag,
                       groups().GetLag(inst_, "billing", "orders"));
  EXPECT_THAT(lag.queues[0].committed, Optional(Offset{4}));
  EXPECT_EQ(lag.epoch, 0u);
}

TEST_F(GroupsTest, BroadcastGroupCannotBeReset) {
  ASSERT_OK(groups().CreateGroup(inst_, {.name = "fanout", .broadcast = true}));
  absl::Status s =
      groups()
          .ResetGroup(inst_, "fanout", "orders", ResetTarget::Latest())
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), Reason::kBroadcastGroup);
}

TEST_F(GroupsTest, StaleEpochCommitIsRejectedAndFetchSaysThePositionMoved) {
  Fill(q0_, 10);
  FetchResult before = MustFetch(q0_);  // epoch 0, read up to 10
  ASSERT_OK(
      groups().ResetGroup(inst_, "billing", "orders", ResetTarget::Earliest()));
  absl::Status s = groups().Commit(inst_, {.group = "billing",
                                           .topic = "orders",
                                           .queue = q0_,
                                           .next_offset = before.next_offset,
                                           .epoch = before.epoch});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), Reason::kStaleResetEpoch);

  // The consumer continues from its own position but learns it moved.
  FetchResult after = MustFetch(q0_, before.next_offset, before.epoch);
  EXPECT_TRUE(after.position_reset);
  EXPECT_EQ(after.from, Offset{0});
  EXPECT_EQ(after.epoch, 1u);
  EXPECT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{2},
                                    .epoch = after.epoch}));
}

TEST_F(GroupsTest, CommitsRacingAResetNeverUndoIt) {
  Fill(q0_, 50);
  for (int round = 0; round < 20; ++round) {
    FetchResult f = MustFetch(q0_);
    std::atomic<bool> saw_stale{false};
    std::atomic<bool> reset_done{false};
    std::atomic<int> ok_after_reset{0};
    std::thread consumer([&] {
      const absl::Time deadline = absl::Now() + absl::Seconds(10);
      for (int i = 0; i < 100000 && absl::Now() < deadline; ++i) {
        bool done_before = reset_done.load();
        absl::Status s = groups().Commit(inst_, {.group = "billing",
                                                 .topic = "orders",
                                                 .queue = q0_,
                                                 .next_offset = Offset{50},
                                                 .epoch = f.epoch});
        if (ReasonOf(s) == Reason::kStaleResetEpoch) {
          saw_stale = true;
          return;
        }
        if (s.ok() && done_before) ++ok_after_reset;
      }
    });
    ASSERT_OK_AND_ASSIGN(ResetResult r,
                         groups().ResetGroup(inst_, "billing", "orders",
                                             ResetTarget::Earliest()));
    reset_done = true;
    consumer.join();
    EXPECT_TRUE(saw_stale);
    EXPECT_EQ(ok_after_reset.load(), 0);
    ASSERT_OK_AND_ASSIGN(GroupTopicLag lag,
                         groups().GetLag(inst_, "billing", "orders"));
    EXPECT_THAT(lag.queues[0].committed, Optional(Offset{0}));
    EXPECT_EQ(lag.epoch, r.epoch);
  }
}

TEST_F(GroupsTest, ConcurrentProducersAndConsumersLoseAndDuplicateNothing) {
  ASSERT_OK(topics().CreateTopic(inst_, {.name = "events", .queue_num = 4}));
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 500;
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        absl::Status s = topics()
                             .Produce(inst_, {.topic = "events",
                                              .body = absl::StrCat(p, ":", i)})
                             .status();
        ASSERT_TRUE(s.ok()) << s;
      }
    });
  }
  std::mutex mu;
  std::multiset<std::string> consumed;
  std::atomic<int> total{0};
  for (int q = 0; q < 4; ++q) {
    threads.emplace_back([&, q] {
      QueueRef ref{"broker-0", q};
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      std::optional<Offset> pos;
      std::optional<uint64_t> epoch;
      while (total.load() < kProducers * kPerProducer &&
             absl::Now() < deadline) {
        absl::StatusOr<FetchResult> f =
            groups().Fetch(inst_, {.group = "billing",
                                   .topic = "events",
                                   .queue = ref,
                                   .from = pos,
                                   .epoch = epoch,
                                   .max_records = 17});
        ASSERT_TRUE(f.ok()) << f.status();
        {
          std::lock_guard<std::mutex> l(mu);
          for (const Message& m : f->messages) consumed.insert(m.body);
        }
        total += static_cast<int>(f->messages.size());
        ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                          .topic = "events",
                                          .queue = ref,
                                          .next_offset = f->next_offset,
                                          .epoch = f->epoch}));
        pos = f->next_offset;
        epoch = f->epoch;
        if (f->messages.empty()) std::this_thread::yield();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(consumed.size(), static_cast<size_t>(kProducers * kPerProducer));
  for (int p = 0; p < kProducers; ++p) {
    for (int i = 0; i < kPerProducer; ++i) {
      EXPECT_EQ(consumed.count(absl::StrCat(p, ":", i)), 1u);
    }
  }
  ASSERT_OK_AND_ASSIGN(GroupTopicLag lag,
                       groups().GetLag(inst_, "billing", "events"));
  for (const QueueLag& ql : lag.queues) EXPECT_EQ(ql.lag, 0);
}

TEST_F(GroupsTest, OffsetsAndEpochSurviveARestart) {
  Fill(q0_, 5);
  ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{4}}));
  ASSERT_OK(
      groups().ResetGroup(inst_, "billing", "orders", ResetTarget::Latest()));
  ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{2},
                                    .epoch = 1}));
  Reopen();
  ASSERT_OK_AND_ASSIGN(GroupTopicLag lag,
                       groups().GetLag(inst_, "billing", "orders"));
  EXPECT_EQ(lag.epoch, 1u);
  EXPECT_THAT(lag.queues[0].committed, Optional(Offset{2}));
  EXPECT_THAT(groups().Commit(inst_, {.group = "billing",
                                      .topic = "orders",
                                      .queue = q0_,
                                      .next_offset = Offset{3},
                                      .epoch = 0}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(GroupsTest, GroupAndTopicLinksFollowCommitsAndResets) {
  ASSERT_OK(groups().CreateGroup(inst_, {.name = "audit"}));
  ASSERT_OK(
      groups().ResetGroup(inst_, "audit", "orders", ResetTarget::Earliest()));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> g,
                       groups().GroupsOfTopic(inst_, "orders"));
  EXPECT_THAT(g, ElementsAre("audit"));
  ASSERT_OK_AND_ASSIGN(GroupInfo info, groups().GetGroup(inst_, "audit"));
  EXPECT_THAT(info.topics, ElementsAre("orders"));
  ASSERT_OK(groups().DeleteGroup(inst_, "audit"));
  ASSERT_OK_AND_ASSIGN(g, groups().GroupsOfTopic(inst_, "orders"));
  EXPECT_THAT(g, IsEmpty());
}

TEST_F(GroupsTest, DeletingATopicDropsItsOffsets) {
  Fill(q0_, 3);
  ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{3}}));
  ASSERT_OK(topics().DeleteTopic(inst_, "orders"));
  ASSERT_OK(topics().CreateTopic(inst_, {.name = "orders", .queue_num = 2}));
  Fill(q0_, 1);
  ASSERT_OK_AND_ASSIGN(GroupTopicLag lag,
                       groups().GetLag(inst_, "billing", "orders"));
  EXPECT_FALSE(lag.queues[0].committed.has_value());
  ASSERT_OK_AND_ASSIGN(GroupInfo info, groups().GetGroup(inst_, "billing"));
  EXPECT_THAT(info.topics, IsEmpty());
  Reopen();
  ASSERT_OK_AND_ASSIGN(lag, groups().GetLag(inst_, "billing", "orders"));
  EXPECT_FALSE(lag.queues[0].committed.has_value());
}

TEST_F(GroupsTest, CommittedOffsetPassedByRetentionReadsFromMinOffset) {
  BrokerOptions o = DefaultOptions();
  o.store.segment_bytes = 4096;
  o.topic_retention = absl::Minutes(10);
  broker_.reset();
  OpenBroker(o);
  for (int i = 0; i < 40; ++i) {  // 40 s of data, several segments
    ProduceRequest req{.topic = "orders", .body = std::string(500, 'x')};
    req.selector = QueueSelector::Exactly(q0_);
    ASSERT_OK(topics().Produce(inst_, req));
    clock_.Advance(absl::Seconds(1));
  }
  ASSERT_OK(groups().Commit(inst_, {.group = "billing",
                                    .topic = "orders",
                                    .queue = q0_,
                                    .next_offset = Offset{1}}));
  clock_.Advance(absl::Minutes(20));
  Fill(q0_, 1);
  ASSERT_OK(broker_->RunRetention());
  ASSERT_OK_AND_ASSIGN(TopicStatus st,
                       topics().GetTopicStatus(inst_, "orders"));
  ASSERT_GT(st.queues[0].min_offset.value, 1);
  FetchResult f = MustFetch(q0_);
  EXPECT_EQ(f.from, st.queues[0].min_offset);
}

TEST_F(GroupsTest, ResetOfASixteenQueueTopicUsesEachQueuesTimes) {
  ASSERT_OK(topics().CreateTopic(inst_, {.name = "wide", .queue_num = 16}));
  const absl::Time t0 = clock_.Now();
  for (int i = 0; i < 16 * 20; ++i) {
    ASSERT_OK(topics().Produce(inst_, {.topic = "wide", .body = "x"}));
    clock_.Advance(absl::Milliseconds(100));
  }
  // Message i went to queue i % 16 at t0 + i * 100 ms.
  const absl::Time target = t0 + absl::Milliseconds(100 * 100 + 50);
  ASSERT_OK_AND_ASSIGN(ResetResult r,
                       groups().ResetGroup(inst_, "billing", "wide",
                                           ResetTarget::At(target), true));
  ASSERT_THAT(r.queues, SizeIs(16));
  for (int q = 0; q < 16; ++q) {
    // First i >= 101 with i % 16 == q.
    int i = 101 + ((q - 101 % 16) + 16) % 16;
    EXPECT_EQ(r.queues[q].offset, Offset{i / 16}) << q;
    EXPECT_THAT(r.queues[q].store_time,
                Optional(t0 + absl::Milliseconds(100 * i)));
  }
}

}  // namespace
}  // namespace rewindmq::broker
