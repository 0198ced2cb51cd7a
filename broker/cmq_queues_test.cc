#include "broker/cmq_queues.h"

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "broker/broker.h"
#include "broker/broker_test_fixture.h"
#include "broker/core.h"
#include "broker/kv_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rewindmq::broker {
namespace {

using ::rmqtest::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

using ReceiveResult = absl::StatusOr<std::vector<CmqReceivedMessage>>;

// True when `s` has 1 to `max_len` characters, each a letter, a digit or
// one of `extra` (a regex-free [A-Za-z0-9<extra>]{1,max_len}).
bool OnlyChars(const std::string& s, const std::string& extra, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        extra.find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

// Collects what a long poll completes with.
struct PollResult {
  int calls = 0;
  ReceiveResult result = absl::UnknownError("not completed");
  CmqReceiveCallback Callback() {
    return [this](ReceiveResult r) {
      ++calls;
      result = std::move(r);
    };
  }
  bool done() const { return calls > 0; }
};

class CmqQueuesTest : public BrokerFixture {
 protected:
  void SetUp() override {
    BrokerFixture::SetUp();
    ASSERT_OK(cmq().CreateQueue(
        inst_, "q", {.msg_retention_seconds = 3600, .rewind_seconds = 600}));
  }

  std::string Send(const std::string& body, absl::Duration delay = {}) {
    absl::StatusOr<std::string> id = cmq().SendMessage(inst_, "q", body, delay);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  CmqReceivedMessage Receive() {
    absl::StatusOr<std::vector<CmqReceivedMessage>> r =
        cmq().ReceiveMessages(inst_, "q", 1);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && !r->empty() ? r->front() : CmqReceivedMessage{};
  }

  Reason ReceiveReason() {
    return ReasonOf(cmq().ReceiveMessages(inst_, "q", 1).status());
  }

  CmqQueueCounters Counters() {
    absl::StatusOr<CmqQueueInfo> info = cmq().GetQueueAttributes(inst_, "q");
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->counters : CmqQueueCounters{};
  }

  int64_t NowSeconds() { return absl::ToUnixSeconds(clock_.Now()); }
};

TEST_F(CmqQueuesTest, CreateAppliesTheVendorDefaults) {
  ASSERT_OK_AND_ASSIGN(CmqQueueInfo info, cmq().CreateQueue(inst_, "plain"));
  EXPECT_EQ(info.attributes.max_msg_heap_num, 10'000'000);
  EXPECT_EQ(info.attributes.polling_wait_seconds, 0);
  EXPECT_EQ(info.attributes.visibility_timeout, 30);
  EXPECT_EQ(info.attributes.max_msg_size, 65536);
  EXPECT_EQ(info.attributes.msg_retention_seconds, 345600);
  EXPECT_EQ(info.attributes.rewind_seconds, 0);
  EXPECT_EQ(info.create_time, clock_.Now());
  EXPECT_EQ(info.last_modify_time, clock_.Now());
  EXPECT_TRUE(OnlyChars(info.queue_id, "-", 64)) << info.queue_id;
}

TEST_F(CmqQueuesTest, AttributeRangesAreEnforced) {
  struct Case {
    CmqQueueAttributesUpdate attrs;
    Reason reason;
  };
  const std::vector<Case> cases = {
      {{.polling_wait_seconds = 31}, Reason::kAttributeOutOfRange},
      {{.visibility_timeout = 0}, Reason::kAttributeOutOfRange},
      {{.visibility_timeout = 43201}, Reason::kAttributeOutOfRange},
      {{.max_msg_size = 1023}, Reason::kAttributeOutOfRange},
      {{.max_msg_size = 1048577}, Reason::kAttributeOutOfRange},
      {{.msg_retention_seconds = 59}, Reason::kAttributeOutOfRange},
      {{.msg_retention_seconds = 1296001}, Reason::kAttributeOutOfRange},
      {{.max_msg_heap_num = 1'000'000'001}, Reason::kAttributeOutOfRange},
      {{.msg_retention_seconds = 60, .rewind_seconds = 61},
       Reason::kRewindExceedsRetention},
  };
  for (const Case& c : cases) {
    absl::Status s = cmq().CreateQueue(inst_, "ranged", c.attrs).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(ReasonOf(s), c.reason) << s;
  }
  EXPECT_OK(cmq().CreateQueue(inst_, "ranged", {.max_msg_size = 1048576}));
}

TEST_F(CmqQueuesTest, NamesFollowTheRuleAndCompareWithoutCase) {
  EXPECT_EQ(ReasonOf(cmq().CreateQueue(inst_, "1abc").status()),
            Reason::kInvalidName);
  EXPECT_EQ(ReasonOf(cmq().CreateQueue(inst_, "a_b").status()),
            Reason::kInvalidName);
  EXPECT_EQ(ReasonOf(cmq().CreateQueue(inst_, std::string(65, 'a')).status()),
            Reason::kInvalidName);
  absl::Status s = cmq().CreateQueue(inst_, "Q").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(s), Reason::kQueueExists);
  ASSERT_OK(cmq().SendMessage(inst_, "Q", "via upper case"));
  EXPECT_EQ(Receive().body, "via upper case");
}

TEST_F(CmqQueuesTest, QueueLimitIsEnforced) {
  BrokerOptions o = DefaultOptions();
  o.max_cmq_queues = 2;
  broker_.reset();
  OpenBroker(o);  // "q" exists already
  ASSERT_OK(cmq().CreateQueue(inst_, "second"));
  absl::Status s = cmq().CreateQueue(inst_, "third").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(s), Reason::kQueueLimit);
}

TEST_F(CmqQueuesTest, ListFiltersPagesAndKeepsCreationOrder) {
  ASSERT_OK(cmq().CreateQueue(inst_, "zz-orders"));
  ASSERT_OK(cmq().CreateQueue(inst_, "aa-orders"));
  ASSERT_OK(cmq().CreateQueue(inst_, "other"));
  ASSERT_OK_AND_ASSIGN(CmqQueueListResult r,
                       cmq().ListQueues(inst_, "orders", 0, 20));
  EXPECT_EQ(r.total, 2);
  ASSERT_THAT(r.queues, SizeIs(2));
  EXPECT_EQ(r.queues[0].name, "zz-orders");
  EXPECT_EQ(r.queues[1].name, "aa-orders");
  ASSERT_OK_AND_ASSIGN(r, cmq().ListQueues(inst_, "", 1, 2));
  EXPECT_EQ(r.total, 4);
  ASSERT_THAT(r.queues, SizeIs(2));
  EXPECT_EQ(r.queues[0].name, "zz-orders");
  ASSERT_OK_AND_ASSIGN(r, cmq().ListQueues(inst_, "Orders", 0, 20));
  EXPECT_EQ(r.total, 0);  // case-sensitive substring
}

TEST_F(CmqQueuesTest, SetAttributesMergesValidatesAndStampsModifyTime) {
  clock_.Advance(absl::Seconds(10));
  ASSERT_OK_AND_ASSIGN(
      CmqQueueInfo info,
      cmq().SetQueueAttributes(inst_, "q", {.visibility_timeout = 99}));
  EXPECT_EQ(info.attributes.visibility_timeout, 99);
  EXPECT_EQ(info.attributes.rewind_seconds, 600);
  EXPECT_EQ(info.last_modify_time, clock_.Now());
  EXPECT_NE(info.create_time, info.last_modify_time);
  absl::Status s =
      cmq()
          .SetQueueAttributes(inst_, "q", {.msg_retention_seconds = 300})
          .status();
  EXPECT_EQ(ReasonOf(s), Reason::kRewindExceedsRetention);
  ASSERT_OK_AND_ASSIGN(info, cmq().GetQueueAttributes(inst_, "q"));
  EXPECT_EQ(info.attributes.msg_retention_seconds, 3600);  // unchanged
  Reopen();
  ASSERT_OK_AND_ASSIGN(info, cmq().GetQueueAttributes(inst_, "q"));
  EXPECT_EQ(info.attributes.visibility_timeout, 99);
}

TEST_F(CmqQueuesTest, SetWithNothingToChangeStillStampsModifyTime) {
  clock_.Advance(absl::Seconds(10));
  for (CmqApi api : {CmqApi::kV2, CmqApi::kV3}) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_OK_AND_ASSIGN(CmqQueueInfo info,
                         cmq().SetQueueAttributes(inst_, "q", {.api = api}));
    EXPECT_EQ(info.last_modify_time, clock_.Now());
    EXPECT_EQ(info.attributes.rewind_seconds, 600);
  }
}

// --- The two API faces (tdmq-cmq-v3.md 7) ---

TEST_F(CmqQueuesTest, V3CreateTakesUnderscoresAndStoresTheV3Defaults) {
  ASSERT_OK_AND_ASSIGN(
      CmqQueueInfo info,
      cmq().CreateQueue(inst_, "order_events", {.api = CmqApi::kV3}));
  EXPECT_EQ(info.name, "order_events");
  EXPECT_EQ(info.attributes.max_msg_heap_num, 10'000'000);
  EXPECT_EQ(info.attributes.polling_wait_seconds, 0);
  EXPECT_EQ(info.attributes.visibility_timeout, 30);
  EXPECT_EQ(info.attributes.max_msg_size, 1'048'576);
  EXPECT_EQ(info.attributes.msg_retention_seconds, 3600);
  EXPECT_EQ(info.attributes.rewind_seconds, 0);
  // Stored as explicit values: a restart reads the same numbers.
  Reopen();
  ASSERT_OK_AND_ASSIGN(info, cmq().GetQueueAttributes(inst_, "order_events"));
  EXPECT_EQ(info.attributes.max_msg_size, 1'048'576);
  EXPECT_EQ(info.attributes.msg_retention_seconds, 3600);
}

TEST_F(CmqQueuesTest, V3CreateChecksTheV3NameRule) {
  for (const char* bad : {"_orders", "1orders", "a.b", ""}) {
    EXPECT_EQ(
        ReasonOf(cmq().CreateQueue(inst_, bad, {.api = CmqApi::kV3}).status()),
        Reason::kInvalidName)
        << bad;
  }
  EXPECT_EQ(ReasonOf(cmq()
                         .CreateQueue(inst_, std::string(65, 'a'),
                                      {.api = CmqApi::kV3})
                         .status()),
            Reason::kInvalidName);
}

TEST_F(CmqQueuesTest, V2CreateRefusesUnderscores) {
  absl::Status s = cmq().CreateQueue(inst_, "order_events").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), Reason::kInvalidName);
  EXPECT_EQ(ReasonOf(cmq().GetQueueAttributes(inst_, "order_events").status()),
            Reason::kQueueNotFound);
}

