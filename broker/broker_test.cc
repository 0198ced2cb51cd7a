#include "broker/broker.h"

#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "broker/broker_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"

namespace rewindmq::broker {
namespace {

using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;

class BrokerTest : public BrokerFixture {};

TEST_F(BrokerTest, WithoutConfigurationThereIsOneDefaultInstance) {
  std::vector<InstanceInfo> all = broker_->ListInstances();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, kDefaultInstanceId);
  EXPECT_EQ(all[0].name, kDefaultInstanceName);
  EXPECT_THAT(all[0].brokers, ElementsAre("broker-0"));
  EXPECT_EQ(broker_->default_instance(), kDefaultInstanceId);
  EXPECT_EQ(ReasonOf(broker_->GetInstance("other").status()),
            Reason::kInstanceNotFound);
}

TEST_F(BrokerTest, ConfiguredInstancesKeepTheirFirstOpenTime) {
  BrokerOptions o = DefaultOptions();
  o.instances = {{"east", "East", 3}, {"west", "West", 1}};
  broker_.reset();
  OpenBroker(o);
  ASSERT_OK_AND_ASSIGN(InstanceInfo east, broker_->GetInstance("east"));
  EXPECT_THAT(east.brokers, ElementsAre("broker-0", "broker-1", "broker-2"));
  const absl::Time created = east.created_at;
  EXPECT_EQ(broker_->default_instance(), "east");
  clock_.Advance(absl::Hours(1));
  Reopen();
  ASSERT_OK_AND_ASSIGN(east, broker_->GetInstance("east"));
  EXPECT_EQ(east.created_at, created);
}

TEST_F(BrokerTest, BadInstanceOptionsAreRefused) {
  broker_.reset();
  BrokerOptions o = DefaultOptions();
  o.instances = {{"a/b", "x", 1}};
  EXPECT_THAT(Broker::Open(o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.instances = {{"a", "x", 0}};
  EXPECT_THAT(Broker::Open(o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.instances = {{"a", "x", 1}, {"a", "y", 1}};
  EXPECT_THAT(Broker::Open(o), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BrokerTest, InstancesAreSeparateNamespaces) {
  BrokerOptions o = DefaultOptions();
  o.instances = {{"east", "East", 1}, {"west", "West", 1}};
  broker_.reset();
  OpenBroker(o);
  ASSERT_OK(broker_->topics().CreateTopic("east", {.name = "orders"}));
  ASSERT_OK(broker_->groups().CreateGroup("east", {.name = "billing"}));
  ASSERT_OK(broker_->cmq().CreateQueue("east", "jobs"));
  EXPECT_EQ(ReasonOf(broker_->topics().GetTopic("west", "orders").status()),
            Reason::kTopicNotFound);
  EXPECT_EQ(ReasonOf(broker_->groups().GetGroup("west", "billing").status()),
            Reason::kGroupNotFound);
  EXPECT_EQ(
      ReasonOf(broker_->cmq().GetQueueAttributes("west", "jobs").status()),
      Reason::kQueueNotFound);
  EXPECT_OK(broker_->topics().CreateTopic("west", {.name = "orders"}));
}

TEST_F(BrokerTest, StorageQueuesNothingReferencesAreDeletedOnOpen) {
  ASSERT_OK(
      broker_->topics().CreateTopic(inst_, {.name = "orders", .queue_num = 2}));
  ASSERT_OK(broker_->cmq().CreateQueue(inst_, "jobs"));
  broker_.reset();
  {
    // A crash between creating a queue and recording it leaves this.
    storage::StoreOptions so;
    so.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::Store> store,
                         storage::Store::Open(options_.data_dir, so));
    ASSERT_EQ(store->ListQueues().size(), 3u);
    ASSERT_OK(store->CreateQueue());
  }
  OpenBroker(options_);
  broker_.reset();
  storage::StoreOptions so;
  so.clock = &clock_;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::Store> store,
                       storage::Store::Open(options_.data_dir, so));
  EXPECT_EQ(store->ListQueues().size(), 3u);
}

TEST_F(BrokerTest, TheTimerThreadEndsLongPollsOnTheRealClock) {
  rmqtest::ScopedTempDir dir;
  BrokerOptions o;
  o.data_dir = dir.Sub("data");
  o.store.durability = storage::Durability::kNever;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Broker> b, Broker::Open(o));
  ASSERT_OK(b->cmq().CreateQueue(b->default_instance(), "q"));
  absl::Notification done;
  absl::Status status;
  const absl::Time start = absl::Now();
  b->cmq().ReceiveAsync(b->default_instance(), "q", 1, absl::Milliseconds(200),
                        [&](absl::StatusOr<std::vector<CmqReceivedMessage>> r) {
                          status = r.status();
                          done.Notify();
                        });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(ReasonOf(status), Reason::kNoMessage);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace rewindmq::broker
