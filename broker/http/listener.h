// Internal to the HTTP server (http_server.h): accepts connections.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>

#include "absl/synchronization/notification.h"
#include "broker/http/server_core.h"

namespace rewindmq::httpd::internal {

// Accepts connections into Sessions. Its members are used only on the
// acceptor's thread (the first I/O thread).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(Core* core, tcp::acceptor acceptor);

  void Run();
  // Closes the acceptor, then notifies `done`.
  void Stop(absl::Notification* done);

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, tcp::socket socket);

  Core* const core_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;
  bool stopped_ = false;
};

}  // namespace rewindmq::httpd::internal