TEST_F(CmqQueuesTest, EveryOperationReachesAQueueWithAnUnderscore) {
  const absl::Time t0 = clock_.Now();
  ASSERT_OK(cmq().CreateQueue(inst_, "order_events",
                              {.api = CmqApi::kV3, .rewind_seconds = 600}));
  ASSERT_OK(cmq().SetQueueAttributes(inst_, "Order_Events",
                                     {.visibility_timeout = 45}));
  ASSERT_OK(cmq().SendMessage(inst_, "order_events", "a"));
  ASSERT_OK(cmq().BatchSendMessage(inst_, "ORDER_EVENTS", {"b", "c"}));
  ASSERT_OK_AND_ASSIGN(std::vector<CmqReceivedMessage> got,
                       cmq().ReceiveMessages(inst_, "order_events", 3));
  ASSERT_THAT(got, SizeIs(3));
  EXPECT_EQ(got[0].next_visible_time, clock_.Now() + absl::Seconds(45));
  ASSERT_OK(cmq().DeleteMessage(inst_, "order_events", got[0].receipt_handle));
  ASSERT_OK(cmq().BatchDeleteMessage(
      inst_, "order_events", {got[1].receipt_handle, got[2].receipt_handle}));
  EXPECT_THAT(cmq().RewindQueue(inst_, "order_events", t0),
              rmqtest::IsOkAndHolds(3));
  EXPECT_THAT(cmq().ClearQueue(inst_, "order_events"),
              rmqtest::IsOkAndHolds(3));
  PollResult p;
  cmq().ReceiveAsync(inst_, "order_events", 1, absl::Seconds(5), p.Callback());
  ASSERT_OK(cmq().DeleteQueue(inst_, "order_events"));
  ASSERT_TRUE(p.done());
  EXPECT_EQ(ReasonOf(p.result.status()), Reason::kQueueNotFound);
}

TEST_F(CmqQueuesTest, RetentionOfThirtySecondsIsAV3OnlyValue) {
  ASSERT_OK(cmq().CreateQueue(
      inst_, "short", {.api = CmqApi::kV3, .msg_retention_seconds = 30}));
  EXPECT_EQ(ReasonOf(cmq()
                         .CreateQueue(
                             inst_, "short2",
                             {.api = CmqApi::kV3, .msg_retention_seconds = 29})
                         .status()),
            Reason::kAttributeOutOfRange);
  EXPECT_EQ(
      ReasonOf(cmq()
                   .CreateQueue(inst_, "short2", {.msg_retention_seconds = 30})
                   .status()),
      Reason::kAttributeOutOfRange);

  // A 2.0 write must stay in the 2.0 range...
  absl::Status s =
      cmq()
          .SetQueueAttributes(inst_, "short", {.msg_retention_seconds = 30})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), Reason::kAttributeOutOfRange);
  s = cmq()
          .SetQueueAttributes(
              inst_, "q", {.msg_retention_seconds = 30, .rewind_seconds = 0})
          .status();
  EXPECT_EQ(ReasonOf(s), Reason::kAttributeOutOfRange);
  // ...but a 3.0 value it does not touch reads and stays fine over 2.0.
  ASSERT_OK_AND_ASSIGN(
      CmqQueueInfo info,
      cmq().SetQueueAttributes(inst_, "short", {.visibility_timeout = 40}));
  EXPECT_EQ(info.attributes.msg_retention_seconds, 30);
  EXPECT_EQ(info.attributes.visibility_timeout, 40);

  // A 3.0 write of 30 is in range, on a queue of either face.
  ASSERT_OK_AND_ASSIGN(info,
                       cmq().SetQueueAttributes(inst_, "q",
                                                {.api = CmqApi::kV3,
                                                 .msg_retention_seconds = 30,
                                                 .rewind_seconds = 30}));
  EXPECT_EQ(info.attributes.msg_retention_seconds, 30);
  // Every other range is the same on both faces.
  EXPECT_EQ(ReasonOf(cmq()
                         .SetQueueAttributes(
                             inst_, "q",
                             {.api = CmqApi::kV3, .visibility_timeout = 43201})
                         .status()),
            Reason::kAttributeOutOfRange);
  EXPECT_EQ(
      ReasonOf(cmq()
                   .SetQueueAttributes(
                       inst_, "q", {.api = CmqApi::kV3, .rewind_seconds = 31})
                   .status()),
      Reason::kRewindExceedsRetention);
}

TEST_F(CmqQueuesTest, V3CreateChecksRewindAgainstTheV3DefaultRetention) {
  absl::Status s =
      cmq()
          .CreateQueue(inst_, "orders",
                       {.api = CmqApi::kV3, .rewind_seconds = 7200})
          .status();
  EXPECT_EQ(ReasonOf(s), Reason::kRewindExceedsRetention);
  EXPECT_OK(cmq().CreateQueue(inst_, "orders", {.rewind_seconds = 7200}));
}

CmqQueueAttributesUpdate SomeExtras() {
  CmqQueueAttributesUpdate u;
  u.api = CmqApi::kV3;
  u.trace = true;
  u.tags = std::vector<CmqTag>{{"env", "prod"}, {"team", ""}};
  u.retention_size_mb = 1024;
  u.dead_letter = CmqDeadLetterPolicy{.dead_letter_queue = "dlq",
                                      .policy = 1,
                                      .max_time_to_live = 600,
                                      .max_receive_count = 0};
  return u;
}

void ExpectSomeExtras(const CmqQueueExtras& e) {
  EXPECT_TRUE(e.trace);
  ASSERT_THAT(e.tags, SizeIs(2));
  EXPECT_EQ(e.tags[0].key, "env");
  EXPECT_EQ(e.tags[0].value, "prod");
  EXPECT_EQ(e.tags[1].key, "team");
  EXPECT_EQ(e.tags[1].value, "");
  EXPECT_EQ(e.retention_size_mb, 1024);
  ASSERT_TRUE(e.dead_letter.has_value());
  EXPECT_EQ(e.dead_letter->dead_letter_queue, "dlq");
  EXPECT_EQ(e.dead_letter->policy, 1);
  EXPECT_EQ(e.dead_letter->max_time_to_live, 600);
  EXPECT_EQ(e.dead_letter->max_receive_count, 0);
}

