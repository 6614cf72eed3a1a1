#include <doctest/doctest.h>

#include "spotter/edge/workout_aggregate.hpp"

using namespace spotter;
using namespace spotter::edge;
using protocol::Category;
using protocol::Telemetry;

TEST_CASE("cardio telemetry becomes a bout: totals from cumulative counters, heart rate averaged") {
  std::vector<Telemetry> t(3);
  for (int i = 0; i < 3; ++i) {
    t[i].msg_id = i + 1;
    t[i].ts = 1'000'000 + i * 60'000;
    t[i].metrics.distance_m = 200.0 * (i + 1);
    t[i].metrics.calories_kcal = 10.0 * (i + 1);
    t[i].metrics.heart_rate_bpm = 120 + 10 * i;
    t[i].metrics.elapsed_s = 60 * (i + 1);
  }
  auto w = aggregate_workout(t, Category::cardio);
  REQUIRE(w.has_value());
  CHECK((*w)["aggregated"] == true);
  CHECK((*w)["category"] == "cardio");
  CHECK((*w)["samples"] == 3);
  CHECK((*w)["distance_m"] == 600.0);
  CHECK((*w)["calories_kcal"] == 30.0);
  CHECK((*w)["avg_heart_rate_bpm"] == 130);
  CHECK((*w)["max_heart_rate_bpm"] == 140);
  CHECK((*w)["duration_s"] == 180.0);
  CHECK((*w)["ts_end"] == 1'120'000);
}

TEST_CASE("strength reps become sets") {
  std::vector<Telemetry> t;
  for (int set = 1; set <= 2; ++set) {
    for (int rep = 1; rep <= 8 + set; ++rep) {
      Telemetry s;
      s.ts = 1000 * rep + 100'000 * set;
      s.metrics.rep = rep;
      s.metrics.set_index = set;
      s.metrics.weight_kg = 40.0 + 5 * set;
      t.push_back(s);
    }
  }
  auto w = aggregate_workout(t, Category::strength);
  REQUIRE(w.has_value());
  REQUIRE((*w)["sets"].size() == 2);
  CHECK((*w)["sets"][0]["reps"] == 9);
  CHECK((*w)["sets"][1]["weight_kg"] == 50.0);
}

TEST_CASE("nothing to summarise is no workout") { CHECK_FALSE(aggregate_workout({}, std::nullopt).has_value()); }
