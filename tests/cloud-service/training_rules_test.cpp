// The training domain's pure rules: plan and entry parsing with field paths, summaries,
// Epley, records, matching a machine's set to the plan, streaks and periods.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "core/dates.hpp"
#include "domains/training/rules.hpp"

using namespace spotter;
using namespace spotter::cloud;
using namespace spotter::cloud::training;

TEST_CASE("training rules: the catalogue has 50+ exercises with unique ids and machine types for the machines") {
  std::set<std::string> ids;
  for (const auto& e : catalogue()) {
    CHECK(ids.insert(e.id).second);
    CHECK_FALSE(e.muscles.empty());
    CHECK((e.category == "strength" || e.category == "cardio" || e.category == "functional"));
  }
  CHECK(ids.size() >= 50);
  CHECK(catalogue_exercise("leg_press")->machine_type == "leg_press");
  CHECK(catalogue_exercise("nope") == nullptr);
}

TEST_CASE("training rules: plan days and entries name every bad field by its path") {
  Problems p;
  Json days = Json::parse(R"([{"name":"A","exercises":[{"exercise_id":"leg_press","sets":[{"reps":10},{"reps":"ten"}]},
                              {"exercise_id":"bad id!","sets":[]}]}, 7])");
  auto parsed = parse_days(&days, p);
  std::set<std::string> fields;
  for (const auto& e : p.errors) fields.insert(e.field);
  CHECK(fields == std::set<std::string>{"days[0].exercises[0].sets[1].reps", "days[0].exercises[1].exercise_id", "days[0].exercises[1].sets",
                                        "days[1]"});
  Problems q;
  Json entries = Json::parse(R"([{"exercise_id":"leg_press","set_index":1,"reps":5,"weight_kg":1001,"done":true},
                                 {"exercise_id":"leg_press","reps":5,"done":"yes"}])");
  parse_entries(&entries, q);
  fields.clear();
  for (const auto& e : q.errors) fields.insert(e.field);
  CHECK(fields == std::set<std::string>{"entries[0].weight_kg", "entries[1].set_index", "entries[1].done"});
  Problems none;
  Json too_many = Json::array();
  for (int i = 0; i < 501; ++i) too_many.push_back(Json::object());
  parse_entries(&too_many, none);
  CHECK(none.errors.size() == 1);
  // A stored day reads back as written.
  Problems ok;
  Json good = Json::parse(R"([{"name":"A","exercises":[{"exercise_id":"leg_press","sets":[{"reps":10,"weight_kg":100.5,"rest_s":90}]}]}])");
  auto round = parse_days(&good, ok);
  REQUIRE(ok.ok());
  CHECK(days_json(round) == good);
  CHECK(day_from_json(good[0])->exercises[0].sets[0].weight_kg == 100.5);
}

TEST_CASE("training rules: summary counts done sets; Epley; records by kind; pace from 1 km") {
  std::vector<Entry> e(3);
  e[0].exercise_id = "back_squat", e[0].reps = 5, e[0].weight_kg = 100;
  e[1].exercise_id = "back_squat", e[1].reps = 3, e[1].weight_kg = 110, e[1].done = false;
  e[2].exercise_id = "treadmill_run", e[2].duration_s = 300, e[2].distance_m = 999;
  auto s = summarise(e);
  CHECK(s.sets == 2);
  CHECK(s.reps == 5);
  CHECK(s.volume_kg == 500);
  CHECK(epley_1rm(100, 5) == doctest::Approx(116.6667).epsilon(0.0001));
  auto kinds = [](const Entry& x) {
    std::map<std::string, double> out;
    for (const auto& r : record_candidates(x)) out[r.kind] = r.value;
    return out;
  };
  CHECK(kinds(e[0]) == std::map<std::string, double>{{"best_1rm_kg", epley_1rm(100, 5)}, {"heaviest_weight_kg", 100}, {"most_reps", 5}});
  CHECK(kinds(e[1]).empty());                                                   // not done
  CHECK(kinds(e[2]) == std::map<std::string, double>{{"longest_distance_m", 999}});  // no pace under 1 km
  e[2].distance_m = 2000;
  CHECK(kinds(e[2])["fastest_pace_s_per_km"] == 150);
  CHECK(lower_is_better("fastest_pace_s_per_km"));
  CHECK_FALSE(lower_is_better("most_reps"));
}

