// Request decoding for the CMQ facade (spec cmq-v2.md §2.3, §2.4, §3): the
// form-encoded query string or body becomes a set of named parameters, and
// array parameters `name.N` become a vector.
//
// Every error is a CmqStatus() (errors.h). All functions are pure and
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/text.h"

namespace rewindmq::facade::cmq {

// A request's parameters by name. Names are case-sensitive; the map iterates
// them byte-wise ascending, which is the order the signature uses (§4.1).
using Params = absl::btree_map<std::string, std::string>;

using FormPairs = std::vector<std::pair<std::string, std::string>>;

// Decodes an application/x-www-form-urlencoded string (a query string without
// its `?`, or a POST body) into (name, value) pairs in order of appearance:
// split on `&`, then on the first `=` (an item without `=` has an empty
// value); `+` becomes a space and `%XX` (either case) the byte XX. Empty
// items and items with an empty name are skipped; a `%` not followed by two
// hex digits stays as it is (as in PHP's urldecode, which the original
// service used).
// 4000/10420: a decoded name or value is not valid UTF-8.
absl::StatusOr<FormPairs> DecodeForm(absl::string_view text);

// The parameters of a request (§2.3). GET takes them from `query` alone.
// POST takes them from `body` (whatever its Content-Type) and, if a query is
// also present, merges both sets with the body winning a clash. Any other
// method yields 4000/10410. Decoding errors (10420) come before repeated
// names (10330) within one source.
absl::StatusOr<Params> RequestParams(absl::string_view method,
                                     absl::string_view query,
                                     absl::string_view body);

// True if `p` holds at least one key `name.<something>`.
bool HasArrayParam(const Params& p, absl::string_view name);

// The values of array parameter `name` (keys `name.N`) in index order (§3).
// Returns an empty vector when there is no such key. Checks, in order:
// 4000/10310 an index that is not a canonical decimal number (`name.x`,
// `name.`, `name.01`); 4000/10370 more than `max_size` entries; 4000/10380
// indices that do not start at 0 or 1 or have a gap. Indices compare as
// integers, so `name.10` follows `name.9`.
absl::StatusOr<std::vector<std::string>> ArrayParam(const Params& p,
                                                    absl::string_view name,
                                                    size_t max_size);

using ::rewindmq::IsValidUtf8;

}  // namespace rewindmq::facade::cmq
