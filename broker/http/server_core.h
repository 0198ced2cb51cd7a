// Internal to the HTTP server (http_server.h): the state that the listener,
// the sessions and outstanding Responders share.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/http/http_server.h"
#include "broker/http/metrics.h"
#include "broker/http/router.h"

namespace rewindmq::httpd::internal {

namespace net = boost::asio;
using tcp = net::ip::tcp;

inline std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

// "ip:port", with brackets around an IPv6 address.
std::string FormatEndpoint(const tcp::endpoint& ep);

class Session;
class Listener;

// Bytes of request bodies in memory across all connections, bounded by
// HttpServerOptions::body_budget. Thread-safe.
class BodyBudget {
 public:
  explicit BodyBudget(uint64_t limit) : limit_(limit) {}
  // Takes `bytes` of room; false (taking none) when there is not enough.
  bool TryReserve(uint64_t bytes) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes,
                                          std::memory_order_relaxed));
    return true;
  }
  void Release(uint64_t bytes) {
    used_.fetch_sub(bytes, std::memory_order_relaxed);
  }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

// Room reserved in a BodyBudget, given back when destroyed. Movable.
class BodyReservation {
 public:
  BodyReservation() = default;
  BodyReservation(BodyBudget* budget, uint64_t bytes)
      : budget_(budget), bytes_(bytes) {}
  BodyReservation(BodyReservation&& other) noexcept
      : budget_(std::exchange(other.budget_, nullptr)),
        bytes_(std::exchange(other.bytes_, 0)) {}
  BodyReservation& operator=(BodyReservation&& other) noexcept {
    if (this != &other) {
      Reset();
      budget_ = std::exchange(other.budget_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  ~BodyReservation() { Reset(); }

  // Gives back all but `bytes` (when less is needed than was reserved).
  void ShrinkTo(uint64_t bytes) {
    if (budget_ == nullptr || bytes >= bytes_) return;
    budget_->Release(bytes_ - bytes);
    bytes_ = bytes;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  void Reset() {
    if (budget_ != nullptr) budget_->Release(bytes_);
    budget_ = nullptr;
    bytes_ = 0;
  }
  BodyBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

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
        body_budget_(options.body_budget),
        workers_(static_cast<size_t>(options.worker_threads)) {
    // One io_context per I/O thread, each run by that thread alone: a
    // connection lives on one of them from accept to close, so its
    // handlers never hop threads and no thread wakes another to run them.
    const int n = options.io_threads > 0 ? options.io_threads : 1;
    for (int i = 0; i < n; ++i) {
      iocs_.push_back(std::make_unique<net::io_context>(1));
      work_.push_back(net::make_work_guard(*iocs_.back()));
    }
  }

  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;
  ~Core() { StopThreads(); }

  const HttpServerOptions& options() const { return options_; }
  // Set once by Serve(), before any thread that reads it starts.
  const Router& router() const { return *router_; }
  // The context of the listener.
  net::io_context& ioc() { return *iocs_.front(); }
  // The context a new connection lives on (round robin). Thread-safe.
  net::io_context& NextConnectionContext() {
    const uint64_t i = next_context_.fetch_add(1, std::memory_order_relaxed);
    return *iocs_[i % iocs_.size()];
  }
  net::thread_pool& workers() { return workers_; }
  BodyBudget& body_budget() { return body_budget_; }

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
    if (connection_metrics_ != nullptr) connection_metrics_->ConnectionOpened();
    return true;
  }
  void Unregister(uint64_t id) {
    absl::MutexLock l(&mu_);
    if (sessions_.erase(id) > 0 && connection_metrics_ != nullptr) {
      connection_metrics_->ConnectionClosed();
    }
  }
  // Stops counting connections once the server has shut down: a Session
  // kept alive by a late Responder may be destroyed after the metrics are.
  // Connections still registered are counted as closed.
  void DetachMetrics() {
    absl::MutexLock l(&mu_);
    if (connection_metrics_ == nullptr) return;
    for (size_t i = 0; i < sessions_.size(); ++i) {
      connection_metrics_->ConnectionClosed();
    }
    connection_metrics_ = nullptr;
  }
  int connection_count() const {
    absl::MutexLock l(&mu_);
    return static_cast<int>(sessions_.size());
  }

  // Keeps the bound acceptor until Serve().
  void SetAcceptor(tcp::acceptor acceptor) {
    acceptor_.emplace(std::move(acceptor));
  }
  // Counts an accepted connection, if metrics are kept. I/O threads only.
  void CountAccepted() {
    if (options_.metrics != nullptr) options_.metrics->ConnectionAccepted();
  }
  // Counts a request answered by `route` (null: unrouted) with `status`
  // after `seconds`, if metrics are kept. I/O threads only (which have
  // stopped before the metrics may go); no allocation.
  void CountRequest(const Route* route, unsigned status, double seconds) {
    if (options_.metrics == nullptr) return;
    HttpMetrics::RouteSeries* series =
        route == nullptr ? unrouted_series_
                         : route_series_[static_cast<size_t>(
                               route - router_->routes().data())];
    series->Record(status, seconds);
  }

  // Starts accepting and the threads. False when already serving.
  bool Serve(const Router* router) {
    if (serving_.exchange(true)) return false;
    router_ = router;
    if (options_.metrics != nullptr) {
      // Each route's series, found by its position in the router, so that
      // counting a request needs no lookup by name.
      for (const Route& route : router->routes()) {
        route_series_.push_back(options_.metrics->ForRoute(route.name));
      }
      unrouted_series_ = options_.metrics->ForRoute("");
    }
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
    for (const std::unique_ptr<net::io_context>& ioc : iocs_) {
      io_threads_.emplace_back([ioc = ioc.get()] { ioc->run(); });
    }
  }
  // Stops the io_context and joins all threads, waiting for handlers still
  // running on the worker pool. Idempotent.
  void StopThreads() {
    work_.clear();
    for (const std::unique_ptr<net::io_context>& ioc : iocs_) ioc->stop();
    for (std::thread& t : io_threads_) {
      if (t.joinable()) t.join();
    }
    io_threads_.clear();
    workers_.join();
  }

 private:
  std::vector<std::shared_ptr<Session>> LiveSessions();

  const HttpServerOptions options_;
  // Outlives the threads and the io_context (declared before them), whose
  // queued work may hold reservations.
  BodyBudget body_budget_;
  const Router* router_ = nullptr;
  // Set once by Serve() with router_, when options_.metrics is set: the
  // series of router_->routes()[i], and of unrouted requests.
  std::vector<HttpMetrics::RouteSeries*> route_series_;
  HttpMetrics::RouteSeries* unrouted_series_ = nullptr;
  std::atomic<uint64_t> next_session_id_{1};

  mutable absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  HttpMetrics* connection_metrics_ ABSL_GUARDED_BY(mu_) = options_.metrics;
  absl::flat_hash_map<uint64_t, std::weak_ptr<Session>> sessions_
      ABSL_GUARDED_BY(mu_);

  std::vector<std::thread> io_threads_;
  net::thread_pool workers_;
  // Destroyed before the members above (reverse order of declaration):
  // destroying an io_context destroys the handlers still queued in it, and
  // with them Sessions, whose destructors call Unregister().
  std::vector<std::unique_ptr<net::io_context>> iocs_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::atomic<uint64_t> next_context_{0};
  std::optional<tcp::acceptor> acceptor_;
  std::shared_ptr<Listener> listener_;
  std::atomic<bool> serving_{false};
};

}  // namespace rewindmq::httpd::internal