TEST_F(CmqQueuesTest, ExtrasAreStoredReportedAndKeptAcrossARestart) {
  ASSERT_OK_AND_ASSIGN(CmqQueueInfo info,
                       cmq().CreateQueue(inst_, "x_q", SomeExtras()));
  ExpectSomeExtras(info.extras);
  ASSERT_OK_AND_ASSIGN(info, cmq().GetQueueAttributes(inst_, "x_q"));
  ExpectSomeExtras(info.extras);
  ASSERT_OK_AND_ASSIGN(CmqQueueListResult list,
                       cmq().ListQueues(inst_, "x_", 0, 20));
  ASSERT_THAT(list.queues, SizeIs(1));
  ExpectSomeExtras(list.queues[0].extras);
  Reopen();
  ASSERT_OK_AND_ASSIGN(info, cmq().GetQueueAttributes(inst_, "x_q"));
  ExpectSomeExtras(info.extras);
}

TEST_F(CmqQueuesTest, QueuesStartWithoutExtras) {
  ASSERT_OK_AND_ASSIGN(CmqQueueInfo info, cmq().GetQueueAttributes(inst_, "q"));
  EXPECT_FALSE(info.extras.trace);
  EXPECT_THAT(info.extras.tags, IsEmpty());
  EXPECT_EQ(info.extras.retention_size_mb, 0);
  EXPECT_EQ(info.extras.dead_letter, std::nullopt);
}

TEST_F(CmqQueuesTest, SetReplacesTheExtrasItNamesAndKeepsTheOthers) {
  ASSERT_OK(cmq().CreateQueue(inst_, "x_q", SomeExtras()));
  // A 2.0 change leaves every extra untouched.
  ASSERT_OK_AND_ASSIGN(
      CmqQueueInfo info,
      cmq().SetQueueAttributes(inst_, "x_q", {.visibility_timeout = 99}));
  ExpectSomeExtras(info.extras);

  CmqQueueAttributesUpdate u{.api = CmqApi::kV3};
  u.tags = std::vector<CmqTag>{{"owner", "ops"}};
  u.retention_size_mb = 0;
  ASSERT_OK_AND_ASSIGN(info, cmq().SetQueueAttributes(inst_, "x_q", u));
  EXPECT_TRUE(info.extras.trace);
  ASSERT_THAT(info.extras.tags, SizeIs(1));
  EXPECT_EQ(info.extras.tags[0].key, "owner");
  EXPECT_EQ(info.extras.retention_size_mb, 0);
  ASSERT_TRUE(info.extras.dead_letter.has_value());
  EXPECT_EQ(info.attributes.visibility_timeout, 99);

  u = {.api = CmqApi::kV3};
  u.dead_letter = CmqDeadLetterPolicy{
      .dead_letter_queue = "other", .policy = 0, .max_receive_count = 5};
  ASSERT_OK_AND_ASSIGN(info, cmq().SetQueueAttributes(inst_, "x_q", u));
  ASSERT_TRUE(info.extras.dead_letter.has_value());
  EXPECT_EQ(info.extras.dead_letter->dead_letter_queue, "other");
  EXPECT_EQ(info.extras.dead_letter->max_receive_count, 5);
  EXPECT_EQ(info.extras.dead_letter->max_time_to_live, 0);

  Reopen();
  ASSERT_OK_AND_ASSIGN(info, cmq().GetQueueAttributes(inst_, "x_q"));
  ASSERT_THAT(info.extras.tags, SizeIs(1));
  EXPECT_EQ(info.extras.tags[0].value, "ops");
  EXPECT_EQ(info.extras.dead_letter->dead_letter_queue, "other");
}

TEST_F(CmqQueuesTest, ClearDeadLetterDropsThePolicyAndStampsModifyTime) {
  ASSERT_OK(cmq().CreateQueue(inst_, "x_q", SomeExtras()));
  clock_.Advance(absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(
      CmqQueueInfo info,
      cmq().SetQueueAttributes(
          inst_, "x_q", {.api = CmqApi::kV3, .clear_dead_letter = true}));
  EXPECT_EQ(info.extras.dead_letter, std::nullopt);
  EXPECT_TRUE(info.extras.trace);
  EXPECT_EQ(info.last_modify_time, clock_.Now());
  // A no-op when there is none.
  EXPECT_OK(cmq().SetQueueAttributes(
      inst_, "x_q", {.api = CmqApi::kV3, .clear_dead_letter = true}));
  Reopen();
  ASSERT_OK_AND_ASSIGN(info, cmq().GetQueueAttributes(inst_, "x_q"));
  EXPECT_EQ(info.extras.dead_letter, std::nullopt);
  EXPECT_EQ(info.extras.retention_size_mb, 1024);
}

TEST_F(CmqQueuesTest, ExtrasAreCheckedAndAFailedCallChangesNothing) {
  ASSERT_OK(cmq().CreateQueue(inst_, "x_q", SomeExtras()));
  for (int64_t mb : {int64_t{-1}, int64_t{512001}}) {
    CmqQueueAttributesUpdate u{.api = CmqApi::kV3};
    u.retention_size_mb = mb;
    absl::Status s = cmq().SetQueueAttributes(inst_, "x_q", u).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << mb;
    EXPECT_EQ(ReasonOf(s), Reason::kAttributeOutOfRange) << mb;
    EXPECT_EQ(ReasonOf(cmq().CreateQueue(inst_, "y_q", u).status()),
              Reason::kAttributeOutOfRange);
  }
  CmqQueueAttributesUpdate u{.api = CmqApi::kV3};
  u.retention_size_mb = 512000;
  u.tags = std::vector<CmqTag>{{"env", "a"}, {"env", "b"}};
  absl::Status s = cmq().SetQueueAttributes(inst_, "x_q", u).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), Reason::kAttributeOutOfRange);

  u = SomeExtras();
  u.clear_dead_letter = true;
  EXPECT_EQ(cmq().SetQueueAttributes(inst_, "x_q", u).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cmq().CreateQueue(inst_, "y_q", u).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_OK_AND_ASSIGN(CmqQueueInfo info,
                       cmq().GetQueueAttributes(inst_, "x_q"));
  ExpectSomeExtras(info.extras);
  EXPECT_EQ(ReasonOf(cmq().GetQueueAttributes(inst_, "y_q").status()),
            Reason::kQueueNotFound);
}

// Metadata written before the extras existed has none of their tags; such a
// queue opens with its attributes and default extras.
TEST_F(CmqQueuesTest, QueueStoredWithoutExtrasTagsOpensWithDefaultExtras) {
  ASSERT_OK_AND_ASSIGN(CmqQueueInfo created,
                       cmq().CreateQueue(inst_, "legacy", SomeExtras()));
  broker_.reset();
  {
    storage::StoreOptions so;
    so.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::Store> store,
                         storage::Store::Open(options_.data_dir, so));
    const std::string key =
        keys::CmqQueue(absl::StrCat("i/", inst_, "/"), "legacy");
    ASSERT_OK_AND_ASSIGN(std::string stored, store->kv().Get(key));
    ASSERT_OK_AND_ASSIGN(internal::KvFields f,
                         internal::KvFields::Parse(stored));
    // Tags 1 and 3-11, as every earlier version wrote them.
    internal::KvWriter old;
    old.Str(1, f.Str(1)).U64(3, f.U64(3));
    for (uint32_t tag = 4; tag <= 11; ++tag) old.I64(tag, f.I64(tag));
    ASSERT_OK(store->kv().Put(key, old.data(), /*sync=*/true));
  }
  OpenBroker(options_);
  ASSERT_OK_AND_ASSIGN(CmqQueueInfo info,
                       cmq().GetQueueAttributes(inst_, "legacy"));
  EXPECT_EQ(info.queue_id, created.queue_id);
  EXPECT_EQ(info.attributes.max_msg_size, 1'048'576);
  EXPECT_EQ(info.attributes.msg_retention_seconds, 3600);
  EXPECT_EQ(info.create_time, created.create_time);
  EXPECT_FALSE(info.extras.trace);
  EXPECT_THAT(info.extras.tags, IsEmpty());
  EXPECT_EQ(info.extras.retention_size_mb, 0);
  EXPECT_EQ(info.extras.dead_letter, std::nullopt);
  ASSERT_OK(cmq().SendMessage(inst_, "legacy", "still works"));
}

TEST_F(CmqQueuesTest, SendReceiveDeleteInSendOrder) {
  std::string id1 = Send("one");
  std::string id2 = Send("two");
  int64_t n1 = 0, n2 = 0;
  ASSERT_TRUE(absl::SimpleAtoi(id1, &n1));
  ASSERT_TRUE(absl::SimpleAtoi(id2, &n2));
  EXPECT_LT(n1, n2);
  clock_.Advance(absl::Seconds(2));
  CmqReceivedMessage m = Receive();
  EXPECT_EQ(m.msg_id, id1);
  EXPECT_EQ(m.body, "one");
  EXPECT_EQ(m.dequeue_count, 1);
  EXPECT_EQ(m.enqueue_time, absl::FromUnixSeconds(NowSeconds() - 2));
  EXPECT_EQ(m.first_dequeue_time, clock_.Now());
  EXPECT_EQ(m.next_visible_time, clock_.Now() + absl::Seconds(30));
  EXPECT_TRUE(OnlyChars(m.receipt_handle, "%#:_-", 256)) << m.receipt_handle;
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", m.receipt_handle));
  EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", m.receipt_handle)),
            Reason::kReceiptHandleInvalid);
  EXPECT_EQ(Receive().msg_id, id2);
  absl::Status s = cmq().ReceiveMessages(inst_, "q", 1).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ReasonOf(s), Reason::kNoMessage);
}

