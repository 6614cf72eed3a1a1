// When to try the cloud again after a failure: exponential backoff with full jitter
// (0.5 s doubling to 30 s), never sooner than a Retry-After the cloud sent. Pure: the caller
// supplies the random number, so tests are deterministic.
#pragma once
#include <chrono>
#include <optional>

namespace spotter::edge {

class SyncBackoff {
 public:
  SyncBackoff(std::chrono::milliseconds initial = std::chrono::milliseconds(500), std::chrono::milliseconds max = std::chrono::seconds(30))
      : initial_(initial), max_(max) {}
  // After a failure: how long to wait. `random01` in [0, 1).
  std::chrono::milliseconds after_failure(double random01, std::optional<std::chrono::seconds> retry_after = std::nullopt);
  // After a success: the next failure starts from the beginning again.
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_, max_;
  int failures_ = 0;
};

}  // namespace spotter::edge
