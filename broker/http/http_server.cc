#include "broker/http/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "base/logging.h"
#include "broker/http/request_id.h"

namespace rewindmq::httpd {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace internal {
namespace {

// Input discarded while lingering on a connection we are closing.
constexpr uint64_t kLingerByteLimit = uint64_t{64} << 20;
// Longest request target written to the access log.
constexpr size_t kLoggedTargetLimit = 256;
// Pause before accepting again after the process ran out of descriptors.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

std::string FormatEndpoint(const tcp::endpoint& ep) {
  const std::string ip = ep.address().to_string();
  if (ep.address().is_v6()) return absl::StrCat("[", ip, "]:", ep.port());
  return absl::StrCat(ip, ":", ep.port());
}

// Sets Content-Length (or removes it where a body is forbidden). Unlike
// Beast's prepare_payload() this never throws: a body where none is allowed
// is dropped.
void FinalizePayload(Response& res, http::verb method) {
  const unsigned status = res.result_int();
  if (status / 100 == 1 || status == 204 || status == 304) {
    res.body().clear();
    res.erase(http::field::content_length);
    res.erase(http::field::transfer_encoding);
    return;
  }
  res.content_length(res.body().size());
  if (method == http::verb::head) res.body().clear();
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() ==
         http::make_error_code(http::error::bad_target).category();
}

}  // namespace

class Session;
class Listener;

// State shared by the listener, the sessions and outstanding Responders.
// Owned through shared_ptr: the HttpServer holds one reference and every
// Responder still out in a handler's hands holds one, so that the
// io_context outlives every Session (and so every socket) that could still
// be reached. Sessions refer to it by raw pointer: whatever keeps a Session
// alive keeps the Core alive too.
class Core : public std::enable_shared_from_this<Core> {
 public:
  explicit Core(const HttpServerOptions& options)
      : options_(options),
        workers_(static_cast<size_t>(options.worker_threads)),
        work_(net::make_work_guard(ioc_)) {}

  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;
  ~Core() { StopThreads(); }

  const HttpServerOptions& options() const { return options_; }
  // Set once by Serve(), before any thread that reads it starts.
  const Router& router() const { return *router_; }
  net::io_context& ioc() { return ioc_; }
  net::thread_pool& workers() { return workers_; }

  uint64_t NextSessionId() { return next_session_id_.fetch_add(1); }

  // Records a newly accepted connection. False when the server is draining
  // or already has max_connections: the caller closes it.
  bool Register(uint64_t id, const std::shared_ptr<Session>& session) {
    absl::MutexLock l(&mu_);
    if (draining_) return false;
    if (sessions_.size() >= static_cast<size_t>(options_.max_connections)) {
      return false;
    }
    sessions_[id] = session;
    return true;
  }
  void Unregister(uint64_t id) {
    absl::MutexLock l(&mu_);
    sessions_.erase(id);
  }
  int connection_count() const {
    absl::MutexLock l(&mu_);
    return static_cast<int>(sessions_.size());
  }

  // Keeps the bound acceptor until Serve().
  void SetAcceptor(tcp::acceptor acceptor) {
    acceptor_.emplace(std::move(acceptor));
  }
  // Starts accepting and the threads. False when already serving.
  bool Serve(const Router* router) {
    if (serving_.exchange(true)) return false;
    router_ = router;
    StartListener(std::move(*acceptor_));
    acceptor_.reset();
    StartThreads();
    return true;
  }
  void StartListener(tcp::acceptor acceptor);
  // Closes the acceptor; returns once it is closed (or after a bound).
  void StopListener();

  // Marks the server draining and tells every session.
  void BeginDrain();
  // Closes every connection now.
  void CloseAll();
  // True when no connection is left within `timeout`.
  bool WaitForNoConnections(absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(
            +[](absl::flat_hash_map<uint64_t, std::weak_ptr<Session>>* m) {
              return m->empty();
            },
            &sessions_),
        timeout);
  }

