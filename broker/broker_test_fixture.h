// A broker in a temp dir with a fake clock and no timer thread, for the
// broker's own tests. Test-only.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "broker/broker.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::broker {

class BrokerFixture : public ::testing::Test {
 protected:
  BrokerOptions DefaultOptions() {
    BrokerOptions o;
    o.data_dir = dir_.Sub("data");
    o.clock = &clock_;
    o.start_timer_thread = false;
    o.store.durability = storage::Durability::kNever;
    o.cmq_min_max_msg_heap_num = 1;
    return o;
  }

  void SetUp() override { OpenBroker(DefaultOptions()); }

  void OpenBroker(const BrokerOptions& o) {
    options_ = o;
    absl::StatusOr<std::unique_ptr<Broker>> b = Broker::Open(o);
    ASSERT_TRUE(b.ok()) << b.status();
    broker_ = *std::move(b);
  }

  // Closes and opens the broker again on the same directory.
  void Reopen() {
    broker_.reset();
    OpenBroker(options_);
  }

  Topics& topics() { return broker_->topics(); }
  ConsumerGroups& groups() { return broker_->groups(); }
  CmqQueues& cmq() { return broker_->cmq(); }

  rmqtest::ScopedTempDir dir_;
  rmqtest::FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  BrokerOptions options_;
  std::unique_ptr<Broker> broker_;
  const std::string inst_{kDefaultInstanceId};
};

}  // namespace rewindmq::broker
