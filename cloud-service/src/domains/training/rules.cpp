#include "rules.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "../../core/dates.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::training {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Optional bounded numbers of an object: absent or null is nullopt; anything else out of
// type or range is a problem named by its path.
std::optional<std::int64_t> opt_int(const Json& o, const char* name, std::int64_t lo, std::int64_t hi, const std::string& path, Problems& p) {
  if (!o.contains(name) || o[name].is_null()) return std::nullopt;
  const Json& v = o[name];
  if (!v.is_number_integer()) {
    p.add(path + "." + name, "must be an integer");
    return std::nullopt;
  }
  const auto x = v.get<std::int64_t>();
  if (x < lo || x > hi) {
    p.add(path + "." + name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::nullopt;
  }
  return x;
}

std::optional<double> opt_number(const Json& o, const char* name, double lo, double hi, const std::string& path, Problems& p) {
  if (!o.contains(name) || o[name].is_null()) return std::nullopt;
  const Json& v = o[name];
  if (!v.is_number()) {
    p.add(path + "." + name, "must be a number");
    return std::nullopt;
  }
  const auto x = v.get<double>();
  if (!(x >= lo && x <= hi)) {
    p.add(path + "." + name, "must be between " + std::to_string(static_cast<long long>(lo)) + " and " + std::to_string(static_cast<long long>(hi)));
    return std::nullopt;
  }
  return x;
}

std::string req_id(const Json& o, const char* name, const std::string& path, Problems& p) {
  if (!o.contains(name) || !o[name].is_string() || !is_valid_id(o[name].get_ref<const std::string&>())) {
    p.add(path + "." + name, "must be an id ([A-Za-z0-9_-]{1,64})");
    return {};
  }
  return o[name].get<std::string>();
}

template <class T>
void put(Json& j, const char* name, const std::optional<T>& v) {
  if (v) j[name] = *v;
}

// Reads a stored value back (our own JSON): wrong types are treated as absent.
std::optional<std::int64_t> stored_int(const Json& o, const char* name) {
  return o.contains(name) && o[name].is_number_integer() ? std::optional<std::int64_t>(o[name].get<std::int64_t>()) : std::nullopt;
}
std::optional<double> stored_number(const Json& o, const char* name) {
  return o.contains(name) && o[name].is_number() ? std::optional<double>(o[name].get<double>()) : std::nullopt;
}
std::optional<std::string> stored_text(const Json& o, const char* name) {
  return o.contains(name) && o[name].is_string() ? std::optional<std::string>(o[name].get<std::string>()) : std::nullopt;
}

PlannedSet parse_set(const Json& s, const std::string& path, Problems& p) {
  PlannedSet out;
  if (!s.is_object()) {
    p.add(path, "must be an object");
    return out;
  }
  out.reps = opt_int(s, "reps", 0, 1000, path, p);
  out.rest_s = opt_int(s, "rest_s", 0, 3600, path, p);
  out.weight_kg = opt_number(s, "weight_kg", 0, 1000, path, p);
  out.duration_s = opt_number(s, "duration_s", 0, 86400, path, p);
  out.distance_m = opt_number(s, "distance_m", 0, 1000000, path, p);
  return out;
}

}  // namespace

Json exercise_json(const Exercise& e) {
  Json j = {{"id", e.id}, {"name", e.name}, {"category", e.category}, {"muscles", e.muscles}, {"equipment", e.equipment},
            {"machine_type", e.machine_type ? Json(*e.machine_type) : Json(nullptr)}, {"custom", e.branch_id.has_value()}};
  if (e.branch_id) j["branch_id"] = *e.branch_id;
  return j;
}

bool exercise_matches(const Exercise& e, std::string_view q, std::string_view category, std::string_view equipment) {
  if (!category.empty() && e.category != category) return false;
  if (!equipment.empty() && e.equipment != equipment) return false;
  if (q.empty()) return true;
  const std::string needle = lower(q);
  return lower(e.name).find(needle) != std::string::npos || e.id.find(needle) != std::string::npos;
}

