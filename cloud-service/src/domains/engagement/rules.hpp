// Engagement (seed 003; cloud-api-2.md "Engagement"): what gives points, the achievements
// and when they are earned, and the leaderboards' periods. Pure: no I/O, no clock. The
// store keeps each source's points and each achievement at most once (constraints); these
// rules only say what is due.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/json.hpp"

namespace spotter::cloud::engagement {

// Points (docs/engagement.md): a visit of 20 minutes or more, once per day in the member's
// time zone; a completed training session; a set that beat a personal record.
inline constexpr std::int64_t kVisitPoints = 10, kTrainingSessionPoints = 20, kRecordPoints = 15;
inline constexpr std::int64_t kVisitMinimumMs = 20 * 60'000;

// A visit that counts for points: long enough, and its end after its start.
bool visit_earns_points(std::int64_t started_at_ms, std::int64_t ended_at_ms);

// What a member has done so far, as counted from events.
struct Progress {
  std::int64_t visits = 0, training_sessions = 0, records = 0;
  std::int64_t weeks_in_a_row = 0;  // weeks with a visit or training session, up to this one
};

struct Achievement {
  std::string id, name, description;
  bool (*earned)(const Progress&);
};
const std::vector<Achievement>& achievements();
const Achievement* achievement(std::string_view id);
Json achievement_json(const Achievement& a);
// Every achievement this progress has reached (earned ones included: the store keeps each
// once, so evaluating again is harmless).
std::vector<const Achievement*> reached(const Progress& p);

// The run of consecutive weeks that ends with `this_week` (a Monday, as days since
// 1970-01-01), from the member's active weeks, newest first; 0 when this week is not active.
std::int64_t weeks_in_a_row(const std::vector<std::int64_t>& active_weeks_newest_first, std::int64_t this_week);

// Leaderboards: per branch, per week (Monday first) or calendar month of the member's day.
enum class Period { week, month };
enum class Metric { points, visits, volume_kg };
std::optional<Period> parse_period(std::string_view text);
std::optional<Metric> parse_metric(std::string_view text);
std::string_view to_string(Metric m);
// "w:2026-11-30" (the week's Monday), "m:2026-12".
std::string period_key(Period p, std::int64_t day);

}  // namespace spotter::cloud::engagement
