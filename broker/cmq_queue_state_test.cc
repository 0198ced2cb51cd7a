#include "broker/cmq_queue_state.h"

#include <map>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace rewindmq::broker::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

constexpr int64_t kSec = 1'000'000;

TEST(CmqQueueStateTest, FreshMessagesAreActiveInOrder) {
  CmqQueueState s;
  s.Reset(0, 0);
  s.Append(0, 3, 10 * kSec, 0);
  EXPECT_EQ(s.active_count(), 3);
  EXPECT_EQ(s.explicit_entries(), 0u);
  EXPECT_THAT(s.NextActive(), Optional(0));
  s.Deliver(0, 10 * kSec, 11 * kSec, 41 * kSec, 7);
  EXPECT_THAT(s.NextActive(), Optional(1));
  EXPECT_EQ(s.active_count(), 2);
  EXPECT_EQ(s.inactive_count(), 1);
}

TEST(CmqQueueStateTest, DelayedMessageIsSkippedUntilItsTime) {
  CmqQueueState s;
  s.Reset(0, 0);
  s.Append(0, 1, 10 * kSec, 20 * kSec);
  s.Append(1, 1, 10 * kSec, 0);
  EXPECT_EQ(s.delayed_count(), 1);
  EXPECT_THAT(s.NextActive(), Optional(1));
  EXPECT_EQ(s.AdvanceTo(20 * kSec), 1);
  EXPECT_THAT(s.NextActive(), Optional(0));
}

TEST(CmqQueueStateTest, VisibilityEndMakesTheMessageActiveAndTheTokenStale) {
  CmqQueueState s;
  s.Reset(0, 0);
  s.Append(0, 1, 10 * kSec, 0);
  CmqMsg m = s.Deliver(0, 10 * kSec, 10 * kSec, 40 * kSec, 99);
  EXPECT_TRUE(s.IsCurrentDelivery(0, m.dequeue_count, 99, 39 * kSec));
  EXPECT_FALSE(s.IsCurrentDelivery(0, m.dequeue_count, 99, 40 * kSec));
  s.AdvanceTo(40 * kSec);
  EXPECT_FALSE(s.IsCurrentDelivery(0, m.dequeue_count, 99, 39 * kSec));
  CmqMsg again = s.Deliver(0, 10 * kSec, 41 * kSec, 71 * kSec, 100);
  EXPECT_EQ(again.dequeue_count, 2);
  EXPECT_EQ(again.first_dequeue_us, 10 * kSec);
  EXPECT_FALSE(s.IsCurrentDelivery(0, 1, 99, 50 * kSec));
}

TEST(CmqQueueStateTest, ReviveBringsBackOnlyDeletedMessagesFromTheOffset) {
  CmqQueueState s;
  s.Reset(0, 0);
  s.Append(0, 4, 10 * kSec, 0);
  for (int64_t o : {0, 1, 2}) {
    s.Deliver(o, 10 * kSec, 11 * kSec, 41 * kSec, 5);
  }
  s.Delete(0, true);
  s.Delete(2, true);
  EXPECT_THAT(s.Revive(1, 10 * kSec), ElementsAre(2));
  EXPECT_EQ(s.deleted_count(), 1);
  EXPECT_EQ(s.inactive_count(), 1);  // offset 1 untouched
  EXPECT_THAT(s.NextActive(), Optional(2));
}

TEST(CmqQueueStateTest, GoneMessagesLetTheFloorAdvance) {
  CmqQueueState s;
  s.Reset(0, 0);
  s.Append(0, 3, 10 * kSec, 0);
  s.Deliver(0, 10 * kSec, 11 * kSec, 41 * kSec, 5);
  s.Deliver(1, 10 * kSec, 11 * kSec, 41 * kSec, 6);
  s.Delete(1, false);
  EXPECT_FALSE(s.CompactFloor());
  s.Delete(0, false);
  EXPECT_TRUE(s.CompactFloor());
  EXPECT_EQ(s.floor(), 2);
  EXPECT_EQ(s.explicit_entries(), 0u);
  EXPECT_EQ(s.active_count(), 1);
}

