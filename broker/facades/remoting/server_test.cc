// The remoting server over real sockets on 127.0.0.1: framing across reads,
// and bad input (garbage, oversized lengths, broken headers, half-open and
// idle connections, a client that never reads) closing only the offending
// connection while the broker keeps serving and nothing stored changes.
#include "broker/facades/remoting/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/facades/remoting/command.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::remoting {
namespace {

// A blocking client socket with deadlines.
class Socket {
 public:
  explicit Socket(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Socket() { close(fd_); }
  bool connected() const { return connected_; }

  bool Write(absl::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one frame within `timeout`; nullopt on close or timeout.
  std::optional<RemotingCommand> ReadFrame(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      absl::StatusOr<size_t> size = FrameSize(buf_);
      if (!size.ok()) return std::nullopt;
      if (*size > 0) {
        absl::StatusOr<RemotingCommand> cmd =
            DecodeFrame(buf_.substr(0, *size));
        buf_.erase(0, *size);
        if (!cmd.ok()) return std::nullopt;
        return *cmd;
      }
      if (!Fill(deadline)) return std::nullopt;
    }
  }

  // True when the server closes the connection within `timeout` (whatever
  // it sent before is discarded).
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!Fill(deadline)) return eof_;
      buf_.clear();
    }
    return false;
  }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[65536];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

RemotingCommand RouteRequest(int32_t opaque, SerializeType type) {
  RemotingCommand r;
  r.code = 105;
  r.version = 409;
  r.opaque = opaque;
  r.type = type;
  r.Set("topic", "orders");
  return r;
}

std::string BigEndian32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}

class RemotingServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker::BrokerOptions o;
    o.data_dir = dir_.Sub("data");
    o.store.durability = storage::Durability::kNever;
    ASSERT_OK_AND_ASSIGN(broker_, broker::Broker::Open(o));
    ASSERT_OK(broker_->topics()
                  .CreateTopic(broker_->default_instance(),
                               {.name = "orders", .queue_num = 2})
                  .status());
    ASSERT_OK(broker_->topics()
                  .Produce(broker_->default_instance(),
                           {.topic = "orders", .body = "kept"})
                  .status());
    Start({});
  }

  void Start(RemotingServerOptions options) {
    server_.reset();
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.worker_threads = 2;
    RemotingConfig config;
    config.instance = broker_->default_instance();
    ASSERT_OK_AND_ASSIGN(server_,
                         RemotingServer::Start(broker_.get(), config, options));
    const std::string a = server_->addresses()[0];
    ASSERT_TRUE(absl::SimpleAtoi(a.substr(a.rfind(':') + 1), &port_));
  }

  // A fresh connection gets a route answer: the server is serving.
  void ExpectServing() {
    Socket s(static_cast<uint16_t>(port_));
    ASSERT_TRUE(s.connected());
    ASSERT_TRUE(s.Write(EncodeFrame(RouteRequest(5, SerializeType::kJson))));
    std::optional<RemotingCommand> r = s.ReadFrame(std::chrono::seconds(5));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->opaque, 5);
    EXPECT_EQ(r->code, 0);
  }

  void ExpectStoreUnchanged() {
    ASSERT_OK_AND_ASSIGN(broker::TopicStatus st,
                         broker_->topics().GetTopicStatus(
                             broker_->default_instance(), "orders"));
    int64_t total = 0;
    for (const broker::QueueStatus& q : st.queues) total += q.max_offset.value;
    EXPECT_EQ(total, 1);
  }

  rmqtest::ScopedTempDir dir_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<RemotingServer> server_;
  int port_ = 0;
};

TEST_F(RemotingServerTest, AnswersInTheRequestsSerializeTypeAcrossSplitWrites) {
  Socket s(static_cast<uint16_t>(port_));
  const std::string json = EncodeFrame(RouteRequest(1, SerializeType::kJson));
  const std::string binary =
      EncodeFrame(RouteRequest(2, SerializeType::kRocketMq));
  const std::string both = json + binary;
  // One byte at a time for the first frame, the rest in one write.
  for (size_t i = 0; i < json.size(); ++i)
    ASSERT_TRUE(s.Write(both.substr(i, 1)));
  ASSERT_TRUE(s.Write(both.substr(json.size())));
  std::optional<RemotingCommand> a = s.ReadFrame(std::chrono::seconds(5));
  std::optional<RemotingCommand> b = s.ReadFrame(std::chrono::seconds(5));
  ASSERT_TRUE(a.has_value() && b.has_value());
  if (a->opaque != 1) std::swap(a, b);
  EXPECT_EQ(a->type, SerializeType::kJson);
  EXPECT_EQ(b->type, SerializeType::kRocketMq);
  EXPECT_EQ(b->opaque, 2);
  EXPECT_NE(b->body.find("\"readQueueNums\":2"), std::string::npos);
}

TEST_F(RemotingServerTest, OversizedLengthClosesTheConnectionOnly) {
  Socket s(static_cast<uint16_t>(port_));
  ASSERT_TRUE(s.Write(BigEndian32(0xFFFFFFF0u) + "garbage"));
  EXPECT_TRUE(s.ClosedWithin(std::chrono::seconds(5)));
  ExpectServing();
  ExpectStoreUnchanged();
}

TEST_F(RemotingServerTest, LengthBelowFourClosesTheConnection) {
  Socket s(static_cast<uint16_t>(port_));
  ASSERT_TRUE(s.Write(BigEndian32(2) + "xx"));
  EXPECT_TRUE(s.ClosedWithin(std::chrono::seconds(5)));
  ExpectServing();
}

