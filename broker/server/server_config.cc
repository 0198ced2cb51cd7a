#include "broker/server/server_config.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "broker/names.h"

namespace rewindmq::server {
namespace {

// Parses `value` into `config`; the message of an error says what was
// expected, the caller adds which setting and where it came from.
using Apply = absl::Status (*)(absl::string_view value, ServerConfig* config);

struct Setting {
  const char* name;        // flag name without "--"; file key
  const char* value_name;  // for --help
  const char* default_text;
  const char* help;
  Apply apply;
};

absl::StatusOr<int64_t> ParseInt(absl::string_view value, int64_t min,
                                 int64_t max) {
  int64_t n;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an integer from ", min, " to ", max));
  }
  return n;
}

// An integer with an optional binary suffix: K, KiB, M, MiB, G, GiB.
absl::StatusOr<int64_t> ParseBytes(absl::string_view value, int64_t min,
                                   int64_t max) {
  absl::string_view digits = value;
  int shift = 0;
  for (const auto& [suffix, s] : {std::pair<absl::string_view, int>{"KiB", 10},
                                  {"MiB", 20},
                                  {"GiB", 30},
                                  {"K", 10},
                                  {"M", 20},
                                  {"G", 30}}) {
    if (absl::EndsWith(digits, suffix)) {
      digits.remove_suffix(suffix.size());
      shift = s;
      break;
    }
  }
  int64_t n;
  const absl::Status bad = absl::InvalidArgumentError(absl::StrCat(
      "expected a byte count from ", min, " to ", max,
      " (a plain number, or with a suffix K, M or G meaning KiB, MiB, GiB)"));
  if (!absl::SimpleAtoi(digits, &n) || n < 0) return bad;
  if (n > (std::numeric_limits<int64_t>::max() >> shift)) return bad;
  n <<= shift;
  if (n < min || n > max) return bad;
  return n;
}

// "a, b,,c " -> {"a", "b", "c"}
std::vector<absl::string_view> SplitList(absl::string_view value) {
  std::vector<absl::string_view> items;
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

absl::StatusOr<std::vector<Credential>> ParseCredentials(
    absl::string_view value, absl::string_view what) {
  std::vector<Credential> out;
  std::set<std::string> ids;
  for (absl::string_view item : SplitList(value)) {
    const size_t colon = item.find(':');
    if (colon == absl::string_view::npos || colon == 0 ||
        colon + 1 == item.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected comma-separated ", what, " pairs, each ID:KEY"));
    }
    Credential c{std::string(item.substr(0, colon)),
                 std::string(item.substr(colon + 1))};
    if (!ids.insert(c.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("id \"", c.id, "\" is listed twice"));
    }
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status ApplyListen(absl::string_view value, ServerConfig* config) {
  const absl::Status bad = absl::InvalidArgumentError(
      "expected HOST:PORT, e.g. 127.0.0.1:9555 or [::1]:9555 (port 0 picks "
      "a free port)");
  const size_t colon = value.rfind(':');
  if (colon == absl::string_view::npos) return bad;
  absl::string_view host = value.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) {
    return bad;
  }
  if (host.empty()) return bad;
  int64_t port;
  if (!absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return bad;
  }
  config->listen_host = std::string(host);
  config->listen_port = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

absl::Status ApplyRemotingListen(absl::string_view value,
                                 ServerConfig* config) {
  if (value.empty()) {
    config->remoting_host.clear();
    config->remoting_port = 0;
    return absl::OkStatus();
  }
  ServerConfig parsed;
  RMQ_RETURN_IF_ERROR(ApplyListen(value, &parsed));
  config->remoting_host = parsed.listen_host;
  config->remoting_port = parsed.listen_port;
  return absl::OkStatus();
}

absl::Status ApplyRemotingAdvertise(absl::string_view value,
                                    ServerConfig* config) {
  config->remoting_advertise = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyRemotingInstance(absl::string_view value,
                                   ServerConfig* config) {
  config->remoting_instance = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyRemotingAutoCreateGroup(absl::string_view value,
                                          ServerConfig* config) {
  if (value == "true" || value == "on" || value == "1") {
    config->remoting_auto_create_group = true;
  } else if (value == "false" || value == "off" || value == "0") {
    config->remoting_auto_create_group = false;
  } else {
    return absl::InvalidArgumentError("expected true or false");
  }
  return absl::OkStatus();
}

absl::Status ApplyDataDir(absl::string_view value, ServerConfig* config) {
  if (value.empty()) return absl::InvalidArgumentError("expected a directory");
  config->data_dir = std::string(value);
  return absl::OkStatus();
}

absl::Status ApplyDurability(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->durability, storage::ParseDurability(value));
  return absl::OkStatus();
}

absl::Status ApplyFlushInterval(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t ms, ParseInt(value, 1, 3'600'000));
  config->flush_interval = absl::Milliseconds(ms);
  return absl::OkStatus();
}

absl::Status ApplySegmentBytes(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->segment_bytes,
                       ParseBytes(value, int64_t{4} << 10, int64_t{16} << 30));
  return absl::OkStatus();
}

absl::Status ApplyIndexIntervalBytes(absl::string_view value,
                                     ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->index_interval_bytes,
                       ParseBytes(value, 64, int64_t{1} << 30));
  return absl::OkStatus();
}

absl::Status ApplyRetentionHours(absl::string_view value,
                                 ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t hours, ParseInt(value, 1, 87'600));
  config->retention = absl::Hours(hours);
  return absl::OkStatus();
}

absl::Status ApplyRetentionCheckInterval(absl::string_view value,
                                         ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t s, ParseInt(value, 1, 86'400));
  config->retention_check_interval = absl::Seconds(s);
  return absl::OkStatus();
}

absl::Status ApplyCmqCredentials(absl::string_view value,
                                 ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->cmq_credentials,
                       ParseCredentials(value, "SecretId:SecretKey"));
  return absl::OkStatus();
}

absl::Status ApplyDmsCredentials(absl::string_view value,
                                 ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->dms_credentials,
                       ParseCredentials(value, "AK:SK"));
  return absl::OkStatus();
}

absl::Status ApplyInstances(absl::string_view value, ServerConfig* config) {
  std::vector<InstanceConfig> instances;
  std::set<std::string> ids;
  for (absl::string_view item : SplitList(value)) {
    InstanceConfig instance;
    absl::string_view rest = item;
    const size_t eq = rest.find('=');
    if (eq != absl::string_view::npos) {
      instance.id = std::string(absl::StripAsciiWhitespace(rest.substr(0, eq)));
      rest = rest.substr(eq + 1);
    }
    const size_t colon = rest.rfind(':');
    if (colon != absl::string_view::npos) {
      int64_t brokers;
      if (!absl::SimpleAtoi(rest.substr(colon + 1), &brokers) || brokers < 1 ||
          brokers > 64) {
        return absl::InvalidArgumentError(absl::StrCat(
            "instance \"", item, "\": the broker count must be 1 to 64"));
      }
      instance.broker_num = static_cast<int>(brokers);
      rest = rest.substr(0, colon);
    }
    instance.name = std::string(absl::StripAsciiWhitespace(rest));
    if (instance.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance \"", item, "\" has no name"));
    }
    if (instance.id.empty()) {
      if (!broker::IsIdentifier(instance.name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "instance name \"", instance.name,
            "\" cannot serve as its id (letters, digits, '-', '_'; at most "
            "64); write ID=NAME"));
      }
      instance.id = instance.name;
    } else if (!broker::IsIdentifier(instance.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance id \"", instance.id,
                       "\" must be 1 to 64 letters, digits, '-' or '_'"));
    }
    if (!ids.insert(instance.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance id \"", instance.id, "\" is listed twice"));
    }
    instances.push_back(std::move(instance));
  }
  if (instances.empty()) {
    return absl::InvalidArgumentError("expected at least one instance");
  }
  config->instances = std::move(instances);
  return absl::OkStatus();
}

