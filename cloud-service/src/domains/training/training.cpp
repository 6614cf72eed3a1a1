// The domain object, what it counts as sets and visits happen, and its reactions to the
// machines and sessions domains.
#include "../org/events.hpp"
#include "training.hpp"

#include "../../core/dates.hpp"
#include "../machines/events.hpp"
#include "../sessions/events.hpp"
#include "events.hpp"

namespace spotter::cloud::training {

TrainingDomain::TrainingDomain(Platform& platform, org::OrgDomain& org) : platform_(platform), org_(org), store_(platform.db) {}

void TrainingDomain::subscribe(EventBus& bus) {
  bus.on(machines::events::kWorkoutRecorded, [this](const Event& e) { return workout_recorded(e); });
  bus.on(machines::events::kWorkoutWithdrawn, [this](const Event& e) { return workout_withdrawn(e); });
  bus.on(sessions::events::kVisitStarted, [this](const Event& e) { return visit_started(e); });
  bus.on(org::events::kMemberErased, [this](const Event& e) { return store_.erase_member(e.body.value("user_id", "")); });
}

Result<std::int64_t> TrainingDomain::member_day(const std::string& user_id, std::int64_t at_ms) { return org_.member_day(user_id, at_ms); }

Status TrainingDomain::count_sets(const std::string& user_id, std::int64_t day, const std::vector<Entry>& sets, std::int64_t at_ms, bool session_done) {
  const Summary s = summarise(sets);
  SPOTTER_SQL(store_.add_to_day(user_id, DayTotals{day, session_done ? 1 : 0, s.sets, s.reps, s.volume_kg, s.duration_s, s.distance_m, s.calories_kcal}));
  for (const auto& e : sets)
    for (const auto& r : record_candidates(e)) {
      auto improved = store_.improve_record(user_id, *e.exercise_id, r, at_ms);
      if (!improved) return Unexpected<Error>{improved.error()};
      if (*improved)
        SPOTTER_SQL(platform_.events.publish({events::kRecordImproved,
                                              {{"user_id", user_id}, {"exercise_id", *e.exercise_id}, {"kind", r.kind}, {"value", r.value}, {"at_ms", at_ms}}}));
    }
  return {};
}

namespace {
std::optional<std::string> text_of(const Json& b, const char* name) {
  return b.contains(name) && b[name].is_string() ? std::optional<std::string>(b[name].get<std::string>()) : std::nullopt;
}
std::optional<std::int64_t> int_of(const Json& b, const char* name) {
  return b.contains(name) && b[name].is_number_integer() ? std::optional<std::int64_t>(b[name].get<std::int64_t>()) : std::nullopt;
}
// A machine's set joins the session in progress if it was done during it (a minute's slack
// for clocks); older sets that arrive late count in the analytics only.
constexpr std::int64_t kSetBeforeStartMs = 60'000;
}  // namespace

Status TrainingDomain::workout_recorded(const Event& e) {
  const Json& b = e.body;
  const auto workout_id = text_of(b, "workout_id"), user_id = text_of(b, "user_id"), machine_id = text_of(b, "machine_id");
  if (!workout_id || !user_id || !machine_id || !b.contains("workout")) return {};
  const std::int64_t at = int_of(b, "ended_at_ms").value_or(platform_.now_ms());
  auto sets = entries_of_workout(b["workout"]);
  if (sets.empty()) return {};
  auto session = store_.in_progress_of(*user_id);
  if (!session) return Unexpected<Error>{session.error()};
  std::optional<std::string> training_session;
  std::vector<std::string> plan_exercises;
  if (*session && at >= (*session)->started_at - kSetBeforeStartMs) {
    training_session = (*session)->id;
    if (auto snapshot = parse_json_strict((*session)->snapshot))
      if (auto day = day_from_json(*snapshot)) plan_exercises = exercise_ids({*day});
  }
  Status lookup_failed;
  auto machine_type_of = [&](const std::string& id) -> std::optional<std::string> {
    auto t = this->machine_type_of(id);
    if (!t) {
      lookup_failed = Unexpected<Error>{t.error()};
      return std::nullopt;
    }
    return *t;
  };
  const auto exercise = exercise_for_machine_set(plan_exercises, machine_type_of, text_of(b, "machine_type").value_or(""), text_of(b["workout"], "exercise"));
  if (!lookup_failed) return lookup_failed;
  std::int64_t first_index = 1;
  if (training_session && exercise) {
    auto before = store_.machine_sets_of_exercise(*training_session, *exercise);
    if (!before) return Unexpected<Error>{before.error()};
    first_index = *before + 1;
  }
  auto day = member_day(*user_id, at);
  if (!day) return Unexpected<Error>{day.error()};
  std::vector<Entry> counted;
  for (std::size_t part = 0; part < sets.size(); ++part) {
    Entry entry = sets[part];
    entry.exercise_id = exercise;
    entry.set_index = first_index + static_cast<std::int64_t>(part);
    entry.machine_id = machine_id;
    entry.workout_id = workout_id;
    entry.at_ms = at;
    auto inserted = store_.insert_machine_set(MachineSet{*workout_id, static_cast<std::int64_t>(part), *user_id, training_session, *machine_id, entry, at});
    if (!inserted) return Unexpected<Error>{inserted.error()};
    if (*inserted) counted.push_back(std::move(entry));
  }
  if (counted.empty()) return {};  // seen before
  return count_sets(*user_id, *day, counted, at, false);
}

Status TrainingDomain::workout_withdrawn(const Event& e) {
  const auto workout_id = text_of(e.body, "workout_id");
  if (!workout_id) return {};
  auto removed = store_.remove_machine_sets(*workout_id);
  if (!removed) return Unexpected<Error>{removed.error()};
  if (removed->empty()) return {};
  std::vector<Entry> sets;
  for (const auto& s : *removed) sets.push_back(s.entry);
  const auto& first = removed->front();
  auto day = member_day(first.user_id, first.at);
  if (!day) return Unexpected<Error>{day.error()};
  // Its totals leave the day; a record it set stays (it was a real set, counted roughly).
  const Summary s = summarise(sets);
  return store_.add_to_day(first.user_id, DayTotals{*day, 0, -s.sets, -s.reps, -s.volume_kg, -s.duration_s, -s.distance_m, -s.calories_kcal});
}

Status TrainingDomain::visit_started(const Event& e) {
  const auto visit = text_of(e.body, "session_id"), user_id = text_of(e.body, "user_id");
  const auto at = int_of(e.body, "started_at_ms");
  if (!visit || !user_id || !at) return {};
  auto day = member_day(*user_id, *at);
  if (!day) return Unexpected<Error>{day.error()};
  auto counted = store_.count_visit(*visit, *user_id, *day);
  if (!counted) return Unexpected<Error>{counted.error()};
  return {};
}

}  // namespace spotter::cloud::training
