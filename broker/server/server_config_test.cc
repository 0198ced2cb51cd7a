#include "broker/server/server_config.h"

#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace rewindmq::server {
namespace {

using ::rmqtest::IsOk;
using ::rmqtest::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class ServerConfigTest : public ::testing::Test {
 protected:
  absl::StatusOr<ServerConfig> Parse(std::vector<std::string> args) {
    absl::StatusOr<CommandLine> cl = ParseServerConfig(
        args, [this](const std::string& name) -> std::optional<std::string> {
          auto it = env_.find(name);
          if (it == env_.end()) return std::nullopt;
          return it->second;
        });
    if (!cl.ok()) return cl.status();
    EXPECT_FALSE(cl->help);
    return cl->config;
  }

  std::string WriteConfig(const std::string& text) {
    const std::string path = dir_.Sub("rewindmq.conf");
    std::ofstream(path) << text;
    return path;
  }

  std::map<std::string, std::string> env_;
  rmqtest::ScopedTempDir dir_;
};

TEST_F(ServerConfigTest, NothingGivenMeansTheDefaults) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse({}));
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 9555);
  EXPECT_EQ(c.data_dir, "./rewindmq-data");
  EXPECT_EQ(c.durability, storage::Durability::kInterval);
  EXPECT_EQ(c.flush_interval, absl::Milliseconds(200));
  EXPECT_THAT(c.instances,
              ElementsAre(InstanceConfig{std::string(kDefaultInstanceId),
                                         "rewindmq", 1}));
  EXPECT_TRUE(c.cmq_credentials.empty());
  EXPECT_TRUE(c.dms_credentials.empty());
  EXPECT_EQ(c.config_file, "");
}

TEST_F(ServerConfigTest, DocumentedDefaultsAreTheRealDefaults) {
  ServerConfig documented;
  // Start from values no default has, so every setting must be applied.
  documented.listen_port = 1;
  documented.data_dir = "x";
  documented.durability = storage::Durability::kNever;
  documented.flush_interval = absl::Seconds(9);
  documented.segment_bytes = 1;
  documented.index_interval_bytes = 1;
  documented.retention = absl::Hours(1);
  documented.retention_check_interval = absl::Hours(1);
  documented.cmq_credentials = {{"a", "b"}};
  documented.dms_credentials = {{"a", "b"}};
  documented.instances = {};
  documented.log_level = LogLevel::kError;
  documented.worker_threads = 1;
  documented.io_threads = 9;
  documented.max_connections = 1;
  documented.body_budget = 1;
  documented.idle_timeout = absl::Seconds(1);
  documented.read_timeout = absl::Seconds(1);
  documented.drain_timeout = absl::Seconds(1);
  ASSERT_OK(internal::ApplyDocumentedDefaults(&documented));

  const ServerConfig real;
  EXPECT_EQ(documented.listen_host, real.listen_host);
  EXPECT_EQ(documented.listen_port, real.listen_port);
  EXPECT_EQ(documented.data_dir, real.data_dir);
  EXPECT_EQ(documented.durability, real.durability);
  EXPECT_EQ(documented.flush_interval, real.flush_interval);
  EXPECT_EQ(documented.segment_bytes, real.segment_bytes);
  EXPECT_EQ(documented.index_interval_bytes, real.index_interval_bytes);
  EXPECT_EQ(documented.retention, real.retention);
  EXPECT_EQ(documented.retention_check_interval, real.retention_check_interval);
  EXPECT_EQ(documented.cmq_credentials, real.cmq_credentials);
  EXPECT_EQ(documented.dms_credentials, real.dms_credentials);
  EXPECT_EQ(documented.instances, real.instances);
  EXPECT_EQ(documented.log_level, real.log_level);
  EXPECT_EQ(documented.worker_threads, real.worker_threads);
  EXPECT_EQ(documented.io_threads, real.io_threads);
  EXPECT_EQ(documented.max_connections, real.max_connections);
  EXPECT_EQ(documented.body_budget, real.body_budget);
  EXPECT_EQ(documented.idle_timeout, real.idle_timeout);
  EXPECT_EQ(documented.read_timeout, real.read_timeout);
  EXPECT_EQ(documented.drain_timeout, real.drain_timeout);
}

