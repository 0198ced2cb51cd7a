#include "broker/facades/remoting/server.h"

#include <boost/asio.hpp>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/text.h"

namespace rewindmq::facade::remoting {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string FormatEndpoint(const tcp::endpoint& e) {
  return FormatHostPort(e.address().to_string(), e.port());
}

}  // namespace

class Connection;

struct RemotingServer::Impl {
  broker::Broker* broker = nullptr;
  RemotingConfig config;
  RemotingServerOptions options;
  net::io_context io;
  std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>>
      work;
  std::unique_ptr<net::thread_pool> workers;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::string> addresses;
  std::vector<std::thread> threads;
  std::unique_ptr<net::steady_timer> expiry_timer;

  std::mutex mu;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections;
  bool stopped = false;
  std::atomic<int32_t> next_opaque{1};

  void Accept(size_t index);
  void Register(uint64_t id, const std::shared_ptr<Connection>& c);
  void Unregister(uint64_t id);
  // Sends NOTIFY_CONSUMER_IDS_CHANGED to the group's connections but
  // `except`.
  void NotifyGroupChanged(const std::string& group, uint64_t except);
  void ScheduleExpiry();
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(RemotingServer::Impl* server, tcp::socket socket, int broker_index)
      : server_(server),
        socket_(std::move(socket)),
        strand_(net::make_strand(server->io)),
        timer_(strand_),
        broker_index_(broker_index),
        id_(server->broker->clients().NewConnection()) {
    boost::system::error_code ec;
    const tcp::endpoint peer = socket_.remote_endpoint(ec);
    peer_ = ec ? "0.0.0.0:0" : FormatEndpoint(peer);
    socket_.set_option(tcp::no_delay(true), ec);
  }

  uint64_t id() const { return id_; }

  void Start() {
    net::dispatch(strand_, [self = shared_from_this()] {
      self->ArmIdleTimer();
      self->Read();
    });
  }

  // Queues `frame` for writing; thread-safe.
  void Send(std::string frame) {
    net::post(strand_,
              [self = shared_from_this(), f = std::move(frame)]() mutable {
                if (self->closed_) return;
                self->pending_bytes_ += f.size();
                if (self->pending_bytes_ >
                    self->server_->options.max_pending_write_bytes) {
                  RMQ_LOG(kWarning, "remoting: closing ", self->peer_,
                          ": it does not read its responses");
                  return self->Close();
                }
                self->writes_.push_back(std::move(f));
                if (!self->writing_) self->Write();
              });
  }

  void CloseFromOutside() {
    net::post(strand_, [self = shared_from_this()] { self->Close(); });
  }

