// Business rules with no I/O: password strength, when an active gym session is auto-ended,
// session analytics. Each takes the time it needs as an argument.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/common/opening_hours.hpp"

namespace spotter::cloud {

// Empty when acceptable, else why not (shown to the user).
std::optional<std::string> password_weakness(const std::string& password, const std::string& email);

inline constexpr std::chrono::hours kMaxSessionLength{4};

struct AutoEnd {
  std::int64_t ended_at_ms = 0;
  std::string ended_by;  // "timeout" or "closing"
};

// A session started at `started_ms` at a branch with this calendar: when it must end, if it
// must have ended by `now_ms`.
std::optional<AutoEnd> session_auto_end(std::int64_t started_ms, std::int64_t now_ms, const BranchCalendar& calendar);

// Staff who report a fault hold the machine out of service until it is cleared: until then
// it shows `maintenance` whatever it reports about itself and however long it is silent, so
// a broken treadmill that is power-cycled does not come back bookable (when it was last heard
// still moves). A machine's own fault report is no hold: the machine says when it is back.
// `reported` is what it says, or what silence would make it (`offline`).
std::string shown_machine_state(std::string reported, bool held_by_staff);

// A machine showing this state is in service again (`idle` or `in_use`): the code of the
// fault it reported itself no longer describes it and is dropped. A staff hold never gets
// here, since it shows `maintenance`.
bool back_in_service(std::string_view shown);

struct SessionSample {
  std::int64_t started_ms = 0;
  std::optional<std::int64_t> ended_ms;
};

// Visits per local hour of day and weekday, average duration of ended sessions, and the peak
// hours (the busiest three, busiest first).
Json session_analytics(const std::vector<SessionSample>& sessions, const TimeZone& zone);

}  // namespace spotter::cloud
