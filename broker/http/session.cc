#include "broker/http/session.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "base/logging.h"
#include "broker/http/request_id.h"

namespace rewindmq::httpd::internal {
namespace {

// Largest write buffer a connection keeps between answers.
constexpr size_t kKeptWriteBuffer = size_t{64} << 10;
// Input discarded while lingering on a connection we are closing.
constexpr uint64_t kLingerByteLimit = uint64_t{64} << 20;

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

// Appends `res` as HTTP/1.x bytes to `out`: the status line, every field
// and the body. Replaces Beast's serializer on the hot path, whose buffer
// sequence costs more to walk than the bytes cost to copy; `res` must
// already carry Content-Length (FinalizePayload) and never uses a transfer
// coding.
void SerializeResponse(const Response& res, std::string* out) {
  const beast::string_view reason =
      res.reason().empty() ? http::obsolete_reason(res.result()) : res.reason();
  absl::StrAppend(out, res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ",
                  res.result_int(), " ", ToAbsl(reason), "\r\n");
  for (const auto& field : res) {
    absl::StrAppend(out, ToAbsl(field.name_string()), ": ",
                    ToAbsl(field.value()), "\r\n");
  }
  out->append("\r\n");
  out->append(res.body());
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() ==
         http::make_error_code(http::error::bad_target).category();
}

// Where an answer given while a handler runs inline on the session's thread
// (Handler::MayBlock() false) waits for the session to take it, without a
// hand-off. Shared by the session and the sink, which may go first.
class InlineWindow {
 public:
  // Keeps `response` and returns true while open; false once closed.
  bool Keep(std::optional<Response>& response) {
    absl::MutexLock l(&mu_);
    if (!open_) return false;
    kept_.emplace(std::move(response));
    return true;
  }
  // Closes the window. Returns the answer given inside it (std::nullopt
  // inside when dropped), or std::nullopt when the handler deferred.
  std::optional<std::optional<Response>> Close() {
    absl::MutexLock l(&mu_);
    open_ = false;
    return std::move(kept_);
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  std::optional<std::optional<Response>> kept_ ABSL_GUARDED_BY(mu_);
};

// Receives a Responder's outcome on any thread and posts it to the
// session's thread (or leaves it in the inline window while that is open).
class SessionSink final : public ResponseSink {
 public:
  SessionSink(std::shared_ptr<Core> core, std::shared_ptr<Session> session,
              uint64_t seq, std::shared_ptr<InlineWindow> window,
              BodyReservation body = BodyReservation())
      : core_(std::move(core)),
        session_(std::move(session)),
        seq_(seq),
        window_(std::move(window)),
        body_(std::move(body)) {}

  void Complete(Response response) override { Deliver(std::move(response)); }
  void Dropped() override { Deliver(std::nullopt); }

 private:
  void Deliver(std::optional<Response> response) {
    // The body's room is given back before the answer can reach the
    // client, so that a client which saw it may send its next body at once.
    body_ = BodyReservation();
    if (window_ != nullptr && window_->Keep(response)) return;
    net::post(session_->executor(), [session = session_, seq = seq_,
                                     response = std::move(response)]() mutable {
      session->OnResponse(seq, std::move(response));
    });
  }

