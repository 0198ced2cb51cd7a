// The CMQ API 2.0 queue facade as an HTTP handler (spec cmq-v2.md), and the
// routes that serve it.
//
//   broker::Broker& broker = ...;
//   facade::cmq::CmqHandler cmq(&broker, config);     // outlives the server
//   facade::cmq::RegisterCmqRoutes(router, &cmq);
//
// Every request runs the pipeline of spec §5.3: decode the parameters (GET
// query, or POST body merged over the query), check `Action`, verify the
// credentials, parse the action's parameters into a plain struct
// (actions.h), call broker::CmqQueues, render the JSON answer (render.h).
// Every answer of the API, errors included, is HTTP 200 with
// kContentType. Server faults are logged with the request id and answered
// with the generic 6000/10050 text only.
//
// Receives that find no message park in the broker's long poll
// (CmqQueues::ReceiveAsync) and answer from its callback; no thread waits.
#pragma once

#include <vector>

#include "broker/broker.h"
#include "broker/facades/cmq/actions.h"
#include "broker/facades/cmq/config.h"
#include "broker/facades/cmq/form.h"
#include "broker/facades/cmq/render.h"
#include "broker/http/handler.h"
#include "broker/http/router.h"

namespace rewindmq::facade::cmq {

// Thread-safe: holds only the broker pointer and the configuration, both
// fixed at construction. `broker` is borrowed and must outlive the handler
// and every long poll it started (destroying the Broker completes them).
class CmqHandler final : public httpd::Handler {
 public:
  CmqHandler(broker::Broker* broker, CmqConfig config);

  void Handle(const httpd::RequestContext& ctx, httpd::Request& req,
              httpd::Responder respond) override;

  // Every action is a short broker call (a receive that has to wait defers
  // its answer), so requests are answered on the I/O threads, except when
  // each write waits for a disk sync.
  bool MayBlock(const httpd::RequestContext& ctx,
                const httpd::Request& req) const override;

  const CmqConfig& config() const { return config_; }

 private:
  broker::Broker* const broker_;
  const CmqConfig config_;
};

// One call of an action, after the request was decoded and authenticated.
struct ActionCall {
  Action action;
  const Params* params;  // borrowed for the synchronous part only
  ResponseMeta meta;     // copied into long-poll callbacks
  std::string instance;  // the broker instance CMQ queues live in
  ParseOptions parse_options;
};

// Completes an action with the JSON body of its HTTP 200 answer.
using BodyCallback = absl::AnyInvocable<void(std::string body)>;

// Runs `call` against `cmq`: parse, broker call, render. Calls `done`
// exactly once: before returning, or later from a broker thread for a
// receive that waits.
void RunAction(broker::CmqQueues& cmq, ActionCall call, BodyCallback done);

// The JSON body answering `s` (REQUIRES: !s.ok()) via ToCmqError(); logs
// `s` in full, with the request id, when it is a server fault.
std::string ErrorBody(const ResponseMeta& meta, const absl::Status& s);

// Transport errors on CMQ routes, in CMQ's format: a body over the limit is
// 4000/10420 and a handler failure 6000/10050, both with HTTP 200 as every
// API answer (§2.7). Anything else (a 404, §2.2) is the router's plain JSON.
httpd::Response RenderCmqTransportError(httpd::TransportError error,
                                        const httpd::RequestContext& ctx,
                                        const httpd::Request& req);

// The routes of §2.2: "/v2/index.php" always, and "/" for requests that
// carry an `Action` parameter (in the query or a form body), so that "/"
// stays free for other uses. `handler` is borrowed and must outlive the
// server. Any other path is left to the router's 404.
std::vector<httpd::Route> CmqRoutes(CmqHandler* handler);

// Adds CmqRoutes(handler) to `router`.
void RegisterCmqRoutes(httpd::Router& router, CmqHandler* handler);

}  // namespace rewindmq::facade::cmq