  void StartThreads() {
    for (int i = 0; i < options_.io_threads; ++i) {
      io_threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  // Stops the io_context and joins all threads, waiting for handlers still
  // running on the worker pool. Idempotent.
  void StopThreads() {
    work_.reset();
    ioc_.stop();
    for (std::thread& t : io_threads_) {
      if (t.joinable()) t.join();
    }
    io_threads_.clear();
    workers_.join();
  }

 private:
  std::vector<std::shared_ptr<Session>> LiveSessions();

  const HttpServerOptions options_;
  const Router* router_ = nullptr;
  std::atomic<uint64_t> next_session_id_{1};

  mutable absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, std::weak_ptr<Session>> sessions_
      ABSL_GUARDED_BY(mu_);

  std::vector<std::thread> io_threads_;
  net::thread_pool workers_;
  // Destroyed before the members above (reverse order of declaration):
  // destroying the io_context destroys the handlers still queued in it, and
  // with them Sessions, whose destructors call Unregister().
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::optional<tcp::acceptor> acceptor_;
  std::shared_ptr<Listener> listener_;
  std::atomic<bool> serving_{false};
};

// One connection. Every member is used only on the connection's strand
// (the executor of stream_).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Core* core, uint64_t id, tcp::socket&& socket)
      : core_(core),
        id_(id),
        stream_(std::move(socket)),
        idle_timer_(stream_.get_executor()) {
    beast::error_code ec;
    const tcp::endpoint ep = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? std::string("unknown") : FormatEndpoint(ep);
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ~Session() {
    if (!closed_) core_->Unregister(id_);
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

  void Start() { StartRead(); }

  // The server is shutting down: read no further requests, finish the ones
  // received, then close.
  void OnDrain() {
    if (closed_) return;
    draining_ = true;
    reading_ = false;
    if (pipeline_.empty() && !write_pending_ &&
        read_state_ != ReadState::kBody) {
      return CloseNow("server shutting down");
    }
    if (read_state_ == ReadState::kHeader) {
      // Ends the pending read-ahead without disturbing a write in progress.
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_receive, ec);
    }
  }

  // A handler's answer (or std::nullopt when it dropped its Responder) for
  // the request numbered `seq`.
  void OnResponse(uint64_t seq, std::optional<Response> response) {
    if (closed_) return;
    Exchange* ex = Find(seq);
    if (ex == nullptr || ex->state != ExchangeState::kHandling) return;
    handling_ = false;
    if (!response.has_value()) {
      RMQ_LOG(kError, "the handler of route ", ex->ctx.route,
              " dropped request ", ex->ctx.request_id,
              " without answering; sending an internal error");
      response = core_->router().RenderError(
          ex->route, TransportError::kInternal, ex->ctx, ex->head);
    }
    ex->response = std::move(*response);
    ex->state = ExchangeState::kDone;
    MaybeDispatch();
    MaybeWrite();
    StartRead();
  }

  void CloseNow(absl::string_view why) {
    if (closed_) return;
    closed_ = true;
    RMQ_LOG(kDebug, "http connection ", remote_, " closed: ", why);
    idle_timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    // A pending write still refers to the front response; the pipeline is
    // abandoned when that write completes.
    if (!write_pending_) AbandonPipeline();
    core_->Unregister(id_);
  }

 private:
  enum class ReadState { kIdle, kHeader, kBody, kLinger };
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
    std::optional<Response> response;
    ExchangeState state = ExchangeState::kQueued;
    uint64_t bytes_in = 0;
    // Close the connection once this response is written.
    bool close = false;
    std::chrono::steady_clock::time_point started;
  };

  const HttpServerOptions& options() const { return core_->options(); }

  Exchange* Find(uint64_t seq) {
    for (Exchange& ex : pipeline_) {
      if (ex.seq == seq) return &ex;
    }
    return nullptr;
  }

  void StartRead() {
    if (closed_ || !reading_ || read_state_ != ReadState::kIdle) return;
    if (pipeline_.size() >= static_cast<size_t>(options().pipeline_limit)) {
      return;  // Resumed when a response has been written.
    }
    parser_.emplace();
    parser_->header_limit(options().header_limit);
    // The body limit depends on the route, known once the header is read.
    parser_->body_limit(boost::none);
    if (pipeline_.empty()) {
      stream_.expires_after(ToSteady(options().idle_timeout));
    } else {
      // Reading ahead while earlier requests are answered, which may take
      // as long as a long poll: no timeout now; the idle timer takes over
      // once the pipeline is empty.
      stream_.expires_never();
    }
    read_state_ = ReadState::kHeader;
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t /*bytes*/) {
    read_state_ = ReadState::kIdle;
    idle_timer_.cancel();
    if (closed_) return;
    if (ec) return OnReadError(ec);

    const Request& head = parser_->get();
    header_started_ = std::chrono::steady_clock::now();
    pending_ctx_ = RequestContext{};
    pending_ctx_.request_id = RequestIdFor(ToAbsl(head[beast::string_view(
        kRequestIdHeader.data(), kRequestIdHeader.size())]));
    pending_ctx_.remote = remote_;
    pending_ctx_.received = options().clock->Now();
    const Router::HeadMatch match = core_->router().MatchHead(head);
    pending_head_route_ = match.route;
    if (match.route != nullptr) pending_ctx_.route = match.route->name;

    // RFC 9112 §6.3: a Transfer-Encoding that does not end in chunked leaves
    // the body length unknown. Beast would read such a request as bodiless
    // and its body as the next request (request smuggling): refuse it.
    if (head.count(http::field::transfer_encoding) > 0 && !parser_->chunked()) {
      return QueueError(nullptr, TransportError::kBadRequest, Request());
    }
    const boost::optional<uint64_t> length = parser_->content_length();
    if (length.has_value() && *length > match.body_limit) {
      return QueueError(match.route, TransportError::kPayloadTooLarge,
                        Request(head.base()));
    }
    parser_->body_limit(match.body_limit);
    if (parser_->is_done()) return OnBody({}, 0);
    if (beast::iequals(head[http::field::expect], "100-continue") &&
        pipeline_.empty() && !write_pending_) {
      return SendContinue();
    }
    ReadBody();
  }

  void SendContinue() {
    continue_.emplace(http::status::continue_, parser_->get().version());
    write_pending_ = true;
    stream_.expires_after(ToSteady(options().write_timeout));
    http::async_write(stream_, *continue_,
                      [self = shared_from_this()](beast::error_code ec,
                                                  std::size_t /*bytes*/) {
                        self->write_pending_ = false;
                        if (self->closed_) return self->AbandonPipeline();
                        if (ec) return self->CloseNow("write failed");
                        self->ReadBody();
                      });
  }

  void ReadBody() {
    stream_.expires_after(ToSteady(options().read_timeout));
    read_state_ = ReadState::kBody;
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t /*bytes*/) {
    read_state_ = ReadState::kIdle;
    if (closed_) return;
    if (ec == http::error::body_limit) {
      return QueueError(pending_head_route_, TransportError::kPayloadTooLarge,
                        Request(parser_->get().base()));
    }
    if (ec) return OnReadError(ec);

    Request req = parser_->release();
    Exchange ex;
    ex.seq = next_seq_++;
    ex.ctx = std::move(pending_ctx_);
    ex.head = Request(req.base());
    ex.bytes_in = req.body().size();
    ex.started = header_started_;
    ex.route = core_->router().Match(req);
    ex.ctx.route = ex.route != nullptr ? ex.route->name : "";
    if (!req.keep_alive()) reading_ = false;
    if (ex.route == nullptr || ex.route->handler == nullptr) {
      ex.response = core_->router().RenderError(
          ex.route, TransportError::kNotFound, ex.ctx, ex.head);
      ex.state = ExchangeState::kDone;
    } else {
      ex.request = std::move(req);
    }
    pipeline_.push_back(std::move(ex));
    MaybeDispatch();
    MaybeWrite();
    StartRead();
    FinishIfDone();
  }

  void OnReadError(const beast::error_code& ec) {
    if (ec == http::error::end_of_stream ||
        ec == http::error::partial_message) {
      // The client is done sending (or we shut down our receiving side to
      // drain): answer what was received, then close.
      peer_eof_ = true;
      reading_ = false;
      return FinishIfDone();
    }
    if (ec == http::error::header_limit) {
      return QueueError(nullptr, TransportError::kHeaderTooLarge, Request());
    }
    if (IsHttpParseError(ec)) {
      RMQ_LOG(kDebug, "http ", remote_, ": bad request: ", ec.message());
      return QueueError(nullptr, TransportError::kBadRequest, Request());
    }
    if (ec == beast::error::timeout) return CloseNow("timed out");
    CloseNow(ec.message());
  }

  // Queues an answer made by the HTTP layer itself, after which the
  // connection closes.
  void QueueError(const Route* route, TransportError error, Request head) {
    reading_ = false;
    Exchange ex;
    ex.seq = next_seq_++;
    if (error == TransportError::kHeaderTooLarge ||
        error == TransportError::kBadRequest) {
      ex.ctx.request_id = NewRequestId();
      ex.ctx.remote = remote_;
      ex.ctx.received = options().clock->Now();
      ex.started = std::chrono::steady_clock::now();
    } else {
      ex.ctx = std::move(pending_ctx_);
      ex.started = header_started_;
    }
    ex.head = std::move(head);
    ex.route = route;
    ex.response = core_->router().RenderError(route, error, ex.ctx, ex.head);
    ex.state = ExchangeState::kDone;
    ex.close = true;
    pipeline_.push_back(std::move(ex));
    MaybeWrite();
  }

  // Hands the oldest queued request to its handler, unless one of this
  // connection's requests is with a handler already.
  void MaybeDispatch() {
    if (closed_ || handling_) return;
    Exchange* next = nullptr;
    for (Exchange& ex : pipeline_) {
      if (ex.state == ExchangeState::kQueued) {
        next = &ex;
        break;
      }
    }
    if (next == nullptr) return;
    handling_ = true;
    next->state = ExchangeState::kHandling;
    Responder respond(std::make_unique<SessionSink>(
        core_->shared_from_this(), shared_from_this(), next->seq));
    net::post(core_->workers(),
              [handler = next->route->handler, ctx = next->ctx,
               req = std::move(*next->request),
               respond = std::move(respond)]() mutable {
                // Kept until Handle() returns, so that a handler that
                // throws before answering still gets an internal error.
                Responder keep = respond;
                try {
                  handler->Handle(ctx, req, std::move(respond));
                } catch (const std::exception& e) {
                  RMQ_LOG(kError, "the handler of route ", ctx.route,
                          " threw on request ", ctx.request_id, ": ", e.what());
                } catch (...) {
                  RMQ_LOG(kError, "the handler of route ", ctx.route,
                          " threw on request ", ctx.request_id);
                }
              });
    next->request.reset();
  }

  void MaybeWrite() {
    if (closed_ || write_pending_ || pipeline_.empty()) return;
    Exchange& ex = pipeline_.front();
    if (ex.state != ExchangeState::kDone) return;
    if (!ex.head.keep_alive()) ex.close = true;
    if (draining_ && pipeline_.size() == 1 && read_state_ != ReadState::kBody) {
      ex.close = true;
    }
    Response& res = *ex.response;
    res.version(ex.head.version() == 10 ? 10 : 11);
    res.set(
        beast::string_view(kRequestIdHeader.data(), kRequestIdHeader.size()),
        ex.ctx.request_id);
    res.keep_alive(!ex.close);
    FinalizePayload(res, ex.head.method());
    write_pending_ = true;
    stream_.expires_after(ToSteady(options().write_timeout));
    http::async_write(
        stream_, res,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t bytes) {
    write_pending_ = false;
    if (closed_) return AbandonPipeline();
    Exchange& ex = pipeline_.front();
    LogAccess(ex, bytes, ec);
    if (ec) {
      pipeline_.pop_front();
      return CloseNow(absl::StrCat("write failed: ", ec.message()));
    }
    const bool close = ex.close;
    pipeline_.pop_front();
    if (close) {
      reading_ = false;
      AbandonPipeline();
      return BeginLingerClose();
    }
    if (pipeline_.empty() && read_state_ == ReadState::kHeader) {
      ArmIdleTimer();
    }
    MaybeDispatch();
    MaybeWrite();
    StartRead();
    FinishIfDone();
  }

  // Closes once nothing is left to read, answer or write.
  void FinishIfDone() {
    if (closed_ || reading_ || read_state_ != ReadState::kIdle ||
        write_pending_ || !pipeline_.empty()) {
      return;
    }
    if (peer_eof_) return CloseNow("client closed");
    BeginLingerClose();
  }

  // Half-closes and discards input until the client closes, so that it
  // reads our last response rather than a connection reset.
  void BeginLingerClose() {
    if (closed_ || read_state_ == ReadState::kLinger) return;
    if (read_state_ != ReadState::kIdle) return CloseNow("closing");
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return CloseNow("closing");
    stream_.expires_after(ToSteady(options().linger_timeout));
    linger_bytes_ = 0;
    LingerRead();
  }

  void LingerRead() {
    read_state_ = ReadState::kLinger;
    stream_.async_read_some(
        net::buffer(linger_buffer_),
        beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
  }

  void OnLinger(beast::error_code ec, std::size_t bytes) {
    read_state_ = ReadState::kIdle;
    if (closed_) return;
    linger_bytes_ += bytes;
    if (ec || linger_bytes_ > kLingerByteLimit) return CloseNow("closed");
    LingerRead();
  }

  void ArmIdleTimer() {
    idle_timer_.expires_after(ToSteady(options().idle_timeout));
    idle_timer_.async_wait(
        beast::bind_front_handler(&Session::OnIdleTimer, shared_from_this()));
  }

  void OnIdleTimer(beast::error_code ec) {
    if (ec || closed_) return;
    if (pipeline_.empty() && read_state_ == ReadState::kHeader) {
      CloseNow("idle");
    }
  }

  // Forgets every request still waiting; their responses, if they ever
  // come, are discarded. Each is logged once.
  void AbandonPipeline() {
    for (const Exchange& ex : pipeline_) {
      LogAbandoned(ex);
    }
    pipeline_.clear();
    handling_ = false;
  }

  void LogAccess(const Exchange& ex, std::size_t bytes_out,
                 const beast::error_code& ec) {
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - ex.started)
                          .count();
    RMQ_LOG(kInfo, "http ", MethodOf(ex), " ", TargetOf(ex), " ",
            ex.response->result_int(), " in=", ex.bytes_in, " out=", bytes_out,
            " ", absl::StrFormat("%.1f", ms), "ms id=", ex.ctx.request_id,
            " remote=", remote_,
            " route=", ex.ctx.route.empty() ? "-" : ex.ctx.route,
            ec ? absl::StrCat(" write_error=", ec.message()) : "");
  }

  void LogAbandoned(const Exchange& ex) {
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - ex.started)
                          .count();
    RMQ_LOG(kInfo, "http ", MethodOf(ex), " ", TargetOf(ex),
            " - in=", ex.bytes_in, " out=0 ", absl::StrFormat("%.1f", ms),
            "ms id=", ex.ctx.request_id, " remote=", remote_,
            " route=", ex.ctx.route.empty() ? "-" : ex.ctx.route,
            " abandoned: connection closed before the response was sent");
  }

  static std::string MethodOf(const Exchange& ex) {
    const absl::string_view m = ToAbsl(ex.head.method_string());
    return m.empty() ? "-" : std::string(m);
  }

  static std::string TargetOf(const Exchange& ex) {
    const absl::string_view t = ToAbsl(ex.head.target());
    if (t.empty()) return "-";
    if (t.size() <= kLoggedTargetLimit) return std::string(t);
    return absl::StrCat(t.substr(0, kLoggedTargetLimit), "...");
  }

  // Receives a Responder's outcome on any thread and posts it to the
  // session's strand.
  class SessionSink final : public ResponseSink {
   public:
    SessionSink(std::shared_ptr<Core> core, std::shared_ptr<Session> session,
                uint64_t seq)
        : core_(std::move(core)), session_(std::move(session)), seq_(seq) {}

    void Complete(Response response) override { Post(std::move(response)); }
    void Dropped() override { Post(std::nullopt); }

   private:
    void Post(std::optional<Response> response) {
      net::post(session_->executor(),
                [session = session_, seq = seq_,
                 response = std::move(response)]() mutable {
                  session->OnResponse(seq, std::move(response));
                });
    }

    // Keeps the io_context alive while this sink can still post to it.
    // Declared first so that it is released last.
    const std::shared_ptr<Core> core_;
    const std::shared_ptr<Session> session_;
    const uint64_t seq_;
  };

  Core* const core_;
  const uint64_t id_;
  beast::tcp_stream stream_;
  net::steady_timer idle_timer_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::array<char, 16 << 10> linger_buffer_;
  uint64_t linger_bytes_ = 0;

  // The request whose header has been read and whose body is being read.
  RequestContext pending_ctx_;
  const Route* pending_head_route_ = nullptr;
  std::chrono::steady_clock::time_point header_started_;

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

// Accepts connections into Sessions. Its members are used only on the
// acceptor's strand.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(Core* core, tcp::acceptor acceptor)
      : core_(core),
        acceptor_(std::move(acceptor)),
        backoff_(acceptor_.get_executor()) {}

  void Run() {
    net::dispatch(
        acceptor_.get_executor(),
        beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
  }

  void Stop(absl::Notification* done) {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this(), done] {
      self->stopped_ = true;
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
      done->Notify();
    });
  }

