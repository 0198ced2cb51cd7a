#include "storage/keys.h"

#include <boost/endian/conversion.hpp>

#include "absl/strings/str_cat.h"

namespace rewindmq::storage::keys {
namespace {

void PutBig64(std::string* out, uint64_t v) {
  unsigned char b[8];
  boost::endian::store_big_u64(b, v);
  out->append(reinterpret_cast<const char*>(b), 8);
}

uint64_t GetBig64(absl::string_view s) {
  return boost::endian::load_big_u64(
      reinterpret_cast<const unsigned char*>(s.data()));
}

}  // namespace

std::string IndexKey(QueueId q, int64_t store_time_us, int64_t offset) {
  std::string k;
  k.reserve(kIndexKeyBytes);
  PutBig64(&k, q.value);
  PutBig64(&k, static_cast<uint64_t>(store_time_us));
  PutBig64(&k, static_cast<uint64_t>(offset));
  return k;
}

std::string IndexKeyEnd(QueueId q) {
  std::string k;
  PutBig64(&k, q.value);
  PutBig64(&k, ~uint64_t{0});
  PutBig64(&k, ~uint64_t{0});
  k.push_back('\xff');
  return k;
}

bool DecodeIndexKey(absl::string_view key, QueueId* q, int64_t* store_time_us,
                    int64_t* offset) {
  if (key.size() != kIndexKeyBytes) return false;
  q->value = GetBig64(key.substr(0, 8));
  *store_time_us = static_cast<int64_t>(GetBig64(key.substr(8, 8)));
  *offset = static_cast<int64_t>(GetBig64(key.substr(16, 8)));
  return true;
}

std::string HighWaterKey(QueueId q) {
  std::string k = "hwm";
  PutBig64(&k, q.value);
  return k;
}

std::string SegmentKeyPrefix(QueueId q) {
  std::string k = "seg";
  PutBig64(&k, q.value);
  return k;
}

std::string SegmentKey(QueueId q, int64_t base_offset) {
  std::string k = SegmentKeyPrefix(q);
  PutBig64(&k, static_cast<uint64_t>(base_offset));
  return k;
}

std::string QueueKey(QueueId q) {
  std::string k(kQueuePrefix);
  PutBig64(&k, q.value);
  return k;
}

bool DecodeQueueKey(absl::string_view key, QueueId* q) {
  if (key.size() != kQueuePrefix.size() + 8) return false;
  if (key.substr(0, kQueuePrefix.size()) != kQueuePrefix) return false;
  q->value = GetBig64(key.substr(kQueuePrefix.size()));
  return true;
}

}  // namespace rewindmq::storage::keys
