#include "broker/facades/remoting/command.h"

#include <array>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "broker/facades/remoting/header_codec.h"

namespace rewindmq::facade::remoting {
namespace {

constexpr std::array<absl::string_view, 14> kLanguages = {
    "JAVA",  "CPP",  "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO",     "PHP",    "OMS",    "RUST",   "NODE_JS"};

uint32_t LoadBE32(const char* p) {
  return absl::big_endian::Load32(reinterpret_cast<const uint8_t*>(p));
}

void AppendBE32(uint32_t v, std::string* out) {
  char b[4];
  absl::big_endian::Store32(b, v);
  out->append(b, 4);
}

}  // namespace

const std::string* RemotingCommand::Field(absl::string_view key) const {
  for (const auto& [k, v] : ext_fields) {
    if (k == key) return &v;
  }
  return nullptr;
}

void RemotingCommand::Set(absl::string_view key, std::string value) {
  for (auto& [k, v] : ext_fields) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  ext_fields.emplace_back(std::string(key), std::move(value));
}

RemotingCommand ResponseTo(const RemotingCommand& request, int32_t code,
                           std::optional<std::string> remark) {
  RemotingCommand r;
  r.code = code;
  r.language = 0;
  r.version = kServerVersion;
  r.opaque = request.opaque;
  r.flag = kFlagResponse;
  r.remark = std::move(remark);
  r.type = request.type;
  return r;
}

absl::string_view LanguageName(int32_t code) {
  if (code < 0 || code >= static_cast<int32_t>(kLanguages.size())) {
    return "OTHER";
  }
  return kLanguages[code];
}

int32_t LanguageCode(absl::string_view name) {
  for (size_t i = 0; i < kLanguages.size(); ++i) {
    if (kLanguages[i] == name) return static_cast<int32_t>(i);
  }
  return 7;
}

absl::StatusOr<size_t> FrameSize(absl::string_view data) {
  if (data.size() < 4) return 0;
  const uint32_t length = LoadBE32(data.data());
  if (length < 4 || length > kMaxFrameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame length ", length, " is outside 4..", kMaxFrameBytes));
  }
  if (data.size() - 4 < length) return 0;
  return size_t{length} + 4;
}

absl::StatusOr<RemotingCommand> DecodeFrame(absl::string_view frame) {
  if (frame.size() < 8) {
    return absl::InvalidArgumentError("frame shorter than 8 bytes");
  }
  const uint32_t length = LoadBE32(frame.data());
  if (length != frame.size() - 4) {
    return absl::InvalidArgumentError(absl::StrCat("frame length ", length,
                                                   " does not match ",
                                                   frame.size() - 4, " bytes"));
  }
  const uint32_t mark = LoadBE32(frame.data() + 4);
  const uint32_t type = mark >> 24;
  const uint32_t header_length = mark & 0xFFFFFF;
  if (header_length > length - 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("header length ", header_length, " is past the frame of ",
                     length, " bytes"));
  }
  const absl::string_view header = frame.substr(8, header_length);
  absl::StatusOr<RemotingCommand> cmd;
  if (type == 0) {
    cmd = DecodeJsonHeader(header);
  } else if (type == 1) {
    cmd = DecodeBinaryHeader(header);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown serialize type ", type));
  }
  if (!cmd.ok()) return cmd.status();
  cmd->type = type == 0 ? SerializeType::kJson : SerializeType::kRocketMq;
  cmd->body = std::string(frame.substr(8 + header_length));
  return cmd;
}

std::string EncodeFrame(const RemotingCommand& cmd) {
  const std::string header = cmd.type == SerializeType::kJson
                                 ? EncodeJsonHeader(cmd)
                                 : EncodeBinaryHeader(cmd);
  std::string out;
  out.reserve(8 + header.size() + cmd.body.size());
  AppendBE32(static_cast<uint32_t>(4 + header.size() + cmd.body.size()), &out);
  AppendBE32((static_cast<uint32_t>(cmd.type) << 24) |
                 (static_cast<uint32_t>(header.size()) & 0xFFFFFF),
             &out);
  out += header;
  out += cmd.body;
  return out;
}

}  // namespace rewindmq::facade::remoting