 private:
  void DoAccept() {
    if (stopped_) return;
    // Each connection gets its own strand.
    acceptor_.async_accept(
        net::make_strand(core_->ioc()),
        beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (stopped_ || ec == net::error::operation_aborted) return;
    if (ec) {
      RMQ_LOG(kWarning, "http accept failed: ", ec.message());
      backoff_.expires_after(kAcceptBackoff);
      backoff_.async_wait(
          [self = shared_from_this()](beast::error_code wait_ec) {
            if (!wait_ec) self->DoAccept();
          });
      return;
    }
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

  Core* const core_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;
  bool stopped_ = false;
};

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

}  // namespace internal

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, const Router* router) {
  if (router == nullptr) return absl::InvalidArgumentError("router is null");
  absl::StatusOr<std::unique_ptr<HttpServer>> server = Bind(options);
  if (!server.ok()) return server.status();
  absl::Status serving = (*server)->Serve(router);
  if (!serving.ok()) return serving;
  return server;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(
    const HttpServerOptions& options) {
  if (options.io_threads < 1 || options.worker_threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "io_threads (", options.io_threads, ") and worker_threads (",
        options.worker_threads, ") must be at least 1"));
  }
  if (options.max_connections < 1 || options.pipeline_limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_connections (", options.max_connections, ") and pipeline_limit (",
        options.pipeline_limit, ") must be at least 1"));
  }
  if (options.header_limit < 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "header_limit ", options.header_limit, " is below 1024 bytes"));
  }
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("clock is null");
  }

  const std::string host =
      options.host == "localhost" ? std::string("127.0.0.1") : options.host;
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen host \"", options.host,
                     "\" is not an IP address (use e.g. 127.0.0.1 or ::1)"));
  }

  auto core = std::make_shared<internal::Core>(options);
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = internal::FormatEndpoint(endpoint);
  tcp::acceptor acceptor(net::make_strand(core->ioc()));
  auto fail = [&](absl::string_view step) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ",
                                               step, ": ", ec.message()));
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return fail("local address");

  core->SetAcceptor(std::move(acceptor));
  return std::unique_ptr<HttpServer>(new HttpServer(
      std::move(core), bound.address().to_string(), bound.port()));
}

