#include "broker/facades/cmq/cmq_handler.h"

#include <boost/beast/http/field.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "base/logging.h"
#include "broker/facades/cmq/error_mapping.h"
#include "broker/facades/cmq/signature.h"

namespace rewindmq::facade::cmq {
namespace {

namespace http = boost::beast::http;

using httpd::ToAbsl;

// The version API 3.0 requests for TDMQ for CMQ carry.
constexpr absl::string_view kApiV3Version = "2020-02-17";

httpd::Response JsonResponse(httpd::Status status, std::string body) {
  return httpd::MakeResponse(status, std::move(body), kContentType);
}

// The answer of a failed synchronous step.
template <typename T>
std::string Error(const ActionCall& call, const absl::StatusOr<T>& v) {
  return ErrorBody(call.meta, v.status());
}

std::string CreateQueue(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<CreateQueueInput> in =
      ParseCreateQueue(*call.params, call.parse_options);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<broker::CmqQueueInfo> queue =
      cmq.CreateQueue(call.instance, in->queue_name, in->attributes);
  if (!queue.ok()) return Error(call, queue);
  return RenderCreateQueue(call.meta, *queue);
}

std::string ListQueue(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<ListQueueInput> in = ParseListQueue(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<broker::CmqQueueListResult> list =
      cmq.ListQueues(call.instance, in->search_word, in->offset, in->limit);
  if (!list.ok()) return Error(call, list);
  return RenderListQueue(call.meta, *list);
}

std::string GetQueueAttributes(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<QueueNameInput> in = ParseQueueName(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<broker::CmqQueueInfo> queue =
      cmq.GetQueueAttributes(call.instance, in->queue_name);
  if (!queue.ok()) return Error(call, queue);
  return RenderGetQueueAttributes(call.meta, *queue);
}

std::string SetQueueAttributes(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<SetQueueAttributesInput> in =
      ParseSetQueueAttributes(*call.params, call.parse_options);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<broker::CmqQueueInfo> queue =
      cmq.SetQueueAttributes(call.instance, in->queue_name, in->changes);
  if (!queue.ok()) return Error(call, queue);
  return RenderSetQueueAttributes(call.meta, *queue);
}

std::string DeleteQueue(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<QueueNameInput> in = ParseQueueName(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::Status s = cmq.DeleteQueue(call.instance, in->queue_name);
  if (!s.ok()) return ErrorBody(call.meta, s);
  return RenderEmptySuccess(call.meta);
}

std::string SendMessage(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<SendMessageInput> in = ParseSendMessage(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<std::string> msg_id =
      cmq.SendMessage(call.instance, in->queue_name, in->msg_body,
                      absl::Seconds(in->delay_seconds));
  if (!msg_id.ok()) return Error(call, msg_id);
  return RenderSendMessage(call.meta, *msg_id);
}

std::string BatchSendMessage(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<BatchSendMessageInput> in =
      ParseBatchSendMessage(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<std::vector<std::string>> msg_ids =
      cmq.BatchSendMessage(call.instance, in->queue_name, in->msg_bodies,
                           absl::Seconds(in->delay_seconds));
  if (!msg_ids.ok()) return Error(call, msg_ids);
  return RenderBatchSendMessage(call.meta, *msg_ids);
}

std::string DeleteMessage(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<DeleteMessageInput> in = ParseDeleteMessage(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::Status s =
      cmq.DeleteMessage(call.instance, in->queue_name, in->receipt_handle);
  if (!s.ok()) return ErrorBody(call.meta, s);
  return RenderEmptySuccess(call.meta);
}

std::string BatchDeleteMessage(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<BatchDeleteMessageInput> in =
      ParseBatchDeleteMessage(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<std::vector<broker::CmqDeleteOutcome>> outcomes =
      cmq.BatchDeleteMessage(call.instance, in->queue_name,
                             in->receipt_handles);
  if (!outcomes.ok()) return Error(call, outcomes);
  std::vector<DeleteFailure> failures;
  for (const broker::CmqDeleteOutcome& outcome : *outcomes) {
    if (outcome.status.ok()) continue;
    CmqError error = ToCmqError(outcome.status);
    if (IsInternal(error)) {
      RMQ_LOG(kError, "cmq BatchDeleteMessage request ", call.meta.request_id,
              ": ", outcome.status.ToString());
    }
    failures.push_back({outcome.receipt_handle, std::move(error)});
  }
  return RenderBatchDeleteMessage(call.meta, in->receipt_handles.size(),
                                  failures);
}

std::string RewindQueue(broker::CmqQueues& cmq, const ActionCall& call) {
  absl::StatusOr<RewindQueueInput> in = ParseRewindQueue(*call.params);
  if (!in.ok()) return Error(call, in);
  absl::StatusOr<int64_t> revived =
      cmq.RewindQueue(call.instance, in->queue_name,
                      absl::FromUnixSeconds(in->start_consume_time));
  if (!revived.ok()) return Error(call, revived);
  return RenderEmptySuccess(call.meta);
}

// ReceiveMessage and BatchReceiveMessage: answers now when a message is
// ACTIVE, else when the broker's long poll completes.
void Receive(broker::CmqQueues& cmq, const ActionCall& call,
             BodyCallback done) {
  const bool batch = call.action == Action::kBatchReceiveMessage;
  absl::StatusOr<ReceiveMessageInput> in =
      batch ? ParseBatchReceiveMessage(*call.params)
            : ParseReceiveMessage(*call.params);
  if (!in.ok()) return done(Error(call, in));
  std::optional<absl::Duration> wait;
  if (in->polling_wait_seconds.has_value()) {
    wait = absl::Seconds(*in->polling_wait_seconds);
  }
  cmq.ReceiveAsync(
      call.instance, in->queue_name, static_cast<int>(in->num_of_msg), wait,
      [meta = call.meta, batch, done = std::move(done)](
          absl::StatusOr<std::vector<broker::CmqReceivedMessage>>
              messages) mutable {
        if (!messages.ok()) return done(ErrorBody(meta, messages.status()));
        if (messages->empty()) {
          // The broker promises at least one message on success.
          return done(ErrorBody(
              meta, absl::InternalError("receive completed with no message "
                                        "and no error")));
        }
        done(batch ? RenderBatchReceiveMessage(meta, *messages)
                   : RenderReceiveMessage(meta, messages->front()));
      });
}

}  // namespace

std::string ErrorBody(const ResponseMeta& meta, const absl::Status& s) {
  const CmqError error = ToCmqError(s);
  if (IsInternal(error)) {
    RMQ_LOG(kError, "cmq request ", meta.request_id, " failed: ", s.ToString());
  }
  return RenderError(meta, error);
}

void RunAction(broker::CmqQueues& cmq, ActionCall call, BodyCallback done) {
  switch (call.action) {
    case Action::kCreateQueue:
      return done(CreateQueue(cmq, call));
    case Action::kListQueue:
      return done(ListQueue(cmq, call));
    case Action::kGetQueueAttributes:
      return done(GetQueueAttributes(cmq, call));
    case Action::kSetQueueAttributes:
      return done(SetQueueAttributes(cmq, call));
    case Action::kDeleteQueue:
      return done(DeleteQueue(cmq, call));
    case Action::kSendMessage:
      return done(SendMessage(cmq, call));
    case Action::kBatchSendMessage:
      return done(BatchSendMessage(cmq, call));
    case Action::kReceiveMessage:
    case Action::kBatchReceiveMessage:
      return Receive(cmq, call, std::move(done));
    case Action::kDeleteMessage:
      return done(DeleteMessage(cmq, call));
    case Action::kBatchDeleteMessage:
      return done(BatchDeleteMessage(cmq, call));
    case Action::kRewindQueue:
      return done(RewindQueue(cmq, call));
  }
  done(ErrorBody(call.meta, absl::InternalError("unhandled cmq action")));
}

CmqHandler::CmqHandler(broker::Broker* broker, CmqConfig config)
    : broker_(broker), config_(std::move(config)) {}

void CmqHandler::Handle(const httpd::RequestContext& ctx, httpd::Request& req,
                        httpd::Responder respond) {
  // Steps 1 to 3 of spec §5.3: decode, check the action, authenticate.
  const absl::string_view method = ToAbsl(req.method_string());
  const absl::string_view target = ToAbsl(req.target());
  const absl::StatusOr<Params> params = RequestParams(
      method, httpd::TargetQuery(target), absl::string_view(req.body()));
  const ResponseMeta meta =
      MetaFor(ctx.request_id, params.ok() ? *params : Params());
  auto fail = [&](const absl::Status& s) {
    respond(JsonResponse(httpd::Status::ok, ErrorBody(meta, s)));
  };
  if (!params.ok()) return fail(params.status());
  const absl::StatusOr<Action> action = ParseAction(*params);
  if (!action.ok()) return fail(action.status());
  const SignedRequest signed_request{method, ToAbsl(req[http::field::host]),
                                     httpd::TargetPath(target)};
  if (absl::Status s = VerifySignature(signed_request, *params, config_);
      !s.ok()) {
    return fail(s);
  }
  // Steps 4 to 7: the action's parameters, then the broker.
  ActionCall call{
      .action = *action,
      .params = &*params,
      .meta = meta,
      .instance = broker_->default_instance(),
      .parse_options = {.min_max_msg_heap_num =
                            broker_->options().cmq_min_max_msg_heap_num}};
  RunAction(broker_->cmq(), std::move(call),
            [respond = std::move(respond)](std::string body) {
              respond(JsonResponse(httpd::Status::ok, std::move(body)));
            });
}

bool CmqHandler::MayBlock(const httpd::RequestContext& /*ctx*/,
                          const httpd::Request& /*req*/) const {
  return broker_->SyncsEachWrite();
}

httpd::Response RenderCmqTransportError(httpd::TransportError error,
                                        const httpd::RequestContext& ctx,
                                        const httpd::Request& req) {
  if (error != httpd::TransportError::kPayloadTooLarge &&
      error != httpd::TransportError::kInternal &&
      error != httpd::TransportError::kBusy) {
    return httpd::PlainJsonError(error, ctx, req);  // 404 and the like
  }
  // Only the query is complete here; the body may be cut short.
  Params query;
  if (absl::StatusOr<FormPairs> pairs =
          DecodeForm(httpd::TargetQuery(ToAbsl(req.target())));
      pairs.ok()) {
    for (auto& [name, value] : *pairs) query.try_emplace(name, value);
  }
  const CmqError cmq_error =
      error == httpd::TransportError::kPayloadTooLarge
          ? MakeCmqError(ErrorKind::kCannotParse, "request")
      : error == httpd::TransportError::kBusy
          ? MakeCmqError(ErrorKind::kThrottled)
          : MakeCmqError(ErrorKind::kInternal);
  return JsonResponse(httpd::Status::ok,
                      RenderError(MetaFor(ctx.request_id, query), cmq_error));
}

std::vector<httpd::Route> CmqRoutes(CmqHandler* handler) {
  const uint64_t body_limit = handler->config().body_limit;
  std::vector<httpd::Route> routes;
  routes.push_back({.name = "cmq",
                    .matcher = httpd::RouteMatcher::Exact("/v2/index.php"),
                    .handler = handler,
                    .body_limit = body_limit,
                    .render_error = RenderCmqTransportError});
  routes.push_back(
      {.name = "cmq-root",
       .matcher = httpd::RouteMatcher::Exact("/"),
       .accepts =
           [](const httpd::Request& req) {
             const absl::string_view query =
                 httpd::TargetQuery(ToAbsl(req.target()));
             const absl::string_view body(req.body());
             // API 3.0's signature v1 form (tdmq-cmq-v3.md
             // §2.1 row 4) also has an Action; it names the
             // 3.0 version, which CMQ 2.0 requests never do.
             if (httpd::UrlEncodedValue(body, "Version") == kApiV3Version) {
               return false;
             }
             return httpd::HasUrlEncodedParameter(query, "Action") ||
                    httpd::HasUrlEncodedParameter(body, "Action");
           },
       .handler = handler,
       .body_limit = body_limit,
       .render_error = RenderCmqTransportError});
  return routes;
}

void RegisterCmqRoutes(httpd::Router& router, CmqHandler* handler) {
  for (httpd::Route& route : CmqRoutes(handler)) router.Add(std::move(route));
}

}  // namespace rewindmq::facade::cmq
