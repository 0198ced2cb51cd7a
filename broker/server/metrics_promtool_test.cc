// Checks a scrape of GET /metrics from a real server with promtool, the
// Prometheus project's own linter of the text format. Fails, never skips,
// when promtool is missing: it comes with Debian's prometheus package.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/http/test_client.h"
#include "broker/server/server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::server {
namespace {

using ::rmqtest::HttpResult;
using ::rmqtest::TestHttpClient;

constexpr char kInstancePath[] =
    "/v2/local/instances/00000000-0000-4000-8000-000000000001";

// $PROMTOOL, else promtool on $PATH; "" when neither exists.
std::string FindPromtool() {
  if (const char* env = std::getenv("PROMTOOL"); env != nullptr && *env) {
    return env;
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "", ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/promtool");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
    result.output.append(buf, n);
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

TEST(MetricsPromtool, ScrapeOfAServerPassesPromtoolCheckMetrics) {
  const std::string promtool = FindPromtool();
  ASSERT_FALSE(promtool.empty())
      << "promtool not found on PATH (or in $PROMTOOL). It comes with "
         "Debian's prometheus package: apt-get install --no-install-recommends "
         "prometheus (tools/dev.sh deps installs it).";

  rmqtest::ScopedTempDir dir;
  ServerConfig config;
  config.listen_host = "127.0.0.1";
  config.listen_port = 0;
  config.remoting_port = 0;
  config.data_dir = dir.Sub("data");
  config.worker_threads = 2;
  config.drain_timeout = absl::Seconds(2);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Server> server, Server::Start(config));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestHttpClient> client,
                       TestHttpClient::Connect("127.0.0.1", server->port()));

  // Something in every family: CMQ and DMS requests, a 404, a queue with a
  // message, a topic, a group with a committed-or-reset position.
  const rmqtest::HttpHeaders form = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  const rmqtest::HttpHeaders json = {{"Content-Type", "application/json"}};
  for (const auto& [method, target, body, headers] :
       std::vector<std::tuple<std::string, std::string, std::string,
                              rmqtest::HttpHeaders>>{
           {"POST", "/v2/index.php", "Action=CreateQueue&queueName=orders",
            form},
           {"POST", "/v2/index.php",
            "Action=SendMessage&queueName=orders&msgBody=hello", form},
           {"POST", absl::StrCat(kInstancePath, "/topics"),
            R"({"name":"events","queue_num":2})", json},
           {"POST", absl::StrCat(kInstancePath, "/groups"),
            R"({"name":"billing"})", json},
           {"POST",
            absl::StrCat("/v2/reliability/local/instances/"
                         "00000000-0000-4000-8000-000000000001/groups/billing/"
                         "reset-message-offset"),
            R"({"topic":"events","timestamp":0})", json},
           {"GET", "/nope", "", {}},
       }) {
    ASSERT_OK_AND_ASSIGN(HttpResult r,
                         client->Roundtrip(method, target, body, headers));
    EXPECT_LT(r.status, 500) << target << ": " << r.body;
  }
  ASSERT_OK_AND_ASSIGN(HttpResult scrape, client->Roundtrip("GET", "/metrics"));
  ASSERT_EQ(scrape.status, 200);
  EXPECT_TRUE(absl::StrContains(scrape.body, "rewindmq_group_lag{"))
      << scrape.body;

  const std::string file = dir.Sub("scrape.txt");
  {
    std::ofstream out(file, std::ios::binary);
    out << scrape.body;
    ASSERT_TRUE(out.good()) << "cannot write " << file;
  }
  const CommandResult check =
      RunCommand(absl::StrCat("'", promtool, "' check metrics < '", file, "'"));
  EXPECT_EQ(check.exit_code, 0) << promtool << " check metrics:\n"
                                << check.output << "\nscrape:\n"
                                << scrape.body;
}

}  // namespace
}  // namespace rewindmq::server
