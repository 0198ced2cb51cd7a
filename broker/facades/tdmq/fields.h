// What the queue actions (actions.cc) and the topic and subscription
// actions (topic_actions.cc) read and write alike: integer conversions,
// tags, and the list filters of the two Describe*s actions (spec
// tdmq-cmq-v3.md §8.2, §9.2, §10.5). Pure and thread-safe.
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/cmq_queues.h"
#include "broker/facades/tdmq/params.h"

namespace rewindmq::facade::tdmq {

// InvalidParameterValue naming `name` when `v` is set and outside [lo, hi].
absl::Status CheckRange(absl::string_view name,
                        const std::optional<uint64_t>& v, uint64_t lo,
                        uint64_t hi);

// A request's unsigned value as the broker's signed one (capped).
int64_t ToI64(uint64_t v);
std::optional<int64_t> ToI64(const std::optional<uint64_t>& v);
// A stored value as a response's unsigned one (negative as 0).
uint64_t ToU64(int64_t v);
// Unix milliseconds, as responses give times (§7.1).
uint64_t UnixMillis(absl::Time t);

// The `Tags` field (§8.2): each TagKey 1-127 and TagValue 0-255 characters,
// both required, keys unique. Absent: empty.
absl::StatusOr<std::vector<broker::CmqTag>> ReadTags(const Params& p);
// [{"TagKey":..,"TagValue":..}, ...]; [] when none.
boost::json::array TagsJson(const std::vector<broker::CmqTag>& tags);

// The list parameters of DescribeCmqQueues and DescribeCmqTopics: Offset,
// Limit (1-50, default 20), a name substring, a name list (exact, case
// insensitive, at most 100), and tag filters (`tag:<key>` with accepted
// values, all of which must match) applied when IsTagFilter is true.
struct ListQuery {
  uint64_t offset = 0;
  uint64_t limit = 20;
  std::optional<std::string> search;
  std::optional<std::vector<std::string>> names;
  struct TagFilter {
    std::string key;
    std::vector<std::string> values;
  };
  std::vector<TagFilter> tag_filters;  // empty unless IsTagFilter

  // Whether an item of that name and those tags is listed.
  bool Matches(absl::string_view name,
               const std::vector<broker::CmqTag>& tags) const;
};

// Reads the fields above, `search_field` and `list_field` being the
// action's names for the substring and the list ("QueueName",
// "QueueNameList"). Type errors first, then ranges (§6.2).
absl::StatusOr<ListQuery> ReadListQuery(const Params& p,
                                        absl::string_view search_field,
                                        absl::string_view list_field);

}  // namespace rewindmq::facade::tdmq
