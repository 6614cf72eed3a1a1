#include "rate_limiter.hpp"

namespace spotter::cloud {

void FailureLimiter::prune(std::deque<std::int64_t>& times, std::int64_t now) const {
  while (!times.empty() && times.front() <= now - window_.count()) times.pop_front();
}

std::int64_t FailureLimiter::retry_after_s(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  const std::int64_t now = clock_.now_ms();
  prune(it->second, now);
  if (static_cast<int>(it->second.size()) < limit_) return 0;
  // Free again when the oldest failure in the window leaves it.
  std::int64_t wait_ms = it->second.front() + window_.count() - now;
  return std::max<std::int64_t>(1, (wait_ms + 999) / 1000);
}

void FailureLimiter::record_failure(const std::string& key) {
  std::lock_guard lock(mu_);
  const std::int64_t now = clock_.now_ms();
  if (failures_.size() >= max_keys_) {
    // Bounded memory under a spray of keys: drop the keys whose failures have all expired.
    for (auto it = failures_.begin(); it != failures_.end();) {
      prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() >= max_keys_) failures_.erase(failures_.begin());
  }
  auto& times = failures_[key];
  prune(times, now);
  times.push_back(now);
  while (static_cast<int>(times.size()) > limit_) times.pop_front();
}

void FailureLimiter::reset(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

}  // namespace spotter::cloud