TEST(CmqQueueStateTest, ExpireBelowDropsEveryStateAndFreshMessages) {
  CmqQueueState s;
  s.Reset(0, 0);
  s.Append(0, 5, 10 * kSec, 0);
  s.Deliver(0, 10 * kSec, 11 * kSec, 41 * kSec, 5);
  EXPECT_EQ(s.ExpireBelow(3), 3);
  EXPECT_EQ(s.floor(), 3);
  EXPECT_EQ(s.active_count(), 2);
  EXPECT_EQ(s.inactive_count(), 0);
  EXPECT_THAT(s.NextActive(), Optional(3));
}

TEST(CmqQueueStateTest, DeleteLiveDeletesEveryUndeletedMessageInOrder) {
  CmqQueueState s;
  s.Reset(0, 0);
  s.Append(0, 2, 10 * kSec, 0);          // 0, 1
  s.Append(2, 1, 11 * kSec, 50 * kSec);  // 2: DELAYED
  s.Append(3, 2, 12 * kSec, 0);          // 3, 4: fresh
  s.Deliver(0, 10 * kSec, 13 * kSec, 43 * kSec, 5);
  s.Delete(0, true);
  CmqMsg in_flight = s.Deliver(1, 10 * kSec, 13 * kSec, 43 * kSec, 6);
  ASSERT_EQ(s.cursor(), 3);
  const std::vector<int64_t> enqueue_us = {12 * kSec, 12 * kSec};

  std::vector<std::pair<int64_t, CmqMsg>> changed = s.DeleteLive(enqueue_us);

  std::vector<int64_t> offsets;
  for (const auto& [o, m] : changed) {
    offsets.push_back(o);
    EXPECT_EQ(m.state, CmqMsgState::kDeleted) << o;
    EXPECT_EQ(m.token, 0u) << o;
  }
  EXPECT_THAT(offsets, ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(changed[0].second.dequeue_count, 1);
  EXPECT_EQ(changed[1].second.enqueue_us, 11 * kSec);
  EXPECT_EQ(changed[2].second.enqueue_us, 12 * kSec);
  EXPECT_EQ(s.active_count(), 0);
  EXPECT_EQ(s.inactive_count(), 0);
  EXPECT_EQ(s.delayed_count(), 0);
  EXPECT_EQ(s.deleted_count(), 5);
  EXPECT_EQ(s.FirstUndeleted(), std::nullopt);
  EXPECT_EQ(s.NextDeadline(), std::nullopt);
  EXPECT_FALSE(s.IsCurrentDelivery(1, in_flight.dequeue_count, 6, 14 * kSec));
  EXPECT_THAT(s.Revive(0, 0), ElementsAre(0, 1, 2, 3, 4));
}

// A plain model of cmq-v2.md 7.2: one record per message, every transition
// spelled out. The state under test must agree with it after every step,
// and so must a state rebuilt from what the caller would have persisted.
struct ModelMsg {
  CmqMsgState state = CmqMsgState::kActive;
  int64_t enqueue_us = 0;
  int64_t visible_at_us = 0;
  int64_t dequeue_count = 0;
  uint64_t token = 0;
};

class Model {
 public:
  std::vector<ModelMsg> msgs;
  int64_t floor = 0;

  std::optional<int64_t> NextActive() const {
    for (int64_t o = floor; o < static_cast<int64_t>(msgs.size()); ++o) {
      if (msgs[o].state == CmqMsgState::kActive) return o;
    }
    return std::nullopt;
  }
  int64_t Count(CmqMsgState st) const {
    int64_t n = 0;
    for (int64_t o = floor; o < static_cast<int64_t>(msgs.size()); ++o) {
      n += msgs[o].state == st;
    }
    return n;
  }
  std::optional<int64_t> FirstUndeleted() const {
    for (int64_t o = floor; o < static_cast<int64_t>(msgs.size()); ++o) {
      CmqMsgState st = msgs[o].state;
      if (st != CmqMsgState::kDeleted && st != CmqMsgState::kGone) return o;
    }
    return std::nullopt;
  }
  void AdvanceTo(int64_t now) {
    for (ModelMsg& m : msgs) {
      if ((m.state == CmqMsgState::kDelayed ||
           m.state == CmqMsgState::kInactive) &&
          m.visible_at_us <= now) {
        m.state = CmqMsgState::kActive;
      }
    }
  }
};

void ExpectSame(const Model& model, const CmqQueueState& s,
                const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(s.NextActive(), model.NextActive());
  EXPECT_EQ(s.active_count(), model.Count(CmqMsgState::kActive));
  EXPECT_EQ(s.inactive_count(), model.Count(CmqMsgState::kInactive));
  EXPECT_EQ(s.delayed_count(), model.Count(CmqMsgState::kDelayed));
  EXPECT_EQ(s.deleted_count(), model.Count(CmqMsgState::kDeleted));
  EXPECT_EQ(s.undeleted_count(), model.Count(CmqMsgState::kActive) +
                                     model.Count(CmqMsgState::kInactive) +
                                     model.Count(CmqMsgState::kDelayed));
  EXPECT_EQ(s.FirstUndeleted(), model.FirstUndeleted());
}

TEST(CmqQueueStateTest, RandomOperationsMatchTheModelAndSurviveReload) {
  for (int seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    Model model;
    CmqQueueState s;
    s.Reset(0, 0);
    std::map<int64_t, std::string> persisted;  // what a caller would store
    int64_t now = 1000 * kSec;
    uint64_t next_token = 1;
    auto persist = [&](int64_t o, const CmqMsg& m) {
      persisted[o] = EncodeCmqMsg(m);
    };
    for (int step = 0; step < 400; ++step) {
      int op = static_cast<int>(rng() % 9);
      if (op == 0) {  // send
        int n = 1 + static_cast<int>(rng() % 3);
        int64_t delay = rng() % 3 == 0 ? (1 + rng() % 5) * kSec : 0;
        int64_t first = static_cast<int64_t>(model.msgs.size());
        for (int i = 0; i < n; ++i) {
          ModelMsg m;
          m.enqueue_us = now;
          if (delay > 0) {
            m.state = CmqMsgState::kDelayed;
            m.visible_at_us = now + delay;
          }
          model.msgs.push_back(m);
        }
        for (const auto& [o, m] :
             s.Append(first, n, now, delay > 0 ? now + delay : 0)) {
          persist(o, m);
        }
      } else if (op == 1) {  // time passes
        now += static_cast<int64_t>(rng() % 4) * kSec;
        model.AdvanceTo(now);
        s.AdvanceTo(now);
      } else if (op == 2 || op == 3) {  // receive
        std::optional<int64_t> o = model.NextActive();
        ASSERT_EQ(s.NextActive(), o);
        if (!o.has_value()) continue;
        uint64_t token = next_token++;
        ModelMsg& mm = model.msgs[*o];
        mm.state = CmqMsgState::kInactive;
        mm.visible_at_us = now + 5 * kSec;
        mm.dequeue_count++;
        mm.token = token;
        persist(*o, s.Deliver(*o, mm.enqueue_us, now, now + 5 * kSec, token));
      } else if (op == 4) {  // delete some in-flight message
        bool keep = rng() % 2 == 0;
        for (int64_t o = model.floor;
             o < static_cast<int64_t>(model.msgs.size()); ++o) {
          ModelMsg& mm = model.msgs[o];
          if (mm.state != CmqMsgState::kInactive || rng() % 2 == 0) continue;
          bool current = mm.visible_at_us > now;
          ASSERT_EQ(s.IsCurrentDelivery(o, mm.dequeue_count, mm.token, now),
                    current);
          // A stale token never works.
          ASSERT_FALSE(s.IsCurrentDelivery(o, mm.dequeue_count,
                                           mm.token + 1000000, now));
          if (!current) continue;
          mm.state = keep ? CmqMsgState::kDeleted : CmqMsgState::kGone;
          persist(o, s.Delete(o, keep));
          break;
        }
      } else if (op == 5) {  // rewind to a time
        int64_t t = now - static_cast<int64_t>(rng() % 10) * kSec;
        int64_t from = static_cast<int64_t>(model.msgs.size());
        for (int64_t o = 0; o < static_cast<int64_t>(model.msgs.size()); ++o) {
          if (model.msgs[o].enqueue_us >= t) {
            from = o;
            break;
          }
        }
        std::vector<int64_t> expect;
        for (int64_t o = std::max(from, model.floor);
             o < static_cast<int64_t>(model.msgs.size()); ++o) {
          if (model.msgs[o].state == CmqMsgState::kDeleted) {
            model.msgs[o].state = CmqMsgState::kActive;
            model.msgs[o].token = 0;
            expect.push_back(o);
          }
        }
        std::vector<int64_t> got = s.Revive(from, t);
        ASSERT_EQ(got, expect);
        for (int64_t o : got) persist(o, *s.Find(o));
      } else if (op == 6) {  // the rewind window moves on
        int64_t cut = now - static_cast<int64_t>(rng() % 20) * kSec;
        std::vector<int64_t> expect;
        for (int64_t o = model.floor;
             o < static_cast<int64_t>(model.msgs.size()); ++o) {
          if (model.msgs[o].state == CmqMsgState::kDeleted &&
              model.msgs[o].enqueue_us < cut) {
            model.msgs[o].state = CmqMsgState::kGone;
            expect.push_back(o);
          }
        }
        std::vector<int64_t> got = s.DropDeletedBefore(cut);
        ASSERT_EQ(got, expect);
        for (int64_t o : got) persist(o, *s.Find(o));
      } else if (op == 7) {  // clear (with rewind on), now and then
        if (rng() % 4 != 0) continue;
        std::vector<int64_t> expect;
        for (int64_t o = model.floor;
             o < static_cast<int64_t>(model.msgs.size()); ++o) {
          ModelMsg& mm = model.msgs[o];
          if (mm.state == CmqMsgState::kDelayed ||
              mm.state == CmqMsgState::kActive ||
              mm.state == CmqMsgState::kInactive) {
            mm.state = CmqMsgState::kDeleted;
            mm.token = 0;
            expect.push_back(o);
          }
        }
        std::vector<int64_t> enqueue_us;
        for (int64_t o = s.cursor(); o < s.end(); ++o) {
          enqueue_us.push_back(model.msgs[o].enqueue_us);
        }
        std::vector<int64_t> got;
        for (const auto& [o, m] : s.DeleteLive(enqueue_us)) {
          got.push_back(o);
          persist(o, m);
        }
        ASSERT_EQ(got, expect);
      } else {  // retention, now and then
        if (rng() % 4 != 0) continue;
        int64_t below = model.floor + static_cast<int64_t>(rng() % 3);
        below = std::min<int64_t>(below, model.msgs.size());
        for (int64_t o = model.floor; o < below; ++o) {
          model.msgs[o].state = CmqMsgState::kGone;
        }
        model.floor = std::max(model.floor, below);
        s.ExpireBelow(below);
      }
      // Floor compaction is what the broker does after every call.
      s.CompactFloor();
      while (model.floor < static_cast<int64_t>(model.msgs.size()) &&
             model.msgs[model.floor].state == CmqMsgState::kGone &&
             model.floor < s.floor()) {
        ++model.floor;
      }
      persisted.erase(persisted.begin(), persisted.lower_bound(s.floor()));
      ExpectSame(model, s, "live");
      if (::testing::Test::HasFailure()) return;
    }
    // Rebuild from the persisted entries, as Broker::Open does.
    CmqQueueState reloaded;
    reloaded.Reset(s.floor(), s.end());
    for (const auto& [o, data] : persisted) {
      ASSERT_OK_AND_ASSIGN(CmqMsg m, DecodeCmqMsg(data));
      reloaded.Load(o, m);
    }
    reloaded.FinishLoad();
    reloaded.AdvanceTo(now);
    ExpectSame(model, reloaded, "reloaded");
  }
}

}  // namespace
}  // namespace rewindmq::broker::internal
