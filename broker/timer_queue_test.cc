#include "broker/timer_queue.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"

namespace rewindmq::broker::internal {
namespace {

class TimerQueueTest : public ::testing::Test {
 protected:
  rmqtest::FakeClock clock_;
  TimerQueue timers_{&clock_};
  std::vector<int> ran_;
};

TEST_F(TimerQueueTest, RunsOnlyWhatIsDueInDeadlineOrder) {
  absl::Time now = clock_.Now();
  timers_.Schedule(now + absl::Seconds(2), [this] { ran_.push_back(2); });
  timers_.Schedule(now + absl::Seconds(1), [this] { ran_.push_back(1); });
  timers_.Schedule(now + absl::Seconds(3), [this] { ran_.push_back(3); });
  EXPECT_EQ(timers_.RunDue(), 0);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(timers_.RunDue(), 2);
  EXPECT_THAT(ran_, ::testing::ElementsAre(1, 2));
  EXPECT_EQ(timers_.NextDue(), now + absl::Seconds(3));
}

TEST_F(TimerQueueTest, CancelledTimerNeverRuns) {
  TimerQueue::TimerId id =
      timers_.Schedule(clock_.Now(), [this] { ran_.push_back(1); });
  EXPECT_TRUE(timers_.Cancel(id));
  EXPECT_FALSE(timers_.Cancel(id));
  EXPECT_EQ(timers_.RunDue(), 0);
  EXPECT_TRUE(ran_.empty());
}

TEST_F(TimerQueueTest, CallbackMayScheduleADueTimer) {
  timers_.Schedule(clock_.Now(), [this] {
    ran_.push_back(1);
    timers_.Schedule(clock_.Now(), [this] { ran_.push_back(2); });
  });
  EXPECT_EQ(timers_.RunDue(), 2);
  EXPECT_THAT(ran_, ::testing::ElementsAre(1, 2));
}

TEST_F(TimerQueueTest, EarlierDeadlineWakesTheWaiter) {
  timers_.Schedule(clock_.Now() + absl::Hours(1), [] {});
  // The first schedule marked a change; consume it.
  EXPECT_TRUE(timers_.WaitForChange(absl::ZeroDuration()));
  timers_.Schedule(clock_.Now() + absl::Seconds(1), [] {});
  absl::Time start = absl::Now();
  EXPECT_TRUE(timers_.WaitForChange(absl::Seconds(10)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(TimerQueueTest, ShutdownEndsTheWait) {
  timers_.Shutdown();
  EXPECT_FALSE(timers_.WaitForChange(absl::Seconds(10)));
}

}  // namespace
}  // namespace rewindmq::broker::internal
