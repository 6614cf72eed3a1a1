#include "spotter/edge/workout_aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "spotter/protocol/codec.hpp"

namespace spotter::edge {

std::optional<Json> aggregate_workout(const std::vector<protocol::Telemetry>& samples, std::optional<protocol::Category> category) {
  if (samples.empty()) return std::nullopt;
  std::int64_t first = samples.front().ts, last = samples.front().ts;
  double distance = 0, calories = 0, power_sum = 0, elapsed = 0;
  std::int64_t hr_sum = 0, hr_n = 0, hr_max = 0, power_n = 0;
  std::map<std::int64_t, std::pair<std::int64_t, double>> sets;  // set index -> (reps, weight)
  std::int64_t reps = 0;
  std::optional<std::string> exercise;
  for (const auto& t : samples) {
    first = std::min(first, t.ts);
    last = std::max(last, t.ts);
    const auto& m = t.metrics;
    // Cardio counters are cumulative on the machine: the largest value is the bout's total.
    if (m.distance_m) distance = std::max(distance, *m.distance_m);
    if (m.calories_kcal) calories = std::max(calories, *m.calories_kcal);
    if (m.elapsed_s) elapsed = std::max(elapsed, static_cast<double>(*m.elapsed_s));
    if (m.heart_rate_bpm) {
      hr_sum += *m.heart_rate_bpm;
      ++hr_n;
      hr_max = std::max(hr_max, *m.heart_rate_bpm);
    }
    if (m.power_w) {
      power_sum += *m.power_w;
      ++power_n;
    }
    if (m.rep) {
      auto& s = sets[m.set_index.value_or(1)];
      s.first = std::max(s.first, *m.rep);
      if (m.weight_kg) s.second = std::max(s.second, *m.weight_kg);
      reps = std::max(reps, *m.rep);
    }
    if (m.exercise) exercise = m.exercise;
  }
  double duration = std::max(elapsed, static_cast<double>(last - first) / 1000.0);
  Json w = {{"aggregated", true}, {"samples", samples.size()}, {"ts_start", first}, {"ts_end", last}, {"duration_s", std::round(duration)}};
  if (category) w["category"] = protocol::to_string(*category);
  if (distance > 0) w["distance_m"] = distance;
  if (calories > 0) w["calories_kcal"] = calories;
  if (hr_n > 0) {
    w["avg_heart_rate_bpm"] = hr_sum / hr_n;
    w["max_heart_rate_bpm"] = hr_max;
  }
  if (power_n > 0) w["avg_power_w"] = std::round(power_sum / static_cast<double>(power_n));
  if (category == protocol::Category::strength && !sets.empty()) {
    Json list = Json::array();
    for (const auto& [index, s] : sets) list.push_back({{"reps", s.first}, {"weight_kg", s.second}});
    w["sets"] = std::move(list);
  } else if (reps > 0) {
    w["reps"] = reps;
  }
  if (exercise) w["exercise"] = *exercise;
  return w;
}

}  // namespace spotter::edge
