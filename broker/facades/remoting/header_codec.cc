#include "broker/facades/remoting/header_codec.h"

#include <boost/json.hpp>
#include <cstdint>

#include "absl/base/internal/endian.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rewindmq::facade::remoting {
namespace {

namespace json = boost::json;

absl::Status BadHeader(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad remoting header: ", what));
}

// An int field that fastjson writes as a number; accept a numeric string.
absl::StatusOr<int64_t> IntField(const json::value& v, absl::string_view name) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return static_cast<int64_t>(v.as_uint64());
  if (v.is_string()) {
    int64_t n = 0;
    const json::string& s = v.as_string();
    if (absl::SimpleAtoi(absl::string_view(s.data(), s.size()), &n)) return n;
  }
  return BadHeader(absl::StrCat(name, " is not an integer"));
}

std::string ScalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "";
  return json::serialize(v);  // numbers and booleans as fastjson prints them
}

}  // namespace

std::string EncodeJsonHeader(const RemotingCommand& cmd) {
  json::object o;
  o["code"] = cmd.code;
  if (!cmd.ext_fields.empty()) {
    json::object ext;
    for (const auto& [k, v] : cmd.ext_fields) ext[k] = v;
    o["extFields"] = std::move(ext);
  }
  o["flag"] = cmd.flag;
  o["language"] = std::string(LanguageName(cmd.language));
  o["opaque"] = cmd.opaque;
  if (cmd.remark.has_value()) o["remark"] = *cmd.remark;
  o["serializeTypeCurrentRPC"] = "JSON";
  o["version"] = cmd.version;
  return json::serialize(o);
}

absl::StatusOr<RemotingCommand> DecodeJsonHeader(absl::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return BadHeader(absl::StrCat("invalid JSON: ", ec.message()));
  if (!v.is_object()) return BadHeader("not a JSON object");
  RemotingCommand cmd;
  for (const auto& [key, value] : v.as_object()) {
    if (key == "code") {
      absl::StatusOr<int64_t> n = IntField(value, "code");
      if (!n.ok()) return n.status();
      cmd.code = static_cast<int32_t>(*n);
    } else if (key == "version") {
      absl::StatusOr<int64_t> n = IntField(value, "version");
      if (!n.ok()) return n.status();
      cmd.version = static_cast<int32_t>(*n);
    } else if (key == "opaque") {
      absl::StatusOr<int64_t> n = IntField(value, "opaque");
      if (!n.ok()) return n.status();
      cmd.opaque = static_cast<int32_t>(*n);
    } else if (key == "flag") {
      absl::StatusOr<int64_t> n = IntField(value, "flag");
      if (!n.ok()) return n.status();
      cmd.flag = static_cast<int32_t>(*n);
    } else if (key == "language") {
      if (value.is_string()) {
        cmd.language = LanguageCode(std::string(value.as_string()));
      } else if (value.is_int64()) {
        cmd.language = static_cast<int32_t>(value.as_int64());
      }
    } else if (key == "remark") {
      if (value.is_string()) cmd.remark = std::string(value.as_string());
    } else if (key == "extFields") {
      if (value.is_null()) continue;
      if (!value.is_object()) return BadHeader("extFields is not an object");
      for (const auto& [k, fv] : value.as_object()) {
        cmd.ext_fields.emplace_back(std::string(k), ScalarText(fv));
      }
    }
  }
  return cmd;
}

namespace {

void Put16(uint16_t v, std::string* out) {
  char b[2];
  absl::big_endian::Store16(b, v);
  out->append(b, 2);
}
void Put32(uint32_t v, std::string* out) {
  char b[4];
  absl::big_endian::Store32(b, v);
  out->append(b, 4);
}

class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}
  bool U8(uint8_t* v) {
    if (data_.size() < 1) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U16(uint16_t* v) {
    if (data_.size() < 2) return false;
    *v = absl::big_endian::Load16(data_.data());
    data_.remove_prefix(2);
    return true;
  }
  bool U32(uint32_t* v) {
    if (data_.size() < 4) return false;
    *v = absl::big_endian::Load32(data_.data());
    data_.remove_prefix(4);
    return true;
  }
  bool Bytes(size_t n, absl::string_view* v) {
    if (data_.size() < n) return false;
    *v = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  size_t left() const { return data_.size(); }

 private:
  absl::string_view data_;
};

}  // namespace

std::string EncodeBinaryHeader(const RemotingCommand& cmd) {
  std::string out;
  Put16(static_cast<uint16_t>(cmd.code), &out);
  out.push_back(static_cast<char>(cmd.language));
  Put16(static_cast<uint16_t>(cmd.version), &out);
  Put32(static_cast<uint32_t>(cmd.opaque), &out);
  Put32(static_cast<uint32_t>(cmd.flag), &out);
  if (cmd.remark.has_value() && !cmd.remark->empty()) {
    Put32(static_cast<uint32_t>(cmd.remark->size()), &out);
    out += *cmd.remark;
  } else {
    Put32(0, &out);
  }
  std::string ext;
  for (const auto& [k, v] : cmd.ext_fields) {
    Put16(static_cast<uint16_t>(k.size()), &ext);
    ext += k;
    Put32(static_cast<uint32_t>(v.size()), &ext);
    ext += v;
  }
  Put32(static_cast<uint32_t>(ext.size()), &out);
  out += ext;
  return out;
}

absl::StatusOr<RemotingCommand> DecodeBinaryHeader(absl::string_view data) {
  Reader r(data);
  RemotingCommand cmd;
  uint16_t code = 0, version = 0;
  uint8_t language = 0;
  uint32_t opaque = 0, flag = 0, remark_len = 0, ext_len = 0;
  if (!r.U16(&code) || !r.U8(&language) || !r.U16(&version) ||
      !r.U32(&opaque) || !r.U32(&flag) || !r.U32(&remark_len)) {
    return BadHeader("binary header truncated");
  }
  cmd.code = static_cast<int16_t>(code);
  cmd.language = language;
  cmd.version = static_cast<int16_t>(version);
  cmd.opaque = static_cast<int32_t>(opaque);
  cmd.flag = static_cast<int32_t>(flag);
  if (remark_len > 0) {
    absl::string_view remark;
    if (!r.Bytes(remark_len, &remark)) return BadHeader("remark past header");
    cmd.remark = std::string(remark);
  }
  if (!r.U32(&ext_len)) return BadHeader("binary header truncated");
  absl::string_view ext;
  if (!r.Bytes(ext_len, &ext)) return BadHeader("extFields past header");
  Reader e(ext);
  while (e.left() > 0) {
    uint16_t klen = 0;
    uint32_t vlen = 0;
    absl::string_view k, v;
    if (!e.U16(&klen) || !e.Bytes(klen, &k) || !e.U32(&vlen) ||
        !e.Bytes(vlen, &v)) {
      return BadHeader("extFields entry past its length");
    }
    cmd.ext_fields.emplace_back(std::string(k), std::string(v));
  }
  return cmd;
}

}  // namespace rewindmq::facade::remoting
