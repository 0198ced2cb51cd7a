// Fuzzes DMS request parsing (requests.h): every JSON body parser and every
// query parser on one input, "<query string>\n<JSON body>". Nothing may
// throw or crash; every error must be one of the DMS errors requests.h
// lists, and what parses must respect the documented limits.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/check.h"
#include "broker/facades/dms/dms_error.h"
#include "broker/facades/dms/requests.h"
#include "broker/facades/dms/route.h"

namespace rewindmq::facade::dms {
namespace {

template <typename T>
void CheckError(const absl::StatusOr<T>& r) {
  if (r.ok()) return;
  std::optional<DmsCode> code = DmsCodeOf(r.status());
  RMQ_CHECK_MSG(code.has_value(), r.status().ToString().c_str());
  RMQ_CHECK(*code == DmsCode::kBodyEmpty || *code == DmsCode::kBodyNotJson ||
            *code == DmsCode::kTimestampInvalid ||
            *code == DmsCode::kInvalidParameter ||
            *code == DmsCode::kMessageTooLarge);
}

void CheckPage(const absl::StatusOr<PageRequest>& page, int64_t max_limit) {
  CheckError(page);
  if (!page.ok()) return;
  RMQ_CHECK(page->offset >= 0);
  RMQ_CHECK(page->limit >= 1 && page->limit <= max_limit);
}

void ParseQueries(const QueryParams& q) {
  CheckPage(ParsePage(q), kMaxListLimit);
  CheckError(ParseListInstancesQuery(q));
  auto groups = ParseListGroupsQuery(q);
  CheckError(groups);
  if (groups.ok()) CheckPage(groups->page, kMaxListLimit);
  CheckError(ParseGroupTopicsQuery(q));
  CheckError(ParseConsumersQuery(q));
  auto messages = ParseQueryMessages(q);
  CheckError(messages);
  if (messages.ok()) {
    RMQ_CHECK(!messages->topic.empty());
    RMQ_CHECK(messages->limit <= kMaxMessageQueryLimit);
    if (!messages->msg_id.has_value()) {
      RMQ_CHECK(messages->start_time_ms.has_value() &&
                messages->end_time_ms.has_value());
    }
  }
}

void ParseBodies(absl::string_view body, const QueryParams& q) {
  auto object = ParseJsonObject(body);
  CheckError(object);

  auto create_topic = ParseCreateTopic(body, q);
  CheckError(create_topic);
  if (create_topic.ok()) RMQ_CHECK(!create_topic->name.empty());
  for (absl::string_view key : {"topics", "groups"}) {
    auto names = ParseBatchDelete(body, key);
    CheckError(names);
    if (names.ok()) {
      RMQ_CHECK(!names->empty());
      for (const std::string& n : *names) RMQ_CHECK(!n.empty());
    }
  }
  auto update_topic = ParseUpdateTopic(body);
  CheckError(update_topic);
  if (update_topic.ok()) {
    for (const auto& n :
         {update_topic->read_queue_num, update_topic->write_queue_num}) {
      if (n.has_value()) RMQ_CHECK(*n >= kMinQueueNum && *n <= kMaxQueueNum);
    }
  }
  auto create_group = ParseCreateGroup(body, q);
  CheckError(create_group);
  if (create_group.ok()) {
    RMQ_CHECK(!create_group->name.empty());
    RMQ_CHECK(create_group->retry_max_time >= 0 &&
              create_group->retry_max_time <= kMaxRetryMaxTime);
  }
  CheckError(ParseUpdateGroup(body));
  auto batch_update = ParseBatchUpdateGroups(body);
  CheckError(batch_update);
  if (batch_update.ok()) {
    RMQ_CHECK(!batch_update->empty());
    for (const UpdateGroupInput& g : *batch_update) {
      RMQ_CHECK(g.name.has_value());
    }
  }
  auto send = ParseSendMessage(body);
  CheckError(send);
  if (send.ok()) {
    RMQ_CHECK(!send->topic.empty() && !send->body.empty());
    RMQ_CHECK(send->body.size() <= kMaxBodyBytes);
    size_t property_bytes = 0;
    for (const auto& [name, value] : send->properties) {
      RMQ_CHECK(!name.empty());
      property_bytes += name.size() + value.size();
    }
    RMQ_CHECK(property_bytes <= kMaxPropertyBytes);
  }
  CheckError(ParseResend(body));
  auto reset = ParseResetOffset(body);
  CheckError(reset);
  if (reset.ok()) {
    RMQ_CHECK(!reset->topic.empty());
    if (reset->point.kind == ResetPoint::Kind::kTime) {
      RMQ_CHECK(reset->point.timestamp_ms > 0);
    }
  }

  // The timestamp rule on whatever JSON value the body is.
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(
      boost::json::string_view(body.data(), body.size()), ec);
  if (!ec) {
    auto point = ParseResetTimestamp(v);
    CheckError(point);
    if (point.ok() && point->kind == ResetPoint::Kind::kTime) {
      RMQ_CHECK(point->timestamp_ms > 0);
    }
  }
}

}  // namespace
}  // namespace rewindmq::facade::dms

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::dms;
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  const absl::string_view query = in.substr(0, in.find('\n'));
  const absl::string_view body =
      query.size() < in.size() ? in.substr(query.size() + 1) : "";
  const QueryParams q = ParseQueryString(query);
  ParseQueries(q);
  ParseBodies(body, q);
  return 0;
}
