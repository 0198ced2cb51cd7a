// The parameters of one API 3.0 request (spec tdmq-cmq-v3.md §3.2, §3.3),
// decoded into one shape whatever the request's form, and read with the
// type rules of §3.3.
//
//   absl::StatusOr<Params> p = Params::FromJson(body);
//   RMQ_RETURN_IF_ERROR(p->CheckKnown({"QueueName", "RewindSeconds"}));
//   RMQ_ASSIGN_OR_RETURN(std::string name, p->RequiredString("QueueName"));
//   RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> rewind,
//                        p->U64("RewindSeconds"));
//
// Every failure is a Status made by errors.h, ready to answer with. Pure and
// thread-safe (a Params is immutable once built).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rewindmq::facade::tdmq {

class Params {
 public:
  // The body of a JSON POST: one JSON object, valid UTF-8, no key repeated
  // at any level; an empty body is `{}`. Otherwise InvalidParameter.
  static absl::StatusOr<Params> FromJson(absl::string_view body);

  // A GET query or an application/x-www-form-urlencoded body with flattened
  // names (`Name.N` is array element N, `Name.N.Field` a field of an object
  // element; indices from 0 without gaps). The common v1 parameters
  // (`Action`, `Version`, `SecretId`, `Signature`, ...) are left out. Every
  // value is a string, converted when read. InvalidParameter for a repeated
  // name, a bad index, undecodable percent-encoding or a decoded name or
  // value that is not UTF-8.
  static absl::StatusOr<Params> FromFlattened(absl::string_view encoded);

  // UnknownParameter naming the first top-level key, in request order, that
  // is not in `known`.
  absl::Status CheckKnown(std::initializer_list<absl::string_view> known) const;

  // Typed reads of a top-level field. Absent or JSON null: nullopt.
  // InvalidParameter when the value has the wrong type, is a number with a
  // fraction or beyond 64 bits (an integral float such as 30.0 is accepted);
  // InvalidParameterValue for a negative U64.
  absl::StatusOr<std::optional<std::string>> String(
      absl::string_view name) const;
  absl::StatusOr<std::optional<uint64_t>> U64(absl::string_view name) const;
  absl::StatusOr<std::optional<int64_t>> I64(absl::string_view name) const;
  absl::StatusOr<std::optional<bool>> Bool(absl::string_view name) const;
  absl::StatusOr<std::optional<std::vector<std::string>>> Strings(
      absl::string_view name) const;

  // A string that must be present and non-empty: MissingParameter
  // otherwise (§3.3: "" counts as absent).
  absl::StatusOr<std::string> RequiredString(absl::string_view name) const;

  // An array of objects whose fields are all strings or string arrays
  // (Tags, Filters). Each element is checked against `known` (unknown
  // field: UnknownParameter `Name.N.Field`).
  struct Element {
    const boost::json::object* fields;
    std::string path;  // "Tags.0", for error messages
  };
  absl::StatusOr<std::optional<std::vector<Element>>> Objects(
      absl::string_view name,
      std::initializer_list<absl::string_view> known) const;

  // Typed reads inside an element, with the same rules (`path` prefixes the
  // names in error messages).
  absl::StatusOr<std::optional<std::string>> String(
      const Element& e, absl::string_view name) const;
  absl::StatusOr<std::optional<std::vector<std::string>>> Strings(
      const Element& e, absl::string_view name) const;

  bool flattened() const { return flattened_; }
  const boost::json::object& object() const { return object_; }

 private:
  Params(boost::json::object object, bool flattened)
      : object_(std::move(object)), flattened_(flattened) {}

  boost::json::object object_;
  // Values arrived as strings and convert to the field's type on reading.
  bool flattened_ = false;
};

}  // namespace rewindmq::facade::tdmq