absl::Status ApplyLogLevel(absl::string_view value, ServerConfig* config) {
  if (!ParseLogLevel(value, &config->log_level)) {
    return absl::InvalidArgumentError(
        "expected one of debug, info, warning, error");
  }
  return absl::OkStatus();
}

absl::Status ApplyWorkerThreads(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->worker_threads, ParseInt(value, 1, 1024));
  return absl::OkStatus();
}

absl::Status ApplyIoThreads(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->io_threads, ParseInt(value, 1, 64));
  return absl::OkStatus();
}

absl::Status ApplyMaxConnections(absl::string_view value,
                                 ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(config->max_connections, ParseInt(value, 1, 1'000'000));
  return absl::OkStatus();
}

absl::Status ApplyCmqMaxQueues(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t n, ParseInt(value, 1, 1'000'000));
  config->cmq_max_queues = static_cast<int>(n);
  return absl::OkStatus();
}

absl::Status ApplyBodyBudget(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t mib, ParseInt(value, 1, 1 << 20));
  config->body_budget = static_cast<uint64_t>(mib) << 20;
  return absl::OkStatus();
}

absl::Status ApplyIdleTimeout(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t s, ParseInt(value, 1, 86'400));
  config->idle_timeout = absl::Seconds(s);
  return absl::OkStatus();
}

absl::Status ApplyReadTimeout(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t s, ParseInt(value, 1, 86'400));
  config->read_timeout = absl::Seconds(s);
  return absl::OkStatus();
}

absl::Status ApplyDrainTimeout(absl::string_view value, ServerConfig* config) {
  RMQ_ASSIGN_OR_RETURN(const int64_t s, ParseInt(value, 0, 3'600));
  config->drain_timeout = absl::Seconds(s);
  return absl::OkStatus();
}

// Every setting, in --help order. Defaults here must describe
// ServerConfig's defaults (server_config_test checks that they do).
constexpr Setting kSettings[] = {
    {"listen", "HOST:PORT", "127.0.0.1:9555",
     "Address to serve HTTP on; port 0 picks a free port. The bound address "
     "is printed on stdout.",
     ApplyListen},
    {"remoting-listen", "HOST:PORT", "127.0.0.1:9876",
     "Address for Apache RocketMQ remoting clients: name server and "
     "broker-0 (broker-i of a multi-broker instance on PORT + i). Port 0 "
     "picks free ports; empty turns the protocol off. The bound address is "
     "printed on stdout.",
     ApplyRemotingListen},
    {"remoting-advertise", "HOST[:PORT]", "",
     "IPv4 address handed to RocketMQ clients in routes and message ids; "
     "empty means the remoting listen address (0.0.0.0 as 127.0.0.1).",
     ApplyRemotingAdvertise},
    {"remoting-instance", "ID", "",
     "The instance whose topics and groups RocketMQ clients see; empty means "
     "the default (first) instance.",
     ApplyRemotingInstance},
    {"remoting-auto-create-group", "BOOL", "true",
     "A RocketMQ consumer of an unknown group creates the group; false "
     "refuses it.",
     ApplyRemotingAutoCreateGroup},
    {"data-dir", "DIR", "./rewindmq-data",
     "Directory of the message store (created when missing).", ApplyDataDir},
    {"durability", "MODE", "interval",
     "When appended messages are fsynced: always (before answering), "
     "interval (every flush-interval-ms) or never (left to the OS).",
     ApplyDurability},
    {"flush-interval-ms", "MS", "200", "Sync period with durability=interval.",
     ApplyFlushInterval},
    {"segment-bytes", "BYTES", "64M",
     "Size at which a queue's segment file is sealed and a new one begun.",
     ApplySegmentBytes},
    {"index-interval-bytes", "BYTES", "8K",
     "Bytes of log between two entries of the time index.",
     ApplyIndexIntervalBytes},
    {"retention-hours", "HOURS", "48",
     "How long topic messages are kept when the topic sets no retention.",
     ApplyRetentionHours},
    {"retention-check-interval-s", "SECONDS", "60",
     "How often expired messages and segments are removed.",
     ApplyRetentionCheckInterval},
    {"cmq-credentials", "ID:KEY,...", "",
     "CMQ SecretId:SecretKey pairs. When set, CMQ signatures are checked; "
     "when empty, they are not. Prefer the environment or the config file "
     "to a flag, which other users can see.",
     ApplyCmqCredentials},
    {"cmq-max-queues", "N", "1000",
     "CMQ queues an instance may hold, counting those created over API 2.0 "
     "and over API 3.0 (TDMQ) alike.",
     ApplyCmqMaxQueues},
    {"dms-credentials", "AK:SK,...", "",
     "DMS access key pairs. When set, DMS AK/SK signatures are checked; "
     "when empty, they are not.",
     ApplyDmsCredentials},
    {"instances", "[ID=]NAME[:BROKERS],...",
     "00000000-0000-4000-8000-000000000001=rewindmq:1",
     "Instances (namespaces of topics, groups and queues). Without ID=, the "
     "name is the id. The first is the default instance, which CMQ uses.",
     ApplyInstances},
    {"log-level", "LEVEL", "info", "debug, info, warning or error.",
     ApplyLogLevel},
    {"worker-threads", "N", "16", "Threads that run storage and broker calls.",
     ApplyWorkerThreads},
    {"io-threads", "N", "2", "Threads that run network I/O.", ApplyIoThreads},
    {"max-connections", "N", "1024",
     "Connections beyond this are closed as soon as accepted.",
     ApplyMaxConnections},
    {"body-budget-mb", "MIB", "256",
     "HTTP request bodies held in memory at once, across all connections. "
     "Without room, a connection reading ahead waits, and one with nothing "
     "else in progress is answered 503 in its facade's format.",
     ApplyBodyBudget},
    {"idle-timeout-s", "SECONDS", "60",
     "An idle keep-alive connection is closed after this.", ApplyIdleTimeout},
    {"read-timeout-s", "SECONDS", "60",
     "A request body must arrive within this of its header, and a header "
     "sent while earlier requests are answered within this of its first "
     "byte.",
     ApplyReadTimeout},
    {"drain-timeout-s", "SECONDS", "10",
     "On SIGTERM or SIGINT, how long requests in flight may still take.",
     ApplyDrainTimeout},
};

constexpr absl::string_view kConfigFlag = "config";

// `text` as lines of at most `width` columns, each starting with `indent`.
std::string Wrap(absl::string_view text, absl::string_view indent,
                 size_t width) {
  std::string out;
  std::string line(indent);
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
      absl::StrAppend(&out, line, "\n");
      line = std::string(indent);
    }
    if (line.size() > indent.size()) line.push_back(' ');
    absl::StrAppend(&line, word);
  }
  if (line.size() > indent.size()) absl::StrAppend(&out, line, "\n");
  return out;
}

std::string EnvName(absl::string_view name) {
  return absl::StrCat("REWINDMQ_", absl::AsciiStrToUpper(absl::StrReplaceAll(
                                       name, {{"-", "_"}})));
}

const Setting* FindSetting(absl::string_view name) {
  const std::string normalized = absl::StrReplaceAll(name, {{"_", "-"}});
  for (const Setting& s : kSettings) {
    if (normalized == s.name) return &s;
  }
  return nullptr;
}

absl::Status ApplySetting(const Setting& setting, absl::string_view value,
                          absl::string_view source, ServerConfig* config) {
  absl::Status s = setting.apply(value, config);
  if (s.ok()) return s;
  // Credentials are secrets: never echo their value.
  const bool secret = absl::EndsWith(setting.name, "credentials");
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid value ",
      secret ? std::string("(not shown)") : absl::StrCat("\"", value, "\""),
      " for ", setting.name, " (from ", source, "): ", s.message()));
}