  // Keeps the io_context alive while this sink can still post to it.
  // Declared first so that it is released last.
  const std::shared_ptr<Core> core_;
  const std::shared_ptr<Session> session_;
  const uint64_t seq_;
  const std::shared_ptr<InlineWindow> window_;
  BodyReservation body_;
};

// Runs `handler` on `req`; exceptions are logged (the Responder, dropped
// unanswered, then yields the route's internal error).
void RunHandler(Handler* handler, const RequestContext& ctx, Request& req,
                Responder respond) {
  // Kept until Handle() returns, so that a handler that throws before
  // answering still gets an internal error.
  Responder keep = respond;
  try {
    handler->Handle(ctx, req, std::move(respond));
  } catch (const std::exception& e) {
    RMQ_LOG(kError, "the handler of route ", ctx.route, " threw on request ",
            ctx.request_id, ": ", e.what());
  } catch (...) {
    RMQ_LOG(kError, "the handler of route ", ctx.route, " threw on request ",
            ctx.request_id);
  }
}

}  // namespace

Session::Session(Core* core, uint64_t id, tcp::socket&& socket)
    : core_(core),
      id_(id),
      stream_(std::move(socket)),
      idle_timer_(stream_.get_executor()) {
  beast::error_code ec;
  const tcp::endpoint ep = stream_.socket().remote_endpoint(ec);
  remote_ = ec ? std::string("unknown") : FormatEndpoint(ep);
  stream_.socket().set_option(tcp::no_delay(true), ec);
}

Session::~Session() {
  if (!closed_) core_->Unregister(id_);
}

void Session::OnDrain() {
  if (closed_) return;
  draining_ = true;
  reading_ = false;
  if (pipeline_.empty() && !write_pending_ && read_state_ != ReadState::kBody) {
    return CloseNow("server shutting down");
  }
  if (read_state_ == ReadState::kHeader) {
    // Ends the pending read-ahead without disturbing a write in progress.
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_receive, ec);
  }
}

void Session::OnResponse(uint64_t seq, std::optional<Response> response) {
  if (closed_) return;
  Exchange* ex = Find(seq);
  if (ex == nullptr || ex->state != ExchangeState::kHandling) return;
  Finish(*ex, std::move(response));
  MaybeDispatch();
  MaybeWrite();
  StartRead();
}

void Session::Finish(Exchange& ex, std::optional<Response> response) {
  handling_ = false;
  if (!response.has_value()) {
    RMQ_LOG(kError, "the handler of route ", ex.ctx.route, " dropped request ",
            ex.ctx.request_id, " without answering; sending an internal error");
    response = core_->router().RenderError(ex.route, TransportError::kInternal,
                                           ex.ctx, ex.head);
  }
  ex.response = std::move(*response);
  ex.state = ExchangeState::kDone;
}

void Session::CloseNow(absl::string_view why) {
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

Session::Exchange* Session::Find(uint64_t seq) {
  for (Exchange& ex : pipeline_) {
    if (ex.seq == seq) return &ex;
  }
  return nullptr;
}

void Session::StartRead() {
  if (closed_ || !reading_ || read_state_ != ReadState::kIdle) return;
  if (pipeline_.size() >= static_cast<size_t>(options().pipeline_limit)) {
    MaybeWrite();
    return;  // Resumed when a response has been written.
  }
  parser_.emplace();
  parser_->header_limit(options().header_limit);
  // The body limit depends on the route, known once the header is read.
  parser_->body_limit(boost::none);
  read_state_ = ReadState::kHeader;
  if (pipeline_.empty()) {
    stream_.expires_after(ToSteady(options().idle_timeout));
    return ReadHeader();
  }
  // Reading ahead while earlier requests are answered, which may take as
  // long as a long poll: wait for the next request's first byte without a
  // timeout (the idle timer takes over once the pipeline is empty), then
  // give its header the read timeout, so that a trickled header cannot
  // hold the connection for the length of a poll.
  if (buffer_.size() > 0) return OnReadable({});
  stream_.socket().async_wait(
      tcp::socket::wait_read,
      beast::bind_front_handler(&Session::OnReadable, shared_from_this()));
}

void Session::OnReadable(beast::error_code ec) {
  if (closed_) return;
  if (ec) {
    read_state_ = ReadState::kIdle;
    return OnReadError(ec);
  }
  stream_.expires_after(ToSteady(options().read_timeout));
  ReadHeader();
}

void Session::ReadHeader() {
  // A header not yet complete in the buffer means waiting for the socket:
  // the answers held back for batching go out first.
  if (!HeaderBuffered()) MaybeWrite();
  http::async_read_header(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
}

void Session::OnHeader(beast::error_code ec, std::size_t /*bytes*/) {
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
  // Room for the body, before any of it is read (see body_budget).
  body_room_ = length.value_or(match.body_limit);
  StartBody();
}

void Session::StartBody() {
  read_state_ = ReadState::kIdle;
  BodyBudget& budget = core_->body_budget();
  if (!budget.TryReserve(body_room_)) {
    if (!pipeline_.empty() || write_pending_) {
      // Resumed by OnWrite() once an earlier answer has been written.
      read_state_ = ReadState::kAwaitingBudget;
      MaybeWrite();
      return;
    }
    RMQ_LOG(kWarning, "http ", remote_, ": no room for a body of ", body_room_,
            " bytes (", budget.used(),
            " bytes of request bodies in memory); answering busy");
    return QueueError(pending_head_route_, TransportError::kBusy,
                      Request(parser_->get().base()));
  }
  pending_reservation_ = BodyReservation(&budget, body_room_);
  if (beast::iequals(parser_->get()[http::field::expect], "100-continue") &&
      pipeline_.empty() && !write_pending_) {
    return SendContinue();
  }
  ReadBody();
}

void Session::SendContinue() {
  continue_.emplace(http::status::continue_, parser_->get().version());
  write_pending_ = true;
  stream_.expires_after(ToSteady(options().write_timeout));
  http::async_write(
      stream_, *continue_,
      [self = shared_from_this()](beast::error_code ec, std::size_t /*bytes*/) {
        self->write_pending_ = false;
        if (self->closed_) return self->AbandonPipeline();
        if (ec) return self->CloseNow("write failed");
        self->ReadBody();
      });
}

void Session::ReadBody() {
  stream_.expires_after(ToSteady(options().read_timeout));
  read_state_ = ReadState::kBody;
  // As in ReadHeader(): write what is held back before waiting for input.
  // body_room_ is the declared length, or the limit when none was declared.
  if (buffer_.size() < body_room_) MaybeWrite();
  http::async_read(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&Session::OnBody, shared_from_this()));
}

void Session::OnBody(beast::error_code ec, std::size_t /*bytes*/) {
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
  ex.body_reservation = std::move(pending_reservation_);
  ex.body_reservation.ShrinkTo(req.body().size());
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

void Session::OnReadError(const beast::error_code& ec) {
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
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

void Session::QueueError(const Route* route, TransportError error,
                         Request head) {
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

void Session::MaybeDispatch() {
  // Handlers answered inline make room for the next request at once.
  while (!closed_ && !handling_) {
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
    Handler* handler = next->route->handler;
    std::shared_ptr<InlineWindow> window;
    if (!handler->MayBlock(next->ctx, *next->request)) {
      window = std::make_shared<InlineWindow>();
    }
    Responder respond(std::make_unique<SessionSink>(
        core_->shared_from_this(), shared_from_this(), next->seq, window,
        window == nullptr ? std::move(next->body_reservation)
                          : BodyReservation()));
    if (window == nullptr) {
      net::post(core_->workers(),
                [handler, ctx = next->ctx, req = std::move(*next->request),
                 respond = std::move(respond)]() mutable {
                  RunHandler(handler, ctx, req, std::move(respond));
                });
      next->request.reset();
      return;
    }
    {
      Request req = std::move(*next->request);
      next->request.reset();
      RunHandler(handler, next->ctx, req, std::move(respond));
      next->body_reservation = BodyReservation();
    }
    std::optional<std::optional<Response>> answer = window->Close();
    if (!answer.has_value()) return;  // Deferred: OnResponse() follows.
    Finish(*next, std::move(*answer));
  }
}

bool Session::HeaderBuffered() const {
  const auto data = buffer_.data();
  return absl::StrContains(
      absl::string_view(static_cast<const char*>(data.data()), data.size()),
      "\r\n\r\n");
}

bool Session::NextHeaderBuffered() const {
  if (!reading_ || draining_ || read_state_ != ReadState::kIdle ||
      pipeline_.size() >= static_cast<size_t>(options().pipeline_limit)) {
    return false;
  }
  return HeaderBuffered();
}

void Session::MaybeWrite() {
  if (closed_ || write_pending_ || pipeline_.empty()) return;
  // The next pipelined request's header is already here: read and answer
  // it first, so that both answers leave in one write (and wake the client
  // once). Every read that has to wait for the socket writes first.
  if (NextHeaderBuffered()) return;
  // Every answer ready at the front of the pipeline goes out in one write:
  // a client that pipelines gets its answers with one system call.
  write_buffer_.clear();
  writing_ = 0;
  for (Exchange& ex : pipeline_) {
    if (ex.state != ExchangeState::kDone) break;
    if (!ex.head.keep_alive()) ex.close = true;
    if (draining_ && writing_ + 1 == pipeline_.size() &&
        read_state_ != ReadState::kBody) {
      ex.close = true;
    }
    Response& res = *ex.response;
    res.version(ex.head.version() == 10 ? 10 : 11);
    res.set(
        beast::string_view(kRequestIdHeader.data(), kRequestIdHeader.size()),
        ex.ctx.request_id);
    res.keep_alive(!ex.close);
    FinalizePayload(res, ex.head.method());
    const size_t before = write_buffer_.size();
    SerializeResponse(res, &write_buffer_);
    ex.bytes_out = write_buffer_.size() - before;
    ++writing_;
    if (ex.close) break;
  }
  if (writing_ == 0) return;
  write_pending_ = true;
  stream_.expires_after(ToSteady(options().write_timeout));
  net::async_write(
      stream_, net::buffer(write_buffer_),
      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
}

void Session::OnWrite(beast::error_code ec, std::size_t /*bytes*/) {
  write_pending_ = false;
  // Keep a small buffer for the next answers, not a large one per idle
  // connection.
  if (write_buffer_.capacity() > kKeptWriteBuffer) {
    std::string().swap(write_buffer_);
  }
  if (closed_) return AbandonPipeline();
  bool close = false;
  const auto now = std::chrono::steady_clock::now();
  for (; writing_ > 0; --writing_) {
    Exchange& ex = pipeline_.front();
    const double seconds =
        std::chrono::duration<double>(now - ex.started).count();
    LogAccess(ex, ec ? 0 : ex.bytes_out, seconds, ec);
    core_->CountRequest(ex.route, ex.response->result_int(), seconds);
    close = close || ex.close;
    pipeline_.pop_front();
  }
  if (ec) return CloseNow(absl::StrCat("write failed: ", ec.message()));
  if (close) {
    reading_ = false;
    AbandonPipeline();
    return BeginLingerClose();
  }
  if (pipeline_.empty() && read_state_ == ReadState::kHeader) {
    ArmIdleTimer();
  }
  if (read_state_ == ReadState::kAwaitingBudget) StartBody();
  MaybeDispatch();
  MaybeWrite();
  StartRead();
  FinishIfDone();
}

void Session::FinishIfDone() {
  if (closed_ || reading_ || read_state_ != ReadState::kIdle ||
      write_pending_ || !pipeline_.empty()) {
    return;
  }
  if (peer_eof_) return CloseNow("client closed");
  BeginLingerClose();
}

void Session::BeginLingerClose() {
  if (closed_ || read_state_ == ReadState::kLinger) return;
  if (read_state_ != ReadState::kIdle) return CloseNow("closing");
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return CloseNow("closing");
  stream_.expires_after(ToSteady(options().linger_timeout));
  linger_bytes_ = 0;
  LingerRead();
}

void Session::LingerRead() {
  read_state_ = ReadState::kLinger;
  stream_.async_read_some(
      net::buffer(linger_buffer_),
      beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
}

void Session::OnLinger(beast::error_code ec, std::size_t bytes) {
  read_state_ = ReadState::kIdle;
  if (closed_) return;
  linger_bytes_ += bytes;
  if (ec || linger_bytes_ > kLingerByteLimit) return CloseNow("closed");
  LingerRead();
}

void Session::ArmIdleTimer() {
  idle_timer_.expires_after(ToSteady(options().idle_timeout));
  idle_timer_.async_wait(
      beast::bind_front_handler(&Session::OnIdleTimer, shared_from_this()));
}

void Session::OnIdleTimer(beast::error_code ec) {
  if (ec || closed_) return;
  if (pipeline_.empty() && read_state_ == ReadState::kHeader) {
    CloseNow("idle");
  }
}

void Session::AbandonPipeline() {
  for (const Exchange& ex : pipeline_) {
    LogAbandoned(ex);
  }
  pipeline_.clear();
  handling_ = false;
}

void Session::LogAccess(const Exchange& ex, std::size_t bytes_out,
                        double seconds, const beast::error_code& ec) {
  const double ms = seconds * 1000;
  RMQ_LOG(kInfo, "http ", MethodOf(ex), " ", TargetOf(ex), " ",
          ex.response->result_int(), " in=", ex.bytes_in, " out=", bytes_out,
          " ", absl::StrFormat("%.1f", ms), "ms id=", ex.ctx.request_id,
          " remote=", remote_,
          " route=", ex.ctx.route.empty() ? "-" : ex.ctx.route,
          ec ? absl::StrCat(" write_error=", ec.message()) : "");
}

void Session::LogAbandoned(const Exchange& ex) {
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - ex.started)
                        .count();
  RMQ_LOG(kInfo, "http ", MethodOf(ex), " ", TargetOf(ex),
          " - in=", ex.bytes_in, " out=0 ", absl::StrFormat("%.1f", ms),
          "ms id=", ex.ctx.request_id, " remote=", remote_,
          " route=", ex.ctx.route.empty() ? "-" : ex.ctx.route,
          " abandoned: connection closed before the response was sent");
}

std::string Session::MethodOf(const Exchange& ex) {
  const absl::string_view m = ToAbsl(ex.head.method_string());
  return m.empty() ? "-" : std::string(m);
}

std::string Session::TargetOf(const Exchange& ex) {
  const absl::string_view t = ToAbsl(ex.head.target());
  if (t.empty()) return "-";
  return RedactedTarget(t);
}

}  // namespace rewindmq::httpd::internal
