#include "broker/kv_codec.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rewindmq::broker::internal {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(absl::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

KvWriter& KvWriter::U64(uint32_t tag, uint64_t v) {
  PutVarint(&out_, uint64_t{tag} << 1);
  PutVarint(&out_, v);
  return *this;
}

KvWriter& KvWriter::I64(uint32_t tag, int64_t v) {
  uint64_t zigzag =
      (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  return U64(tag, zigzag);
}

KvWriter& KvWriter::Str(uint32_t tag, absl::string_view v) {
  PutVarint(&out_, (uint64_t{tag} << 1) | 1);
  PutVarint(&out_, v.size());
  out_.append(v.data(), v.size());
  return *this;
}

absl::StatusOr<KvFields> KvFields::Parse(absl::string_view data) {
  KvFields f;
  f.storage_ = std::string(data);
  absl::string_view in = f.storage_;
  while (!in.empty()) {
    uint64_t key = 0;
    if (!GetVarint(&in, &key)) {
      return absl::DataLossError("broker value: truncated field key");
    }
    Field field{static_cast<uint32_t>(key >> 1), (key & 1) != 0, 0, 0, 0};
    uint64_t v = 0;
    if (!GetVarint(&in, &v)) {
      return absl::DataLossError("broker value: truncated field");
    }
    if (field.bytes) {
      if (v > in.size()) {
        return absl::DataLossError("broker value: field longer than value");
      }
      field.pos = static_cast<size_t>(in.data() - f.storage_.data());
      field.size = v;
      in.remove_prefix(v);
    } else {
      field.varint = v;
    }
    f.fields_.push_back(field);
  }
  return f;
}

bool KvFields::Has(uint32_t tag) const {
  for (const Field& f : fields_) {
    if (f.tag == tag) return true;
  }
  return false;
}

uint64_t KvFields::U64(uint32_t tag, uint64_t def) const {
  for (auto it = fields_.rbegin(); it != fields_.rend(); ++it) {
    if (it->tag == tag && !it->bytes) return it->varint;
  }
  return def;
}

int64_t KvFields::I64(uint32_t tag, int64_t def) const {
  if (!Has(tag)) return def;
  uint64_t z = U64(tag);
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::string KvFields::Str(uint32_t tag, absl::string_view def) const {
  for (auto it = fields_.rbegin(); it != fields_.rend(); ++it) {
    if (it->tag == tag && it->bytes) return std::string(Data(*it));
  }
  return std::string(def);
}

std::vector<std::string> KvFields::AllStr(uint32_t tag) const {
  std::vector<std::string> out;
  for (const Field& f : fields_) {
    if (f.tag == tag && f.bytes) out.emplace_back(Data(f));
  }
  return out;
}

std::vector<uint64_t> KvFields::AllU64(uint32_t tag) const {
  std::vector<uint64_t> out;
  for (const Field& f : fields_) {
    if (f.tag == tag && !f.bytes) out.push_back(f.varint);
  }
  return out;
}

void WriteHex16(uint64_t v, char* out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kDigits[v & 0xF];
}

std::string Hex16(uint64_t v) {
  std::string out(16, '0');
  WriteHex16(v, out.data());
  return out;
}

bool ParseHex16(absl::string_view s, uint64_t* v) {
  if (s.size() != 16) return false;
  uint64_t r = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    r = (r << 4) | static_cast<uint64_t>(d);
  }
  *v = r;
  return true;
}

}  // namespace rewindmq::broker::internal