TEST_CASE("training rules: a machine's workout as sets, and which exercise they are") {
  auto sets = entries_of_workout(Json::parse(R"({"category":"strength","exercise":"leg_press","sets":[{"reps":10,"weight_kg":120},{"reps":8,"weight_kg":140}]})"));
  REQUIRE(sets.size() == 2);
  CHECK(sets[1].set_index == 2);
  CHECK(sets[1].weight_kg == 140);
  CHECK(sets[0].source == "machine");
  auto bout = entries_of_workout(Json::parse(R"({"category":"cardio","duration_s":600,"distance_m":2000})"));
  REQUIRE(bout.size() == 1);
  CHECK(bout[0].distance_m == 2000);
  CHECK(entries_of_workout(Json::parse(R"({"category":"strength"})")).empty());
  CHECK(entries_of_workout(Json::parse(R"("x")")).empty());

  auto type_of = [](const std::string& id) -> std::optional<std::string> {
    if (id == "my_press") return "leg_press";
    auto e = catalogue_exercise(id);
    return e ? e->machine_type : std::nullopt;
  };
  const std::vector<std::string> plan = {"back_squat", "my_press"};
  CHECK(exercise_for_machine_set(plan, type_of, "rack", std::string("back_squat")) == "back_squat");  // named, in the plan
  CHECK(exercise_for_machine_set(plan, type_of, "leg_press", std::string("leg_press")) == "my_press");  // the plan's, by machine type
  CHECK(exercise_for_machine_set({}, type_of, "leg_press", std::string("leg_press")) == "leg_press");   // the catalogue's, by name
  CHECK(exercise_for_machine_set({}, type_of, "rower", std::nullopt) == "rowing_machine");              // by machine type
  CHECK_FALSE(exercise_for_machine_set({}, type_of, "sauna", std::string("relax")));
}

TEST_CASE("training rules: streaks of ISO weeks and days; a week under way does not break one") {
  const auto d = [](const char* date) { return *parse_date(date); };
  std::vector<std::int64_t> active = {d("2026-02-02"), d("2026-02-10"), d("2026-02-16"), d("2026-03-02"), d("2026-03-09"), d("2026-03-10"),
                                      d("2026-03-11")};
  auto s = streaks(active, d("2026-03-12"));  // Thursday
  CHECK(s.longest_weeks == 3);                // weeks of 2, 9 and 16 February
  CHECK(s.current_weeks == 2);                // 2 and 9 March
  CHECK(s.current_days == 3);                 // 9-11 March, today not over
  CHECK(streaks(active, d("2026-03-13")).current_days == 0);
  CHECK(streaks(active, d("2026-03-16")).current_weeks == 2);  // last week active, this one under way
  CHECK(streaks(active, d("2026-03-23")).current_weeks == 0);
  CHECK(streaks({}, d("2026-03-23")).longest_weeks == 0);
  CHECK(week_start(d("2026-03-08")) == d("2026-03-02"));  // a Sunday belongs to the week of the Monday before
  CHECK(week_start(d("2026-03-09")) == d("2026-03-09"));
}

TEST_CASE("training rules: dates and periods") {
  CHECK(format_date(*parse_date("2024-02-29")) == "2024-02-29");
  CHECK_FALSE(parse_date("2025-02-29"));
  CHECK_FALSE(parse_date("2025-13-01"));
  CHECK_FALSE(parse_date("2025-1-01"));
  CHECK_FALSE(parse_date("2025-01-01T00:00:00Z"));
  const auto from = *parse_date("2026-03-01"), to = *parse_date("2026-03-15");
  std::vector<DayTotals> days = {{*parse_date("2026-03-03"), 1, 3, 30, 3000, 0, 0, 0}, {*parse_date("2026-03-14"), 0, 1, 0, 0, 600, 2000, 100}};
  auto weekly = periods_json(days, week_start(from), to, true);
  REQUIRE(weekly.size() == 3);  // 23 Feb, 2 March, 9 March
  CHECK(weekly[1]["sets"] == 3);
  CHECK(weekly[2]["distance_m"] == 2000.0);
  auto daily = periods_json(days, from, to, false);
  CHECK(daily.size() == 15);
  CHECK(daily[2]["period_start"] == "2026-03-03");
}
