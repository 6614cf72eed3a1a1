// Attendance (cloud-api-2.md "Chain operations"): what a member's visits add up to, and
// which staff corrections are plausible. Pure: no I/O, no clock of its own.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spotter::cloud::sessions {

inline constexpr std::int64_t kMaxManualVisitMs = 24LL * 3'600'000;  // a manual visit lasts at most a day
inline constexpr std::int64_t kFutureSkewMs = 5 * 60'000;            // staff clocks may run a little ahead

struct VisitSpan {
  std::int64_t started_at = 0;
  std::optional<std::int64_t> ended_at;  // in progress when empty: counted up to now
  std::int64_t local_day = 0;            // days since 1970-01-01 in the member's time zone
};

struct AttendanceSummary {
  std::int64_t visits = 0, total_duration_s = 0, average_duration_s = 0;
  std::optional<std::int64_t> last_visit_at;
  std::array<std::int64_t, 7> by_weekday{};  // Monday first
};

AttendanceSummary summarize(const std::vector<VisitSpan>& visits, std::int64_t now_ms);
// 0 = Monday for days since 1970-01-01 (a Thursday).
int weekday_of(std::int64_t day);
inline constexpr const char* kWeekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// Why a staff-entered span is refused, naming the field (nullopt: fine): it must end after
// it starts, last at most a day, and not end in the future.
struct SpanProblem {
  std::string field, message;
};
std::optional<SpanProblem> manual_span_problem(std::int64_t started_at, std::int64_t ended_at, std::int64_t now_ms);

}  // namespace spotter::cloud::sessions
