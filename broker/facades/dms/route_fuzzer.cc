// Fuzzes DMS route matching (route.h) and the path and query decoding the
// router and the signature share. Input: "<METHOD> <request-target>"; a
// line without a space is a GET of that target. Nothing may crash; a match
// must satisfy what MatchRoute() promises, and an error must be one of its
// three DMS errors.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/check.h"
#include "base/text.h"
#include "broker/facades/dms/dms_error.h"
#include "broker/facades/dms/route.h"
#include "broker/facades/dms/signature.h"

namespace rewindmq::facade::dms {
namespace {

void CheckPathName(const PathName& name) {
  const std::vector<std::string> candidates = name.Candidates();
  RMQ_CHECK(!candidates.empty());
  if (name.decoded.has_value()) {
    RMQ_CHECK(IsValidUtf8(*name.decoded));
    RMQ_CHECK(candidates.front() == *name.decoded);
  }
}

void CheckMatch(absl::string_view method, absl::string_view target) {
  absl::StatusOr<RouteMatch> m = MatchRoute(method, target);
  if (!m.ok()) {
    std::optional<DmsCode> code = DmsCodeOf(m.status());
    RMQ_CHECK_MSG(code.has_value(), m.status().ToString().c_str());
    RMQ_CHECK(*code == DmsCode::kRouteNotFound ||
              *code == DmsCode::kMethodNotAllowed ||
              *code == DmsCode::kProjectIdInvalid);
    return;
  }
  RMQ_CHECK(!OperationName(m->op).empty());
  RMQ_CHECK(IsValidProjectId(m->project_id));
  if (m->op != Operation::kListInstances) RMQ_CHECK(!m->instance_id.empty());
  if (m->family == Family::kEngine) RMQ_CHECK(!m->engine.empty());
  CheckPathName(m->topic);
  CheckPathName(m->group);
  for (const auto& [name, value] : m->query.all()) {
    RMQ_CHECK(m->query.Has(name));
  }
}

}  // namespace
}  // namespace rewindmq::facade::dms

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::dms;
  absl::string_view line(reinterpret_cast<const char*>(data), size);
  absl::string_view method = "GET";
  absl::string_view target = line;
  if (size_t sp = line.find(' '); sp != absl::string_view::npos) {
    method = line.substr(0, sp);
    target = line.substr(sp + 1);
  }
  CheckMatch(method, target);
  // The same path under every method the routes use.
  for (absl::string_view m : {"GET", "POST", "PUT", "DELETE"}) {
    CheckMatch(m, target);
  }

  const size_t q = target.find('?');
  const absl::string_view path = target.substr(0, q);
  const absl::string_view query =
      q == absl::string_view::npos ? "" : target.substr(q + 1);
  ParseQueryString(query);
  for (bool utf8 : {false, true}) {
    std::optional<std::string> decoded = PercentDecode(path, utf8);
    if (decoded.has_value()) {
      RMQ_CHECK(decoded->size() <= path.size());
      if (utf8) RMQ_CHECK(IsValidUtf8(*decoded));
    }
  }
  // The signature's canonical forms: only unreserved bytes and escapes.
  const std::string uri = CanonicalUri(path);
  RMQ_CHECK(!uri.empty() && uri.back() == '/');
  CanonicalQueryString(query);
  RMQ_CHECK(SdkUrlEncode(path).size() >= path.size());
  return 0;
}
