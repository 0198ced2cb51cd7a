// What the facades' in-process fuzzers share: a Broker opened for fuzzing,
// and the harness (broker plus handler) that lives across inputs and is
// started afresh every so many, so that state from earlier inputs (queues,
// messages, offsets) is there for later ones without growing forever.
//
//   struct Harness { Harness() : broker(rmqtest::OpenFuzzBroker(dir, &clock))
//   {} ... }; extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t
//   size) {
//     Harness& h = rmqtest::RotatingHarness<Harness>(2000);
//     auto [line, body] = rmqtest::SplitFirstLine(AsText(data, size));
//     ...
//   }
#pragma once

#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/check.h"
#include "broker/broker.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace rmqtest {

// A broker for fuzzing in `dir`, on `clock`: no timer thread (the fuzzer
// runs due timers itself), no fsync, 1 MiB segments. `options` may set
// anything else (instances, limits). Aborts when it cannot open.
inline std::unique_ptr<rewindmq::broker::Broker> OpenFuzzBroker(
    const ScopedTempDir& dir, FakeClock* clock,
    rewindmq::broker::BrokerOptions options = {}) {
  options.data_dir = dir.Sub("data");
  options.clock = clock;
  options.start_timer_thread = false;
  options.store.segment_bytes = 1 << 20;
  options.store.durability = rewindmq::storage::Durability::kNever;
  absl::StatusOr<std::unique_ptr<rewindmq::broker::Broker>> broker =
      rewindmq::broker::Broker::Open(options);
  RMQ_CHECK(broker.ok());
  return *std::move(broker);
}

// The harness for the current input: a fresh T on the first input and
// every `every` inputs after it, the same one in between. The last one is
// destroyed at exit; the handler is registered after RocksDB's own statics
// exist (the first T opens a store), so it runs before they are destroyed.
template <typename T>
T& RotatingHarness(int every) {
  static T* harness = nullptr;
  static int inputs = 0;
  if (inputs++ % every == 0) {
    const bool first = harness == nullptr;
    delete harness;
    harness = new T();
    if (first) {
      std::atexit([] {
        delete harness;
        harness = nullptr;
      });
    }
  }
  return *harness;
}

// "<line>\n<rest>" split at the first newline; no newline: all line.
inline std::pair<absl::string_view, absl::string_view> SplitFirstLine(
    absl::string_view in) {
  const size_t nl = in.find('\n');
  if (nl == absl::string_view::npos) return {in, absl::string_view()};
  return {in.substr(0, nl), in.substr(nl + 1)};
}

}  // namespace rmqtest
