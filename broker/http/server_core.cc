#include "broker/http/server_core.h"

#include <boost/asio/post.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/logging.h"
#include "base/text.h"
#include "broker/http/listener.h"
#include "broker/http/session.h"

namespace rewindmq::httpd::internal {

std::string FormatEndpoint(const tcp::endpoint& ep) {
  return FormatHostPort(ep.address().to_string(), ep.port());
}

void Core::StartListener(tcp::acceptor acceptor) {
  listener_ = std::make_shared<Listener>(this, std::move(acceptor));
  listener_->Run();
}

void Core::StopListener() {
  if (acceptor_.has_value()) {  // Bound but never served.
    beast::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
  }
  if (listener_ == nullptr) return;
  absl::Notification done;
  listener_->Stop(&done);
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(10))) {
    RMQ_LOG(kWarning, "http listener did not stop within 10s");
  }
}

std::vector<std::shared_ptr<Session>> Core::LiveSessions() {
  std::vector<std::shared_ptr<Session>> live;
  absl::MutexLock l(&mu_);
  live.reserve(sessions_.size());
  for (const auto& [id, weak] : sessions_) {
    if (std::shared_ptr<Session> s = weak.lock()) live.push_back(std::move(s));
  }
  return live;
}

void Core::BeginDrain() {
  {
    absl::MutexLock l(&mu_);
    draining_ = true;
  }
  for (std::shared_ptr<Session>& s : LiveSessions()) {
    net::post(s->executor(), [s] { s->OnDrain(); });
  }
}

void Core::CloseAll() {
  for (std::shared_ptr<Session>& s : LiveSessions()) {
    net::post(s->executor(), [s] { s->CloseNow("drain timeout"); });
  }
}

}  // namespace rewindmq::httpd::internal
