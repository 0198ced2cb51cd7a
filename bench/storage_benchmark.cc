// Storage benchmarks: the time lookup at realistic queue sizes, append
// throughput, what the index costs, and recovery time after an unclean stop.
// Release builds only. Queues are built once per size in $RMQ_BENCH_DIR (or
// /tmp) with one 100-byte record per millisecond and removed at exit.
//
//   build/release/bench/storage_benchmark --benchmark_filter=Lookup
//   RMQ_BENCH_MAX_RECORDS=100000000 ... (adds the 1e8 queue; ~14 GB of disk)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "storage/queue_log.h"
#include "storage/store.h"

namespace rewindmq::storage {
namespace {

namespace fs = std::filesystem;

std::string BenchRoot() {
  const char* d = std::getenv("RMQ_BENCH_DIR");
  return std::string(d != nullptr ? d : "/tmp") + "/rewindmq-bench-" +
         std::to_string(getpid());
}

[[noreturn]] void Die(const absl::Status& s) {
  std::fprintf(stderr, "benchmark setup failed: %s\n", s.ToString().c_str());
  std::exit(1);
}

int64_t DirBytes(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += static_cast<int64_t>(e.file_size(ec));
  }
  return total;
}

// A queue of `records` 100-byte records, stored one per millisecond, ending
// about now. Built once per (size, options) and shared by the benchmarks.
class BenchQueue {
 public:
  static BenchQueue& Get(int64_t records, int cache_segments) {
    static auto* queues =
        new std::map<std::pair<int64_t, int>, std::unique_ptr<BenchQueue>>();
    const std::pair<int64_t, int> key{records, cache_segments};
    auto it = queues->find(key);
    if (it == queues->end()) {
      // Only one large queue is kept at a time.
      queues->clear();
      it = queues->emplace(key, new BenchQueue(records, cache_segments)).first;
    }
    return *it->second;
  }

