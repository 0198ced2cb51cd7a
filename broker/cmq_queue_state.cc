#include "broker/cmq_queue_state.h"

#include <algorithm>

#include "absl/status/status.h"
#include "base/check.h"
#include "broker/kv_codec.h"

namespace rewindmq::broker::internal {

std::string EncodeCmqMsg(const CmqMsg& m) {
  KvWriter w;
  w.U64(1, static_cast<uint64_t>(m.state))
      .I64(2, m.enqueue_us)
      .I64(3, m.visible_at_us)
      .I64(4, m.dequeue_count)
      .I64(5, m.first_dequeue_us)
      .U64(6, m.token);
  return w.data();
}

absl::StatusOr<CmqMsg> DecodeCmqMsg(absl::string_view data) {
  absl::StatusOr<KvFields> f = KvFields::Parse(data);
  if (!f.ok()) return f.status();
  uint64_t state = f->U64(1);
  if (state < 1 || state > 5) {
    return absl::DataLossError("cmq message state: unknown state value");
  }
  CmqMsg m;
  m.state = static_cast<CmqMsgState>(state);
  m.enqueue_us = f->I64(2);
  m.visible_at_us = f->I64(3);
  m.dequeue_count = f->I64(4);
  m.first_dequeue_us = f->I64(5);
  m.token = f->U64(6);
  return m;
}

void CmqQueueState::Reset(int64_t floor, int64_t end) {
  RMQ_CHECK(floor <= end);
  *this = CmqQueueState();
  floor_ = floor;
  end_ = end;
  cursor_ = floor;
}

void CmqQueueState::Load(int64_t offset, const CmqMsg& m) {
  RMQ_CHECK(offset >= floor_ && offset < end_);
  Put(offset, m);
}

void CmqQueueState::FinishLoad() { NormalizeCursor(); }

void CmqQueueState::Index(int64_t offset, const CmqMsg& m) {
  switch (m.state) {
    case CmqMsgState::kDelayed:
      ++n_delayed_;
      live_.insert(offset);
      deadlines_.insert({m.visible_at_us, offset});
      break;
    case CmqMsgState::kActive:
      live_.insert(offset);
      ready_.insert(offset);
      break;
    case CmqMsgState::kInactive:
      ++n_inactive_;
      live_.insert(offset);
      deadlines_.insert({m.visible_at_us, offset});
      break;
    case CmqMsgState::kDeleted:
      deleted_.insert(offset);
      break;
    case CmqMsgState::kGone:
      break;
  }
}

void CmqQueueState::Unindex(int64_t offset, const CmqMsg& m) {
  switch (m.state) {
    case CmqMsgState::kDelayed:
      --n_delayed_;
      live_.erase(offset);
      deadlines_.erase({m.visible_at_us, offset});
      break;
    case CmqMsgState::kActive:
      live_.erase(offset);
      ready_.erase(offset);
      break;
    case CmqMsgState::kInactive:
      --n_inactive_;
      live_.erase(offset);
      deadlines_.erase({m.visible_at_us, offset});
      break;
    case CmqMsgState::kDeleted:
      deleted_.erase(offset);
      break;
    case CmqMsgState::kGone:
      break;
  }
}

void CmqQueueState::Put(int64_t offset, const CmqMsg& m) {
  auto it = msgs_.find(offset);
  if (it != msgs_.end()) {
    Unindex(offset, it->second);
    it->second = m;
  } else {
    msgs_.emplace(offset, m);
    if (offset >= cursor_) ++explicit_ahead_;
  }
  Index(offset, m);
}

void CmqQueueState::NormalizeCursor() {
  auto it = msgs_.lower_bound(cursor_);
  while (cursor_ < end_ && it != msgs_.end() && it->first == cursor_) {
    ++cursor_;
    --explicit_ahead_;
    ++it;
  }
}

std::vector<std::pair<int64_t, CmqMsg>> CmqQueueState::DelayedEntries(
    int64_t first, int n, int64_t enqueue_us, int64_t delayed_until_us) {
  std::vector<std::pair<int64_t, CmqMsg>> out;
  if (delayed_until_us <= 0) return out;
  for (int i = 0; i < n; ++i) {
    CmqMsg m;
    m.state = CmqMsgState::kDelayed;
    m.enqueue_us = enqueue_us;
    m.visible_at_us = delayed_until_us;
    out.emplace_back(first + i, m);
  }
  return out;
}

std::vector<std::pair<int64_t, CmqMsg>> CmqQueueState::Append(
    int64_t first, int n, int64_t enqueue_us, int64_t delayed_until_us) {
  RMQ_CHECK(first == end_);
  end_ += n;
  std::vector<std::pair<int64_t, CmqMsg>> entries =
      DelayedEntries(first, n, enqueue_us, delayed_until_us);
  for (const auto& [offset, m] : entries) Put(offset, m);
  NormalizeCursor();
  return entries;
}

int64_t CmqQueueState::AdvanceTo(int64_t now_us) {
  int64_t changed = 0;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_us) {
    int64_t offset = deadlines_.begin()->second;
    CmqMsg m = msgs_.at(offset);
    m.state = CmqMsgState::kActive;
    Put(offset, m);
    ++changed;
  }
  return changed;
}

std::optional<int64_t> CmqQueueState::NextActive() const {
  std::optional<int64_t> best;
  if (!ready_.empty()) best = *ready_.begin();
  if (fresh_count() > 0 && (!best.has_value() || cursor_ < *best)) {
    best = cursor_;
  }
  return best;
}

const CmqMsg* CmqQueueState::Find(int64_t offset) const {
  auto it = msgs_.find(offset);
  return it == msgs_.end() ? nullptr : &it->second;
}

