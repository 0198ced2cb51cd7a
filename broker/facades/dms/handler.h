// The DMS for RocketMQ facade as an HTTP handler: every route of
// ../shared/spec/dms-rocketmq.md answered through the broker.
//
//   broker::Broker& broker = ...;
//   httpd::Router router;
//   std::unique_ptr<httpd::Handler> dms =
//       facade::dms::RegisterDmsRoutes(router, broker, config);
//   // start the server; keep `dms` and `broker` alive until it has stopped
//
// Each request goes: signature (§10) → route and method → project id →
// instance → body and query parsing → broker call → rendering. Client
// faults are answered with the spec's error codes; server faults are logged
// with the request id and answered with the generic DMS.00500000.
#pragma once

#include <memory>

#include "broker/broker.h"
#include "broker/facades/dms/config.h"
#include "broker/http/handler.h"
#include "broker/http/router.h"

namespace rewindmq::facade::dms {

// Stateless apart from its immutable configuration; thread-safe. Borrows
// the broker, which must outlive it.
class DmsHandler final : public httpd::Handler {
 public:
  DmsHandler(broker::Broker& broker, DmsConfig config);

  // Answers synchronously (no DMS route waits).
  void Handle(const httpd::RequestContext& ctx, httpd::Request& req,
              httpd::Responder respond) override;

  // Message queries (which scan stored records), deletes, batch deletes and
  // resends go to the worker pool, as does everything when each write waits
  // for a disk sync; the rest is answered on the I/O threads.
  bool MayBlock(const httpd::RequestContext& ctx,
                const httpd::Request& req) const override;

  // The response to `req`, without the HTTP layer: for tests and for
  // Handle(). Nothing in it is expected to throw; an exception is left to
  // the HTTP layer, which logs it and answers with the route's internal
  // error.
  httpd::Response Answer(const httpd::RequestContext& ctx,
                         const httpd::Request& req) const;

  const DmsConfig& config() const { return config_; }

 private:
  broker::Broker& broker_;
  const DmsConfig config_;
};

// The route the facade serves: every path under "/v2/", with the
// configured body limit and DMS-format transport errors (404 DMS.00404001,
// 413 DMS.00400800 for an oversized body, 500 DMS.00500000). `handler` is
// borrowed and must outlive the server.
httpd::Route MakeDmsRoute(DmsHandler* handler);

// Creates the handler and adds its route to `router`. The caller keeps the
// returned handler alive as long as the server runs.
[[nodiscard]] std::unique_ptr<DmsHandler> RegisterDmsRoutes(
    httpd::Router& router, broker::Broker& broker, const DmsConfig& config);

// A transport error in the DMS format (the Route's render_error).
httpd::Response RenderDmsTransportError(httpd::TransportError error,
                                        const httpd::RequestContext& ctx,
                                        const httpd::Request& req,
                                        uint64_t body_limit);

}  // namespace rewindmq::facade::dms
