// The settings of the rewindmq server and where they come from.
//
// Every setting can be given as a command-line flag (--name VALUE or
// --name=VALUE), an environment variable (REWINDMQ_NAME, upper case, '-'
// as '_') or a line of the config file (name = VALUE; '-' or '_' in the
// name). Precedence: flag > environment > config file > default. The config
// file is named by --config FILE or REWINDMQ_CONFIG. `rewindmq --help`
// lists every setting with its environment name and default
// (ServerConfigHelp()).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/logging.h"
#include "storage/options.h"

namespace rewindmq::server {

// One key pair: CMQ SecretId:SecretKey, or DMS AK:SK.
struct Credential {
  std::string id;
  std::string secret;
  bool operator==(const Credential&) const = default;
};

// One instance: a namespace of topics, groups and queues.
struct InstanceConfig {
  // What DMS clients put in URLs; [A-Za-z0-9_-]{1,64}.
  std::string id;
  std::string name;
  int broker_num = 1;
  bool operator==(const InstanceConfig&) const = default;
};

inline constexpr absl::string_view kDefaultInstanceId =
    "00000000-0000-4000-8000-000000000001";
inline constexpr absl::string_view kDefaultInstanceName = "rewindmq";

struct ServerConfig {
  // --listen HOST:PORT. Port 0 picks a free port.
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9555;

  // --remoting-listen HOST:PORT for RocketMQ remoting clients (name server
  // and broker-0; broker-i on PORT + i). Empty host: the facade is off.
  std::string remoting_host = "127.0.0.1";
  uint16_t remoting_port = 9876;
  // --remoting-advertise HOST[:PORT]: the address written into routes and
  // message ids; empty means the listen address.
  std::string remoting_advertise;
  // --remoting-instance: the DMS instance remoting clients see; empty
  // means the default (first) instance.
  std::string remoting_instance;
  // --remoting-auto-create-group: a heartbeat of an unknown consumer group
  // creates it.
  bool remoting_auto_create_group = true;

  // --data-dir
  std::string data_dir = "./rewindmq-data";
  // --durability always|interval|never
  storage::Durability durability = storage::Durability::kInterval;
  // --flush-interval-ms: the sync period with durability=interval.
  absl::Duration flush_interval = absl::Milliseconds(200);
  // --segment-bytes
  int64_t segment_bytes = int64_t{64} << 20;
  // --index-interval-bytes
  int64_t index_interval_bytes = int64_t{8} << 10;

  // --retention-hours: topic retention when a topic sets none.
  absl::Duration retention = absl::Hours(48);
  // --retention-check-interval-s: how often retention runs.
  absl::Duration retention_check_interval = absl::Minutes(1);

  // --cmq-credentials ID:KEY[,ID:KEY...]. Empty: signatures not checked.
  std::vector<Credential> cmq_credentials;
  // --dms-credentials AK:SK[,AK:SK...]. Empty: signatures not checked.
  std::vector<Credential> dms_credentials;
  // --instances [ID=]NAME[:BROKERS][,...]. Never empty; the first is the
  // default instance (the one CMQ uses).
  std::vector<InstanceConfig> instances = {
      {std::string(kDefaultInstanceId), std::string(kDefaultInstanceName), 1}};

  // --log-level debug|info|warning|error
  LogLevel log_level = LogLevel::kInfo;
  // --worker-threads: threads that run storage and broker calls.
  int worker_threads = 16;
  // --io-threads: threads that run socket I/O.
  int io_threads = 2;
  // --max-connections
  int max_connections = 1024;
  // --cmq-max-queues: CMQ queues per instance, over both CMQ faces.
  int cmq_max_queues = 1000;
  // --body-budget-mb: HTTP request bodies in memory at once, in bytes.
  uint64_t body_budget = uint64_t{256} << 20;
  // --idle-timeout-s: an idle keep-alive connection is closed after this.
  absl::Duration idle_timeout = absl::Seconds(60);
  // --read-timeout-s: for a request body, and a header read ahead.
  absl::Duration read_timeout = absl::Seconds(60);
  // --drain-timeout-s: on SIGTERM, how long requests in flight may take.
  absl::Duration drain_timeout = absl::Seconds(10);

  // The config file that was read, if any (--config, REWINDMQ_CONFIG).
  std::string config_file;
};

// Looks up an environment variable; std::nullopt when unset.
using EnvLookup =
    std::function<std::optional<std::string>(const std::string& name)>;

// The real process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

struct CommandLine {
  // --help or -h was given: print ServerConfigHelp() and exit.
  bool help = false;
  ServerConfig config;
};

// Builds the configuration from `args` (argv without the program name),
// `env` and the config file they name.
// InvalidArgument: an unknown flag or config key, a missing value, or a bad
// value; the message names the setting and where the value came from.
// NotFound: the config file does not exist.
absl::StatusOr<CommandLine> ParseServerConfig(
    const std::vector<std::string>& args, const EnvLookup& env);

// The --help text: usage, then every setting with its flag, environment
// variable, default and meaning.
std::string ServerConfigHelp();

namespace internal {
// Applies the default of every setting as --help documents it; tests check
// that this yields ServerConfig{}.
absl::Status ApplyDocumentedDefaults(ServerConfig* config);
}  // namespace internal

}  // namespace rewindmq::server
