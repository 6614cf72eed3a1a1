#include "limits.hpp"

namespace spotter::cloud {

Result<std::int64_t> AttemptLimiter::retry_after_s(const std::vector<std::string>& keys) {
  const std::int64_t now = clock_.now_ms();
  std::int64_t wait = 0;
  for (const auto& key : keys) {
    auto rows = db_.query("SELECT at FROM failed_attempts WHERE attempt_key = ? AND at > ? ORDER BY at DESC LIMIT ?",
                          {key, now - rule_.window.count(), static_cast<std::int64_t>(rule_.limit)});
    if (!rows) return Unexpected<Error>{rows.error()};
    std::vector<std::int64_t> times;
    for (const auto& r : *rows) times.push_back(r.integer(0));
    wait = std::max(wait, cloud::retry_after_s(times, rule_, now));
  }
  return wait;
}

Status AttemptLimiter::record_failure(const std::vector<std::string>& keys) {
  const std::int64_t now = clock_.now_ms();
  for (const auto& key : keys) SPOTTER_SQL(db_.execute("INSERT INTO failed_attempts (attempt_key, at) VALUES (?, ?)", {key, now}));
  return {};
}

Result<int> AttemptLimiter::prune() {
  auto r = db_.execute("DELETE FROM failed_attempts WHERE at <= ?", {clock_.now_ms() - rule_.window.count()});
  if (!r) return Unexpected<Error>{r.error()};
  return static_cast<int>(*r);
}

}  // namespace spotter::cloud
