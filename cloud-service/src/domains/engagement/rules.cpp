#include "rules.hpp"

#include "../../core/dates.hpp"

namespace spotter::cloud::engagement {

bool visit_earns_points(std::int64_t started_at_ms, std::int64_t ended_at_ms) { return ended_at_ms - started_at_ms >= kVisitMinimumMs; }

const std::vector<Achievement>& achievements() {
  static const std::vector<Achievement> all = {
      {"first_visit", "First visit", "Came to the gym for the first time", [](const Progress& p) { return p.visits >= 1; }},
      {"visits_10", "Regular", "10 visits", [](const Progress& p) { return p.visits >= 10; }},
      {"visits_100", "Centurion", "100 visits", [](const Progress& p) { return p.visits >= 100; }},
      {"first_training_session", "First training session", "Completed a training session",
       [](const Progress& p) { return p.training_sessions >= 1; }},
      {"training_sessions_50", "Committed", "50 training sessions completed", [](const Progress& p) { return p.training_sessions >= 50; }},
      {"streak_4_weeks", "Four weeks running", "Trained or visited in four weeks in a row", [](const Progress& p) { return p.weeks_in_a_row >= 4; }},
      {"streak_12_weeks", "A season strong", "Trained or visited in twelve weeks in a row", [](const Progress& p) { return p.weeks_in_a_row >= 12; }},
      {"first_record", "Personal best", "Beat a personal record", [](const Progress& p) { return p.records >= 1; }},
      {"records_25", "Record breaker", "25 personal records", [](const Progress& p) { return p.records >= 25; }},
  };
  return all;
}

const Achievement* achievement(std::string_view id) {
  for (const auto& a : achievements())
    if (a.id == id) return &a;
  return nullptr;
}

Json achievement_json(const Achievement& a) { return {{"id", a.id}, {"name", a.name}, {"description", a.description}}; }

std::vector<const Achievement*> reached(const Progress& p) {
  std::vector<const Achievement*> out;
  for (const auto& a : achievements())
    if (a.earned(p)) out.push_back(&a);
  return out;
}

std::int64_t weeks_in_a_row(const std::vector<std::int64_t>& weeks, std::int64_t this_week) {
  std::int64_t run = 0, expected = this_week;
  for (std::int64_t w : weeks) {
    if (w > expected) continue;  // a later week (events out of order) does not break this run
    if (w != expected) break;
    ++run;
    expected -= 7;
  }
  return run;
}

std::optional<Period> parse_period(std::string_view t) {
  if (t == "week") return Period::week;
  if (t == "month") return Period::month;
  return std::nullopt;
}

std::optional<Metric> parse_metric(std::string_view t) {
  if (t == "points") return Metric::points;
  if (t == "visits") return Metric::visits;
  if (t == "volume_kg") return Metric::volume_kg;
  return std::nullopt;
}

std::string_view to_string(Metric m) {
  switch (m) {
    case Metric::points: return "points";
    case Metric::visits: return "visits";
    case Metric::volume_kg: return "volume_kg";
  }
  return "points";
}

std::string period_key(Period p, std::int64_t day) {
  if (p == Period::week) return "w:" + format_date(week_start(day));
  return "m:" + format_date(day).substr(0, 7);
}

}  // namespace spotter::cloud::engagement
