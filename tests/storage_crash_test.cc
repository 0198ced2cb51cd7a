// A child process appends under load and is killed with SIGKILL at a random
// instant; the parent then reopens the store and checks that every
// acknowledged record is present and intact, that nothing damaged is served,
// and that the time lookup agrees with a brute-force oracle.
//
// RMQ_CRASH_CYCLES sets the number of cycles (default 30 with interval
// sync, 10 without).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/queue_log.h"
#include "storage/store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq {
namespace {

using storage::Store;
using storage::StoreOptions;

// What the child tells the parent after each acknowledged append.
struct Ack {
  int64_t first;
  int32_t count;
  uint32_t seed;
};

std::string Body(uint32_t seed, int i) {
  std::mt19937 rng(seed + static_cast<uint32_t>(i));
  std::string b(10 + rng() % 100, '\0');
  for (char& c : b) c = static_cast<char>('a' + rng() % 26);
  return b;
}

StoreOptions CrashOptions(storage::Durability d) {
  StoreOptions o;
  o.segment_bytes = 128 << 10;  // many rolls
  o.index_interval_bytes = 2048;
  o.durability = d;
  o.flush_interval = absl::Milliseconds(5);
  return o;
}

[[noreturn]] void ChildAppends(const std::string& dir, int ack_fd,
                               uint32_t seed, storage::Durability d) {
  auto store = Store::Open(dir, CrashOptions(d));
  if (!store.ok()) _exit(3);
  storage::QueueLog* q = nullptr;
  if ((*store)->ListQueues().empty()) {
    auto c = (*store)->CreateQueue();
    if (!c.ok()) _exit(4);
    q = *c;
  } else {
    auto c = (*store)->Queue((*store)->ListQueues().front());
    if (!c.ok()) _exit(5);
    q = *c;
  }
  std::mt19937 rng(seed);
  const absl::Time stop = absl::Now() + absl::Seconds(5);
  while (absl::Now() < stop) {
    const uint32_t batch_seed = static_cast<uint32_t>(rng());
    const int n = 1 + static_cast<int>(rng() % 40);
    std::vector<proto::Record> batch(n);
    for (int i = 0; i < n; ++i) batch[i].set_body(Body(batch_seed, i));
    auto r = q->Append(batch);
    if (!r.ok()) _exit(6);
    Ack ack{r->first.value, n, batch_seed};
    if (write(ack_fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(7);
  }
  _exit(0);
}

void RunCycles(storage::Durability d, int default_cycles) {
  rmqtest::ScopedTempDir dir;
  const char* env = std::getenv("RMQ_CRASH_CYCLES");
  const int cycles = env != nullptr ? std::atoi(env) : default_cycles;
  std::mt19937 rng(12345);
  std::vector<Ack> acked;
  size_t acks_checked = 0;
  // Store time of every record read back so far, by offset.
  std::vector<int64_t> times;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      ChildAppends(dir.path(), fds[1], static_cast<uint32_t>(rng()), d);
    }
    close(fds[1]);
    usleep(static_cast<useconds_t>(10'000 + rng() % 100'000));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) ||
                (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "child failed before the kill, exit " << WEXITSTATUS(status);
    Ack ack;
    while (read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) acked.push_back(ack);
    close(fds[0]);

    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open(dir.path(), CrashOptions(d)));
    if (store->ListQueues().empty()) {
      ASSERT_TRUE(acked.empty());
      continue;
    }
    ASSERT_OK_AND_ASSIGN(storage::QueueLog * q,
                         store->Queue(store->ListQueues().front()));
    const int64_t max = q->max_offset().value;
    ASSERT_GE(max, static_cast<int64_t>(times.size()))
        << "records read back in an earlier cycle are gone, cycle " << cycle;
    // Every record the last child stored, acknowledged or not, reads back
    // intact and in store-time order.
    for (int64_t from = static_cast<int64_t>(times.size()); from < max;) {
      ASSERT_OK_AND_ASSIGN(auto part, q->Read(Offset{from}, 10000));
      ASSERT_FALSE(part.empty());
      for (const auto& r : part) {
        ASSERT_EQ(r.offset(), static_cast<int64_t>(times.size()));
        ASSERT_TRUE(times.empty() || times.back() <= r.store_time_us())
            << "store time went backwards at offset " << r.offset();
        times.push_back(r.store_time_us());
      }
      from += static_cast<int64_t>(part.size());
    }
    // Every acknowledged record of this cycle, and a sample of earlier ones.
    auto check_ack = [&](const Ack& a) {
      ASSERT_LE(a.first + a.count, max)
          << "acknowledged records lost, cycle " << cycle;
      ASSERT_OK_AND_ASSIGN(auto rs, q->Read(Offset{a.first}, a.count));
      ASSERT_EQ(rs.size(), static_cast<size_t>(a.count));
      for (int i = 0; i < a.count; ++i) {
        ASSERT_EQ(rs[i].body(), Body(a.seed, i))
            << "offset " << a.first + i << " cycle " << cycle;
      }
    };
    for (; acks_checked < acked.size(); ++acks_checked) {
      check_ack(acked[acks_checked]);
      if (::testing::Test::HasFatalFailure()) return;
    }
    for (int i = 0; i < 50 && !acked.empty(); ++i) {
      check_ack(acked[rng() % acked.size()]);
      if (::testing::Test::HasFatalFailure()) return;
    }
    // The lookup agrees with the oracle.
    for (int probe = 0; probe < 200 && !times.empty(); ++probe) {
      const int64_t t =
          times[rng() % times.size()] + static_cast<int>(rng() % 3) - 1;
      auto hit = std::lower_bound(times.begin(), times.end(), t);
      const int64_t want =
          hit == times.end() ? max : static_cast<int64_t>(hit - times.begin());
      ASSERT_OK_AND_ASSIGN(auto got,
                           q->FirstOffsetAtOrAfter(absl::FromUnixMicros(t)));
      ASSERT_EQ(got.offset.value, want) << "t=" << t << " cycle " << cycle;
    }
  }
}

TEST(StorageCrashTest, KillNineLosesNoAcknowledgedRecordWithIntervalSync) {
  RunCycles(storage::Durability::kInterval, 30);
}

TEST(StorageCrashTest, KillNineLosesNoAcknowledgedRecordWithoutSync) {
  // Even "never" hands every record to the OS before acknowledging it.
  RunCycles(storage::Durability::kNever, 10);
}

}  // namespace
}  // namespace rewindmq
