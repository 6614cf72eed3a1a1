#include "spotter/common/log.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

namespace spotter {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

Result<LogLevel> parse_log_level(std::string_view text) {
  for (auto l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    if (text == to_string(l)) return l;
  }
  return fail("bad_log_level", "must be one of debug, info, warn, error");
}

bool is_secret_field_name(std::string_view key) noexcept {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : {"password", "secret", "token", "key", "authorization", "cookie"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string format_rfc3339_ms(std::int64_t unix_ms) {
  std::int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  int ms = static_cast<int>(unix_ms - secs * 1000);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

void MemoryLogSink::write_line(std::string_view line) {
  std::lock_guard lock(mu_);
  lines_.emplace_back(line);
}

std::vector<std::string> MemoryLogSink::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

Logger::Logger(std::string component, std::shared_ptr<LogSink> sink, const Clock& clock,
               LogLevel min_level)
    : component_(std::move(component)), sink_(std::move(sink)), clock_(&clock), min_level_(min_level) {}

namespace {
void put_field(Json& line, std::string_view key, const Json& value) {
  line[std::string(key)] = is_secret_field_name(key) ? Json("[redacted]") : value;
}
}  // namespace

void Logger::log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) const {
  if (!enabled(level)) return;
  // Fixed keys first so lines read well with `tail`; ordered_json keeps insertion order.
  nlohmann::ordered_json head;
  head["ts"] = format_rfc3339_ms(clock_->now_ms());
  head["level"] = to_string(level);
  head["component"] = component_;
  head["msg"] = msg;
  Json rest = context_;
  for (const auto& [k, v] : fields) put_field(rest, k, v);
  std::string text = head.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (!rest.empty()) {
    std::string extra = dump_json(rest);
    text.pop_back();  // '}'
    text += ',';
    text.append(extra, 1, std::string::npos);
  }
  text += '\n';
  sink_->write_line(text);
}

Logger Logger::with(std::initializer_list<LogField> fields) const {
  Logger child = *this;
  for (const auto& [k, v] : fields) put_field(child.context_, k, v);
  return child;
}

}  // namespace spotter
