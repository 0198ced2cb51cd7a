// The two header encodings of the remoting protocol
// (rocketmq-remoting.md sections 1.2 and 1.3). The JSON form is what Java
// clients send by default; the binary "ROCKETMQ" form is what they send with
// -Drocketmq.serialize.type=ROCKETMQ. Body bytes are not touched here.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/facades/remoting/command.h"

namespace rewindmq::facade::remoting {

// {"code":..,"extFields":{..},"flag":..,"language":"JAVA","opaque":..,
// "remark":..,"serializeTypeCurrentRPC":"JSON","version":..}, without
// whitespace; extFields and remark omitted when empty / null.
std::string EncodeJsonHeader(const RemotingCommand& cmd);
// Fills the header fields of a command. Unknown keys are ignored; numbers
// may come as numbers or strings; extFields values are taken as strings
// (numbers and booleans rendered as text).
// InvalidArgument: not a JSON object, or a field of the wrong type.
absl::StatusOr<RemotingCommand> DecodeJsonHeader(absl::string_view json);

// code int16, language byte, version int16, opaque int32, flag int32,
// remark (int32 length + bytes), extFields (int32 length, then int16 key
// length + key, int32 value length + value).
std::string EncodeBinaryHeader(const RemotingCommand& cmd);
// InvalidArgument: truncated, or a length past the header.
absl::StatusOr<RemotingCommand> DecodeBinaryHeader(absl::string_view data);

}  // namespace rewindmq::facade::remoting
