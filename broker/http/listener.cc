#include "broker/http/listener.h"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <chrono>
#include <memory>
#include <utility>

#include "base/logging.h"
#include "broker/http/session.h"

namespace rewindmq::httpd::internal {
namespace {

namespace beast = boost::beast;

// Pause before accepting again after the process ran out of descriptors.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);

}  // namespace

Listener::Listener(Core* core, tcp::acceptor acceptor)
    : core_(core),
      acceptor_(std::move(acceptor)),
      backoff_(acceptor_.get_executor()) {}

void Listener::Run() {
  net::dispatch(
      acceptor_.get_executor(),
      beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
}

void Listener::Stop(absl::Notification* done) {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this(), done] {
    self->stopped_ = true;
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
    done->Notify();
  });
}

void Listener::DoAccept() {
  if (stopped_) return;
  // Each connection lives on one I/O thread's context, whose single thread
  // serializes its handlers (no strand needed).
  acceptor_.async_accept(
      core_->NextConnectionContext(),
      beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
}

void Listener::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopped_ || ec == net::error::operation_aborted) return;
  if (ec) {
    RMQ_LOG(kWarning, "http accept failed: ", ec.message());
    backoff_.expires_after(kAcceptBackoff);
    backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->DoAccept();
    });
    return;
  }
  core_->CountAccepted();
  const uint64_t id = core_->NextSessionId();
  auto session = std::make_shared<Session>(core_, id, std::move(socket));
  if (!core_->Register(id, session)) {
    RMQ_LOG(kWarning, "http connection refused: at max_connections (",
            core_->options().max_connections, ") or shutting down");
    session->CloseNow("refused");
  } else {
    net::dispatch(session->executor(),
                  beast::bind_front_handler(&Session::Start, session));
  }
  DoAccept();
}

}  // namespace rewindmq::httpd::internal
