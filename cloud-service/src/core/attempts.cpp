#include "attempts.hpp"

#include <algorithm>

namespace spotter::cloud {

std::int64_t retry_after_s(const std::vector<std::int64_t>& newest_first, const AttemptRule& rule, std::int64_t now_ms) {
  const auto window_ms = rule.window.count();
  int inside = 0;
  std::int64_t oldest_counted = now_ms;
  for (auto at : newest_first) {
    if (at <= now_ms - window_ms || inside == rule.limit) break;
    ++inside;
    oldest_counted = at;
  }
  if (inside < rule.limit) return 0;
  const std::int64_t wait_ms = oldest_counted + window_ms - now_ms;
  return std::max<std::int64_t>(1, (wait_ms + 999) / 1000);
}

}  // namespace spotter::cloud
