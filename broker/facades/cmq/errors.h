// CMQ's error vocabulary (spec cmq-v2.md §5): every answer that is not a
// success carries an integer `code` and a message `(MODULE)text`.
//
// Facade code that rejects a request builds an absl::Status with CmqStatus();
// the Status carries the ErrorKind as a payload, so that the one mapping
// function (ToCmqError in cmq_errors.h) can turn it back into the vendor error
// without parsing message text. Everything here is pure and thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rewindmq::facade::cmq {

// One enumerator per row of spec §5.2. The comment gives `code/module`.
enum class ErrorKind {
  kInvalidParameters,       // 4000/10000
  kMissingParameter,        // 4000/10010
  kInvalidQueueName,        // 4000/10020
  kEmptyMessageBody,        // 4000/10120
  kMissingAction,           // 4000/10280
  kKeyFormat,               // 4000/10310
  kNotRepeatable,           // 4000/10330
  kOutOfRange,              // 4000/10350
  kWrongType,               // 4000/10360
  kBatchSize,               // 4000/10370
  kNotConsecutive,          // 4000/10380
  kMethodNotAllowed,        // 4000/10410
  kCannotParse,             // 4000/10420
  kUnknownAction,           // 4000/10430
  kInvalidRewindTime,       // 4000/10680
  kDelayOutOfRange,         // 4000/10692
  kRewindExceedsRetention,  // 4000/10700
  kAuthenticationFailed,    // 4100/10030
  kSecretIdNotFound,        // 4100/10270
  kMessageTooLarge,         // 4400/10230
  kHeapFull,                // 4410/10240
  kThrottled,               // 4420/10250
  kInvalidReceiptHandle,    // 4430/10260
  kQueueNotFound,           // 4440/10100
  kQueueLimitReached,       // 4450/10220
  kQueueExists,             // 4460/10210
  kBatchTooLarge,           // 4470/10300
  kInternal,                // 6000/10050
  kDeletePartiallyFailed,   // 6010/10150
  kBatchDeleteFailed,       // 6020/10290
  kRecreateTooSoon,         // 6040/10660
  kRewindDisabled,          // 6050/10670
  kNoMessage,               // 7000/10200
};

// A vendor error as it goes on the wire.
struct CmqError {
  int code = 0;         // top-level `code`, e.g. 4000
  int module = 0;       // module code, e.g. 10350
  std::string message;  // "(10350)parameter limit value or length is ..."

  bool operator==(const CmqError&) const = default;
};

// The wire error for `kind`; `arg` replaces the `%s` of texts that have one
// (a parameter, action or method name) and is ignored otherwise.
CmqError MakeCmqError(ErrorKind kind, absl::string_view arg = "");

// True for the 6000-range internal error that must never carry detail.
inline bool IsInternal(const CmqError& e) { return e.module == 10050; }

// A Status saying "answer the client with `kind`". Its code follows what the
// caller should do (InvalidArgument for 4000, Unauthenticated for 4100,
// NotFound for 4440, ...); its message is the vendor text with `arg` filled
// in; the kind and `arg` travel as a payload.
absl::Status CmqStatus(ErrorKind kind, absl::string_view arg = "");

// The vendor error carried by a Status made with CmqStatus(), or nullopt for
// any other Status (including OK).
std::optional<CmqError> CmqErrorFromPayload(const absl::Status& s);

}  // namespace rewindmq::facade::cmq
