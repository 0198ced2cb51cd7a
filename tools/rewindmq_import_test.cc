// Runs the rewindmq-import binary on temporary data folders, then opens
// each folder with the embedding API (as the server would) and checks what
// was stored.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

#ifndef REWINDMQ_IMPORT_BINARY
#error "REWINDMQ_IMPORT_BINARY must name the rewindmq-import binary"
#endif

namespace rewindmq {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ImportTest : public ::testing::Test {
 protected:
  // Runs the tool with `args` (each single-quoted for the shell).
  Outcome Import(const std::vector<std::string>& args) {
    std::vector<std::string> quoted = {REWINDMQ_IMPORT_BINARY};
    for (const std::string& a : args) quoted.push_back("'" + a + "'");
    const std::string cmd =
        absl::StrCat(absl::StrJoin(quoted, " "), " --log-level warning >",
                     dir_.Sub("out"), " 2>", dir_.Sub("err"));
    const int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = ReadFile(dir_.Sub("out"));
    o.err = ReadFile(dir_.Sub("err"));
    return o;
  }

  std::unique_ptr<broker::Broker> Open() {
    broker::BrokerOptions options;
    options.data_dir = data_;
    absl::StatusOr<std::unique_ptr<broker::Broker>> b =
        broker::Broker::Open(options);
    EXPECT_OK(b.status());
    return b.ok() ? *std::move(b) : nullptr;
  }

  static int64_t MaxOffset(broker::Broker& b, const std::string& topic,
                           int queue_id) {
    absl::StatusOr<broker::TopicStatus> s =
        b.topics().GetTopicStatus(kInst, topic);
    EXPECT_OK(s.status());
    if (!s.ok()) return -1;
    for (const broker::QueueStatus& q : s->queues) {
      if (q.queue.queue_id == queue_id) return q.max_offset.value;
    }
    return -1;
  }

  // Storage queue id of each queue id, from the tool's summary line: the
  // number after each "queue_id": and the "storage_queue_id": after it.
  static std::map<int, uint64_t> StorageIds(const std::string& summary) {
    std::map<int, uint64_t> ids;
    auto number_after = [&](const std::string& key, size_t from, size_t* end) {
      const size_t at = summary.find(key, from);
      if (at == std::string::npos) return std::optional<uint64_t>();
      size_t i = at + key.size();
      uint64_t v = 0;
      bool any = false;
      while (i < summary.size() && summary[i] >= '0' && summary[i] <= '9') {
        v = v * 10 + static_cast<uint64_t>(summary[i] - '0');
        ++i;
        any = true;
      }
      *end = i;
      return any ? std::optional<uint64_t>(v) : std::optional<uint64_t>();
    };
    size_t pos = 0;
    for (int guard = 0; guard < 1000; ++guard) {
      size_t end = 0;
      const std::optional<uint64_t> q =
          number_after("\"queue_id\":", pos, &end);
      if (!q.has_value()) break;
      const std::optional<uint64_t> sq =
          number_after("\"storage_queue_id\":", end, &pos);
      if (!sq.has_value()) break;
      ids[static_cast<int>(*q)] = *sq;
    }
    return ids;
  }

  static std::string Body(broker::Broker& b, const std::string& topic,
                          uint64_t storage_id, int64_t offset) {
    absl::StatusOr<broker::Message> m =
        b.topics().GetMessageAt(kInst, topic, storage_id, Offset{offset});
    EXPECT_OK(m.status());
    return m.ok() ? m->body : "";
  }