std::vector<PlanDay> parse_days(const Json* days, Problems& p) {
  std::vector<PlanDay> out;
  if (!days || !days->is_array() || days->empty() || days->size() > kMaxPlanDays) {
    p.add("days", "must be an array of 1 to " + std::to_string(kMaxPlanDays) + " days");
    return out;
  }
  for (std::size_t d = 0; d < days->size(); ++d) {
    const Json& day = (*days)[d];
    const std::string path = "days[" + std::to_string(d) + "]";
    if (!day.is_object()) {
      p.add(path, "must be an object");
      continue;
    }
    PlanDay pd;
    if (!day.contains("name") || !day["name"].is_string() || day["name"].get_ref<const std::string&>().empty() ||
        day["name"].get_ref<const std::string&>().size() > 100)
      p.add(path + ".name", "must be a text of 1 to 100 characters");
    else
      pd.name = day["name"].get<std::string>();
    const Json* exercises = day.contains("exercises") ? &day["exercises"] : nullptr;
    if (!exercises || !exercises->is_array() || exercises->empty() || exercises->size() > kMaxDayExercises) {
      p.add(path + ".exercises", "must be an array of 1 to " + std::to_string(kMaxDayExercises) + " exercises");
      continue;
    }
    for (std::size_t x = 0; x < exercises->size(); ++x) {
      const Json& ex = (*exercises)[x];
      const std::string xpath = path + ".exercises[" + std::to_string(x) + "]";
      if (!ex.is_object()) {
        p.add(xpath, "must be an object");
        continue;
      }
      PlannedExercise pe;
      pe.exercise_id = req_id(ex, "exercise_id", xpath, p);
      const Json* sets = ex.contains("sets") ? &ex["sets"] : nullptr;
      if (!sets || !sets->is_array() || sets->empty() || sets->size() > kMaxPlannedSets) {
        p.add(xpath + ".sets", "must be an array of 1 to " + std::to_string(kMaxPlannedSets) + " sets");
      } else {
        for (std::size_t s = 0; s < sets->size(); ++s) pe.sets.push_back(parse_set((*sets)[s], xpath + ".sets[" + std::to_string(s) + "]", p));
      }
      pd.exercises.push_back(std::move(pe));
    }
    out.push_back(std::move(pd));
  }
  return out;
}

Json day_json(const PlanDay& day) {
  Json exercises = Json::array();
  for (const auto& e : day.exercises) {
    Json sets = Json::array();
    for (const auto& s : e.sets) {
      Json j = Json::object();
      put(j, "reps", s.reps);
      put(j, "weight_kg", s.weight_kg);
      put(j, "duration_s", s.duration_s);
      put(j, "distance_m", s.distance_m);
      put(j, "rest_s", s.rest_s);
      sets.push_back(std::move(j));
    }
    exercises.push_back({{"exercise_id", e.exercise_id}, {"sets", std::move(sets)}});
  }
  return {{"name", day.name}, {"exercises", std::move(exercises)}};
}

Json days_json(const std::vector<PlanDay>& days) {
  Json out = Json::array();
  for (const auto& d : days) out.push_back(day_json(d));
  return out;
}

std::optional<PlanDay> day_from_json(const Json& stored) {
  if (!stored.is_object() || !stored.contains("exercises") || !stored["exercises"].is_array()) return std::nullopt;
  PlanDay day;
  day.name = stored_text(stored, "name").value_or("");
  for (const auto& e : stored["exercises"]) {
    if (!e.is_object()) continue;
    PlannedExercise pe;
    pe.exercise_id = stored_text(e, "exercise_id").value_or("");
    if (e.contains("sets") && e["sets"].is_array())
      for (const auto& s : e["sets"])
        if (s.is_object())
          pe.sets.push_back({stored_int(s, "reps"), stored_int(s, "rest_s"), stored_number(s, "weight_kg"), stored_number(s, "duration_s"),
                             stored_number(s, "distance_m")});
    day.exercises.push_back(std::move(pe));
  }
  return day;
}

std::vector<std::string> exercise_ids(const std::vector<PlanDay>& days) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& d : days)
    for (const auto& e : d.exercises)
      if (!e.exercise_id.empty() && seen.insert(e.exercise_id).second) out.push_back(e.exercise_id);
  return out;
}

