// GET /healthz: 200 once the server is ready to serve, 503 before that and
// while it shuts down. Load balancers and test harnesses poll it.
#pragma once

#include <atomic>

#include "broker/http/handler.h"
#include "broker/http/router.h"

namespace rewindmq::httpd {

// Thread-safe.
class HealthHandler final : public Handler {
 public:
  enum class State { kStarting, kServing, kStopping };

  void set_state(State state) { state_.store(state); }
  State state() const { return state_.load(); }

  // GET or HEAD: 200 {"status":"serving"}, or 503 with "starting" or
  // "stopping". Other methods: 405.
  void Handle(const RequestContext& ctx, Request& req,
              Responder respond) override;

 private:
  std::atomic<State> state_{State::kStarting};
};

// The route for `handler` (borrowed) at exactly "/healthz".
Route HealthRoute(HealthHandler* handler);

}  // namespace rewindmq::httpd
