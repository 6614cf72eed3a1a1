// Calendar dates (YYYY-MM-DD) as days since 1970-01-01, and ISO weeks. Pure; a date means
// whatever zone the caller put it in (a branch's or a member's).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spotter::cloud {

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);
struct CivilDate {
  std::int64_t year;
  unsigned month, day;
};
CivilDate civil_from_days(std::int64_t days);
// "2026-03-02" -> days; nullopt for anything else (also 2026-02-30).
std::optional<std::int64_t> parse_date(std::string_view text);
std::string format_date(std::int64_t days);
// The Monday starting the ISO week of `days` (1970-01-01 was a Thursday).
inline std::int64_t week_start(std::int64_t days) {
  const std::int64_t since_monday = ((days + 3) % 7 + 7) % 7;
  return days - since_monday;
}

}  // namespace spotter::cloud
