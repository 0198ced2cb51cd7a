#include "broker/facades/dms/route.h"

#include <boost/url/pct_string_view.hpp>
#include <cstdint>
#include <initializer_list>

#include "absl/strings/str_split.h"
#include "broker/facades/dms/dms_error.h"
#include "broker/http/query.h"
#include "broker/names.h"

namespace rewindmq::facade::dms {
namespace {

// One accepted method of a path shape and the operation it selects.
struct MethodOp {
  absl::string_view method;
  Operation op;
};

absl::Status NotFound() { return DmsStatus(DmsCode::kRouteNotFound); }

// Picks the operation for `method` among `allowed`, or 405.
absl::StatusOr<Operation> Select(absl::string_view method,
                                 std::initializer_list<MethodOp> allowed) {
  for (const MethodOp& m : allowed) {
    if (m.method == method) return m.op;
  }
  return DmsStatus(DmsCode::kMethodNotAllowed);
}

PathName MakePathName(absl::string_view segment) {
  return PathName{std::string(segment), PercentDecode(segment, true)};
}

// Matches the segments after ".../instances". Fills op, instance, topic,
// group of `m`.
absl::Status MatchTail(absl::string_view method,
                       const std::vector<absl::string_view>& tail,
                       RouteMatch& m) {
  using O = Operation;
  absl::StatusOr<Operation> op = NotFound();
  const size_t n = tail.size();
  if (n == 0) {
    op = Select(method, {{"GET", O::kListInstances}});
  } else if (n == 1) {
    op = Select(method, {{"GET", O::kShowInstance}});
  } else {
    const absl::string_view kind = tail[1];
    if (n == 2 && kind == "brokers") {
      op = Select(method, {{"GET", O::kListBrokers}});
    } else if (n == 2 && kind == "topics") {
      op = Select(method, {{"POST", O::kCreateTopic}, {"GET", O::kListTopics}});
    } else if (n == 2 && kind == "groups") {
      op = Select(method, {{"POST", O::kCreateGroup},
                           {"PUT", O::kBatchUpdateGroups},
                           {"GET", O::kListGroups}});
    } else if (n == 2 && kind == "messages") {
      op = Select(method,
                  {{"POST", O::kSendMessage}, {"GET", O::kQueryMessages}});
    } else if (n == 3 && kind == "messages" && tail[2] == "resend") {
      op = Select(method, {{"POST", O::kResendMessages}});
    } else if (kind == "topics" && n <= 4) {
      m.topic = MakePathName(tail[2]);
      if (n == 3) {
        op = Select(method, {{"GET", O::kShowTopic},
                             {"PUT", O::kUpdateTopic},
                             {"DELETE", O::kDeleteTopic}});
      } else if (tail[3] == "status") {
        op = Select(method, {{"GET", O::kShowTopicStatus}});
      } else if (tail[3] == "groups") {
        op = Select(method, {{"GET", O::kListGroupsOfTopic}});
      }
    } else if (kind == "groups" && n <= 4) {
      m.group = MakePathName(tail[2]);
      if (n == 3) {
        op = Select(method, {{"GET", O::kShowGroup},
                             {"PUT", O::kUpdateGroup},
                             {"DELETE", O::kDeleteGroup}});
      } else if (tail[3] == "topics") {
        op = Select(method, {{"GET", O::kShowGroupTopics}});
      } else if (tail[3] == "clients") {
        op = Select(method, {{"GET", O::kListConsumers}});
      } else if (tail[3] == "reset-message-offset") {
        op = Select(method, {{"POST", O::kResetOffset}});
      }
    }
  }
  if (!op.ok()) return op.status();
  m.op = *op;
  if (n >= 1) {
    std::optional<std::string> id = PercentDecode(tail[0], true);
    m.instance_id = id ? *std::move(id) : std::string(tail[0]);
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kListInstances:
      return "ListInstances";
    case Operation::kShowInstance:
      return "ShowInstance";
    case Operation::kListBrokers:
      return "ListBrokers";
    case Operation::kCreateTopic:
      return "CreateTopic";
    case Operation::kBatchDeleteTopics:
      return "BatchDeleteTopics";
    case Operation::kListTopics:
      return "ListTopics";
    case Operation::kShowTopic:
      return "ShowTopic";
    case Operation::kUpdateTopic:
      return "UpdateTopic";
    case Operation::kDeleteTopic:
      return "DeleteTopic";
    case Operation::kShowTopicStatus:
      return "ShowTopicStatus";
    case Operation::kListGroupsOfTopic:
      return "ListGroupsOfTopic";
    case Operation::kCreateGroup:
      return "CreateGroup";
    case Operation::kBatchDeleteGroups:
      return "BatchDeleteGroups";
    case Operation::kBatchUpdateGroups:
      return "BatchUpdateGroups";
    case Operation::kListGroups:
      return "ListGroups";
    case Operation::kShowGroup:
      return "ShowGroup";
    case Operation::kUpdateGroup:
      return "UpdateGroup";
    case Operation::kDeleteGroup:
      return "DeleteGroup";
    case Operation::kShowGroupTopics:
      return "ShowGroupTopics";
    case Operation::kListConsumers:
      return "ListConsumers";
    case Operation::kSendMessage:
      return "SendMessage";
    case Operation::kQueryMessages:
      return "QueryMessages";
    case Operation::kResendMessages:
      return "ResendMessages";
    case Operation::kResetOffset:
      return "ResetOffset";
  }
  return "Unknown";
}

std::vector<std::string> PathName::Candidates() const {
  std::vector<std::string> out;
  if (decoded.has_value()) out.push_back(*decoded);
  if (!decoded.has_value() || *decoded != raw) out.push_back(raw);
  return out;
}

std::optional<std::string> QueryParams::Get(absl::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(absl::string_view s,
                                         bool require_utf8) {
  boost::system::result<boost::urls::pct_string_view> pct =
      boost::urls::make_pct_string_view(
          boost::urls::string_view(s.data(), s.size()));
  if (!pct.has_value()) return std::nullopt;
  std::string out;
  out.reserve(pct->decoded_size());
  pct->decode({}, boost::urls::string_token::assign_to(out));
  if (require_utf8 && !IsValidUtf8(out)) return std::nullopt;
  return out;
}

QueryParams ParseQueryString(absl::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const httpd::QueryItem& item : httpd::SplitQuery(raw_query)) {
    std::optional<std::string> n = PercentDecode(item.name, false);
    std::optional<std::string> v = PercentDecode(item.value, false);
    params.emplace_back(n ? *std::move(n) : std::string(item.name),
                        v ? *std::move(v) : std::string(item.value));
  }
  return QueryParams(std::move(params));
}

bool IsValidProjectId(absl::string_view project_id) {
  return broker::IsIdentifier(project_id);
}

absl::StatusOr<RouteMatch> MatchRoute(absl::string_view method,
                                      absl::string_view target) {
  absl::string_view path = httpd::TargetPath(target);
  const absl::string_view query = httpd::TargetQuery(target);
  constexpr absl::string_view kPrefix = "/v2/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return NotFound();
  path.remove_prefix(kPrefix.size());
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return NotFound();
  std::vector<absl::string_view> seg = absl::StrSplit(path, '/');
  for (absl::string_view s : seg) {
    if (s.empty()) return NotFound();
  }

  RouteMatch m;
  absl::string_view project;
  size_t tail_start;
  if (seg.size() >= 2 && seg[1] == "instances") {
    m.family = Family::kPlain;
    project = seg[0];
    tail_start = 2;
  } else if (seg.size() >= 3 && seg[1] == "rocketmq" && seg[2] == "instances") {
    m.family = Family::kRocketmq;
    project = seg[0];
    tail_start = 3;
  } else if (seg.size() >= 3 &&
             (seg[0] == "reliability" || seg[0] == "rocketmq") &&
             seg[2] == "instances") {
    m.family = Family::kEngine;
    m.engine = std::string(seg[0]);
    project = seg[1];
    tail_start = 3;
  } else {
    return NotFound();
  }

  std::vector<absl::string_view> tail(seg.begin() + tail_start, seg.end());
  if (absl::Status s = MatchTail(method, tail, m); !s.ok()) return s;

  std::optional<std::string> pid = PercentDecode(project, true);
  if (!pid.has_value() || !IsValidProjectId(*pid)) {
    return DmsStatus(DmsCode::kProjectIdInvalid);
  }
  m.project_id = *std::move(pid);
  m.query = ParseQueryString(query);

  if (m.op == Operation::kCreateTopic || m.op == Operation::kCreateGroup) {
    if (m.query.Get("action") == std::optional<std::string>("delete")) {
      m.op = m.op == Operation::kCreateTopic ? Operation::kBatchDeleteTopics
                                             : Operation::kBatchDeleteGroups;
    }
  }
  return m;
}

}  // namespace rewindmq::facade::dms
