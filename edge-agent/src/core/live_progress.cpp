#include "spotter/edge/live_progress.hpp"

namespace spotter::edge {

void LiveProgress::offer(ProgressItem item) {
  std::lock_guard lock(mu_);
  ++counts_.offered;
  const std::string machine = item.machine_id;
  pending_[machine] = std::move(item);
}

std::vector<ProgressItem> LiveProgress::take(std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::vector<ProgressItem> due;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now_ms - it->second.received_ms > rules_.max_age.count()) {
      ++counts_.stale;
      it = pending_.erase(it);
      continue;
    }
    auto last = last_taken_.find(it->first);
    if (last != last_taken_.end() && now_ms - last->second < rules_.every.count()) {
      ++it;
      continue;
    }
    last_taken_[it->first] = now_ms;
    due.push_back(std::move(it->second));
    it = pending_.erase(it);
  }
  counts_.taken += due.size();
  // A machine not heard for a while needs no throttle memory.
  for (auto it = last_taken_.begin(); it != last_taken_.end();)
    it = now_ms - it->second > 10 * rules_.max_age.count() ? last_taken_.erase(it) : std::next(it);
  return due;
}

LiveProgress::Counts LiveProgress::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace spotter::edge