TEST_F(ServerConfigTest, FlagsTakeSpaceOrEqualsSeparatedValues) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse({"--listen",
                                              "0.0.0.0:0",
                                              "--data-dir=/tmp/d",
                                              "--durability",
                                              "always",
                                              "--flush-interval-ms=50",
                                              "--segment-bytes",
                                              "1M",
                                              "--index-interval-bytes",
                                              "4096",
                                              "--retention-hours",
                                              "72",
                                              "--retention-check-interval-s",
                                              "5",
                                              "--log-level",
                                              "debug",
                                              "--worker-threads",
                                              "4",
                                              "--io-threads",
                                              "1",
                                              "--max-connections",
                                              "10",
                                              "--idle-timeout-s",
                                              "30",
                                              "--drain-timeout-s",
                                              "0"}));
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 0);
  EXPECT_EQ(c.data_dir, "/tmp/d");
  EXPECT_EQ(c.durability, storage::Durability::kAlways);
  EXPECT_EQ(c.flush_interval, absl::Milliseconds(50));
  EXPECT_EQ(c.segment_bytes, 1 << 20);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.retention, absl::Hours(72));
  EXPECT_EQ(c.retention_check_interval, absl::Seconds(5));
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_EQ(c.worker_threads, 4);
  EXPECT_EQ(c.io_threads, 1);
  EXPECT_EQ(c.max_connections, 10);
  EXPECT_EQ(c.idle_timeout, absl::Seconds(30));
  EXPECT_EQ(c.drain_timeout, absl::ZeroDuration());
}

TEST_F(ServerConfigTest, Ipv6ListenAddressesUseBrackets) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse({"--listen", "[::1]:8080"}));
  EXPECT_EQ(c.listen_host, "::1");
  EXPECT_EQ(c.listen_port, 8080);
  EXPECT_EQ(rewindmq::FormatHostPort(c.listen_host, c.listen_port),
            "[::1]:8080");
}

TEST_F(ServerConfigTest, EnvironmentOverridesTheFileAndFlagsOverrideBoth) {
  const std::string path = WriteConfig(
      "# comment\n"
      "\n"
      "worker_threads = 3\n"
      "io-threads = 3\n"
      "max-connections = 3\n");
  env_["REWINDMQ_CONFIG"] = path;
  env_["REWINDMQ_IO_THREADS"] = "4";
  env_["REWINDMQ_MAX_CONNECTIONS"] = "4";
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse({"--max-connections", "5"}));
  EXPECT_EQ(c.worker_threads, 3);   // file
  EXPECT_EQ(c.io_threads, 4);       // environment over file
  EXPECT_EQ(c.max_connections, 5);  // flag over environment
  EXPECT_EQ(c.config_file, path);
}

TEST_F(ServerConfigTest, ConfigFlagWinsOverConfigEnvironment) {
  const std::string path = WriteConfig("worker-threads = 7\n");
  env_["REWINDMQ_CONFIG"] = dir_.Sub("missing.conf");
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse({"--config", path}));
  EXPECT_EQ(c.worker_threads, 7);
}

TEST_F(ServerConfigTest, MissingConfigFileIsNotFound) {
  EXPECT_THAT(Parse({"--config", dir_.Sub("missing.conf")}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.conf")));
}

TEST_F(ServerConfigTest, BadConfigLinesNameTheFileAndLine) {
  const std::string path = WriteConfig("io-threads = 2\nno equals sign\n");
  EXPECT_THAT(Parse({"--config", path}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rewindmq.conf:2")));
  WriteConfig("colour = blue\n");
  EXPECT_THAT(Parse({"--config", path}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown setting \"colour\"")));
}

TEST_F(ServerConfigTest, BadValuesNameTheSettingAndItsSource) {
  EXPECT_THAT(
      Parse({"--worker-threads", "many"}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("worker-threads"), HasSubstr("--worker-threads"),
                     HasSubstr("from 1 to 1024"))));
  env_["REWINDMQ_DURABILITY"] = "sometimes";
  EXPECT_THAT(Parse({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                  AllOf(HasSubstr("durability"),
                                        HasSubstr("REWINDMQ_DURABILITY"))));
}

TEST_F(ServerConfigTest, OutOfRangeNumbersAreRefused) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--io-threads", "0"},
                                             {"--flush-interval-ms", "0"},
                                             {"--segment-bytes", "1"},
                                             {"--segment-bytes", "12X"},
                                             {"--retention-hours", "-1"},
                                             {"--listen", "127.0.0.1:65536"},
                                             {"--listen", "127.0.0.1"},
                                             {"--listen", ":80"},
                                             {"--log-level", "loud"}}) {
    EXPECT_THAT(Parse(args), StatusIs(absl::StatusCode::kInvalidArgument))
        << args[0] << " " << args[1];
  }
}

