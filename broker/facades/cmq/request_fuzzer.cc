// Fuzzes CMQ request decoding (form.h) and every action's parameter parser
// (actions.h) on one request. Input: "<method>\n<query>\n<body>"; missing
// parts are empty. Nothing may crash; every error must be a CMQ error, and
// what parses must respect the limits the parsers promise.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/check.h"
#include "base/text.h"
#include "broker/facades/cmq/actions.h"
#include "broker/facades/cmq/errors.h"
#include "broker/facades/cmq/form.h"

namespace rewindmq::facade::cmq {
namespace {

// A failed parse carries a CMQ error (the facade renders nothing else).
template <typename T>
void CheckCmqError(const absl::StatusOr<T>& r) {
  if (!r.ok()) RMQ_CHECK(CmqErrorFromPayload(r.status()).has_value());
}

void CheckQueueName(const std::string& name) {
  RMQ_CHECK(IsValidExistingQueueName(name));
}

void ParseEveryAction(const Params& p) {
  ParseOptions options;
  options.min_max_msg_heap_num = 1;

  absl::StatusOr<Action> action = ParseAction(p);
  CheckCmqError(action);
  if (action.ok()) RMQ_CHECK(!ActionName(*action).empty());

  auto create = ParseCreateQueue(p, options);
  CheckCmqError(create);
  if (create.ok()) RMQ_CHECK(IsValidQueueName(create->queue_name));

  auto list = ParseListQueue(p);
  CheckCmqError(list);
  if (list.ok()) {
    RMQ_CHECK(list->offset >= 0);
    RMQ_CHECK(list->limit >= 1 && list->limit <= kMaxListLimit);
  }

  auto name = ParseQueueName(p);
  CheckCmqError(name);
  if (name.ok()) CheckQueueName(name->queue_name);

  auto set = ParseSetQueueAttributes(p, options);
  CheckCmqError(set);
  if (set.ok()) CheckQueueName(set->queue_name);

  auto send = ParseSendMessage(p);
  CheckCmqError(send);
  if (send.ok()) {
    CheckQueueName(send->queue_name);
    RMQ_CHECK(!send->msg_body.empty());
    RMQ_CHECK(send->delay_seconds >= 0 &&
              send->delay_seconds <= kMaxDelaySeconds);
  }

  auto batch_send = ParseBatchSendMessage(p);
  CheckCmqError(batch_send);
  if (batch_send.ok()) {
    CheckQueueName(batch_send->queue_name);
    RMQ_CHECK(!batch_send->msg_bodies.empty());
    RMQ_CHECK(batch_send->msg_bodies.size() <= kMaxBatchSize);
  }

  for (auto receive : {ParseReceiveMessage(p), ParseBatchReceiveMessage(p)}) {
    CheckCmqError(receive);
    if (receive.ok()) {
      CheckQueueName(receive->queue_name);
      RMQ_CHECK(receive->num_of_msg >= 1 &&
                receive->num_of_msg <= static_cast<int64_t>(kMaxBatchSize));
      if (receive->polling_wait_seconds.has_value()) {
        RMQ_CHECK(*receive->polling_wait_seconds >= 0 &&
                  *receive->polling_wait_seconds <= kMaxPollingWaitSeconds);
      }
    }
  }

  auto del = ParseDeleteMessage(p);
  CheckCmqError(del);
  if (del.ok()) CheckQueueName(del->queue_name);

  auto batch_del = ParseBatchDeleteMessage(p);
  CheckCmqError(batch_del);
  if (batch_del.ok()) {
    CheckQueueName(batch_del->queue_name);
    RMQ_CHECK(!batch_del->receipt_handles.empty());
    RMQ_CHECK(batch_del->receipt_handles.size() <= kMaxBatchSize);
  }

  auto rewind = ParseRewindQueue(p);
  CheckCmqError(rewind);
  if (rewind.ok()) CheckQueueName(rewind->queue_name);

  for (absl::string_view array : {"msgBody", "receiptHandle", "x"}) {
    auto values = ArrayParam(p, array, kMaxBatchSize);
    CheckCmqError(values);
    if (values.ok()) RMQ_CHECK(values->size() <= kMaxBatchSize);
    if (values.ok() && !values->empty()) RMQ_CHECK(HasArrayParam(p, array));
  }
}

}  // namespace
}  // namespace rewindmq::facade::cmq

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rewindmq::facade::cmq;
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  absl::string_view method = in.substr(0, in.find('\n'));
  absl::string_view query;
  absl::string_view body;
  if (method.size() < in.size()) {
    absl::string_view rest = in.substr(method.size() + 1);
    query = rest.substr(0, rest.find('\n'));
    if (query.size() < rest.size()) body = rest.substr(query.size() + 1);
  }

  // Form decoding alone: never longer than its input; what DecodeForm
  // accepts is valid UTF-8.
  for (absl::string_view text : {query, body}) {
    RMQ_CHECK(rewindmq::FormDecode(text).size() <= text.size());
    absl::StatusOr<FormPairs> pairs = DecodeForm(text);
    if (!pairs.ok()) {
      RMQ_CHECK(CmqErrorFromPayload(pairs.status()).has_value());
      continue;
    }
    for (const auto& [name, value] : *pairs) {
      RMQ_CHECK(!name.empty());
      RMQ_CHECK(IsValidUtf8(name) && IsValidUtf8(value));
    }
  }

  absl::StatusOr<Params> params = RequestParams(method, query, body);
  if (!params.ok()) {
    RMQ_CHECK(CmqErrorFromPayload(params.status()).has_value());
    return 0;
  }
  ParseEveryAction(*params);
  return 0;
}
