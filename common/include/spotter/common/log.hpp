#pragma once
// Structured logs: one JSON object per line (on stderr by default), with `ts`, `level`,
// `component`, `msg` and the caller's fields. Field values whose key names a secret
// (password, secret, token, key, authorization) are written as "[redacted]" whatever the
// caller passes, so a slip in a log call can't leak a credential.
#include <atomic>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spotter/common/clock.hpp"
#include "spotter/common/json.hpp"

namespace spotter {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

std::string_view to_string(LogLevel level) noexcept;
Result<LogLevel> parse_log_level(std::string_view text);

// Where finished lines go. Implementations are called concurrently and must be thread-safe.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write_line(std::string_view line) = 0;  // `line` ends with '\n'
};

std::shared_ptr<LogSink> stderr_log_sink();

// Keeps lines in memory: for tests, and for `spotter-edge tail`.
class MemoryLogSink final : public LogSink {
 public:
  void write_line(std::string_view line) override;
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

using LogField = std::pair<std::string_view, Json>;

// Cheap to copy; thread-safe. `with()` derives a logger that adds fields to every line.
class Logger {
 public:
  Logger(std::string component, std::shared_ptr<LogSink> sink, const Clock& clock,
         LogLevel min_level = LogLevel::info);

  void debug(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::debug, msg, fields);
  }
  void info(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::info, msg, fields);
  }
  void warn(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::warn, msg, fields);
  }
  void error(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    log(LogLevel::error, msg, fields);
  }
  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) const;

  Logger with(std::initializer_list<LogField> fields) const;
  bool enabled(LogLevel level) const noexcept { return level >= min_level_; }

 private:
  std::string component_;
  std::shared_ptr<LogSink> sink_;
  const Clock* clock_;
  LogLevel min_level_;
  Json context_ = Json::object();
};

bool is_secret_field_name(std::string_view key) noexcept;

// RFC 3339 UTC with milliseconds, e.g. "2026-11-21T15:10:40.123Z".
std::string format_rfc3339_ms(std::int64_t unix_ms);

}  // namespace spotter