TEST_F(RemotingServerTest, HeaderLongerThanTheFrameClosesTheConnection) {
  Socket s(static_cast<uint16_t>(port_));
  ASSERT_TRUE(s.Write(BigEndian32(8) + BigEndian32(1000) + "abcd"));
  EXPECT_TRUE(s.ClosedWithin(std::chrono::seconds(5)));
  ExpectServing();
}

TEST_F(RemotingServerTest, UnknownSerializeTypeClosesTheConnection) {
  Socket s(static_cast<uint16_t>(port_));
  ASSERT_TRUE(s.Write(BigEndian32(6) + BigEndian32((5u << 24) | 2) + "{}"));
  EXPECT_TRUE(s.ClosedWithin(std::chrono::seconds(5)));
  ExpectServing();
}

TEST_F(RemotingServerTest, UnparsableJsonHeaderClosesTheConnection) {
  Socket s(static_cast<uint16_t>(port_));
  const std::string header = "{\"code\":105,";
  ASSERT_TRUE(s.Write(BigEndian32(4 + header.size()) +
                      BigEndian32(static_cast<uint32_t>(header.size())) +
                      header));
  EXPECT_TRUE(s.ClosedWithin(std::chrono::seconds(5)));
  ExpectServing();
  ExpectStoreUnchanged();
}

TEST_F(RemotingServerTest, HalfSentFrameDoesNotBlockOtherClients) {
  Socket stuck(static_cast<uint16_t>(port_));
  ASSERT_TRUE(stuck.Write(BigEndian32(1000) + "ab"));
  ExpectServing();
}

TEST_F(RemotingServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  RemotingServerOptions o;
  o.idle_timeout = absl::Milliseconds(500);
  Start(o);
  Socket s(static_cast<uint16_t>(port_));
  EXPECT_TRUE(s.ClosedWithin(std::chrono::seconds(5)));
  ExpectServing();
}

TEST_F(RemotingServerTest, ClientThatNeverReadsIsDisconnected) {
  RemotingServerOptions o;
  o.max_pending_write_bytes = 64 << 10;
  Start(o);
  Socket s(static_cast<uint16_t>(port_));
  const std::string frame = EncodeFrame(RouteRequest(9, SerializeType::kJson));
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += frame;
  bool closed = false;
  // Each response is larger than its request; bounded by count.
  for (int i = 0; i < 200 && !closed; ++i) closed = !s.Write(burst);
  if (!closed) closed = s.ClosedWithin(std::chrono::seconds(10));
  EXPECT_TRUE(closed);
  ExpectServing();
  ExpectStoreUnchanged();
}

TEST(RemotingTwoBrokersTest, EachLogicalBrokerHasItsOwnListenerAndQueues) {
  rmqtest::ScopedTempDir dir;
  broker::BrokerOptions o;
  o.data_dir = dir.Sub("data");
  o.store.durability = storage::Durability::kNever;
  o.instances = {{std::string(broker::kDefaultInstanceId), "two", 2}};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<broker::Broker> b,
                       broker::Broker::Open(o));
  ASSERT_OK(b->topics()
                .CreateTopic(b->default_instance(),
                             {.name = "orders", .queue_num = 1})
                .status());
  RemotingConfig config;
  config.instance = b->default_instance();
  RemotingServerOptions options;
  options.port = 0;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RemotingServer> server,
                       RemotingServer::Start(b.get(), config, options));
  ASSERT_EQ(server->addresses().size(), 2u);
  std::vector<int> ports;
  for (const std::string& a : server->addresses()) {
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(a.substr(a.rfind(':') + 1), &port));
    ports.push_back(port);
  }
  EXPECT_EQ(server->advertised()[1], server->addresses()[1]);

  // Either listener is a name server: the route names both brokers.
  Socket ns(static_cast<uint16_t>(ports[1]));
  ASSERT_TRUE(ns.Write(EncodeFrame(RouteRequest(1, SerializeType::kJson))));
  std::optional<RemotingCommand> route = ns.ReadFrame(std::chrono::seconds(5));
  ASSERT_TRUE(route.has_value());
  EXPECT_NE(route->body.find(absl::StrCat("\"brokerName\":\"broker-1\"")),
            std::string::npos);
  EXPECT_NE(route->body.find(server->addresses()[0]), std::string::npos);
  EXPECT_NE(route->body.find(server->addresses()[1]), std::string::npos);

  // Queue 0 sent through listener 1 is broker-1's queue 0.
  RemotingCommand send;
  send.code = 310;
  send.opaque = 2;
  send.Set("a", "PG");
  send.Set("b", "orders");
  send.Set("e", "0");
  send.body = "on broker-1";
  ASSERT_TRUE(ns.Write(EncodeFrame(send)));
  std::optional<RemotingCommand> sent = ns.ReadFrame(std::chrono::seconds(5));
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->code, 0);
  ASSERT_OK_AND_ASSIGN(
      broker::TopicStatus st,
      b->topics().GetTopicStatus(b->default_instance(), "orders"));
  ASSERT_EQ(st.queues.size(), 2u);
  for (const broker::QueueStatus& q : st.queues) {
    EXPECT_EQ(q.max_offset.value, q.queue.broker_name == "broker-1" ? 1 : 0)
        << q.queue.broker_name;
  }
  server->Shutdown();
}

}  // namespace
}  // namespace rewindmq::facade::remoting
