// The TDMQ for CMQ facade on Tencent Cloud API 3.0 (spec tdmq-cmq-v3.md) as
// an HTTP handler, and the routes that serve it.
//
//   facade::tdmq::TdmqHandler tdmq(&broker, config);    // outlives the server
//   facade::tdmq::RegisterTdmqRoutes(router, &tdmq);    // before CMQ's "/"
//
// Every request runs the order of §6.2: method, action and version,
// authentication (strict mode), body decoding (params.h), then the action
// (actions.h) against the same broker::CmqQueues the CMQ 2.0 facade serves.
// Every API answer, errors included, is HTTP 200 with
// {"Response":{...,"RequestId":"<uuid>"}} and echoes X-TC-TraceId. Server
// faults are logged with the RequestId and answered with the generic
// InternalError text only.
#pragma once

#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/facades/tdmq/config.h"
#include "broker/http/handler.h"
#include "broker/http/router.h"

namespace rewindmq::facade::tdmq {

// Thread-safe: holds only the broker pointer and the configuration, both
// fixed at construction. `broker` is borrowed and must outlive the handler.
class TdmqHandler final : public httpd::Handler {
 public:
  TdmqHandler(broker::Broker* broker, TdmqConfig config);

  void Handle(const httpd::RequestContext& ctx, httpd::Request& req,
              httpd::Responder respond) override;

  // Every action is a short broker call, answered on the I/O threads unless
  // each write waits for a disk sync.
  bool MayBlock(const httpd::RequestContext& ctx,
                const httpd::Request& req) const override;

  const TdmqConfig& config() const { return config_; }

 private:
  broker::Broker* const broker_;
  const TdmqConfig config_;
};

// A fresh lower-case UUID v4, the RequestId of every answer (§5.1).
std::string NewRequestId();

// Transport errors on the TDMQ route in API 3.0's format, HTTP 200: a body
// over the limit is RequestSizeLimitExceeded, a busy server
// RequestLimitExceeded, a handler failure InternalError. Anything else is
// the router's plain JSON.
httpd::Response RenderTdmqTransportError(httpd::TransportError error,
                                         const httpd::RequestContext& ctx,
                                         const httpd::Request& req);

// Whether `req` belongs to this facade by its head (routing rule 3 of §2.1):
// path "/" with an X-TC-Action header or a TC3-HMAC-SHA256 Authorization.
bool IsTdmqHead(const httpd::Request& req);

// The routes of §2.1 rows 3 and 4 that the head alone decides: "/" with an
// X-TC-Action header or a TC3 Authorization, or with Version=2020-02-17 in
// the query. Add them before the CMQ 2.0 routes so that those requests
// never reach them.
std::vector<httpd::Route> TdmqRoutes(TdmqHandler* handler);

// Row 4 for a form body (signature v1) that names Version=2020-02-17 only in
// the body. Its head looks like a CMQ 2.0 form, so it is added after the
// CMQ 2.0 routes, whose "/" route declines such bodies (and renders the
// early errors, such as a body over the limit, of every form POST to "/").
httpd::Route TdmqFormRoute(TdmqHandler* handler);

// Adds TdmqRoutes(handler); RegisterTdmqFormRoute adds TdmqFormRoute().
void RegisterTdmqRoutes(httpd::Router& router, TdmqHandler* handler);
void RegisterTdmqFormRoute(httpd::Router& router, TdmqHandler* handler);

}  // namespace rewindmq::facade::tdmq