TEST_F(CmqQueuesTest, GarbageHandlesAreInvalid) {
  Send("x");
  Receive();
  for (const std::string& h : {std::string(""), std::string("a b"),
                               std::string("1:0:1:00000000000000FF"),
                               std::string(300, 'a'), std::string("::::")}) {
    EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", h)),
              Reason::kReceiptHandleInvalid)
        << h;
  }
}

TEST_F(CmqQueuesTest, SendValidatesSizeBatchAndDelay) {
  ASSERT_OK(cmq().SetQueueAttributes(inst_, "q", {.max_msg_size = 1024}));
  EXPECT_EQ(ReasonOf(cmq().SendMessage(inst_, "q", "").status()),
            Reason::kMessageEmpty);
  EXPECT_OK(cmq().SendMessage(inst_, "q", std::string(1024, 'x')));
  absl::Status s =
      cmq().SendMessage(inst_, "q", std::string(1025, 'x')).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), Reason::kMessageTooLarge);
  EXPECT_EQ(
      ReasonOf(
          cmq().SendMessage(inst_, "q", "x", absl::Seconds(3601)).status()),
      Reason::kDelayOutOfRange);
  EXPECT_EQ(ReasonOf(cmq().BatchSendMessage(inst_, "q", {}).status()),
            Reason::kBatchEmpty);
  // One bad body rejects the whole batch.
  std::vector<std::string> bodies = {"a", std::string(2000, 'x'), "c"};
  EXPECT_EQ(ReasonOf(cmq().BatchSendMessage(inst_, "q", bodies).status()),
            Reason::kMessageTooLarge);
  EXPECT_EQ(Counters().active, 1);
  EXPECT_EQ(ReasonOf(cmq().SendMessage(inst_, "ghost", "x").status()),
            Reason::kQueueNotFound);
}

TEST_F(CmqQueuesTest, BatchSendGetsConsecutiveIdsAndOneEnqueueTime) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids,
                       cmq().BatchSendMessage(inst_, "q", {"a", "b", "c"}));
  ASSERT_THAT(ids, SizeIs(3));
  ASSERT_OK_AND_ASSIGN(std::vector<CmqReceivedMessage> got,
                       cmq().ReceiveMessages(inst_, "q", 16));
  ASSERT_THAT(got, SizeIs(3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].msg_id, ids[i]);
    EXPECT_EQ(got[i].enqueue_time, got[0].enqueue_time);
  }
  EXPECT_EQ(got[1].body, "b");
}

TEST_F(CmqQueuesTest, HeapLimitCountsUndeletedMessagesAllOrNothing) {
  ASSERT_OK(cmq().CreateQueue(inst_, "small", {.max_msg_heap_num = 3}));
  ASSERT_OK(cmq().BatchSendMessage(inst_, "small", {"a", "b"}));
  absl::Status s = cmq().BatchSendMessage(inst_, "small", {"c", "d"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(s), Reason::kHeapFull);
  ASSERT_OK_AND_ASSIGN(auto got, cmq().ReceiveMessages(inst_, "small", 1));
  ASSERT_OK(cmq().DeleteMessage(inst_, "small", got[0].receipt_handle));
  EXPECT_OK(cmq().BatchSendMessage(inst_, "small", {"c", "d"}));
}

TEST_F(CmqQueuesTest, DelayedMessageBecomesActiveWhenTheDelayEnds) {
  Send("later", absl::Seconds(10));
  Send("now");
  EXPECT_EQ(Counters().delayed, 1);
  EXPECT_EQ(Receive().body, "now");
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  clock_.Advance(absl::Seconds(9));
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Receive().body, "later");
  EXPECT_EQ(Counters().delayed, 0);
}

TEST_F(CmqQueuesTest, VisibilityTimeoutRedeliversAndRetiresTheOldHandle) {
  std::string id = Send("x");
  CmqReceivedMessage first = Receive();
  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", first.receipt_handle)),
            Reason::kReceiptHandleInvalid);
  CmqReceivedMessage second = Receive();
  EXPECT_EQ(second.msg_id, id);
  EXPECT_EQ(second.dequeue_count, 2);
  EXPECT_EQ(second.first_dequeue_time, first.first_dequeue_time);
  EXPECT_NE(second.receipt_handle, first.receipt_handle);
  EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", first.receipt_handle)),
            Reason::kReceiptHandleInvalid);
  EXPECT_OK(cmq().DeleteMessage(inst_, "q", second.receipt_handle));
}

TEST_F(CmqQueuesTest, CountersAreExact) {
  clock_.Set(absl::FromUnixSeconds(1700000100));
  Send("a");
  Send("b");
  Send("c");
  Send("d", absl::Seconds(60));
  CmqReceivedMessage a = Receive();
  CmqReceivedMessage b = Receive();
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", a.receipt_handle));
  CmqQueueCounters c = Counters();
  EXPECT_EQ(c.active, 1);
  EXPECT_EQ(c.inactive, 1);
  EXPECT_EQ(c.delayed, 1);
  EXPECT_EQ(c.rewindable, 1);
  EXPECT_THAT(c.min_msg_time, Optional(absl::FromUnixSeconds(1700000100)));
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", b.receipt_handle));
  ASSERT_OK_AND_ASSIGN(auto rest, cmq().ReceiveMessages(inst_, "q", 16));
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", rest[0].receipt_handle));
  c = Counters();
  EXPECT_EQ(c.rewindable, 3);
  EXPECT_EQ(c.delayed, 1);  // d is the only undeleted message
  EXPECT_THAT(c.min_msg_time, Optional(absl::FromUnixSeconds(1700000100)));
}

TEST_F(CmqQueuesTest, MinMsgTimeIsAbsentWhenEverythingIsDeleted) {
  Send("a");
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", Receive().receipt_handle));
  EXPECT_FALSE(Counters().min_msg_time.has_value());
}

// cmq-v2.md 9.4, step by step (times in seconds of fake time).
TEST_F(CmqQueuesTest, WorkedRewindScenarioFromTheSpec) {
  const absl::Time t36000 = absl::FromUnixSeconds(1700036000);
  clock_.Set(t36000 + absl::Milliseconds(200));
  std::string a1 = Send("A1");
  std::string a2 = Send("A2");
  clock_.Set(t36000 + absl::Milliseconds(1500));
  std::string b1 = Send("B1");
  clock_.Set(t36000 + absl::Milliseconds(2700));
  std::string b2 = Send("B2");
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(cmq().DeleteMessage(inst_, "q", Receive().receipt_handle));
  }
  EXPECT_EQ(Counters().rewindable, 4);
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);

  ASSERT_OK_AND_ASSIGN(
      int64_t revived,
      cmq().RewindQueue(inst_, "q", t36000 + absl::Seconds(1)));
  EXPECT_EQ(revived, 2);
  CmqReceivedMessage m = Receive();
  EXPECT_EQ(m.msg_id, b1);
  EXPECT_EQ(m.dequeue_count, 2);
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", m.receipt_handle));
  m = Receive();
  EXPECT_EQ(m.msg_id, b2);
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", m.receipt_handle));
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);

  ASSERT_OK_AND_ASSIGN(revived, cmq().RewindQueue(inst_, "q", t36000));
  EXPECT_EQ(revived, 4);
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) order.push_back(Receive().msg_id);
  EXPECT_THAT(order, ElementsAre(a1, a2, b1, b2));

  absl::Status s =
      cmq().RewindQueue(inst_, "q", clock_.Now() - absl::Seconds(601)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), Reason::kRewindTimeOutOfRange);
  EXPECT_EQ(
      ReasonOf(cmq()
                   .RewindQueue(inst_, "q", clock_.Now() + absl::Seconds(1))
                   .status()),
      Reason::kRewindTimeOutOfRange);

  ASSERT_OK(cmq().SetQueueAttributes(inst_, "q", {.rewind_seconds = 0}));
  EXPECT_EQ(Counters().rewindable, 0);
  s = cmq().RewindQueue(inst_, "q", clock_.Now()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), Reason::kRewindDisabled);
  ASSERT_OK(cmq().SetQueueAttributes(inst_, "q", {.rewind_seconds = 600}));
  EXPECT_EQ(Counters().rewindable, 0);
}