HttpServer::HttpServer(std::shared_ptr<internal::Core> core, std::string host,
                       uint16_t port)
    : core_(std::move(core)), host_(std::move(host)), port_(port) {}

HttpServer::~HttpServer() { Shutdown(absl::ZeroDuration()); }

absl::Status HttpServer::Serve(const Router* router) {
  if (router == nullptr) return absl::InvalidArgumentError("router is null");
  if (shut_down_.load()) {
    return absl::FailedPreconditionError("the server has been shut down");
  }
  if (!core_->Serve(router)) {
    return absl::FailedPreconditionError("the server is already serving");
  }
  return absl::OkStatus();
}

std::string HttpServer::address() const {
  if (host_.find(':') != std::string::npos) {
    return absl::StrCat("[", host_, "]:", port_);
  }
  return absl::StrCat(host_, ":", port_);
}

int HttpServer::connection_count() const { return core_->connection_count(); }

void HttpServer::Shutdown(absl::Duration drain_timeout) {
  if (shut_down_.exchange(true)) return;
  core_->StopListener();
  core_->BeginDrain();
  if (!core_->WaitForNoConnections(drain_timeout)) {
    RMQ_LOG(kWarning, "http shutdown: ", core_->connection_count(),
            " connection(s) still busy after the drain timeout of ",
            absl::FormatDuration(drain_timeout), "; closing them");
    core_->CloseAll();
    if (!core_->WaitForNoConnections(absl::Seconds(5))) {
      RMQ_LOG(kWarning, "http shutdown: connections did not close within 5s");
    }
  }
  core_->StopThreads();
}

}  // namespace rewindmq::httpd
