// Route matching for the DMS for RocketMQ REST API (spec §1.3, Appendix A).
//
// A request-target such as
//   /v2/reliability/<project>/instances/<id>/groups/<group>/reset-message-offset
// is split into its family, project id, instance id, topic or group name and
// query parameters, and named by an Operation. Pure functions; no I/O.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/text.h"

namespace rewindmq::facade::dms {

// The three URL families of spec §1.3.
enum class Family {
  kPlain,     // /v2/{project_id}/instances/...
  kRocketmq,  // /v2/{project_id}/rocketmq/instances/...
  kEngine,    // /v2/{engine}/{project_id}/instances/...  engine: reliability
              // or rocketmq
};

// One operation per SDK method (Appendix A). A POST to .../topics or
// .../groups with `action=delete` is a batch delete; any other `action`
// value stays a create, whose parser then refuses it.
enum class Operation {
  kListInstances,
  kShowInstance,
  kListBrokers,
  kCreateTopic,
  kBatchDeleteTopics,
  kListTopics,
  kShowTopic,
  kUpdateTopic,
  kDeleteTopic,
  kShowTopicStatus,
  kListGroupsOfTopic,
  kCreateGroup,
  kBatchDeleteGroups,
  kBatchUpdateGroups,
  kListGroups,
  kShowGroup,
  kUpdateGroup,
  kDeleteGroup,
  kShowGroupTopics,  // consumption details (showConsumerListOrDetails)
  kListConsumers,    // showConsumerConnections[ForRocketMq]
  kSendMessage,
  kQueryMessages,
  kResendMessages,  // validateConsumedMessage[ForRocketMq]
  kResetOffset,
};

// A short stable name for logs and tests, e.g. "ResetOffset".
absl::string_view OperationName(Operation op);

// A topic or group name taken from a path segment. The Node SDK puts names
// into the path without percent-encoding, other clients encode them, so
// both readings are kept (spec §1.1): `decoded` is the percent-decoded
// segment, absent when decoding fails (malformed escape or invalid UTF-8).
struct PathName {
  std::string raw;
  std::optional<std::string> decoded;

  // The names to try, in order: the decoded one, then the raw one when it
  // differs. Never empty.
  std::vector<std::string> Candidates() const;
  // The preferred reading: decoded if available, else raw.
  const std::string& Preferred() const { return decoded ? *decoded : raw; }
};

// Query parameters in arrival order, percent-decoded ('+' stays '+').
// A parameter whose escape is malformed keeps its raw text.
class QueryParams {
 public:
  QueryParams() = default;
  explicit QueryParams(std::vector<std::pair<std::string, std::string>> p)
      : params_(std::move(p)) {}

  // The first value of `name`, if present.
  std::optional<std::string> Get(absl::string_view name) const;
  bool Has(absl::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& all() const {
    return params_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// Splits a raw query string ("a=1&b=%20") into decoded parameters. Empty
// items are skipped; an item without '=' has an empty value.
QueryParams ParseQueryString(absl::string_view raw_query);

// What MatchRoute() found.
struct RouteMatch {
  Operation op = Operation::kListInstances;
  Family family = Family::kPlain;
  std::string engine;       // only for Family::kEngine
  std::string project_id;   // decoded, validated
  std::string instance_id;  // decoded; empty only for kListInstances
  PathName topic;           // set for /topics/{topic}/...
  PathName group;           // set for /groups/{group}/...
  QueryParams query;
};

// Matches `method` ("GET", "POST", ...) and the raw request-target (path
// plus optional query, exactly as received) against every route of the
// spec. All operations are served in all three families. One trailing '/'
// is tolerated.
//
// Errors (each a DmsStatus, see dms_error.h), in the spec's evaluation
// order:
//   kRouteNotFound     no route has this path (includes an unknown engine)
//   kMethodNotAllowed  the path exists but not with this method
//   kProjectIdInvalid  the project id is not [A-Za-z0-9_-]{1,64} (this is
//                      also what an SDK without a project id sends:
//                      %7Bproject_id%7D)
absl::StatusOr<RouteMatch> MatchRoute(absl::string_view method,
                                      absl::string_view target);

// True if `project_id` is [A-Za-z0-9_-]{1,64}.
bool IsValidProjectId(absl::string_view project_id);

// Percent-decodes `s` with Boost.URL. nullopt when an escape is malformed
// or, with `require_utf8`, when the result is not valid UTF-8.
std::optional<std::string> PercentDecode(absl::string_view s,
                                         bool require_utf8);

using ::rewindmq::IsValidUtf8;

}  // namespace rewindmq::facade::dms