TEST_F(CmqQueuesTest, RewindLeavesInFlightDelayedAndUnconsumedAlone) {
  const absl::Time t0 = clock_.Now();
  Send("deleted");
  Send("inflight");
  Send("unconsumed");
  Send("delayed", absl::Seconds(100));
  CmqReceivedMessage d = Receive();
  CmqReceivedMessage f = Receive();
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", d.receipt_handle));
  ASSERT_OK_AND_ASSIGN(int64_t revived, cmq().RewindQueue(inst_, "q", t0));
  EXPECT_EQ(revived, 1);
  CmqQueueCounters c = Counters();
  EXPECT_EQ(c.active, 2);  // "deleted" revived + "unconsumed"
  EXPECT_EQ(c.inactive, 1);
  EXPECT_EQ(c.delayed, 1);
  // The in-flight handle still works; the revived message comes first.
  EXPECT_OK(cmq().DeleteMessage(inst_, "q", f.receipt_handle));
  EXPECT_EQ(Receive().body, "deleted");
  EXPECT_EQ(Receive().body, "unconsumed");
}

TEST_F(CmqQueuesTest, RewindTwiceDeliversEachMessageOnce) {
  const absl::Time t0 = clock_.Now();
  Send("a");
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", Receive().receipt_handle));
  ASSERT_OK(cmq().RewindQueue(inst_, "q", t0));
  ASSERT_OK_AND_ASSIGN(int64_t again, cmq().RewindQueue(inst_, "q", t0));
  EXPECT_EQ(again, 0);
  EXPECT_EQ(Receive().body, "a");
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
}

TEST_F(CmqQueuesTest, DeletedMessagesLeaveTheRewindWindow) {
  const absl::Time t0 = clock_.Now();
  Send("old");
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", Receive().receipt_handle));
  clock_.Advance(absl::Seconds(600));
  EXPECT_EQ(Counters().rewindable, 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Counters().rewindable, 0);
  EXPECT_EQ(ReasonOf(cmq().RewindQueue(inst_, "q", t0).status()),
            Reason::kRewindTimeOutOfRange);
}

// --- ClearQueue (tdmq-cmq-v3.md 9.6) ---

TEST_F(CmqQueuesTest, ClearDeletesEveryUndeletedMessageKeepingItForRewind) {
  const absl::Time t0 = clock_.Now();
  std::string id_a = Send("a");
  std::string id_b = Send("b");
  Send("c");
  Send("d", absl::Seconds(50));
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", Receive().receipt_handle));
  CmqReceivedMessage b = Receive();
  ASSERT_OK_AND_ASSIGN(CmqQueueInfo before,
                       cmq().GetQueueAttributes(inst_, "q"));
  ASSERT_EQ(before.counters.rewindable, 1);
  clock_.Advance(absl::Seconds(1));

  EXPECT_THAT(cmq().ClearQueue(inst_, "q"), rmqtest::IsOkAndHolds(3));

  ASSERT_OK_AND_ASSIGN(CmqQueueInfo after,
                       cmq().GetQueueAttributes(inst_, "q"));
  EXPECT_EQ(after.counters.active, 0);
  EXPECT_EQ(after.counters.inactive, 0);
  EXPECT_EQ(after.counters.delayed, 0);
  EXPECT_EQ(after.counters.rewindable, 1 + 3);
  EXPECT_EQ(after.counters.min_msg_time, std::nullopt);
  EXPECT_EQ(after.last_modify_time, before.last_modify_time);
  EXPECT_EQ(after.queue_id, before.queue_id);
  EXPECT_EQ(after.attributes.rewind_seconds, 600);
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", b.receipt_handle)),
            Reason::kReceiptHandleInvalid);

  // A rewind brings every cleared message back, in send order, as itself.
  EXPECT_THAT(cmq().RewindQueue(inst_, "q", t0), rmqtest::IsOkAndHolds(4));
  ASSERT_OK_AND_ASSIGN(std::vector<CmqReceivedMessage> back,
                       cmq().ReceiveMessages(inst_, "q", 16));
  std::vector<std::string> bodies;
  for (const CmqReceivedMessage& m : back) bodies.push_back(m.body);
  EXPECT_THAT(bodies, ElementsAre("a", "b", "c", "d"));
  EXPECT_EQ(back[0].msg_id, id_a);
  EXPECT_EQ(back[1].msg_id, id_b);
  EXPECT_EQ(back[1].dequeue_count, 2);
  EXPECT_EQ(back[2].dequeue_count, 1);
}

TEST_F(CmqQueuesTest, ClearWithoutRewindDropsTheMessages) {
  ASSERT_OK(cmq().CreateQueue(inst_, "plain"));
  for (const char* body : {"a", "b", "c"}) {
    ASSERT_OK(cmq().SendMessage(inst_, "plain", body));
  }
  ASSERT_OK(cmq().SendMessage(inst_, "plain", "later", absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(std::vector<CmqReceivedMessage> got,
                       cmq().ReceiveMessages(inst_, "plain", 1));

  EXPECT_THAT(cmq().ClearQueue(inst_, "plain"), rmqtest::IsOkAndHolds(4));

  ASSERT_OK_AND_ASSIGN(CmqQueueInfo info,
                       cmq().GetQueueAttributes(inst_, "plain"));
  EXPECT_EQ(info.counters.active, 0);
  EXPECT_EQ(info.counters.inactive, 0);
  EXPECT_EQ(info.counters.delayed, 0);
  EXPECT_EQ(info.counters.rewindable, 0);
  EXPECT_EQ(
      ReasonOf(cmq().DeleteMessage(inst_, "plain", got[0].receipt_handle)),
      Reason::kReceiptHandleInvalid);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(ReasonOf(cmq().ReceiveMessages(inst_, "plain", 1).status()),
            Reason::kNoMessage);
  // The queue keeps working, and the cleared messages stay gone.
  ASSERT_OK(cmq().SendMessage(inst_, "plain", "new"));
  Reopen();
  ASSERT_OK_AND_ASSIGN(got, cmq().ReceiveMessages(inst_, "plain", 16));
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0].body, "new");
}

TEST_F(CmqQueuesTest, ClearKeepsOnlyWhatTheRewindWindowCanReach) {
  Send("old");
  clock_.Advance(absl::Seconds(400));
  const absl::Time t_new = clock_.Now();
  Send("new");
  clock_.Advance(absl::Seconds(201));  // "old" is 601 s old, the window 600

  EXPECT_THAT(cmq().ClearQueue(inst_, "q"), rmqtest::IsOkAndHolds(2));

  EXPECT_EQ(Counters().rewindable, 1);
  EXPECT_THAT(cmq().RewindQueue(inst_, "q", t_new), rmqtest::IsOkAndHolds(1));
  EXPECT_EQ(Receive().body, "new");
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
}

TEST_F(CmqQueuesTest, ClearedStateSurvivesARestart) {
  const absl::Time t0 = clock_.Now();
  Send("a");
  Send("b");
  CmqReceivedMessage a = Receive();
  ASSERT_OK(cmq().ClearQueue(inst_, "q"));
  Reopen();
  CmqQueueCounters c = Counters();
  EXPECT_EQ(c.active, 0);
  EXPECT_EQ(c.inactive, 0);
  EXPECT_EQ(c.rewindable, 2);
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", a.receipt_handle)),
            Reason::kReceiptHandleInvalid);
  EXPECT_THAT(cmq().RewindQueue(inst_, "q", t0), rmqtest::IsOkAndHolds(2));
  Reopen();
  EXPECT_EQ(Receive().body, "a");
  EXPECT_EQ(Receive().body, "b");
}

TEST_F(CmqQueuesTest, ClearLeavesLongPollsWaiting) {
  Send("delayed", absl::Seconds(5));
  PollResult p;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(20), p.Callback());
  ASSERT_FALSE(p.done());
  EXPECT_THAT(cmq().ClearQueue(inst_, "q"), rmqtest::IsOkAndHolds(1));
  EXPECT_FALSE(p.done());
  clock_.Advance(absl::Seconds(5));  // the cleared delay would end now
  broker_->RunDueTimers();
  EXPECT_FALSE(p.done());
  std::string id = Send("fresh");
  ASSERT_TRUE(p.done());
  ASSERT_OK(p.result);
  EXPECT_EQ(p.result->front().msg_id, id);
}

