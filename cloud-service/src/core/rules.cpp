#include "rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <numeric>

namespace spotter::cloud {

std::optional<std::string> password_weakness(const std::string& password, const std::string& email) {
  if (password.size() < 10) return "must be at least 10 characters";
  if (password.size() > 256) return "must be at most 256 characters";
  bool lower = false, upper = false, digit = false, other = false;
  for (unsigned char c : password) {
    if (std::islower(c)) lower = true;
    else if (std::isupper(c)) upper = true;
    else if (std::isdigit(c)) digit = true;
    else other = true;
  }
  if (lower + upper + digit + other < 3) return "must mix at least three of: lower case, upper case, digits, symbols";
  std::string local = email.substr(0, email.find('@'));
  std::string lowered = password;
  for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (local.size() >= 4 && lowered.find(local) != std::string::npos) return "must not contain the email address";
  return std::nullopt;
}

std::string shown_machine_state(std::string reported, bool held_by_staff) {
  return held_by_staff ? std::string("maintenance") : reported;
}

bool back_in_service(std::string_view shown) { return shown == "idle" || shown == "in_use"; }

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

}  // namespace spotter::cloud
