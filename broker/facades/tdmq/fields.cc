#include "broker/facades/tdmq/fields.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "broker/facades/tdmq/errors.h"

namespace rewindmq::facade::tdmq {

namespace json = boost::json;

absl::Status CheckRange(absl::string_view name,
                        const std::optional<uint64_t>& v, uint64_t lo,
                        uint64_t hi) {
  if (v.has_value() && (*v < lo || *v > hi)) return ValueOutOfRange(name);
  return absl::OkStatus();
}

int64_t ToI64(uint64_t v) {
  return static_cast<int64_t>(
      std::min<uint64_t>(v, std::numeric_limits<int64_t>::max()));
}

std::optional<int64_t> ToI64(const std::optional<uint64_t>& v) {
  if (!v.has_value()) return std::nullopt;
  return ToI64(*v);
}

uint64_t ToU64(int64_t v) {
  return static_cast<uint64_t>(std::max<int64_t>(0, v));
}

uint64_t UnixMillis(absl::Time t) { return ToU64(absl::ToUnixMillis(t)); }

absl::StatusOr<std::vector<broker::CmqTag>> ReadTags(const Params& p) {
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<Params::Element>> elements,
                       p.Objects("Tags", {"TagKey", "TagValue"}));
  std::vector<broker::CmqTag> tags;
  if (!elements.has_value()) return tags;
  for (const Params::Element& e : *elements) {
    RMQ_ASSIGN_OR_RETURN(std::optional<std::string> key, p.String(e, "TagKey"));
    RMQ_ASSIGN_OR_RETURN(std::optional<std::string> value,
                         p.String(e, "TagValue"));
    if (!key.has_value() || key->empty()) {
      return MissingParameterError(absl::StrCat(e.path, ".TagKey"));
    }
    if (!value.has_value()) {
      return MissingParameterError(absl::StrCat(e.path, ".TagValue"));
    }
    if (key->size() > 127) {
      return ValueOutOfRange(absl::StrCat(e.path, ".TagKey"));
    }
    if (value->size() > 255) {
      return ValueOutOfRange(absl::StrCat(e.path, ".TagValue"));
    }
    for (const broker::CmqTag& t : tags) {
      if (t.key == *key) {
        return InvalidValueError(
            absl::StrCat("tag key ", *key, " is given more than once"));
      }
    }
    tags.push_back({*std::move(key), *std::move(value)});
  }
  return tags;
}

json::array TagsJson(const std::vector<broker::CmqTag>& tags) {
  json::array a;
  for (const broker::CmqTag& t : tags) {
    a.push_back(json::object{{"TagKey", t.key}, {"TagValue", t.value}});
  }
  return a;
}

bool ListQuery::Matches(absl::string_view name,
                        const std::vector<broker::CmqTag>& tags) const {
  if (search.has_value() && !absl::StrContains(name, *search)) return false;
  if (names.has_value() &&
      std::none_of(names->begin(), names->end(), [&](const std::string& n) {
        return absl::EqualsIgnoreCase(n, name);
      })) {
    return false;
  }
  return std::all_of(
      tag_filters.begin(), tag_filters.end(), [&](const TagFilter& f) {
        return std::any_of(
            tags.begin(), tags.end(), [&](const broker::CmqTag& t) {
              return t.key == f.key &&
                     std::find(f.values.begin(), f.values.end(), t.value) !=
                         f.values.end();
            });
      });
}

absl::StatusOr<ListQuery> ReadListQuery(const Params& p,
                                        absl::string_view search_field,
                                        absl::string_view list_field) {
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> offset, p.U64("Offset"));
  RMQ_ASSIGN_OR_RETURN(std::optional<uint64_t> limit, p.U64("Limit"));
  ListQuery q;
  RMQ_ASSIGN_OR_RETURN(q.search, p.String(search_field));
  RMQ_ASSIGN_OR_RETURN(q.names, p.Strings(list_field));
  RMQ_ASSIGN_OR_RETURN(std::optional<bool> tag_filter, p.Bool("IsTagFilter"));
  RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<Params::Element>> elements,
                       p.Objects("Filters", {"Name", "Values"}));
  std::vector<ListQuery::TagFilter> filters;
  if (elements.has_value()) {
    for (const Params::Element& e : *elements) {
      RMQ_ASSIGN_OR_RETURN(std::optional<std::string> name,
                           p.String(e, "Name"));
      RMQ_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> values,
                           p.Strings(e, "Values"));
      filters.push_back(
          {name.value_or(""), values.value_or(std::vector<std::string>{})});
    }
  }
  RMQ_RETURN_IF_ERROR(CheckRange("Limit", limit, 1, 50));
  if (q.names.has_value() && q.names->size() > 100) {
    return ValueOutOfRange(list_field);
  }
  for (size_t i = 0; i < filters.size(); ++i) {
    if (!absl::StartsWith(filters[i].key, "tag:") ||
        filters[i].key.size() == 4) {
      return ValueOutOfRange(absl::StrCat("Filters.", i, ".Name"));
    }
    filters[i].key.erase(0, 4);
  }
  q.offset = offset.value_or(0);
  q.limit = limit.value_or(20);
  if (tag_filter.value_or(false)) q.tag_filters = std::move(filters);
  return q;
}

}  // namespace rewindmq::facade::tdmq