std::vector<Entry> parse_entries(const Json* entries, Problems& p, const std::string& field) {
  std::vector<Entry> out;
  if (!entries || !entries->is_array() || entries->size() > kMaxEntries) {
    p.add(field, "must be an array of at most " + std::to_string(kMaxEntries) + " entries");
    return out;
  }
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Json& e = (*entries)[i];
    const std::string path = field + "[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      p.add(path, "must be an object");
      continue;
    }
    Entry en;
    en.exercise_id = req_id(e, "exercise_id", path, p);
    if (auto idx = opt_int(e, "set_index", 1, 100, path, p)) en.set_index = *idx;
    else if (!e.contains("set_index")) p.add(path + ".set_index", "is required");
    en.reps = opt_int(e, "reps", 0, 1000, path, p);
    en.weight_kg = opt_number(e, "weight_kg", 0, 1000, path, p);
    en.duration_s = opt_number(e, "duration_s", 0, 86400, path, p);
    en.distance_m = opt_number(e, "distance_m", 0, 1000000, path, p);
    if (!e.contains("done") || !e["done"].is_boolean()) p.add(path + ".done", "must be true or false");
    else en.done = e["done"].get<bool>();
    out.push_back(std::move(en));
  }
  return out;
}

Json entry_json(const Entry& e) {
  Json j = {{"exercise_id", e.exercise_id ? Json(*e.exercise_id) : Json(nullptr)}, {"set_index", e.set_index}, {"done", e.done}, {"source", e.source}};
  put(j, "reps", e.reps);
  put(j, "weight_kg", e.weight_kg);
  put(j, "duration_s", e.duration_s);
  put(j, "distance_m", e.distance_m);
  put(j, "calories_kcal", e.calories_kcal);
  put(j, "machine_id", e.machine_id);
  put(j, "workout_id", e.workout_id);
  if (e.at_ms) j["at_ms"] = *e.at_ms;
  return j;
}

Json entries_json(const std::vector<Entry>& entries) {
  Json out = Json::array();
  for (const auto& e : entries) out.push_back(entry_json(e));
  return out;
}

std::optional<Entry> entry_from_json(const Json& s) {
  if (!s.is_object()) return std::nullopt;
  Entry e;
  e.exercise_id = stored_text(s, "exercise_id");
  e.set_index = stored_int(s, "set_index").value_or(1);
  e.reps = stored_int(s, "reps");
  e.weight_kg = stored_number(s, "weight_kg");
  e.duration_s = stored_number(s, "duration_s");
  e.distance_m = stored_number(s, "distance_m");
  e.calories_kcal = stored_number(s, "calories_kcal");
  e.done = !s.contains("done") || !s["done"].is_boolean() || s["done"].get<bool>();
  e.source = stored_text(s, "source").value_or("member");
  e.machine_id = stored_text(s, "machine_id");
  e.workout_id = stored_text(s, "workout_id");
  e.at_ms = stored_int(s, "at_ms");
  return e;
}

void Summary::add(const Entry& e) {
  if (!e.done) return;
  ++sets;
  const std::int64_t r = e.reps.value_or(0);
  reps += r;
  volume_kg += e.weight_kg.value_or(0) * static_cast<double>(r);
  duration_s += e.duration_s.value_or(0);
  distance_m += e.distance_m.value_or(0);
  calories_kcal += e.calories_kcal.value_or(0);
}

Summary summarise(const std::vector<Entry>& entries) {
  Summary s;
  for (const auto& e : entries) s.add(e);
  return s;
}

Json summary_json(const Summary& s) {
  return {{"sets", s.sets},
          {"reps", s.reps},
          {"volume_kg", s.volume_kg},
          {"duration_s", s.duration_s},
          {"distance_m", s.distance_m},
          {"calories_kcal", s.calories_kcal}};
}

std::vector<Entry> entries_of_workout(const Json& w) {
  std::vector<Entry> out;
  if (!w.is_object()) return out;
  const auto category = stored_text(w, "category").value_or("");
  if (category == "strength") {
    if (!w.contains("sets") || !w["sets"].is_array()) return out;
    std::int64_t index = 0;
    for (const auto& s : w["sets"]) {
      if (!s.is_object()) continue;
      Entry e;
      e.set_index = ++index;
      e.reps = stored_int(s, "reps");
      e.weight_kg = stored_number(s, "weight_kg");
      out.push_back(std::move(e));
    }
  } else if (category == "cardio" || category == "functional") {
    Entry e;
    e.duration_s = stored_number(w, "duration_s");
    e.distance_m = stored_number(w, "distance_m");
    e.calories_kcal = stored_number(w, "calories_kcal");
    e.reps = stored_int(w, "reps");
    out.push_back(std::move(e));
  }
  for (auto& e : out) e.source = "machine";
  return out;
}

