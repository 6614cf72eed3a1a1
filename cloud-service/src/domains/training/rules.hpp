// Training (seed 004; cloud-api-2.md "Training"): the exercise catalogue, plans, the sets of
// a training session (written by the member or reported by a machine), their summary,
// personal records and streaks. Pure: no I/O, no clock; untrusted JSON is read here and
// every problem is named by its field path ("days[0].exercises[1].sets[2].reps").
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../core/http.hpp"

namespace spotter::cloud::training {

struct Exercise {
  std::string id, name, category;  // category: strength | cardio | functional
  std::vector<std::string> muscles;
  std::string equipment;
  std::optional<std::string> machine_type;  // the machines' `type` it is done on
  std::optional<std::string> branch_id;     // a custom one: the branch whose staff added it
};
const std::vector<Exercise>& catalogue();  // rules_catalogue.cpp, >= 50
const Exercise* catalogue_exercise(std::string_view id);
Json exercise_json(const Exercise& e);
// GET /api/exercises filters: `q` in the name or id (case-insensitive), exact category and
// equipment; empty = any.
bool exercise_matches(const Exercise& e, std::string_view q, std::string_view category, std::string_view equipment);

// Problems found in a body, each with its field path.
struct Problems {
  std::vector<FieldError> errors;
  void add(std::string field, std::string message) { errors.push_back({std::move(field), std::move(message)}); }
  bool ok() const { return errors.empty(); }
};

struct PlannedSet {
  std::optional<std::int64_t> reps, rest_s;
  std::optional<double> weight_kg, duration_s, distance_m;
};
struct PlannedExercise {
  std::string exercise_id;
  std::vector<PlannedSet> sets;
};
struct PlanDay {
  std::string name;
  std::vector<PlannedExercise> exercises;
};
inline constexpr std::size_t kMaxPlanDays = 14, kMaxDayExercises = 30, kMaxPlannedSets = 20;
// `days` as the API takes it: 1-14 days, each with a name and 1-30 exercises of 1-20 sets.
std::vector<PlanDay> parse_days(const Json* days, Problems& problems);
Json days_json(const std::vector<PlanDay>& days);
Json day_json(const PlanDay& day);
std::optional<PlanDay> day_from_json(const Json& stored);  // a stored snapshot
std::vector<std::string> exercise_ids(const std::vector<PlanDay>& days);  // each once, in order

// One set of a training session.
struct Entry {
  std::optional<std::string> exercise_id;  // a machine's set may match none
  std::int64_t set_index = 1;
  std::optional<std::int64_t> reps;
  std::optional<double> weight_kg, duration_s, distance_m, calories_kcal;
  bool done = true;
  std::string source = "member";  // member | machine
  std::optional<std::string> machine_id, workout_id;
  std::optional<std::int64_t> at_ms;
};
inline constexpr std::size_t kMaxEntries = 500;
// Member-written entries: [{exercise_id, set_index, reps?, weight_kg?, duration_s?,
// distance_m?, done}], at most 500; `field` prefixes the paths.
std::vector<Entry> parse_entries(const Json* entries, Problems& problems, const std::string& field = "entries");
Json entry_json(const Entry& e);
Json entries_json(const std::vector<Entry>& entries);
std::optional<Entry> entry_from_json(const Json& stored);

struct Summary {
  std::int64_t sets = 0, reps = 0;
  double volume_kg = 0, duration_s = 0, distance_m = 0, calories_kcal = 0;
  void add(const Entry& e);  // done sets only
};
Summary summarise(const std::vector<Entry>& entries);
Json summary_json(const Summary& s);

// A machine's workout record (PROTOCOL.md 3.4) as sets: one per strength set, one for a
// cardio bout or a functional exercise. Empty for a record that is not one.
std::vector<Entry> entries_of_workout(const Json& workout);
// Which exercise a machine's set is: the plan's exercise the machine names (its
// `exercise`), else the plan's exercise done on this machine type, else the catalogue's by
// name, else by machine type; nullopt when none fits.
std::optional<std::string> exercise_for_machine_set(const std::vector<std::string>& plan_exercises,
                                                    const std::function<std::optional<std::string>(const std::string&)>& machine_type_of,
                                                    std::string_view machine_type, const std::optional<std::string>& named);

// Personal records: heaviest_weight_kg, best_1rm_kg (Epley), most_reps, longest_distance_m,
// fastest_pace_s_per_km (bouts of at least 1 km, so a 50 m sprint is no "pace").
struct RecordCandidate {
  std::string kind;
  double value = 0;
};
std::vector<RecordCandidate> record_candidates(const Entry& e);
bool lower_is_better(std::string_view kind);
double epley_1rm(double weight_kg, std::int64_t reps);

// Weeks (ISO, Monday first) and days with at least one visit or training session. A week or
// day still under way does not break a streak until it is over.
struct Streaks {
  std::int64_t current_weeks = 0, longest_weeks = 0, current_days = 0;
};
Streaks streaks(const std::vector<std::int64_t>& active_days_ascending, std::int64_t today);

struct DayTotals {
  std::int64_t day = 0;  // days since 1970-01-01 in the member's zone
  std::int64_t training_sessions = 0, sets = 0, reps = 0;
  double volume_kg = 0, duration_s = 0, distance_m = 0, calories_kcal = 0;
};
// One item per day or week from `from_day` to `to_day` (inclusive), empty ones too.
Json periods_json(const std::vector<DayTotals>& days, std::int64_t from_day, std::int64_t to_day, bool weekly);

}  // namespace spotter::cloud::training