TEST_F(CmqQueuesTest, ClearOfAnEmptyQueueIsZeroAndOfAnUnknownOneNotFound) {
  EXPECT_THAT(cmq().ClearQueue(inst_, "q"), rmqtest::IsOkAndHolds(0));
  absl::Status s = cmq().ClearQueue(inst_, "nope").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(s), Reason::kQueueNotFound);
  EXPECT_EQ(ReasonOf(cmq().ClearQueue("no-such-instance", "q").status()),
            Reason::kInstanceNotFound);
}

TEST_F(CmqQueuesTest, MessagesExpireAfterRetention) {
  Send("a");
  CmqReceivedMessage inflight = Receive();
  Send("b");
  clock_.Advance(absl::Seconds(3599));
  EXPECT_EQ(Counters().active, 2);  // "a" came back after its visibility
  clock_.Advance(absl::Seconds(1));
  CmqQueueCounters c = Counters();
  EXPECT_EQ(c.active, 0);
  EXPECT_EQ(c.inactive, 0);
  EXPECT_FALSE(c.min_msg_time.has_value());
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", inflight.receipt_handle)),
            Reason::kReceiptHandleInvalid);
}

TEST_F(CmqQueuesTest, RetentionDropsSegmentsOfConsumedMessages) {
  BrokerOptions o = DefaultOptions();
  o.store.segment_bytes = 4096;
  broker_.reset();
  OpenBroker(o);
  for (int i = 0; i < 40; ++i) {
    Send(std::string(500, 'x'));
    clock_.Advance(absl::Seconds(1));
  }
  ASSERT_OK_AND_ASSIGN(auto got, cmq().ReceiveMessages(inst_, "q", 16));
  // With rewind on, deleted messages are kept; turn it off first.
  ASSERT_OK(cmq().SetQueueAttributes(inst_, "q", {.rewind_seconds = 0}));
  for (const auto& m : got) {
    ASSERT_OK(cmq().DeleteMessage(inst_, "q", m.receipt_handle));
  }
  clock_.Advance(absl::Seconds(1));
  Send("new");
  ASSERT_OK_AND_ASSIGN(RetentionReport r, broker_->RunRetention());
  EXPECT_GT(r.segments_removed, 0);
  EXPECT_EQ(Counters().active, 40 - 16 + 1);
  EXPECT_EQ(Receive().dequeue_count, 1);
}

TEST_F(CmqQueuesTest, LongPollIsServedByASend) {
  PollResult p;
  CmqWaitId id =
      cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(20), p.Callback());
  EXPECT_NE(id, 0u);
  EXPECT_FALSE(p.done());
  std::string msg_id = Send("hello");
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.calls, 1);
  ASSERT_OK(p.result);
  ASSERT_THAT(*p.result, SizeIs(1));
  EXPECT_EQ(p.result->front().msg_id, msg_id);
  EXPECT_FALSE(cmq().CancelReceive(id));
  broker_->RunDueTimers();
  clock_.Advance(absl::Seconds(30));
  broker_->RunDueTimers();
  EXPECT_EQ(p.calls, 1);
}

TEST_F(CmqQueuesTest, LongPollEndsWithNoMessageAtItsDeadline) {
  PollResult p;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(5), p.Callback());
  clock_.Advance(absl::Seconds(4));
  broker_->RunDueTimers();
  EXPECT_FALSE(p.done());
  clock_.Advance(absl::Seconds(1));
  broker_->RunDueTimers();
  ASSERT_TRUE(p.done());
  EXPECT_EQ(ReasonOf(p.result.status()), Reason::kNoMessage);
  EXPECT_EQ(p.result.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(CmqQueuesTest, LongPollWithoutWaitUsesTheQueuePollingWait) {
  ASSERT_OK(cmq().SetQueueAttributes(inst_, "q", {.polling_wait_seconds = 0}));
  PollResult now;
  EXPECT_EQ(cmq().ReceiveAsync(inst_, "q", 1, std::nullopt, now.Callback()),
            0u);
  ASSERT_TRUE(now.done());
  EXPECT_EQ(ReasonOf(now.result.status()), Reason::kNoMessage);

  ASSERT_OK(cmq().SetQueueAttributes(inst_, "q", {.polling_wait_seconds = 7}));
  PollResult later;
  cmq().ReceiveAsync(inst_, "q", 1, std::nullopt, later.Callback());
  clock_.Advance(absl::Seconds(6));
  broker_->RunDueTimers();
  EXPECT_FALSE(later.done());
  clock_.Advance(absl::Seconds(1));
  broker_->RunDueTimers();
  EXPECT_TRUE(later.done());
}

TEST_F(CmqQueuesTest, LongPollIsServedWhenADelayEnds) {
  Send("delayed", absl::Seconds(3));
  PollResult p;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), p.Callback());
  clock_.Advance(absl::Seconds(3));
  broker_->RunDueTimers();
  ASSERT_TRUE(p.done());
  ASSERT_OK(p.result);
  EXPECT_EQ(p.result->front().body, "delayed");
}

TEST_F(CmqQueuesTest, LongPollIsServedWhenAVisibilityTimeoutEnds) {
  ASSERT_OK(cmq().SetQueueAttributes(inst_, "q", {.visibility_timeout = 5}));
  Send("x");
  CmqReceivedMessage first = Receive();
  PollResult p;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), p.Callback());
  clock_.Advance(absl::Seconds(5));
  broker_->RunDueTimers();
  ASSERT_TRUE(p.done());
  ASSERT_OK(p.result);
  EXPECT_EQ(p.result->front().msg_id, first.msg_id);
  EXPECT_EQ(p.result->front().dequeue_count, 2);
}

TEST_F(CmqQueuesTest, LongPollIsServedByARewind) {
  const absl::Time t0 = clock_.Now();
  Send("x");
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", Receive().receipt_handle));
  PollResult p;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), p.Callback());
  EXPECT_FALSE(p.done());
  ASSERT_OK(cmq().RewindQueue(inst_, "q", t0));
  ASSERT_TRUE(p.done());
  ASSERT_OK(p.result);
  EXPECT_EQ(p.result->front().body, "x");
}

TEST_F(CmqQueuesTest, WaitersAreServedInOrderAndNeverShareADelivery) {
  std::vector<PollResult> polls(5);
  for (PollResult& p : polls) {
    cmq().ReceiveAsync(inst_, "q", 2, absl::Seconds(10), p.Callback());
  }
  ASSERT_OK(cmq().BatchSendMessage(inst_, "q", {"a", "b", "c"}));
  ASSERT_TRUE(polls[0].done());
  ASSERT_OK(polls[0].result);
  EXPECT_THAT(*polls[0].result, SizeIs(2));  // a, b
  ASSERT_TRUE(polls[1].done());
  ASSERT_OK(polls[1].result);
  ASSERT_THAT(*polls[1].result, SizeIs(1));
  EXPECT_EQ(polls[1].result->front().body, "c");
  EXPECT_FALSE(polls[2].done());
  Send("d");
  ASSERT_TRUE(polls[2].done());
  EXPECT_EQ(polls[2].result->front().body, "d");
  EXPECT_FALSE(polls[3].done());
  broker_.reset();  // ends the parked polls while `polls` lives
  EXPECT_EQ(ReasonOf(polls[4].result.status()), Reason::kWaitCancelled);
}

TEST_F(CmqQueuesTest, DeleteQueueEndsWaitersWithNotFound) {
  PollResult p;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), p.Callback());
  ASSERT_OK(cmq().DeleteQueue(inst_, "q"));
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(p.result.status()), Reason::kQueueNotFound);
  EXPECT_EQ(ReasonOf(cmq().GetQueueAttributes(inst_, "q").status()),
            Reason::kQueueNotFound);
  // The name is free again and the new queue starts empty.
  ASSERT_OK(cmq().CreateQueue(inst_, "q"));
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  clock_.Advance(absl::Seconds(20));
  EXPECT_EQ(broker_->RunDueTimers(), 0);
  EXPECT_EQ(p.calls, 1);
}

TEST_F(CmqQueuesTest, CancelEndsAWaitOnce) {
  PollResult p;
  CmqWaitId id =
      cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), p.Callback());
  EXPECT_TRUE(cmq().CancelReceive(id));
  EXPECT_FALSE(cmq().CancelReceive(id));
  ASSERT_TRUE(p.done());
  EXPECT_EQ(ReasonOf(p.result.status()), Reason::kWaitCancelled);
  Send("x");
  EXPECT_EQ(p.calls, 1);
  EXPECT_EQ(Receive().body, "x");
}

