#include "rules.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace spotter::cloud::sessions {

std::optional<AutoEnd> session_auto_end(std::int64_t started_ms, std::int64_t now_ms, const BranchCalendar& calendar) {
  const WallTime started{std::chrono::milliseconds(started_ms)};
  WallTime end = started + std::chrono::duration_cast<std::chrono::milliseconds>(kMaxSessionLength);
  std::string by = "timeout";
  // The opening the member came in during; a session started while closed is bounded by the
  // 4 hours alone.
  if (auto closing = calendar.closing_time(started); closing && *closing <= end) {
    end = *closing;
    by = "closing";
  }
  if (now_ms < end.time_since_epoch().count()) return std::nullopt;
  return AutoEnd{end.time_since_epoch().count(), by};
}

Json session_analytics(const std::vector<SessionSample>& sessions, const TimeZone& zone) {
  std::array<std::int64_t, 24> by_hour{};
  std::array<std::int64_t, 7> by_weekday{};
  std::int64_t ended = 0, total_ms = 0;
  for (const auto& s : sessions) {
    auto local = zone.to_local(WallTime{std::chrono::milliseconds(s.started_ms)});
    by_hour[static_cast<std::size_t>(local.minute_of_day / 60)]++;
    by_weekday[static_cast<std::size_t>(local.weekday)]++;
    if (s.ended_ms && *s.ended_ms >= s.started_ms) {
      ++ended;
      total_ms += *s.ended_ms - s.started_ms;
    }
  }
  std::array<int, 24> order{};
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return by_hour[static_cast<std::size_t>(a)] > by_hour[static_cast<std::size_t>(b)]; });
  Json peaks = Json::array();
  for (int i = 0; i < 3; ++i)
    if (by_hour[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] > 0)
      peaks.push_back({{"hour", order[static_cast<std::size_t>(i)]}, {"visits", by_hour[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])]}});
  Json weekdays = Json::object();
  for (std::size_t d = 0; d < 7; ++d) weekdays[kWeekdayKeys[d]] = by_weekday[d];
  return {{"visits", static_cast<std::int64_t>(sessions.size())},
          {"visits_by_hour", by_hour},
          {"visits_by_weekday", weekdays},
          {"average_duration_s", ended ? total_ms / ended / 1000 : 0},
          {"peak_hours", peaks},
          {"timezone", zone.name()}};
}

}  // namespace spotter::cloud::sessions
