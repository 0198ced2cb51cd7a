// TDMQ's error vocabulary (spec tdmq-cmq-v3.md §6): every failed answer
// carries a string `Code` such as "ResourceNotFound" and a `Message`.
//
// Facade code that rejects a request returns a Status made by one of the
// functions below; the code travels as a payload, so that ToTdmqError() can
// turn any Status (a facade rejection, a broker error with its
// broker::Reason, or a plain fault) into the wire error without parsing
// message text. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rewindmq::facade::tdmq {

// An error as it goes on the wire: {"Error":{"Code":...,"Message":...}}.
struct TdmqError {
  std::string code;
  std::string message;

  bool operator==(const TdmqError&) const = default;
};

// The codes of spec §6.1 that more than one place uses.
inline constexpr absl::string_view kInternalError = "InternalError";
inline constexpr absl::string_view kInvalidParameter = "InvalidParameter";
inline constexpr absl::string_view kInvalidParameterValue =
    "InvalidParameterValue";
inline constexpr absl::string_view kMissingParameter = "MissingParameter";
inline constexpr absl::string_view kUnknownParameter = "UnknownParameter";
inline constexpr absl::string_view kUnsupportedOperation =
    "UnsupportedOperation";
inline constexpr absl::string_view kResourceNotFound = "ResourceNotFound";

// A Status answering the client with `code` and `message`. Its absl code
// says what the caller should do (InvalidArgument for parameter errors,
// Unauthenticated for AuthFailure.*, NotFound for ResourceNotFound*, ...).
absl::Status TdmqStatus(absl::string_view code, absl::string_view message);

// The §6.1 texts, for the errors raised by request decoding.
absl::Status MissingParameterError(absl::string_view name);
absl::Status UnknownParameterError(absl::string_view name);
// `why`: "wrong type", "not an integer", "repeated", ...
absl::Status InvalidParameterError(absl::string_view name,
                                   absl::string_view why);
// The value of `name` is outside its range (the generic §6.1 text).
absl::Status ValueOutOfRange(absl::string_view name);
// InvalidParameterValue with a given text (the 2.0 texts of §6.3).
absl::Status InvalidValueError(absl::string_view message);
absl::Status UnsupportedError(absl::string_view message);

// The wire error carried by a Status made above, or nullopt for any other
// Status (including OK).
std::optional<TdmqError> TdmqErrorFromPayload(const absl::Status& s);

// REQUIRES: !s.ok(). The facade's own rejections first, then the
// broker::Reason (table of §6.3), then the status code. Anything
// unrecognised is InternalError with the generic text only: the caller
// logs the full Status (IsInternal()) and never shows it.
TdmqError ToTdmqError(const absl::Status& s);

inline bool IsInternal(const TdmqError& e) { return e.code == kInternalError; }

}  // namespace rewindmq::facade::tdmq