TEST_F(CmqQueuesTest, StopWaitingEndsPendingPollsEmptyAndLaterOnesAtOnce) {
  PollResult pending, later;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), pending.Callback());
  ASSERT_FALSE(pending.done());
  broker_->StopWaiting();
  ASSERT_TRUE(pending.done());
  EXPECT_EQ(ReasonOf(pending.result.status()), Reason::kNoMessage);
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), later.Callback());
  ASSERT_TRUE(later.done());
  EXPECT_EQ(ReasonOf(later.result.status()), Reason::kNoMessage);
  // Messages are still delivered.
  Send("x");
  EXPECT_EQ(Receive().body, "x");
  EXPECT_EQ(pending.calls, 1);
}

TEST_F(CmqQueuesTest, BadLongPollsCompleteAtOnce) {
  PollResult unknown, too_long;
  EXPECT_EQ(cmq().ReceiveAsync(inst_, "ghost", 1, absl::Seconds(1),
                               unknown.Callback()),
            0u);
  EXPECT_EQ(ReasonOf(unknown.result.status()), Reason::kQueueNotFound);
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(31), too_long.Callback());
  EXPECT_EQ(ReasonOf(too_long.result.status()), Reason::kPollWaitOutOfRange);
}

TEST_F(CmqQueuesTest, ThousandsOfParkedPollsHoldNoThread) {
  constexpr int kWaiters = 5000;
  std::vector<PollResult> polls(kWaiters);
  for (PollResult& p : polls) {
    cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(30), p.Callback());
  }
  std::vector<std::string> bodies;
  for (int i = 0; i < 100; ++i) bodies.push_back(absl::StrCat(i));
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(cmq().BatchSendMessage(
        inst_, "q",
        absl::MakeConstSpan(bodies).subspan(static_cast<size_t>(i) * 10, 10)));
  }
  int served = 0;
  for (const PollResult& p : polls) served += p.done() ? 1 : 0;
  EXPECT_EQ(served, 100);
  clock_.Advance(absl::Seconds(30));
  broker_->RunDueTimers();
  for (const PollResult& p : polls) EXPECT_EQ(p.calls, 1);
}

TEST_F(CmqQueuesTest, ClosingTheBrokerCancelsParkedPolls) {
  PollResult p;
  cmq().ReceiveAsync(inst_, "q", 1, absl::Seconds(10), p.Callback());
  broker_.reset();
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.result.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(CmqQueuesTest, InFlightDeletedAndDelayedStateSurvivesARestart) {
  const absl::Time t0 = clock_.Now();
  std::string id_a = Send("a");
  Send("b");
  Send("c");
  Send("d", absl::Seconds(50));
  CmqReceivedMessage a = Receive();
  CmqReceivedMessage b = Receive();
  ASSERT_OK(cmq().DeleteMessage(inst_, "q", a.receipt_handle));
  Reopen();
  CmqQueueCounters c = Counters();
  EXPECT_EQ(c.active, 1);
  EXPECT_EQ(c.inactive, 1);
  EXPECT_EQ(c.delayed, 1);
  EXPECT_EQ(c.rewindable, 1);
  // The in-flight handle still works after the restart.
  EXPECT_OK(cmq().DeleteMessage(inst_, "q", b.receipt_handle));
  EXPECT_EQ(Receive().body, "c");
  // The deleted message can still be rewound, with its id and count.
  ASSERT_OK_AND_ASSIGN(int64_t n, cmq().RewindQueue(inst_, "q", t0));
  EXPECT_EQ(n, 2);
  CmqReceivedMessage again = Receive();
  EXPECT_EQ(again.msg_id, id_a);
  EXPECT_EQ(again.dequeue_count, 2);
  clock_.Advance(absl::Seconds(50));
  Reopen();
  ASSERT_OK_AND_ASSIGN(auto rest, cmq().ReceiveMessages(inst_, "q", 16));
  std::vector<std::string> bodies;
  for (const auto& m : rest) bodies.push_back(m.body);
  // b was revived; a and c are visible again; d's delay ended.
  EXPECT_THAT(bodies, ElementsAre("a", "b", "c", "d"));
}

TEST_F(CmqQueuesTest, VisibilityEndsAcrossARestart) {
  CmqReceivedMessage m;
  Send("x");
  m = Receive();
  Reopen();
  EXPECT_EQ(ReceiveReason(), Reason::kNoMessage);
  clock_.Advance(absl::Seconds(30));
  Reopen();
  CmqReceivedMessage again = Receive();
  EXPECT_EQ(again.msg_id, m.msg_id);
  EXPECT_EQ(again.dequeue_count, 2);
  EXPECT_EQ(ReasonOf(cmq().DeleteMessage(inst_, "q", m.receipt_handle)),
            Reason::kReceiptHandleInvalid);
}

TEST_F(CmqQueuesTest, MessageIdsAreNeverReusedAcrossRestartsAndQueues) {
  std::set<int64_t> ids;
  ASSERT_OK(cmq().CreateQueue(inst_, "other"));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      for (const char* q : {"q", "other"}) {
        ASSERT_OK_AND_ASSIGN(std::string id, cmq().SendMessage(inst_, q, "x"));
        int64_t n = 0;
        ASSERT_TRUE(absl::SimpleAtoi(id, &n)) << id;
        EXPECT_TRUE(ids.insert(n).second) << id;
      }
    }
    Reopen();
  }
}

TEST_F(CmqQueuesTest, CmqQueuesAndTopicsAreSeparateNamespaces) {
  ASSERT_OK(
      topics().CreateTopic(inst_, {.name = "shared-name", .queue_num = 1}));
  ASSERT_OK(cmq().CreateQueue(inst_, "shared-name"));
  ASSERT_OK(cmq().DeleteQueue(inst_, "shared-name"));
  EXPECT_OK(topics().GetTopic(inst_, "shared-name"));
}

