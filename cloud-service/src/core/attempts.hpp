// The rule of failed-attempt limits (logins, gateway secrets), without I/O: at most
// `limit` failures per `window` per key (an address, an account). The failures themselves
// are kept where every instance sees them (platform/limits.hpp).
#pragma once
#include <chrono>
#include <cstdint>
#include <vector>

namespace spotter::cloud {

struct AttemptRule {
  int limit = 5;
  std::chrono::milliseconds window = std::chrono::minutes(15);
};

// 0 when the key may try again at `now_ms`, else whole seconds until it may (at least 1).
// `newest_first` are the key's failure times inside the window, newest first; only the
// first `limit` matter: a slot frees when the oldest of those leaves the window.
std::int64_t retry_after_s(const std::vector<std::int64_t>& newest_first, const AttemptRule& rule, std::int64_t now_ms);

}  // namespace spotter::cloud