std::optional<std::string> exercise_for_machine_set(const std::vector<std::string>& plan_exercises,
                                                    const std::function<std::optional<std::string>(const std::string&)>& machine_type_of,
                                                    std::string_view machine_type, const std::optional<std::string>& named) {
  if (named)
    for (const auto& id : plan_exercises)
      if (id == *named) return id;
  if (!machine_type.empty())
    for (const auto& id : plan_exercises)
      if (auto t = machine_type_of(id); t && *t == machine_type) return id;
  if (named && catalogue_exercise(*named)) return *named;
  if (!machine_type.empty())
    for (const auto& e : catalogue())
      if (e.machine_type && *e.machine_type == machine_type) return e.id;
  return std::nullopt;
}

double epley_1rm(double weight_kg, std::int64_t reps) { return weight_kg * (1.0 + static_cast<double>(reps) / 30.0); }

bool lower_is_better(std::string_view kind) { return kind == "fastest_pace_s_per_km"; }

std::vector<RecordCandidate> record_candidates(const Entry& e) {
  std::vector<RecordCandidate> out;
  if (!e.done || !e.exercise_id) return out;
  const double w = e.weight_kg.value_or(0);
  const std::int64_t r = e.reps.value_or(0);
  if (w > 0 && r > 0) {
    out.push_back({"heaviest_weight_kg", w});
    out.push_back({"best_1rm_kg", epley_1rm(w, r)});
  }
  if (r > 0) out.push_back({"most_reps", static_cast<double>(r)});
  const double d = e.distance_m.value_or(0), t = e.duration_s.value_or(0);
  if (d > 0) out.push_back({"longest_distance_m", d});
  if (d >= 1000 && t > 0) out.push_back({"fastest_pace_s_per_km", t / (d / 1000.0)});
  return out;
}

Streaks streaks(const std::vector<std::int64_t>& days, std::int64_t today) {
  Streaks s;
  if (days.empty()) return s;
  // Weeks: runs of consecutive ISO weeks.
  std::vector<std::int64_t> weeks;
  for (auto d : days) {
    const auto w = week_start(d) / 7;
    if (weeks.empty() || weeks.back() != w) weeks.push_back(w);
  }
  std::int64_t run = 0, prev = 0;
  for (std::size_t i = 0; i < weeks.size(); ++i) {
    run = (i > 0 && weeks[i] == prev + 1) ? run + 1 : 1;
    prev = weeks[i];
    s.longest_weeks = std::max(s.longest_weeks, run);
  }
  const auto this_week = week_start(today) / 7;
  if (weeks.back() == this_week || weeks.back() == this_week - 1) s.current_weeks = run;
  // Days: the run ending today, or yesterday while today is not over.
  std::int64_t day_run = 0;
  if (days.back() == today || days.back() == today - 1) {
    std::int64_t expect = days.back();
    for (std::size_t i = days.size(); i-- > 0;) {
      if (days[i] > expect) continue;  // the same day twice
      if (days[i] != expect) break;
      ++day_run;
      --expect;
    }
  }
  s.current_days = day_run;
  return s;
}

Json periods_json(const std::vector<DayTotals>& days, std::int64_t from_day, std::int64_t to_day, bool weekly) {
  std::map<std::int64_t, DayTotals> buckets;
  const auto bucket_of = [weekly](std::int64_t d) { return weekly ? week_start(d) : d; };
  for (auto d = bucket_of(from_day); d <= to_day; d += weekly ? 7 : 1) buckets[d].day = d;
  for (const auto& t : days) {
    if (t.day < from_day || t.day > to_day) continue;
    auto& b = buckets[bucket_of(t.day)];
    b.training_sessions += t.training_sessions;
    b.sets += t.sets;
    b.reps += t.reps;
    b.volume_kg += t.volume_kg;
    b.duration_s += t.duration_s;
    b.distance_m += t.distance_m;
    b.calories_kcal += t.calories_kcal;
  }
  Json items = Json::array();
  for (const auto& [start, b] : buckets)
    items.push_back({{"period_start", format_date(start)}, {"training_sessions", b.training_sessions}, {"sets", b.sets}, {"reps", b.reps},
                     {"volume_kg", b.volume_kg}, {"duration_s", b.duration_s}, {"distance_m", b.distance_m}, {"calories_kcal", b.calories_kcal}});
  return items;
}

}  // namespace spotter::cloud::training
