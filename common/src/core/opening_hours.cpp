#include "spotter/common/opening_hours.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace spotter {
namespace {

// "HH:MM" with 00 <= HH <= 24, and 24 only as "24:00".
std::optional<int> parse_hhmm(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (s[static_cast<std::size_t>(i)] < '0' || s[static_cast<std::size_t>(i)] > '9') return std::nullopt;
  }
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::string hhmm(int minutes) {
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

}  // namespace

Result<OpeningHours> OpeningHours::from_json(const Json& hours) {
  if (!hours.is_object()) return fail("invalid", "opening_hours must be an object keyed by mon..sun");
  OpeningHours out;
  for (const auto& [key, value] : hours.items()) {
    auto it = std::find(kWeekdayKeys.begin(), kWeekdayKeys.end(), key);
    if (it == kWeekdayKeys.end()) return fail("invalid", "unknown day \"" + key.substr(0, 8) + "\" (use mon..sun)");
    auto& day = out.days_[static_cast<std::size_t>(it - kWeekdayKeys.begin())];
    if (!value.is_array() || value.size() > 8) return fail("invalid", key + ": expected a list of at most 8 [open, close] pairs");
    for (const auto& pair : value) {
      if (!pair.is_array() || pair.size() != 2) return fail("invalid", key + ": each interval is [\"HH:MM\", \"HH:MM\"]");
      auto open = parse_hhmm(pair[0]), close = parse_hhmm(pair[1]);
      if (!open || !close || *open >= 1440) return fail("invalid", key + ": times are HH:MM, 00:00 to 24:00");
      if (*close <= *open) return fail("invalid", key + ": an interval must close after it opens");
      day.push_back({*open, *close});
    }
    std::sort(day.begin(), day.end(), [](const auto& a, const auto& b) { return a.open_minute < b.open_minute; });
    for (std::size_t i = 1; i < day.size(); ++i) {
      if (day[i].open_minute < day[i - 1].close_minute) return fail("invalid", key + ": intervals overlap");
    }
  }
  return out;
}

OpeningHours OpeningHours::always_open() {
  OpeningHours h;
  for (auto& d : h.days_) d.push_back({0, 1440});
  return h;
}

Json OpeningHours::to_json() const {
  Json out = Json::object();
  for (std::size_t d = 0; d < 7; ++d) {
    if (days_[d].empty()) continue;
    Json list = Json::array();
    for (const auto& i : days_[d]) list.push_back(Json::array({hhmm(i.open_minute), hhmm(i.close_minute)}));
    out[kWeekdayKeys[d]] = std::move(list);
  }
  return out;
}

bool OpeningHours::is_open(int weekday, int minute_of_day) const {
  for (const auto& i : day(weekday)) {
    if (minute_of_day >= i.open_minute && minute_of_day < i.close_minute) return true;
  }
  return false;
}

std::optional<std::pair<int, int>> OpeningHours::closes_at(int weekday, int minute_of_day) const {
  const OpenInterval* cur = nullptr;
  for (const auto& i : day(weekday)) {
    if (minute_of_day >= i.open_minute && minute_of_day < i.close_minute) cur = &i;
  }
  if (!cur) return std::nullopt;
  // Follow "24:00" into the next day's "00:00" opening, at most around the week once.
  int d = weekday;
  for (int hops = 0; hops < 7; ++hops) {
    if (cur->close_minute < 1440) return std::pair{d, cur->close_minute};
    d = (d + 1) % 7;
    const auto& next = day(d);
    if (next.empty() || next.front().open_minute != 0) return std::pair{d, 0};
    cur = &next.front();
  }
  return std::nullopt;  // open around the clock
}

bool BranchCalendar::is_open(WallTime t) const {
  auto local = zone_->to_local(t);
  return hours_.is_open(local.weekday, local.minute_of_day);
}

std::optional<WallTime> BranchCalendar::closing_time(WallTime t) const {
  auto local = zone_->to_local(t);
  auto close = hours_.closes_at(local.weekday, local.minute_of_day);
  if (!close) return std::nullopt;
  // Walk forward day by day from today's civil date to the closing weekday.
  int days_ahead = (close->first - local.weekday + 7) % 7;
  if (days_ahead == 0 && close->second <= local.minute_of_day) days_ahead = 7;
  // Civil date arithmetic through the instant at local noon, which no DST change moves
  // across a day boundary.
  WallTime noon = zone_->to_instant(local.year, local.month, local.day, 12 * 60);
  auto target = zone_->to_local(noon + std::chrono::hours(24 * days_ahead));
  return zone_->to_instant(target.year, target.month, target.day, close->second);
}

}  // namespace spotter