  static constexpr char kInst[] = "00000000-0000-4000-8000-000000000001";
  rmqtest::ScopedTempDir dir_;
  const std::string data_ = dir_.Sub("data");
};

TEST_F(ImportTest, GeneratedMessagesFillTheQueuesInTurnByBatch) {
  Outcome o =
      Import({"--data-dir", data_, "--topic", "bulk", "--count", "2500",
              "--batch", "1000", "--queues", "2", "--body-bytes", "40"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr(R"("imported":2500)"));
  EXPECT_THAT(o.err, HasSubstr("created topic bulk with 2 queue(s)"));
  EXPECT_THAT(o.err, HasSubstr("synced"));

  const std::map<int, uint64_t> ids = StorageIds(o.out);
  ASSERT_EQ(ids.size(), 2u) << o.out;
  const uint64_t q0 = ids.at(0);
  const uint64_t q1 = ids.at(1);
  std::unique_ptr<broker::Broker> b = Open();
  ASSERT_NE(b, nullptr);
  // Batches of 1000: queue 0, queue 1, then the last 500 to queue 0.
  EXPECT_EQ(MaxOffset(*b, "bulk", 0), 1500);
  EXPECT_EQ(MaxOffset(*b, "bulk", 1), 1000);
  const std::string first = Body(*b, "bulk", q0, 0);
  EXPECT_EQ(first.size(), 40u);
  EXPECT_EQ(first.substr(0, 10), "message 0 ");
  EXPECT_EQ(Body(*b, "bulk", q1, 0).substr(0, 13), "message 1000 ");
  EXPECT_EQ(Body(*b, "bulk", q0, 1000).substr(0, 13), "message 2000 ");
  EXPECT_EQ(Body(*b, "bulk", q0, 1499).substr(0, 13), "message 2499 ");
}

TEST_F(ImportTest, InputLinesBecomeBodiesAndAnExistingTopicGrows) {
  {
    std::ofstream in(dir_.Sub("in.txt"), std::ios::binary);
    in << "first\r\n\nsecond line\nthird";
  }
  Outcome o = Import(
      {"--data-dir", data_, "--topic", "lines", "--input", dir_.Sub("in.txt")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr(R"("imported":3,"skipped_empty_lines":1)"));
  const uint64_t q = StorageIds(o.out).at(0);
  o = Import(
      {"--data-dir", data_, "--topic=lines", "--count=2", "--body-bytes=12"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.err, ::testing::Not(HasSubstr("created topic")));

  std::unique_ptr<broker::Broker> b = Open();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(MaxOffset(*b, "lines", 0), 5);
  EXPECT_EQ(Body(*b, "lines", q, 0), "first");
  EXPECT_EQ(Body(*b, "lines", q, 1), "second line");
  EXPECT_EQ(Body(*b, "lines", q, 2), "third");
  EXPECT_EQ(Body(*b, "lines", q, 3), "message 0 xx");
  // Store times never go backwards, across both runs.
  absl::Time previous = absl::InfinitePast();
  for (int64_t off = 0; off < 5; ++off) {
    absl::StatusOr<broker::Message> m =
        b->topics().GetMessageAt(kInst, "lines", q, Offset{off});
    ASSERT_OK(m.status());
    EXPECT_GE(m->store_time, previous);
    previous = m->store_time;
  }
}

TEST_F(ImportTest, BadUsageIsExplainedWithExitCode2) {
  Outcome o = Import({"--data-dir", data_, "--count", "5"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("--topic is required"));
  o = Import(
      {"--data-dir", data_, "--topic", "t", "--count", "5", "--input", "x"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("exactly one of --count and --input"));
  o = Import({"--data-dir", data_, "--topic", "t", "--count", "zero"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("--count must be an integer"));
  o = Import({"--data-dir", data_, "--topic", "t", "--count", "5",
              "--no-such-flag", "1"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("no-such-flag"));
  o = Import({"--help"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_THAT(o.out, HasSubstr("usage: rewindmq-import"));
}

TEST_F(ImportTest, AFolderInUseOrAMissingInputFailsWithoutImporting) {
  {
    std::unique_ptr<broker::Broker> held = Open();
    ASSERT_NE(held, nullptr);
    Outcome o = Import({"--data-dir", data_, "--topic", "t", "--count", "5"});
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_FALSE(o.err.empty());
  }
  Outcome o = Import({"--data-dir", data_, "--topic", "t", "--input",
                      dir_.Sub("missing.txt")});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, HasSubstr("cannot open --input"));
  std::unique_ptr<broker::Broker> b = Open();
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->topics().GetTopic(kInst, "t").ok());
}

}  // namespace
}  // namespace rewindmq
