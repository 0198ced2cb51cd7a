// JSON answers of the CMQ facade (spec cmq-v2.md §2.7, §8): one single-line
// object with an integer `code`, a `message`, a `requestId`, an echoed
// numeric `clientRequestId` when the request carried one, and the action's
// fields at the top level. Numbers are JSON integers; times are Unix
// seconds.
//
// Pure and thread-safe. The HTTP status of every answer rendered here is 200
// and its Content-Type is kContentType.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "broker/cmq_queues.h"
#include "broker/facades/cmq/errors.h"
#include "broker/facades/cmq/form.h"

namespace rewindmq::facade::cmq {

inline constexpr absl::string_view kContentType =
    "application/json; charset=utf-8";

// What every answer repeats from its request.
struct ResponseMeta {
  std::string request_id;
  // The request's `clientRequestId` when it is made only of digits and fits
  // in 64 bits; echoed as a JSON number (the Go SDK decodes it as uint64).
  // Any other value is not echoed.
  std::optional<uint64_t> client_request_id;
};

// The meta of a request with id `request_id` and parameters `params`.
ResponseMeta MetaFor(absl::string_view request_id, const Params& params);

// An error answer: {"code":4000,"message":"(10350)...","requestId":...}.
std::string RenderError(const ResponseMeta& meta, const CmqError& error);

// Success answers, one per action. Actions without fields of their own
// (SetQueueAttributes aside: DeleteQueue, DeleteMessage, RewindQueue) use
// RenderEmptySuccess.
std::string RenderEmptySuccess(const ResponseMeta& meta);
std::string RenderCreateQueue(const ResponseMeta& meta,
                              const broker::CmqQueueInfo& queue);
std::string RenderListQueue(const ResponseMeta& meta,
                            const broker::CmqQueueListResult& result);
// Every attribute and counter, with `rewindMsgNum` and `rewindmsgNum` both
// present (§8.3); `minMsgTime` is 0 when no message qualifies.
std::string RenderGetQueueAttributes(const ResponseMeta& meta,
                                     const broker::CmqQueueInfo& queue);
// The six attributes after the change, and `queueId`.
std::string RenderSetQueueAttributes(const ResponseMeta& meta,
                                     const broker::CmqQueueInfo& queue);
std::string RenderSendMessage(const ResponseMeta& meta,
                              absl::string_view msg_id);
std::string RenderBatchSendMessage(const ResponseMeta& meta,
                                   absl::Span<const std::string> msg_ids);
// The seven fields of §8.8 at the top level.
// REQUIRES: the message exists (a receive with nothing is an error answer).
std::string RenderReceiveMessage(const ResponseMeta& meta,
                                 const broker::CmqReceivedMessage& message);
// `msgInfoList`: the seven fields of §8.8 per message.
std::string RenderBatchReceiveMessage(
    const ResponseMeta& meta,
    absl::Span<const broker::CmqReceivedMessage> messages);

// One handle that BatchDeleteMessage could not delete.
struct DeleteFailure {
  std::string receipt_handle;  // as sent
  CmqError error;
};

// BatchDeleteMessage (§8.11): code 0 without `errorList` when `failures` is
// empty; 6010/10150 when some of `handle_count` handles failed; 6020/10290
// when all did; `errorList` in request order otherwise.
std::string RenderBatchDeleteMessage(const ResponseMeta& meta,
                                     size_t handle_count,
                                     absl::Span<const DeleteFailure> failures);

}  // namespace rewindmq::facade::cmq
