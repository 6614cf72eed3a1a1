// Failed-attempt limiter: at most `limit` failures per `window` per key (an IP, an account).
// In memory, so per process: a second instance would need a shared store (docs say so).
// Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "spotter/common/clock.hpp"

namespace spotter::cloud {

class FailureLimiter {
 public:
  FailureLimiter(const Clock& clock, int limit, std::chrono::milliseconds window, std::size_t max_keys = 100'000)
      : clock_(clock), limit_(limit), window_(window), max_keys_(max_keys) {}

  // 0 when the key may try again now, else how many seconds until it may.
  std::int64_t retry_after_s(const std::string& key);
  void record_failure(const std::string& key);
  void reset(const std::string& key);

 private:
  void prune(std::deque<std::int64_t>& times, std::int64_t now) const;
  const Clock& clock_;
  int limit_;
  std::chrono::milliseconds window_;
  std::size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::int64_t>> failures_;
};

}  // namespace spotter::cloud