 private:
  void ArmIdleTimer() {
    timer_.expires_after(std::chrono::microseconds(
        absl::ToInt64Microseconds(server_->options.idle_timeout)));
    timer_.async_wait([self =
                           shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      if (std::chrono::steady_clock::now() - self->last_activity_ >=
          std::chrono::microseconds(
              absl::ToInt64Microseconds(self->server_->options.idle_timeout))) {
        RMQ_LOG(kDebug, "remoting: closing idle connection ", self->peer_);
        return self->Close();
      }
      self->ArmIdleTimer();
    });
  }

  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }

  void Read() {
    if (buffer_.size() - used_ < 64 * 1024) buffer_.resize(used_ + 64 * 1024);
    socket_.async_read_some(
        net::buffer(buffer_.data() + used_, buffer_.size() - used_),
        net::bind_executor(strand_, [self = shared_from_this()](
                                        boost::system::error_code ec,
                                        size_t n) { self->OnRead(ec, n); }));
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    if (closed_) return;
    if (ec) return Close();
    Touch();
    used_ += n;
    size_t start = 0;
    while (true) {
      absl::string_view data(buffer_.data() + start, used_ - start);
      absl::StatusOr<size_t> size = FrameSize(data);
      if (!size.ok()) {
        RMQ_LOG(kWarning, "remoting: closing ", peer_, ": ",
                size.status().message());
        return Close();
      }
      if (*size == 0) break;
      absl::StatusOr<RemotingCommand> cmd = DecodeFrame(data.substr(0, *size));
      start += *size;
      if (!cmd.ok()) {
        RMQ_LOG(kWarning, "remoting: closing ", peer_, ": ",
                cmd.status().message());
        return Close();
      }
      if (cmd->is_response()) continue;  // answers to our notifications
      Submit(*std::move(cmd));
    }
    if (start > 0) {
      std::memmove(buffer_.data(), buffer_.data() + start, used_ - start);
      used_ -= start;
    }
    // Keep a frame's worth of room, and shrink after a large one.
    if (used_ == 0 && buffer_.size() > (size_t{1} << 20)) {
      buffer_.resize(64 * 1024);
      buffer_.shrink_to_fit();
    }
    Read();
  }

  void Submit(RemotingCommand cmd) {
    RequestContext ctx;
    ctx.broker = server_->broker;
    ctx.config = &server_->config;
    ctx.broker_index = broker_index_;
    ctx.broker_name = absl::StrCat("broker-", broker_index_);
    ctx.connection = id_;
    ctx.peer = peer_;
    std::weak_ptr<Connection> weak = weak_from_this();
    const bool oneway = cmd.is_oneway();
    ctx.respond = [weak, oneway,
                   answered = std::make_shared<std::atomic<bool>>(false)](
                      RemotingCommand r) {
      if (oneway || answered->exchange(true)) return;
      if (std::shared_ptr<Connection> c = weak.lock()) c->Send(EncodeFrame(r));
    };
    RemotingServer::Impl* server = server_;
    ctx.defer = [server](std::function<void()> fn) {
      net::post(*server->workers, std::move(fn));
    };
    const uint64_t id = id_;
    ctx.group_changed = [server, id](const std::string& group) {
      server->NotifyGroupChanged(group, id);
    };
    net::post(*server_->workers, [ctx = std::move(ctx), cmd = std::move(cmd)] {
      Dispatch(ctx, cmd);
    });
  }

  void Write() {
    writing_ = true;
    net::async_write(
        socket_, net::buffer(writes_.front()),
        net::bind_executor(strand_, [self = shared_from_this()](
                                        boost::system::error_code ec, size_t) {
          self->writing_ = false;
          if (self->closed_) return;
          if (ec) return self->Close();
          self->Touch();
          self->pending_bytes_ -= self->writes_.front().size();
          self->writes_.pop_front();
          if (!self->writes_.empty()) self->Write();
        }));
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    timer_.cancel();
    writes_.clear();
    server_->Unregister(id_);
  }

  RemotingServer::Impl* const server_;
  tcp::socket socket_;
  net::strand<net::io_context::executor_type> strand_;
  net::steady_timer timer_;
  const int broker_index_;
  const uint64_t id_;
  std::string peer_;
  std::vector<char> buffer_;
  size_t used_ = 0;
  std::deque<std::string> writes_;
  size_t pending_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_activity_ =
      std::chrono::steady_clock::now();
};

void RemotingServer::Impl::Accept(size_t index) {
  acceptors[index]->async_accept(
      net::make_strand(io),
      [this, index](boost::system::error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == net::error::operation_aborted) return;
          RMQ_LOG(kWarning, "remoting accept: ", ec.message());
        } else {
          std::shared_ptr<Connection> c;
          {
            std::lock_guard<std::mutex> l(mu);
            if (stopped) return;
            if (static_cast<int>(connections.size()) <
                options.max_connections) {
              c = std::make_shared<Connection>(this, std::move(socket),
                                               static_cast<int>(index));
              connections[c->id()] = c;
            }
          }
          if (c != nullptr) {
            c->Start();
          } else {
            RMQ_LOG(kWarning, "remoting: refusing a connection: ",
                    options.max_connections, " connections are open");
          }
        }
        Accept(index);
      });
}

void RemotingServer::Impl::Unregister(uint64_t id) {
  {
    std::lock_guard<std::mutex> l(mu);
    connections.erase(id);
  }
  for (const auto& [instance, group] : broker->clients().DropConnection(id)) {
    if (instance == config.instance) NotifyGroupChanged(group, id);
  }
}

void RemotingServer::Impl::NotifyGroupChanged(const std::string& group,
                                              uint64_t except) {
  std::vector<std::shared_ptr<Connection>> targets;
  {
    std::lock_guard<std::mutex> l(mu);
    for (uint64_t id : broker->clients().Connections(config.instance, group)) {
      if (id == except) continue;
      auto it = connections.find(id);
      if (it == connections.end()) continue;
      if (std::shared_ptr<Connection> c = it->second.lock())
        targets.push_back(c);
    }
  }
  if (targets.empty()) return;
  RemotingCommand notify;
  notify.code = code::kNotifyConsumerIdsChanged;
  notify.version = kServerVersion;
  notify.flag = kFlagOneway;
  notify.Set("consumerGroup", group);
  for (const std::shared_ptr<Connection>& c : targets) {
    notify.opaque = next_opaque.fetch_add(1);
    c->Send(EncodeFrame(notify));
  }
}

