#include "broker/facades/admin/metrics.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::facade::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A source of one gauge family with the given label value.
class FixedSource final : public prometheus::Collectable {
 public:
  explicit FixedSource(std::string label_value)
      : label_value_(std::move(label_value)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "test_fixed";
    family.help = "A fixed gauge.";
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    metric.label = {{"name", label_value_}};
    metric.gauge.value = 7;
    family.metric.push_back(std::move(metric));
    return {std::move(family)};
  }

 private:
  const std::string label_value_;
};

std::optional<httpd::Response> Call(httpd::Handler& handler,
                                    boost::beast::http::verb method) {
  httpd::Request req(method, "/metrics", 11);
  std::optional<httpd::Response> out;
  handler.Handle(
      httpd::RequestContext{}, req,
      httpd::Responder::FromCallback(
          [&](std::optional<httpd::Response> r) { out = std::move(r); }));
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker::BrokerOptions options;
    options.data_dir = dir_.Sub("data");
    options.start_timer_thread = false;
    options.store.durability = storage::Durability::kNever;
    ASSERT_OK_AND_ASSIGN(broker_, broker::Broker::Open(options));
  }

  const std::string inst_{broker::kDefaultInstanceId};
  rmqtest::ScopedTempDir dir_;
  std::unique_ptr<broker::Broker> broker_;
};

TEST_F(MetricsTest, AnswersGetWithTheTextFormat) {
  Metrics metrics(broker_.get());
  httpd::Route route = metrics.Route();
  EXPECT_EQ(route.name, "metrics");
  std::optional<httpd::Response> res =
      Call(*route.handler, boost::beast::http::verb::get);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->at(boost::beast::http::field::content_type),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(res->body(), HasSubstr("# TYPE rewindmq_http_connections gauge"));
}

TEST_F(MetricsTest, RefusesOtherMethods) {
  Metrics metrics(broker_.get());
  std::optional<httpd::Response> res =
      Call(*metrics.Route().handler, boost::beast::http::verb::post);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result_int(), 405);
  EXPECT_EQ(res->at(boost::beast::http::field::allow), "GET, HEAD");
}

TEST_F(MetricsTest, EveryFamilyIsPresentOnAnEmptyBroker) {
  Metrics metrics(broker_.get());
  // The HTTP request families appear with their first series (the server
  // resolves one per route when it starts serving).
  metrics.http()->ForRoute("cmq")->Record(200, 0.001);
  const std::string text = metrics.Render();
  for (const char* family :
       {"# TYPE rewindmq_http_requests_total counter",
        "# TYPE rewindmq_http_request_duration_seconds histogram",
        "# TYPE rewindmq_http_connections gauge",
        "# TYPE rewindmq_http_connections_accepted_total counter",
        "# TYPE rewindmq_cmq_queues gauge",
        "# TYPE rewindmq_cmq_queue_messages gauge",
        "# TYPE rewindmq_topic_queue_max_offset gauge",
        "# TYPE rewindmq_group_lag gauge"}) {
    EXPECT_THAT(text, HasSubstr(family));
  }
  EXPECT_THAT(text, HasSubstr("\nrewindmq_cmq_queues 0\n"));
  EXPECT_THAT(text, HasSubstr("\nrewindmq_http_connections 0\n"));
}

TEST_F(MetricsTest, HttpCountersMoveAfterRequests) {
  Metrics metrics(broker_.get());
  httpd::HttpMetrics::RouteSeries* cmq = metrics.http()->ForRoute("cmq");
  EXPECT_EQ(metrics.http()->ForRoute("cmq"), cmq);  // resolved once
  cmq->Record(200, 0.0002);
  cmq->Record(200, 0.003);
  cmq->Record(404, 0.0001);
  metrics.http()->ForRoute("")->Record(431, 0.0001);
  metrics.http()->ConnectionAccepted();
  metrics.http()->ConnectionOpened();

  const std::string text = metrics.Render();
  EXPECT_THAT(
      text,
      HasSubstr(R"(rewindmq_http_requests_total{route="cmq",status="200"} 2)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(rewindmq_http_requests_total{route="cmq",status="404"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(rewindmq_http_requests_total{route="-",status="431"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(rewindmq_http_request_duration_seconds_count{route="cmq"} 3)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(rewindmq_http_request_duration_seconds_bucket{route="cmq",le="0.00025"} 2)"));
  EXPECT_THAT(text, HasSubstr("\nrewindmq_http_connections 1\n"));
  EXPECT_THAT(text,
              HasSubstr("\nrewindmq_http_connections_accepted_total 1\n"));
}

