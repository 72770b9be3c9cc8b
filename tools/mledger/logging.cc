#include "tools/mledger/logging.h"

#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>

namespace mledger::cli {

namespace {

// Structured lines carry this prefix before their fields' JSON object.
constexpr std::string_view kFieldsMark = "\x1f" "fields:";

std::string utc_time(spdlog::log_clock::time_point t) {
  const auto since_epoch = t.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t tt = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}

std::string_view level_name(spdlog::level::level_enum level) {
  const auto name = spdlog::level::to_string_view(level);
  return std::string_view(name.data(), name.size());
}

// The fields of a structured line, or null for a plain message.
nlohmann::json fields_of(std::string_view payload) {
  if (!payload.starts_with(kFieldsMark)) return nullptr;
  return nlohmann::json::parse(payload.substr(kFieldsMark.size()), nullptr, false);
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    nlohmann::json fields = fields_of(payload);
    std::string line;
    if (json_) {
      nlohmann::ordered_json out = {{"time", utc_time(msg.time)},
                                    {"level", level_name(msg.level)},
                                    {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())}};
      if (fields.is_object()) {
        for (auto& [k, v] : fields.items()) out[k] = v;
      } else {
        out["msg"] = payload;
      }
      line = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = utc_time(msg.time) + " " + std::string(level_name(msg.level)) + " " +
             std::string(msg.logger_name.data(), msg.logger_name.size()) + " ";
      if (fields.is_object()) {
        for (auto& [k, v] : fields.items()) line += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()) + " ";
        line.pop_back();
      } else {
        line += payload;
      }
    }
    line.push_back('\n');
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(json_); }

 private:
  bool json_;
};

}  // namespace

StatusOr<LogSettings> parse_log_settings(std::string_view level, std::string_view format) {
  LogSettings s;
  s.level = spdlog::level::from_str(std::string(level));
  if (s.level == spdlog::level::off && level != "off") {
    return fail(StatusCode::invalid_argument,
                "--log-level must be trace, debug, info, warn, error, critical or off, not '" +
                    std::string(level) + "'");
  }
  if (format != "json" && format != "text") {
    return fail(StatusCode::invalid_argument, "--log-format must be json or text, not '" + std::string(format) + "'");
  }
  s.json = format == "json";
  return s;
}

ServerLogs::ServerLogs(const LogSettings& settings)
    : pool_(std::make_shared<spdlog::details::thread_pool>(kQueueLinesMax, 1)) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<LineFormatter>(settings.json));
  auto make = [&](const char* name) {
    auto logger = std::make_shared<spdlog::async_logger>(name, sink, pool_,
                                                         spdlog::async_overflow_policy::overrun_oldest);
    logger->set_level(settings.level);
    logger->flush_on(spdlog::level::warn);
    return logger;
  };
  server_ = make("mledger");
  access_ = make("access");
}

ServerLogs::~ServerLogs() {
  server_->flush();
  access_->flush();
}

void ServerLogs::structured(spdlog::logger& logger, spdlog::level::level_enum level, const nlohmann::json& fields) {
  if (!logger.should_log(level)) return;
  const std::string text =
      std::string(kFieldsMark) + fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  logger.log(level, std::string_view(text));
}

size_t ServerLogs::dropped_lines() const { return pool_->overrun_counter(); }

}  // namespace mledger::cli
