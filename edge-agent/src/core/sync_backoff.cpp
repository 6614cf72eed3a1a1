#include "spotter/edge/sync_backoff.hpp"

#include <algorithm>

namespace spotter::edge {

std::chrono::milliseconds SyncBackoff::after_failure(double random01, std::optional<std::chrono::seconds> retry_after) {
  const int exponent = std::min(failures_, 16);
  ++failures_;
  const auto ceiling = std::min<std::int64_t>(max_.count(), initial_.count() << exponent);
  // Full jitter: gateways that lost the cloud together do not come back together.
  auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(std::clamp(random01, 0.0, 1.0) * static_cast<double>(ceiling)));
  wait = std::max(wait, std::chrono::milliseconds(initial_.count() / 2));
  if (retry_after) wait = std::max<std::chrono::milliseconds>(wait, *retry_after);
  return wait;
}

}  // namespace spotter::edge
