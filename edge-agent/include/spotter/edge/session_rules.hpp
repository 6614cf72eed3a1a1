#pragma once
// When the agent ends a gym session itself (seed 000, story 3.1 AC5): 4 hours after it
// started, or when the opening it started in closes, whichever comes first. The end is
// stamped with that moment, not with when the job noticed.
#include <chrono>
#include <optional>
#include <string>

#include "spotter/common/opening_hours.hpp"
#include "spotter/edge/door_decision.hpp"

namespace spotter::edge {

inline constexpr std::chrono::hours kMaxSessionLength{4};

struct AutoEnd {
  std::string session_id;
  std::int64_t ended_at_ms = 0;
  std::string ended_by;  // "timeout" or "closing", as cloud-api.md's ended_by
};

std::optional<AutoEnd> auto_end(const SessionRecord& session, WallTime now, const BranchCalendar& calendar,
                                std::chrono::milliseconds max_length = kMaxSessionLength);

}  // namespace spotter::edge
