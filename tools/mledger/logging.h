#pragma once
// The server's loggers (spdlog), made by `mledger serve`'s main path and
// handed to what logs; no library reaches a global registry.
//
// One stream (standard error), one format for every line:
//   json  {"time":"2026-12-05T01:02:03.456Z","level":"info","logger":"mledger","msg":"..."}
//         (a structured line, such as an access record, puts its fields
//         beside time, level and logger instead of "msg");
//   text  2026-12-05T01:02:03.456Z info mledger ...
// Times are UTC with milliseconds. Both loggers write through one
// asynchronous queue of kQueueLinesMax lines drained by one thread: logging
// never blocks a request; when the queue is full the oldest waiting line is
// dropped (counted by dropped_lines()).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/async_logger.h>

#include "domain/core/status.h"

namespace mledger::cli {

struct LogSettings {
  spdlog::level::level_enum level = spdlog::level::info;
  bool json = true;
};

// Parses --log-level (trace, debug, info, warn, error, critical, off) and
// --log-format (json, text); invalid_argument naming the flag otherwise.
[[nodiscard]] StatusOr<LogSettings> parse_log_settings(std::string_view level, std::string_view format);

class ServerLogs {
 public:
  static constexpr size_t kQueueLinesMax = 8192;

  explicit ServerLogs(const LogSettings& settings);
  ~ServerLogs();  // flushes what is queued
  ServerLogs(const ServerLogs&) = delete;
  ServerLogs& operator=(const ServerLogs&) = delete;

  // The server's own lines: start-up, warnings, failures.
  spdlog::logger& server() { return *server_; }
  // One line per answer (`--access-log`).
  spdlog::logger& access() { return *access_; }

  // A line whose fields are `fields` (an object) beside time, level, logger.
  static void structured(spdlog::logger& logger, spdlog::level::level_enum level, const nlohmann::json& fields);

  [[nodiscard]] size_t dropped_lines() const;

 private:
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::async_logger> server_;
  std::shared_ptr<spdlog::async_logger> access_;
};

}  // namespace mledger::cli
