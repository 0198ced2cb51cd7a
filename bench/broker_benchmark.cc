// Broker throughput and rewind latency through the public broker API.
//
//   BM_Produce/<body bytes>          one message per call, round robin over a
//                                    16-queue topic
//   BM_Fetch/<batch>                 group fetches of `batch` records
//   BM_GroupRewind/<records>         ResetGroup of a 16-queue topic holding
//                                    `records` messages to a random time
//   BM_GroupRewindDryRun/<records>   the same lookups without the write
//
// The rewind benchmarks default to 2^20 records; set
// RMQ_BENCH_REWIND_RECORDS=10000000 for the 1e7 figure (filling takes a
// while). Durability is "never" so the numbers show the broker, not fsync,
// except where a call syncs on purpose (ResetGroup writes its batch with
// sync).
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "broker/broker.h"

namespace {

using rewindmq::Offset;
using namespace rewindmq::broker;  // NOLINT: a benchmark of this API

// A broker in a fresh temp dir, removed on destruction.
class BenchBroker {
 public:
  BenchBroker() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rewindmq-bench-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    BrokerOptions o;
    o.data_dir = dir_;
    o.store.durability = rewindmq::storage::Durability::kNever;
    o.start_timer_thread = false;
    auto b = Broker::Open(o);
    if (!b.ok()) std::abort();
    broker_ = *std::move(b);
    inst_ = broker_->default_instance();
  }
  ~BenchBroker() {
    broker_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Broker& broker() { return *broker_; }
  const std::string& inst() const { return inst_; }

 private:
  std::string dir_;
  std::unique_ptr<Broker> broker_;
  std::string inst_;
};

void BM_Produce(benchmark::State& state) {
  BenchBroker b;
  if (!b.broker()
           .topics()
           .CreateTopic(b.inst(), {.name = "bench", .queue_num = 16})
           .ok()) {
    state.SkipWithError("create topic failed");
    return;
  }
  ProduceRequest req{
      .topic = "bench",
      .body = std::string(static_cast<size_t>(state.range(0)), 'x')};
  for (auto _ : state) {
    absl::StatusOr<ProduceResult> r =
        b.broker().topics().Produce(b.inst(), req);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->offset);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Produce)->Arg(100)->Arg(1024)->Arg(16 << 10);

void BM_Fetch(benchmark::State& state) {
  BenchBroker b;
  constexpr int kRecords = 100000;
  if (!b.broker()
           .topics()
           .CreateTopic(b.inst(), {.name = "bench", .queue_num = 1})
           .ok() ||
      !b.broker().groups().CreateGroup(b.inst(), {.name = "readers"}).ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  ProduceRequest req{.topic = "bench", .body = std::string(200, 'x')};
  for (int i = 0; i < kRecords; ++i) {
    if (!b.broker().topics().Produce(b.inst(), req).ok()) {
      state.SkipWithError("fill failed");
      return;
    }
  }
  const int batch = static_cast<int>(state.range(0));
  Offset from{0};
  int64_t records = 0;
  for (auto _ : state) {
    absl::StatusOr<FetchResult> f =
        b.broker().groups().Fetch(b.inst(), {.group = "readers",
                                             .topic = "bench",
                                             .queue = {"broker-0", 0},
                                             .from = from,
                                             .epoch = 0,
                                             .max_records = batch});
    if (!f.ok()) {
      state.SkipWithError(f.status().ToString().c_str());
      break;
    }
    records += static_cast<int64_t>(f->messages.size());
    from = f->next_offset.value >= kRecords ? Offset{0} : f->next_offset;
  }
  state.SetItemsProcessed(records);
}
BENCHMARK(BM_Fetch)->Arg(1)->Arg(32)->Arg(256);

// One filled 16-queue topic per size, shared by the rewind benchmarks.
struct RewindFixture {
  BenchBroker b;
  absl::Time first;
  absl::Time last;
  bool ok = false;
};

// Emptied by main() before exit, while the storage library is still whole.
std::map<int64_t, std::unique_ptr<RewindFixture>>& RewindCache() {
  static auto* cache = new std::map<int64_t, std::unique_ptr<RewindFixture>>;
  return *cache;
}

RewindFixture& Filled(int64_t records) {
  std::unique_ptr<RewindFixture>& f = RewindCache()[records];
  if (f != nullptr) return *f;
  f = std::make_unique<RewindFixture>();
  Broker& broker = f->b.broker();
  const std::string& inst = f->b.inst();
  if (!broker.topics()
           .CreateTopic(inst, {.name = "wide", .queue_num = 16})
           .ok() ||
      !broker.groups().CreateGroup(inst, {.name = "rewinders"}).ok()) {
    return *f;
  }
  ProduceRequest req{.topic = "wide", .body = std::string(100, 'x')};
  f->first = absl::Now();
  for (int64_t i = 0; i < records; ++i) {
    if (!broker.topics().Produce(inst, req).ok()) return *f;
  }
  f->last = absl::Now();
  f->ok = true;
  return *f;
}

void RewindBench(benchmark::State& state, bool dry_run) {
  RewindFixture& f = Filled(state.range(0));
  if (!f.ok) {
    state.SkipWithError("fill failed");
    return;
  }
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> us(
      0, absl::ToInt64Microseconds(f.last - f.first));
  for (auto _ : state) {
    absl::StatusOr<ResetResult> r = f.b.broker().ResetGroup(
        f.b.inst(), "rewinders", "wide",
        ResetTarget::At(f.first + absl::Microseconds(us(rng))), dry_run);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->queues.data());
  }
}

void BM_GroupRewind(benchmark::State& state) { RewindBench(state, false); }
void BM_GroupRewindDryRun(benchmark::State& state) { RewindBench(state, true); }

int64_t RewindRecords() {
  int64_t n = int64_t{1} << 20;
  if (const char* env = std::getenv("RMQ_BENCH_REWIND_RECORDS")) {
    if (!absl::SimpleAtoi(env, &n) || n < 16) n = int64_t{1} << 20;
  }
  return n;
}

BENCHMARK(BM_GroupRewind)->Arg(RewindRecords())->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GroupRewindDryRun)
    ->Arg(RewindRecords())
    ->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  RewindCache().clear();  // closes the brokers and removes their dirs
  benchmark::Shutdown();
  return 0;
}