struct FlagValue {
  std::string name;
  std::string value;
};

// Splits args into --name value pairs. Sets *help on -h/--help.
absl::StatusOr<std::vector<FlagValue>> SplitFlags(
    const std::vector<std::string>& args, bool* help) {
  std::vector<FlagValue> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      *help = true;
      continue;
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg,
                       "\"; settings are given as --name "
                       "VALUE (see --help)"));
    }
    FlagValue flag;
    const size_t eq = arg.find('=');
    if (eq != absl::string_view::npos) {
      flag.name = std::string(arg.substr(0, eq));
      flag.value = std::string(arg.substr(eq + 1));
    } else {
      flag.name = std::string(arg);
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", flag.name, " needs a value"));
      }
      flag.value = args[++i];
    }
    if (flag.name != kConfigFlag && FindSetting(flag.name) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", flag.name, " (see --help)"));
    }
    flags.push_back(std::move(flag));
  }
  return flags;
}

absl::Status ApplyConfigFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": expected \"name = value\""));
    }
    const absl::string_view key =
        absl::StripAsciiWhitespace(text.substr(0, eq));
    const absl::string_view value =
        absl::StripAsciiWhitespace(text.substr(eq + 1));
    const Setting* setting = FindSetting(key);
    if (setting == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_no, ": unknown setting \"", key, "\" (see --help)"));
    }
    RMQ_RETURN_IF_ERROR(ApplySetting(*setting, value,
                                     absl::StrCat(path, ":", line_no), config));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<CommandLine> ParseServerConfig(
    const std::vector<std::string>& args, const EnvLookup& env) {
  CommandLine result;
  RMQ_ASSIGN_OR_RETURN(std::vector<FlagValue> flags,
                       SplitFlags(args, &result.help));
  if (result.help) return result;

  ServerConfig& config = result.config;
  // The config file: flag first, then environment.
  for (const FlagValue& flag : flags) {
    if (flag.name == kConfigFlag) config.config_file = flag.value;
  }
  if (config.config_file.empty()) {
    config.config_file = env(EnvName(kConfigFlag)).value_or("");
  }
  if (!config.config_file.empty()) {
    RMQ_RETURN_IF_ERROR(ApplyConfigFile(config.config_file, &config));
  }
  for (const Setting& setting : kSettings) {
    const std::string name = EnvName(setting.name);
    if (std::optional<std::string> value = env(name)) {
      RMQ_RETURN_IF_ERROR(ApplySetting(setting, *value, name, &config));
    }
  }
  for (const FlagValue& flag : flags) {
    if (flag.name == kConfigFlag) continue;
    const Setting* setting = FindSetting(flag.name);
    RMQ_RETURN_IF_ERROR(ApplySetting(*setting, flag.value,
                                     absl::StrCat("--", flag.name), &config));
  }
  return result;
}

