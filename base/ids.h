// Strong integer IDs, so that the compiler catches a swapped argument.
#pragma once

#include <compare>
#include <cstdint>
#include <ostream>

namespace rewindmq {

// A position in one queue's record sequence. The first record is offset 0.
struct Offset {
  int64_t value = 0;
  auto operator<=>(const Offset&) const = default;
};

// Storage's numeric name for a queue; the on-disk layout uses it, never a
// user-supplied name.
struct QueueId {
  uint64_t value = 0;
  auto operator<=>(const QueueId&) const = default;
};

// A segment file is named by the offset of its first record.
struct SegmentId {
  int64_t base_offset = 0;
  auto operator<=>(const SegmentId&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, Offset o) {
  return os << "Offset{" << o.value << "}";
}
inline std::ostream& operator<<(std::ostream& os, QueueId q) {
  return os << "QueueId{" << q.value << "}";
}

template <typename H>
H AbslHashValue(H h, QueueId q) {
  return H::combine(std::move(h), q.value);
}
template <typename H>
H AbslHashValue(H h, Offset o) {
  return H::combine(std::move(h), o.value);
}

}  // namespace rewindmq
