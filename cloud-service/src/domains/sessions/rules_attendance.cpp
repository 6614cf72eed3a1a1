#include "rules_attendance.hpp"

#include <algorithm>

namespace spotter::cloud::sessions {

int weekday_of(std::int64_t day) {
  const std::int64_t thursday_based = ((day % 7) + 7) % 7;  // 0 = Thursday
  return static_cast<int>((thursday_based + 3) % 7);
}

AttendanceSummary summarize(const std::vector<VisitSpan>& visits, std::int64_t now_ms) {
  AttendanceSummary s;
  for (const auto& v : visits) {
    ++s.visits;
    const std::int64_t end = v.ended_at.value_or(std::max(now_ms, v.started_at));
    s.total_duration_s += std::max<std::int64_t>(0, end - v.started_at) / 1000;
    s.last_visit_at = std::max(s.last_visit_at.value_or(v.started_at), v.started_at);
    ++s.by_weekday[static_cast<std::size_t>(weekday_of(v.local_day))];
  }
  if (s.visits > 0) s.average_duration_s = s.total_duration_s / s.visits;
  return s;
}

std::optional<SpanProblem> manual_span_problem(std::int64_t started_at, std::int64_t ended_at, std::int64_t now_ms) {
  if (ended_at <= started_at) return SpanProblem{"ended_at", "must be after started_at"};
  if (ended_at - started_at > kMaxManualVisitMs) return SpanProblem{"ended_at", "a visit lasts at most 24 hours"};
  if (ended_at > now_ms + kFutureSkewMs) return SpanProblem{"ended_at", "must not be in the future"};
  return std::nullopt;
}

}  // namespace spotter::cloud::sessions