std::string ServerConfigHelp() {
  std::ostringstream out;
  out << "usage: rewindmq [--config FILE] [--SETTING VALUE]...\n"
         "\n"
         "Serves Tencent CMQ API 2.0 (/v2/index.php, or / with an Action\n"
         "parameter) and Huawei DMS for RocketMQ (/v2/...) on one HTTP port,\n"
         "with GET /healthz for readiness. SIGTERM or SIGINT shuts down\n"
         "gracefully.\n"
         "\n"
         "Each setting is taken from, first found: a flag (--name VALUE or\n"
         "--name=VALUE), an environment variable, the config file (lines of\n"
         "\"name = value\", '#' starts a comment line), the default.\n"
         "\n"
         "  --config FILE\n"
         "      env REWINDMQ_CONFIG; default: none\n"
         "      Config file to read.\n";
  for (const Setting& s : kSettings) {
    out << "  --" << s.name << " " << s.value_name << "\n"
        << "      env " << EnvName(s.name) << "; default: "
        << (*s.default_text == '\0' ? "(empty)" : s.default_text) << "\n"
        << Wrap(s.help, "      ", 78);
  }
  out << "  -h, --help\n"
         "      Print this text and exit.\n";
  return out.str();
}

namespace internal {
// For server_config_test: every setting's documented default, applied to
// `config`.
absl::Status ApplyDocumentedDefaults(ServerConfig* config) {
  for (const Setting& s : kSettings) {
    RMQ_RETURN_IF_ERROR(ApplySetting(s, s.default_text, "default", config));
  }
  return absl::OkStatus();
}
}  // namespace internal

}  // namespace rewindmq::server