TEST_F(MetricsTest, LabelValuesAreEscaped) {
  Metrics metrics(broker_.get());
  metrics.http()->ForRoute("a\"b\\c\nd")->Record(200, 0.001);
  EXPECT_THAT(
      metrics.Render(),
      HasSubstr(
          R"(rewindmq_http_requests_total{route="a\"b\\c\nd",status="200"} 1)"));

  FixedSource source("x\"y\\z\nw");
  MetricsHandler handler({&source});
  EXPECT_THAT(handler.Render(),
              HasSubstr(R"(test_fixed{name="x\"y\\z\nw"} 7)"));
}

TEST_F(MetricsTest, CmqQueuesAreCountedByState) {
  ASSERT_OK(broker_->cmq().CreateQueue(inst_, "orders").status());
  ASSERT_OK(broker_->cmq().SendMessage(inst_, "orders", "a").status());
  ASSERT_OK(broker_->cmq().SendMessage(inst_, "orders", "b").status());
  ASSERT_OK(broker_->cmq()
                .SendMessage(inst_, "orders", "later", absl::Seconds(60))
                .status());
  Metrics metrics(broker_.get());
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("\nrewindmq_cmq_queues 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(rewindmq_cmq_queue_messages{queue="orders",state="active"} 2)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(rewindmq_cmq_queue_messages{queue="orders",state="delayed"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(rewindmq_cmq_queue_messages{queue="orders",state="inactive"} 0)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(rewindmq_cmq_queue_messages{queue="orders",state="rewindable"} 0)"));
}

TEST_F(MetricsTest, CmqQueuesBeyondTheCapAreLeftOutButCounted) {
  for (const char* name : {"q-a", "q-b", "q-c"}) {
    ASSERT_OK(broker_->cmq().CreateQueue(inst_, name).status());
  }
  Metrics metrics(broker_.get(), {.max_cmq_queues = 2});
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("\nrewindmq_cmq_queues 3\n"));
  EXPECT_THAT(text, HasSubstr(R"(queue="q-a")"));
  EXPECT_THAT(text, HasSubstr(R"(queue="q-b")"));
  EXPECT_THAT(text, Not(HasSubstr(R"(queue="q-c")")));
}

TEST_F(MetricsTest, TopicOffsetsAndGroupLag) {
  ASSERT_OK(broker_->topics()
                .CreateTopic(inst_, {.name = "orders", .queue_num = 1})
                .status());
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(broker_->topics()
                  .Produce(inst_, {.topic = "orders", .body = "m"})
                  .status());
  }
  ASSERT_OK(broker_->groups().CreateGroup(inst_, {.name = "billing"}).status());
  ASSERT_OK(broker_->groups().Commit(
      inst_, {.group = "billing",
              .topic = "orders",
              .queue = {.broker_name = "broker-0", .queue_id = 0},
              .next_offset = Offset{2}}));
  Metrics metrics(broker_.get());
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        R"(rewindmq_topic_queue_max_offset{instance=")", inst_,
                        R"(",topic="orders",queue="broker-0/0"} 5)")));
  EXPECT_THAT(
      text, HasSubstr(absl::StrCat(R"(rewindmq_group_lag{instance=")", inst_,
                                   R"(",group="billing",topic="orders"} 3)")));
}

}  // namespace
}  // namespace rewindmq::facade::admin