void RemotingServer::Impl::ScheduleExpiry() {
  expiry_timer->expires_after(std::chrono::seconds(10));
  expiry_timer->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Apache's channelExpiredTimeout: clients heartbeat every 30 s.
    for (const auto& [instance, group] :
         broker->clients().Expire(absl::Seconds(120))) {
      if (instance == config.instance) NotifyGroupChanged(group, 0);
    }
    ScheduleExpiry();
  });
}

absl::StatusOr<std::unique_ptr<RemotingServer>> RemotingServer::Start(
    broker::Broker* broker, RemotingConfig config,
    const RemotingServerOptions& options) {
  absl::StatusOr<broker::InstanceInfo> inst =
      broker->GetInstance(config.instance);
  if (!inst.ok()) return inst.status();
  const int brokers = static_cast<int>(inst->brokers.size());
  boost::system::error_code ec;
  const net::ip::address listen = net::ip::make_address(options.host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad remoting listen host ", options.host));
  }
  auto impl = std::make_unique<Impl>();
  impl->broker = broker;
  impl->options = options;
  std::vector<uint16_t> ports;
  for (int i = 0; i < brokers; ++i) {
    const uint16_t want =
        options.port == 0 ? 0 : static_cast<uint16_t>(options.port + i);
    auto a = std::make_unique<tcp::acceptor>(impl->io);
    tcp::endpoint ep(listen, want);
    a->open(ep.protocol(), ec);
    if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a->bind(ep, ec);
    if (!ec) a->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen for RocketMQ clients on ",
                       FormatEndpoint(ep), ": ", ec.message()));
    }
    const tcp::endpoint bound = a->local_endpoint(ec);
    ports.push_back(bound.port());
    impl->addresses.push_back(FormatEndpoint(bound));
    impl->acceptors.push_back(std::move(a));
  }
  // Advertised addresses: IPv4 only (message ids hold 4-byte hosts).
  std::string adv_host = options.advertise;
  int adv_port = -1;
  if (const size_t colon = adv_host.rfind(':'); colon != std::string::npos) {
    if (!absl::SimpleAtoi(adv_host.substr(colon + 1), &adv_port) ||
        adv_port <= 0 || adv_port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad remoting advertise address ", options.advertise));
    }
    adv_host = adv_host.substr(0, colon);
  }
  if (adv_host.empty()) {
    adv_host = listen.is_unspecified() ? "127.0.0.1" : listen.to_string();
  }
  const net::ip::address adv = net::ip::make_address(adv_host, ec);
  if (ec || !adv.is_v4()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "remoting advertise host ", adv_host, " is not an IPv4 address"));
  }
  config.advertised.clear();
  for (int i = 0; i < brokers; ++i) {
    const int port = adv_port > 0 ? adv_port + i : ports[i];
    config.advertised.push_back(absl::StrCat(adv_host, ":", port));
  }
  impl->config = std::move(config);
  impl->work = std::make_unique<
      net::executor_work_guard<net::io_context::executor_type>>(
      impl->io.get_executor());
  impl->workers = std::make_unique<net::thread_pool>(options.worker_threads);
  for (size_t i = 0; i < impl->acceptors.size(); ++i) impl->Accept(i);
  impl->expiry_timer = std::make_unique<net::steady_timer>(impl->io);
  impl->ScheduleExpiry();
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    Impl* raw = impl.get();
    impl->threads.emplace_back([raw] { raw->io.run(); });
  }
  return std::unique_ptr<RemotingServer>(new RemotingServer(std::move(impl)));
}

RemotingServer::RemotingServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

RemotingServer::~RemotingServer() { Shutdown(); }

std::vector<std::string> RemotingServer::addresses() const {
  return impl_->addresses;
}

const std::vector<std::string>& RemotingServer::advertised() const {
  return impl_->config.advertised;
}

void RemotingServer::Shutdown() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    for (auto& [id, weak] : impl_->connections) {
      if (std::shared_ptr<Connection> c = weak.lock()) open.push_back(c);
    }
  }
  net::post(impl_->io, [this] {
    boost::system::error_code ec;
    for (auto& a : impl_->acceptors) a->close(ec);
    impl_->expiry_timer->cancel();
  });
  for (const std::shared_ptr<Connection>& c : open) c->CloseFromOutside();
  open.clear();
  impl_->workers->join();
  impl_->work.reset();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace rewindmq::facade::remoting