TEST_F(ServerConfigTest, UnknownFlagsAndStrayArgumentsAreRefused) {
  EXPECT_THAT(Parse({"--colour", "blue"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown flag --colour")));
  EXPECT_THAT(Parse({"serve"}), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("\"serve\"")));
  EXPECT_THAT(Parse({"--data-dir"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--data-dir needs a value")));
}

TEST_F(ServerConfigTest, UnrelatedRewindmqEnvironmentIsIgnored) {
  env_["REWINDMQ_SANITIZED"] = "1";
  EXPECT_THAT(Parse({}), IsOk());
}

TEST_F(ServerConfigTest, CredentialsAreIdKeyPairs) {
  env_["REWINDMQ_CMQ_CREDENTIALS"] = "AKIDa:secret1, AKIDb:sec:ret2";
  ASSERT_OK_AND_ASSIGN(ServerConfig c, Parse({"--dms-credentials", "ak:sk"}));
  EXPECT_THAT(c.cmq_credentials, ElementsAre(Credential{"AKIDa", "secret1"},
                                             Credential{"AKIDb", "sec:ret2"}));
  EXPECT_THAT(c.dms_credentials, ElementsAre(Credential{"ak", "sk"}));
}

TEST_F(ServerConfigTest, BadCredentialsAreRefusedWithoutEchoingThem) {
  absl::StatusOr<ServerConfig> c =
      Parse({"--cmq-credentials", "AKIDa-topsecret"});
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          AllOf(HasSubstr("cmq-credentials"),
                                Not(HasSubstr("topsecret")))));
  EXPECT_THAT(
      Parse({"--dms-credentials", "a:1,a:2"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
}

TEST_F(ServerConfigTest, InstancesTakeOptionalIdsAndBrokerCounts) {
  ASSERT_OK_AND_ASSIGN(
      ServerConfig c,
      Parse({"--instances", "orders, 7f3a-01=Payments EU:3,audit:2"}));
  EXPECT_THAT(c.instances,
              ElementsAre(InstanceConfig{"orders", "orders", 1},
                          InstanceConfig{"7f3a-01", "Payments EU", 3},
                          InstanceConfig{"audit", "audit", 2}));
}

TEST_F(ServerConfigTest, BadInstancesAreRefused) {
  for (const std::string& value :
       {std::string(""), std::string("Payments EU"), std::string("a:0"),
        std::string("a:65"), std::string("bad/id=x"), std::string("a,a"),
        std::string("id=")}) {
    EXPECT_THAT(Parse({"--instances", value}),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << value;
  }
}

TEST_F(ServerConfigTest, HelpIsRecognisedAnywhere) {
  absl::StatusOr<CommandLine> cl =
      ParseServerConfig({"--io-threads", "2", "--help"},
                        [](const std::string&) { return std::nullopt; });
  ASSERT_OK(cl.status());
  EXPECT_TRUE(cl->help);
}

TEST_F(ServerConfigTest, HelpListsEverySettingWithItsEnvironmentName) {
  const std::string help = ServerConfigHelp();
  for (const char* flag :
       {"--listen", "--data-dir", "--durability", "--flush-interval-ms",
        "--segment-bytes", "--index-interval-bytes", "--retention-hours",
        "--retention-check-interval-s", "--cmq-credentials",
        "--dms-credentials", "--instances", "--log-level", "--worker-threads",
        "--io-threads", "--max-connections", "--idle-timeout-s",
        "--drain-timeout-s", "--config"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  EXPECT_THAT(help, HasSubstr("env REWINDMQ_LISTEN; default: 127.0.0.1:9555"));
  EXPECT_THAT(help, HasSubstr("env REWINDMQ_DURABILITY; default: interval"));
  EXPECT_THAT(help, HasSubstr("env REWINDMQ_CONFIG"));
}

}  // namespace
}  // namespace rewindmq::server