TEST_F(CmqQueuesTest, ConcurrentSendersAndReceiversSeeEachMessageOnce) {
  ASSERT_OK(
      cmq().SetQueueAttributes(inst_, "q", {.visibility_timeout = 43200}));
  constexpr int kSenders = 4;
  constexpr int kPerSender = 300;
  std::atomic<int> received{0};
  std::mutex mu;
  std::multiset<std::string> bodies;
  std::vector<std::thread> threads;
  for (int s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < kPerSender; ++i) {
        ASSERT_OK(cmq().SendMessage(inst_, "q", absl::StrCat(s, ":", i)));
      }
    });
  }
  for (int r = 0; r < 4; ++r) {
    threads.emplace_back([&] {
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (received.load() < kSenders * kPerSender &&
             absl::Now() < deadline) {
        absl::StatusOr<std::vector<CmqReceivedMessage>> got =
            cmq().ReceiveMessages(inst_, "q", 7);
        if (ReasonOf(got.status()) == Reason::kNoMessage) {
          std::this_thread::yield();
          continue;
        }
        ASSERT_TRUE(got.ok()) << got.status();
        for (const CmqReceivedMessage& m : *got) {
          ASSERT_OK(cmq().DeleteMessage(inst_, "q", m.receipt_handle));
          std::lock_guard<std::mutex> l(mu);
          bodies.insert(m.body);
        }
        received += static_cast<int>(got->size());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(bodies.size(), static_cast<size_t>(kSenders * kPerSender));
  for (int s = 0; s < kSenders; ++s) {
    for (int i = 0; i < kPerSender; ++i) {
      EXPECT_EQ(bodies.count(absl::StrCat(s, ":", i)), 1u);
    }
  }
  CmqQueueCounters c = Counters();
  EXPECT_EQ(c.active + c.inactive, 0);
  EXPECT_EQ(c.rewindable, kSenders * kPerSender);
}

// The real clock and the broker's timer thread: long polls complete from
// senders' threads and from the timer thread, each exactly once.
TEST(CmqQueuesRealClockTest, LongPollsUnderConcurrentSendsWithTheTimerThread) {
  rmqtest::ScopedTempDir dir;
  BrokerOptions o;
  o.data_dir = dir.Sub("data");
  o.store.durability = storage::Durability::kNever;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Broker> broker, Broker::Open(o));
  const std::string inst = broker->default_instance();
  ASSERT_OK(broker->cmq().CreateQueue(inst, "q", {.visibility_timeout = 600}));
  constexpr int kMessages = 400;
  std::mutex mu;
  std::multiset<std::string> bodies;
  std::atomic<int> completions{0};
  std::atomic<int> in_flight{0};
  std::thread sender([&] {
    for (int i = 0; i < kMessages; ++i) {
      ASSERT_OK(broker->cmq().SendMessage(inst, "q", absl::StrCat(i)));
      if (i % 50 == 0) absl::SleepFor(absl::Milliseconds(5));
    }
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (static_cast<int>(bodies.size()) >= kMessages) break;
    }
    if (in_flight.load() >= 20) {
      absl::SleepFor(absl::Milliseconds(1));
      continue;
    }
    ++in_flight;
    broker->cmq().ReceiveAsync(
        inst, "q", 3, absl::Milliseconds(50),
        [&](absl::StatusOr<std::vector<CmqReceivedMessage>> r) {
          ++completions;
          if (r.ok()) {
            std::lock_guard<std::mutex> l(mu);
            for (const CmqReceivedMessage& m : *r) bodies.insert(m.body);
          } else {
            EXPECT_EQ(ReasonOf(r.status()), Reason::kNoMessage) << r.status();
          }
          --in_flight;
        });
  }
  sender.join();
  const absl::Time drain = absl::Now() + absl::Seconds(5);
  while (in_flight.load() > 0 && absl::Now() < drain) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(in_flight.load(), 0);
  broker.reset();  // completes anything still parked, while `mu` lives
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(bodies.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(bodies.count(absl::StrCat(i)), 1u);
  }
}

// Random interleavings of send, receive, delete, rewind, clear, clock moves
// and restarts, checked against a plain model of cmq-v2.md 7.2 and 9.2.
class CmqModelTest : public BrokerFixture {};

struct ModelMsg {
  std::string id;
  int64_t enqueue_s = 0;
  enum State { kDelayed, kActive, kInactive, kDeleted, kGone } state = kActive;
  absl::Time visible_at;
  int64_t dequeue_count = 0;
  std::string handle;
};

TEST_F(CmqModelTest, RandomInterleavingsMatchTheModel) {
  constexpr int64_t kVisibility = 5;
  constexpr int64_t kRewind = 30;
  for (int seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    const std::string name = absl::StrCat("m", seed);
    ASSERT_OK(cmq().CreateQueue(inst_, name,
                                {.visibility_timeout = kVisibility,
                                 .msg_retention_seconds = 3600,
                                 .rewind_seconds = kRewind}));
    std::mt19937_64 rng(seed);
    std::vector<ModelMsg> model;
    std::vector<std::string> stale_handles;
    auto advance_model = [&] {
      absl::Time now = clock_.Now();
      int64_t now_s = absl::ToUnixSeconds(now);
      for (ModelMsg& m : model) {
        if ((m.state == ModelMsg::kDelayed || m.state == ModelMsg::kInactive) &&
            m.visible_at <= now) {
          if (m.state == ModelMsg::kInactive) stale_handles.push_back(m.handle);
          m.state = ModelMsg::kActive;
        }
        if (m.state == ModelMsg::kDeleted && m.enqueue_s < now_s - kRewind) {
          m.state = ModelMsg::kGone;
        }
      }
    };
    for (int step = 0; step < 300; ++step) {
      advance_model();
      const int op = static_cast<int>(rng() % 10);
      if (op <= 1) {  // send, maybe delayed
        int64_t delay =
            rng() % 4 == 0 ? static_cast<int64_t>(1 + rng() % 4) : 0;
        ASSERT_OK_AND_ASSIGN(
            std::string id,
            cmq().SendMessage(inst_, name, "b", absl::Seconds(delay)));
        ModelMsg m;
        m.id = id;
        m.enqueue_s = absl::ToUnixSeconds(clock_.Now());
        if (delay > 0) {
          m.state = ModelMsg::kDelayed;
          m.visible_at = clock_.Now() + absl::Seconds(delay);
        }
        model.push_back(m);
      } else if (op <= 4) {  // receive up to 2
        int want = 1 + static_cast<int>(rng() % 2);
        std::vector<size_t> expect;
        for (size_t i = 0;
             i < model.size() && static_cast<int>(expect.size()) < want; ++i) {
          if (model[i].state == ModelMsg::kActive) expect.push_back(i);
        }
        absl::StatusOr<std::vector<CmqReceivedMessage>> got =
            cmq().ReceiveMessages(inst_, name, want);
        if (expect.empty()) {
          ASSERT_EQ(ReasonOf(got.status()), Reason::kNoMessage) << got.status();
          continue;
        }
        ASSERT_OK(got);
        ASSERT_EQ(got->size(), expect.size());
        for (size_t k = 0; k < expect.size(); ++k) {
          ModelMsg& m = model[expect[k]];
          ASSERT_EQ((*got)[k].msg_id, m.id);
          ++m.dequeue_count;
          ASSERT_EQ((*got)[k].dequeue_count, m.dequeue_count);
          ASSERT_EQ((*got)[k].enqueue_time, absl::FromUnixSeconds(m.enqueue_s));
          if (!m.handle.empty()) stale_handles.push_back(m.handle);
          m.handle = (*got)[k].receipt_handle;
          m.state = ModelMsg::kInactive;
          m.visible_at = clock_.Now() + absl::Seconds(kVisibility);
        }
      } else if (op <= 6) {  // delete a current or a stale handle
        std::vector<size_t> inflight;
        for (size_t i = 0; i < model.size(); ++i) {
          if (model[i].state == ModelMsg::kInactive) inflight.push_back(i);
        }
        if (!inflight.empty() && rng() % 4 != 0) {
          ModelMsg& m = model[inflight[rng() % inflight.size()]];
          ASSERT_OK(cmq().DeleteMessage(inst_, name, m.handle));
          m.state = ModelMsg::kDeleted;
          stale_handles.push_back(m.handle);
        } else if (!stale_handles.empty()) {
          const std::string& h = stale_handles[rng() % stale_handles.size()];
          ASSERT_EQ(ReasonOf(cmq().DeleteMessage(inst_, name, h)),
                    Reason::kReceiptHandleInvalid);
        }
      } else if (op == 7) {  // rewind
        int64_t now_s = absl::ToUnixSeconds(clock_.Now());
        int64_t t = now_s - static_cast<int64_t>(rng() % (kRewind + 5));
        absl::StatusOr<int64_t> n =
            cmq().RewindQueue(inst_, name, absl::FromUnixSeconds(t));
        if (t < now_s - kRewind) {
          ASSERT_EQ(ReasonOf(n.status()), Reason::kRewindTimeOutOfRange);
          continue;
        }
        int64_t expect = 0;
        for (ModelMsg& m : model) {
          if (m.state == ModelMsg::kDeleted && m.enqueue_s >= t) {
            m.state = ModelMsg::kActive;
            ++expect;
          }
        }
        ASSERT_OK(n);
        ASSERT_EQ(*n, expect);
      } else if (op == 8) {  // time passes
        clock_.Advance(absl::Milliseconds(static_cast<int64_t>(rng() % 4000)));
      } else if (const uint64_t r = rng() % 10; r < 2) {  // restart
        Reopen();
      } else if (r == 2) {  // clear
        const int64_t now_s = absl::ToUnixSeconds(clock_.Now());
        int64_t expect = 0;
        for (ModelMsg& m : model) {
          if (m.state == ModelMsg::kDelayed || m.state == ModelMsg::kActive ||
              m.state == ModelMsg::kInactive) {
            if (m.state == ModelMsg::kInactive) {
              stale_handles.push_back(m.handle);
            }
            m.state = m.enqueue_s >= now_s - kRewind ? ModelMsg::kDeleted
                                                     : ModelMsg::kGone;
            ++expect;
          }
        }
        ASSERT_THAT(cmq().ClearQueue(inst_, name),
                    rmqtest::IsOkAndHolds(expect));
      }
      advance_model();
      ASSERT_OK_AND_ASSIGN(CmqQueueInfo info,
                           cmq().GetQueueAttributes(inst_, name));
      int64_t active = 0, inactive = 0, delayed = 0, deleted = 0;
      std::optional<int64_t> min_s;
      for (const ModelMsg& m : model) {
        active += m.state == ModelMsg::kActive;
        inactive += m.state == ModelMsg::kInactive;
        delayed += m.state == ModelMsg::kDelayed;
        deleted += m.state == ModelMsg::kDeleted;
        if (!min_s.has_value() && m.state != ModelMsg::kDeleted &&
            m.state != ModelMsg::kGone) {
          min_s = m.enqueue_s;
        }
      }
      ASSERT_EQ(info.counters.active, active) << "step " << step;
      ASSERT_EQ(info.counters.inactive, inactive) << "step " << step;
      ASSERT_EQ(info.counters.delayed, delayed) << "step " << step;
      ASSERT_EQ(info.counters.rewindable, deleted) << "step " << step;
      if (min_s.has_value()) {
        ASSERT_THAT(info.counters.min_msg_time,
                    Optional(absl::FromUnixSeconds(*min_s)));
      } else {
        ASSERT_FALSE(info.counters.min_msg_time.has_value());
      }
    }
  }
}

}  // namespace
}  // namespace rewindmq::broker