  ~BenchQueue() {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  QueueLog& log() { return *log_; }
  absl::Time first_time() const { return first_; }
  absl::Time last_time() const { return last_; }
  // Time range of the active (newest) segment.
  absl::Time active_first_time() const { return active_first_; }
  int64_t log_bytes() const { return log_bytes_; }
  int64_t index_bytes() const { return index_bytes_; }

 private:
  BenchQueue(int64_t records, int cache_segments)
      : dir_(BenchRoot() + "/q" + std::to_string(records) + "-" +
             std::to_string(cache_segments)) {
    StoreOptions o;
    o.durability = Durability::kNever;
    o.index_cache_segments = cache_segments;
    if (const char* v = std::getenv("RMQ_BENCH_INDEX_INTERVAL")) {
      o.index_interval_bytes = std::atoll(v);
    }
    first_ = absl::Now() - absl::Milliseconds(records);
    {
      auto store = Store::Open(dir_, o);
      if (!store.ok()) Die(store.status());
      QueueLog* log = *(*store)->CreateQueue();
      std::vector<proto::Record> batch(1000);
      for (auto& r : batch) r.set_body(std::string(100, 'x'));
      for (int64_t done = 0; done < records; done += 1000) {
        const int64_t n = std::min<int64_t>(1000, records - done);
        batch.resize(n);
        for (int64_t i = 0; i < n; ++i) {
          batch[i].set_store_time_us(
              absl::ToUnixMicros(first_ + absl::Milliseconds(done + i)));
        }
        if (auto r = log->Import(batch); !r.ok()) Die(r.status());
      }
    }
    // Reopen twice so RocksDB has flushed its log into tables: what stays on
    // disk is the index as it will be kept.
    for (int i = 0; i < 2; ++i) {
      auto store = Store::Open(dir_, o);
      if (!store.ok()) Die(store.status());
    }
    log_bytes_ = DirBytes(dir_ + "/queues");
    index_bytes_ = DirBytes(dir_ + "/db");
    store_ = *Store::Open(dir_, o);
    log_ = *store_->Queue(store_->ListQueues().front());
    last_ = first_ + absl::Milliseconds(records - 1);
    active_first_ =
        first_ + absl::Milliseconds(log_->Stats().active_segment_base.value);
  }

  const std::string dir_;
  std::unique_ptr<Store> store_;
  QueueLog* log_ = nullptr;
  absl::Time first_, last_, active_first_;
  int64_t log_bytes_ = 0;
  int64_t index_bytes_ = 0;
};

void ReportPercentiles(benchmark::State& state, std::vector<int64_t>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters["p50_ns"] = static_cast<double>(ns[ns.size() / 2]);
  state.counters["p99_ns"] = static_cast<double>(ns[ns.size() * 99 / 100]);
}

void RunLookups(benchmark::State& state, BenchQueue& q, absl::Time from,
                absl::Time to) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> us(
      0, absl::ToInt64Microseconds(to - from));
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  for (auto _ : state) {
    const absl::Time t = from + absl::Microseconds(us(rng));
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<TimeLookup> o = q.log().FirstOffsetAtOrAfter(t);
    const auto end = std::chrono::steady_clock::now();
    if (!o.ok()) {
      state.SkipWithError(o.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(o->offset);
    if (ns.size() < (1 << 20)) {
      ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(end - start)
              .count());
    }
  }
  ReportPercentiles(state, ns);
  state.counters["index_bytes_per_log_byte"] =
      static_cast<double>(q.index_bytes()) / static_cast<double>(q.log_bytes());
}

// T inside the newest segment, the common "rewind a few minutes" case.
void BM_LookupActiveSegment(benchmark::State& state) {
  BenchQueue& q =
      BenchQueue::Get(state.range(0), StoreOptions().index_cache_segments);
  RunLookups(state, q, q.active_first_time(), q.last_time());
}

// T uniformly random over the whole queue, with the default index cache:
// sealed segments' index entries are kept in memory once used, up to
// StoreOptions::index_cache_segments of them; the first lookup in each
// loads them.
void BM_LookupAnyTime(benchmark::State& state) {
  BenchQueue& q =
      BenchQueue::Get(state.range(0), StoreOptions().index_cache_segments);
  RunLookups(state, q, q.first_time(), q.last_time());
}

// As above with no in-memory entries for sealed segments: every lookup
// outside the active segment is one RocksDB SeekForPrev.
void BM_LookupAnyTimeRocksDbSeek(benchmark::State& state) {
  BenchQueue& q = BenchQueue::Get(state.range(0), 0);
  RunLookups(state, q, q.first_time(), q.last_time());
}

int64_t MaxRecords() {
  const char* v = std::getenv("RMQ_BENCH_MAX_RECORDS");
  return v != nullptr ? std::atoll(v) : 10'000'000;
}

void LookupSizes(benchmark::internal::Benchmark* b) {
  for (int64_t n = 100'000; n <= MaxRecords(); n *= 10) b->Arg(n);
}

BENCHMARK(BM_LookupActiveSegment)->Apply(LookupSizes);
BENCHMARK(BM_LookupAnyTime)->Apply(LookupSizes);
BENCHMARK(BM_LookupAnyTimeRocksDbSeek)->Apply(LookupSizes);

// Appends: range(0) = body bytes, range(1) = records per batch, range(2) =
// 1 with the time index, 0 without.
void BM_Append(benchmark::State& state) {
  const std::string dir = BenchRoot() + "/append";
  std::error_code ec;
  fs::remove_all(dir, ec);
  StoreOptions o;
  o.durability = Durability::kNever;
  o.time_index = state.range(2) != 0;
  {
    auto store = Store::Open(dir, o);
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    QueueLog* log = *(*store)->CreateQueue();
    std::vector<proto::Record> batch(state.range(1));
    for (auto& r : batch) r.set_body(std::string(state.range(0), 'x'));
    for (auto _ : state) {
      auto r = log->Append(batch);
      if (!r.ok()) {
        state.SkipWithError(r.status().ToString().c_str());
        break;
      }
    }
    state.SetItemsProcessed(state.iterations() * state.range(1));
    state.SetBytesProcessed(state.iterations() * state.range(1) *
                            state.range(0));
  }
  fs::remove_all(dir, ec);
}
BENCHMARK(BM_Append)
    ->ArgNames({"body", "batch", "index"})
    ->Args({100, 1, 1})
    ->Args({1024, 1, 1})
    ->Args({100, 1000, 1})
    ->Args({100, 1000, 0})
    ->Args({1024, 1000, 1})
    ->Args({1024, 1000, 0})
    ->MinTime(2.0);

// Time to open a store after the process holding it was killed mid-append.
void BM_RecoveryAfterKill(benchmark::State& state) {
  const std::string dir = BenchRoot() + "/recovery";
  std::error_code ec;
  fs::remove_all(dir, ec);
  const int64_t records = state.range(0);
  const pid_t pid = fork();
  if (pid == 0) {
    StoreOptions o;
    o.durability = Durability::kNever;
    auto store = Store::Open(dir, o);
    if (!store.ok()) _exit(2);
    QueueLog* log = *(*store)->CreateQueue();
    std::vector<proto::Record> batch(1000);
    for (auto& r : batch) r.set_body(std::string(100, 'x'));
    for (int64_t done = 0; done < records; done += 1000) {
      if (!log->Append(batch).ok()) _exit(3);
    }
    raise(SIGKILL);  // an unclean stop, with the store open
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFSIGNALED(status)) {
    state.SkipWithError("the writer did not die as planned");
    return;
  }
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto store = Store::Open(dir, {});
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      break;
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  fs::remove_all(dir, ec);
}
BENCHMARK(BM_RecoveryAfterKill)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace rewindmq::storage

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(rewindmq::storage::BenchRoot(), ec);
  return 0;
}
