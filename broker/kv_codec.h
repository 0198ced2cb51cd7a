// The byte format of the broker's values in the Store's key-value area: a
// sequence of tagged fields, each `varint(tag << 1 | type)` followed by a
// varint (type 0) or a varint length and that many bytes (type 1). Readers
// skip tags they do not know and treat absent tags as their defaults, so a
// field may be added without a format version. A tag is never reused.
//
// Internal to the broker.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rewindmq::broker::internal {

class KvWriter {
 public:
  KvWriter& U64(uint32_t tag, uint64_t v);
  KvWriter& I64(uint32_t tag, int64_t v);  // zigzag
  KvWriter& Bool(uint32_t tag, bool v) { return U64(tag, v ? 1 : 0); }
  KvWriter& Str(uint32_t tag, absl::string_view v);
  const std::string& data() const { return out_; }

 private:
  std::string out_;
};

class KvFields {
 public:
  // DataLoss when `data` is not a well-formed field sequence.
  static absl::StatusOr<KvFields> Parse(absl::string_view data);

  bool Has(uint32_t tag) const;
  // The last value of `tag`, or `def` when absent.
  uint64_t U64(uint32_t tag, uint64_t def = 0) const;
  int64_t I64(uint32_t tag, int64_t def = 0) const;
  bool Bool(uint32_t tag, bool def = false) const { return U64(tag, def) != 0; }
  std::string Str(uint32_t tag, absl::string_view def = "") const;
  // Every value of a repeated field, in order.
  std::vector<std::string> AllStr(uint32_t tag) const;
  std::vector<uint64_t> AllU64(uint32_t tag) const;

 private:
  struct Field {
    uint32_t tag;
    bool bytes;
    uint64_t varint;
    size_t pos;  // bytes fields: position and size in storage_
    size_t size;
  };
  absl::string_view Data(const Field& f) const {
    return absl::string_view(storage_).substr(f.pos, f.size);
  }
  std::string storage_;
  std::vector<Field> fields_;
};

// Fixed-width upper-case hex of `v` (16 digits): sorts like the number.
std::string Hex16(uint64_t v);
// The same 16 characters written to out[0..15].
void WriteHex16(uint64_t v, char* out);
// Parses exactly 16 hex digits; false otherwise.
bool ParseHex16(absl::string_view s, uint64_t* v);

}  // namespace rewindmq::broker::internal
