// Gym visit rules, without I/O: when an active session is auto-ended, and the analytics of
// visits. Each takes the time it needs as an argument.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/common/opening_hours.hpp"

namespace spotter::cloud::sessions {

inline constexpr std::chrono::hours kMaxSessionLength{4};

struct AutoEnd {
  std::int64_t ended_at_ms = 0;
  std::string ended_by;  // "timeout" or "closing"
};

// A session started at `started_ms` at a branch with this calendar: when it must end, if it
// must have ended by `now_ms`.
std::optional<AutoEnd> session_auto_end(std::int64_t started_ms, std::int64_t now_ms, const BranchCalendar& calendar);

struct SessionSample {
  std::int64_t started_ms = 0;
  std::optional<std::int64_t> ended_ms;
};

// Visits per local hour of day and weekday, average duration of ended sessions, and the peak
// hours (the busiest three, busiest first).
Json session_analytics(const std::vector<SessionSample>& sessions, const TimeZone& zone);

}  // namespace spotter::cloud::sessions