CmqMsg CmqQueueState::Deliver(int64_t offset, int64_t enqueue_us,
                              int64_t now_us, int64_t visible_until_us,
                              uint64_t token) {
  CmqMsg m;
  if (const CmqMsg* old = Find(offset); old != nullptr) {
    RMQ_CHECK(old->state == CmqMsgState::kActive);
    m = *old;
  } else {
    RMQ_CHECK(offset >= cursor_ && offset < end_);
    m.enqueue_us = enqueue_us;
  }
  m.state = CmqMsgState::kInactive;
  m.visible_at_us = visible_until_us;
  m.dequeue_count += 1;
  if (m.first_dequeue_us == 0) m.first_dequeue_us = now_us;
  m.token = token;
  Put(offset, m);
  NormalizeCursor();
  return m;
}

bool CmqQueueState::IsCurrentDelivery(int64_t offset, int64_t dequeue_count,
                                      uint64_t token, int64_t now_us) const {
  const CmqMsg* m = Find(offset);
  return m != nullptr && m->state == CmqMsgState::kInactive &&
         m->dequeue_count == dequeue_count && m->token == token && token != 0 &&
         now_us < m->visible_at_us;
}

CmqMsg CmqQueueState::Delete(int64_t offset, bool keep_for_rewind) {
  CmqMsg m = msgs_.at(offset);
  RMQ_CHECK(m.state == CmqMsgState::kInactive);
  m.state = keep_for_rewind ? CmqMsgState::kDeleted : CmqMsgState::kGone;
  m.token = 0;
  Put(offset, m);
  return m;
}

std::vector<std::pair<int64_t, CmqMsg>> CmqQueueState::DeleteLive(
    absl::Span<const int64_t> enqueue_us) {
  RMQ_CHECK(static_cast<int64_t>(enqueue_us.size()) == end_ - cursor_);
  std::vector<std::pair<int64_t, CmqMsg>> out;
  out.reserve(live_.size() + fresh_count());
  for (int64_t offset : live_) {
    CmqMsg m = msgs_.at(offset);
    m.state = CmqMsgState::kDeleted;
    m.token = 0;
    out.emplace_back(offset, m);
  }
  // Fresh messages: the offsets from cursor_ without an explicit entry.
  auto it = msgs_.lower_bound(cursor_);
  for (int64_t offset = cursor_; offset < end_; ++offset) {
    if (it != msgs_.end() && it->first == offset) {
      ++it;
      continue;
    }
    CmqMsg m;
    m.state = CmqMsgState::kDeleted;
    m.enqueue_us = enqueue_us[offset - cursor_];
    out.emplace_back(offset, m);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [offset, m] : out) Put(offset, m);
  NormalizeCursor();
  return out;
}

std::vector<int64_t> CmqQueueState::Revive(int64_t from,
                                           int64_t min_enqueue_us) {
  std::vector<int64_t> revived;
  for (auto it = deleted_.lower_bound(from); it != deleted_.end(); ++it) {
    if (msgs_.at(*it).enqueue_us >= min_enqueue_us) revived.push_back(*it);
  }
  for (int64_t offset : revived) {
    CmqMsg m = msgs_.at(offset);
    m.state = CmqMsgState::kActive;
    m.token = 0;
    m.visible_at_us = 0;
    Put(offset, m);
  }
  return revived;
}

std::vector<int64_t> CmqQueueState::DropDeletedBefore(int64_t cutoff_us) {
  std::vector<int64_t> dropped;
  // Enqueue times never decrease with the offset, so the victims lead.
  for (int64_t offset : deleted_) {
    if (msgs_.at(offset).enqueue_us >= cutoff_us) break;
    dropped.push_back(offset);
  }
  for (int64_t offset : dropped) {
    CmqMsg m = msgs_.at(offset);
    m.state = CmqMsgState::kGone;
    Put(offset, m);
  }
  return dropped;
}

int64_t CmqQueueState::ExpireBelow(int64_t offset) {
  offset = std::min(offset, end_);
  if (offset <= floor_) return 0;
  int64_t dropped = 0;
  int64_t erased_ahead = 0;  // erased entries at offsets >= cursor_
  auto it = msgs_.begin();
  while (it != msgs_.end() && it->first < offset) {
    if (it->second.state != CmqMsgState::kGone) ++dropped;
    Unindex(it->first, it->second);
    if (it->first >= cursor_) ++erased_ahead;
    it = msgs_.erase(it);
  }
  explicit_ahead_ -= erased_ahead;
  if (cursor_ < offset) {
    // The fresh messages in [cursor_, offset) go too.
    dropped += offset - cursor_ - erased_ahead;
    cursor_ = offset;
  }
  floor_ = offset;
  NormalizeCursor();
  return dropped;
}

bool CmqQueueState::CompactFloor() {
  bool moved = false;
  while (floor_ < end_) {
    auto it = msgs_.find(floor_);
    if (it == msgs_.end() || it->second.state != CmqMsgState::kGone) break;
    if (it->first >= cursor_) --explicit_ahead_;
    msgs_.erase(it);
    ++floor_;
    moved = true;
  }
  if (cursor_ < floor_) cursor_ = floor_;
  NormalizeCursor();
  return moved;
}

int64_t CmqQueueState::active_count() const {
  return static_cast<int64_t>(ready_.size()) + fresh_count();
}

int64_t CmqQueueState::undeleted_count() const {
  return static_cast<int64_t>(live_.size()) + fresh_count();
}

std::optional<int64_t> CmqQueueState::FirstUndeleted() const {
  std::optional<int64_t> best;
  if (!live_.empty()) best = *live_.begin();
  if (fresh_count() > 0 && (!best.has_value() || cursor_ < *best)) {
    best = cursor_;
  }
  return best;
}

std::optional<int64_t> CmqQueueState::NextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace rewindmq::broker::internal
