#include "spotter/edge/live_progress.hpp"

namespace spotter::edge {

void LiveProgress::offer(ProgressItem item) {
  {
    std::lock_guard lock(mu_);
    ++counts_.offered;
    const std::string machine = item.machine_id;
    pending_[machine] = std::move(item);
    fresh_ = true;
  }
  offered_.notify_one();
}

std::optional<std::chrono::milliseconds> LiveProgress::next_due_in(std::int64_t now_ms) const {
  std::lock_guard lock(mu_);
  std::optional<std::chrono::milliseconds> soonest;
  for (const auto& [machine, item] : pending_) {
    auto last = last_taken_.find(machine);
    const std::int64_t in = last == last_taken_.end() ? 0 : std::max<std::int64_t>(0, last->second + rules_.every.count() - now_ms);
    if (!soonest || in < soonest->count()) soonest = std::chrono::milliseconds(in);
  }
  return soonest;
}

void LiveProgress::wait_for_offer(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  offered_.wait_for(lock, timeout, [this] { return fresh_ || interrupted_; });
  fresh_ = false;
}

void LiveProgress::interrupt() {
  {
    std::lock_guard lock(mu_);
    interrupted_ = true;
  }
  offered_.notify_all();
}

std::vector<ProgressItem> LiveProgress::take(std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  fresh_ = false;
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
