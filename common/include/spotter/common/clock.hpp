#pragma once
// Time is injected: core logic asks a Clock, never the system, so tests drive it with a
// ManualClock and stay fast and deterministic.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace spotter {

using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, std::chrono::nanoseconds>;

// Thread-safe: implementations may be read from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (may jump when NTP corrects it): for timestamps people read.
  virtual WallTime now() const = 0;
  // Monotonic time: for timeouts, rates and durations.
  virtual MonoTime monotonic() const = 0;

  std::int64_t now_ms() const { return now().time_since_epoch().count(); }
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override;
  MonoTime monotonic() const override;
};

// A clock that moves only when told to. Both timelines advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : wall_ms_(start_ms) {}
  WallTime now() const override { return WallTime(std::chrono::milliseconds(wall_ms_.load())); }
  MonoTime monotonic() const override { return MonoTime(std::chrono::nanoseconds(mono_ns_.load())); }
  void advance(std::chrono::milliseconds d) {
    wall_ms_ += d.count();
    mono_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }
  // Moves only the wall clock, as an NTP step would.
  void set_wall(std::int64_t ms) { wall_ms_ = ms; }

 private:
  std::atomic<std::int64_t> wall_ms_;
  std::atomic<std::int64_t> mono_ns_{0};
};

}  // namespace spotter
