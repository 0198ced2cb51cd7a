// Internal to the HTTP server (http_server.h): one connection.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "broker/http/handler.h"
#include "broker/http/router.h"
#include "broker/http/server_core.h"

namespace rewindmq::httpd::internal {

namespace beast = boost::beast;
namespace http = beast::http;

// One connection. Every member is used only on the connection's thread
// (the one thread that runs the io_context of stream_'s executor).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Core* core, uint64_t id, tcp::socket&& socket);

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ~Session();

  net::any_io_executor executor() { return stream_.get_executor(); }

  void Start() { StartRead(); }

  // The server is shutting down: read no further requests, finish the ones
  // received, then close.
  void OnDrain();

  // A handler's answer (or std::nullopt when it dropped its Responder) for
  // the request numbered `seq`.
  void OnResponse(uint64_t seq, std::optional<Response> response);

  void CloseNow(absl::string_view why);

 private:
  // kAwaitingBudget: a header has been read; its body waits for room in
  // the body budget.
  enum class ReadState { kIdle, kHeader, kBody, kAwaitingBudget, kLinger };
  enum class ExchangeState { kQueued, kHandling, kDone };

  // One request and, eventually, its response.
  struct Exchange {
    uint64_t seq = 0;
    RequestContext ctx;
    // Request line and headers (no body): for error rendering and logging.
    Request head;
    const Route* route = nullptr;
    // The request, until it is handed to the handler.
    std::optional<Request> request;
    // Room of the body in the server's body budget, while it is held.
    BodyReservation body_reservation;
    std::optional<Response> response;
    ExchangeState state = ExchangeState::kQueued;
    uint64_t bytes_in = 0;
    // Bytes of the serialized response, once it is being written.
    uint64_t bytes_out = 0;
    // Close the connection once this response is written.
    bool close = false;
    std::chrono::steady_clock::time_point started;
  };

  const HttpServerOptions& options() const { return core_->options(); }

  Exchange* Find(uint64_t seq);

  void StartRead();

  // Reads a header once a read-ahead has seen its first byte.
  void OnReadable(beast::error_code ec);
  void ReadHeader();
  void OnHeader(beast::error_code ec, std::size_t /*bytes*/);
  // Reserves room for the body (or waits for it), then reads it.
  void StartBody();

  void SendContinue();

  void ReadBody();

  void OnBody(beast::error_code ec, std::size_t /*bytes*/);

  void OnReadError(const beast::error_code& ec);

  // Queues an answer made by the HTTP layer itself, after which the
  // connection closes.
  void QueueError(const Route* route, TransportError error, Request head);

  // Hands the oldest queued request to its handler, unless one of this
  // connection's requests is with a handler already. Requests whose handler
  // does not block are answered here, on the connection's thread, one after
  // another.
  void MaybeDispatch();
  // Takes the handler's answer for `ex`.
  void Finish(Exchange& ex, std::optional<Response> response);

  // Writes every answer ready at the front of the pipeline, in one write,
  // unless the next request's header is already buffered (see
  // NextHeaderBuffered()).
  void MaybeWrite();
  // Whether the next request will be read without waiting for the socket:
  // reading goes on and its header is complete in buffer_.
  bool NextHeaderBuffered() const;
  // Whether buffer_ holds a complete header (its blank line).
  bool HeaderBuffered() const;

  void OnWrite(beast::error_code ec, std::size_t bytes);

  // Closes once nothing is left to read, answer or write.
  void FinishIfDone();

  // Half-closes and discards input until the client closes, so that it
  // reads our last response rather than a connection reset.
  void BeginLingerClose();

  void LingerRead();

  void OnLinger(beast::error_code ec, std::size_t bytes);

  void ArmIdleTimer();

  void OnIdleTimer(beast::error_code ec);

  // Forgets every request still waiting; their responses, if they ever
  // come, are discarded. Each is logged once.
  void AbandonPipeline();

  // Logs the access line of `ex`, answered in `seconds`.
  void LogAccess(const Exchange& ex, std::size_t bytes_out, double seconds,
                 const beast::error_code& ec);

  void LogAbandoned(const Exchange& ex);

  static std::string MethodOf(const Exchange& ex);

  static std::string TargetOf(const Exchange& ex);

  Core* const core_;
  const uint64_t id_;
  beast::tcp_stream stream_;
  net::steady_timer idle_timer_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  // The responses being written, serialized; reused from one write to the
  // next.
  std::string write_buffer_;
  // How many exchanges at the front of pipeline_ the write in progress
  // answers.
  size_t writing_ = 0;
  std::array<char, 16 << 10> linger_buffer_;
  uint64_t linger_bytes_ = 0;

  // The request whose header has been read and whose body is being read.
  RequestContext pending_ctx_;
  const Route* pending_head_route_ = nullptr;
  std::chrono::steady_clock::time_point header_started_;
  uint64_t body_room_ = 0;
  BodyReservation pending_reservation_;

  std::deque<Exchange> pipeline_;
  uint64_t next_seq_ = 1;
  ReadState read_state_ = ReadState::kIdle;
  bool reading_ = true;    // more requests may be read
  bool handling_ = false;  // a request of this connection is with a handler
  bool write_pending_ = false;
  bool draining_ = false;
  bool peer_eof_ = false;
  bool closed_ = false;
};

}  // namespace rewindmq::httpd::internal
