// Minimal leveled logging to stderr, one line per call. Our abseil has no
// logging library; this is the smallest thing that serves the server.
//
// Thread-safe: each line is written with a single write(2).
#pragma once

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace rewindmq {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning" or "error". Returns false otherwise.
bool ParseLogLevel(absl::string_view text, LogLevel* level);

void LogLine(LogLevel level, const char* file, int line,
             absl::string_view message);

}  // namespace rewindmq

#define RMQ_LOG(level, ...)                                                \
  do {                                                                     \
    if (::rewindmq::LogLevel::level >= ::rewindmq::GetLogLevel()) {        \
      ::rewindmq::LogLine(::rewindmq::LogLevel::level, __FILE__, __LINE__, \
                          ::absl::StrCat(__VA_ARGS__));                    \
    }                                                                      \
  } while (false)
