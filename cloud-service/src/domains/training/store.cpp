#include "store.hpp"

namespace spotter::cloud::training {

std::vector<Migration> TrainingStore::migrations() {
  return {
      {"training/1", R"sql(
CREATE TABLE custom_exercises (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL, name TEXT NOT NULL, category TEXT NOT NULL,
  muscles TEXT NOT NULL, equipment TEXT NOT NULL, machine_type TEXT, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE workout_plans (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, author_id TEXT NOT NULL, name TEXT NOT NULL,
  days TEXT NOT NULL, archived BOOLEAN NOT NULL DEFAULT FALSE, used BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX workout_plans_user ON workout_plans(user_id, id);
CREATE TABLE training_sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, plan_id TEXT NOT NULL REFERENCES workout_plans(id),
  day_index BIGINT NOT NULL, date TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed')),
  started_at BIGINT NOT NULL, completed_at BIGINT, snapshot TEXT NOT NULL, entries TEXT NOT NULL, summary TEXT,
  updated_at BIGINT NOT NULL);
CREATE UNIQUE INDEX training_sessions_one_in_progress ON training_sessions(user_id) WHERE status = 'in_progress';
CREATE INDEX training_sessions_user ON training_sessions(user_id, started_at, id);
CREATE TABLE machine_sets (workout_id TEXT NOT NULL, part BIGINT NOT NULL, user_id TEXT NOT NULL,
  training_session_id TEXT REFERENCES training_sessions(id), machine_id TEXT NOT NULL, exercise_id TEXT,
  set_index BIGINT NOT NULL, reps BIGINT, weight_kg DOUBLE PRECISION, duration_s DOUBLE PRECISION,
  distance_m DOUBLE PRECISION, calories_kcal DOUBLE PRECISION, at BIGINT NOT NULL, PRIMARY KEY (workout_id, part));
CREATE INDEX machine_sets_session ON machine_sets(training_session_id, exercise_id) WHERE training_session_id IS NOT NULL;
CREATE TABLE training_days (user_id TEXT NOT NULL, day BIGINT NOT NULL, visits BIGINT NOT NULL DEFAULT 0,
  training_sessions BIGINT NOT NULL DEFAULT 0, sets BIGINT NOT NULL DEFAULT 0, reps BIGINT NOT NULL DEFAULT 0,
  volume_kg DOUBLE PRECISION NOT NULL DEFAULT 0, duration_s DOUBLE PRECISION NOT NULL DEFAULT 0,
  distance_m DOUBLE PRECISION NOT NULL DEFAULT 0, calories_kcal DOUBLE PRECISION NOT NULL DEFAULT 0, PRIMARY KEY (user_id, day));
CREATE TABLE training_records (user_id TEXT NOT NULL, exercise_id TEXT NOT NULL, kind TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (user_id, exercise_id, kind));
CREATE TABLE counted_visits (visit_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, day BIGINT NOT NULL);
)sql"},
  };
}

namespace {

std::vector<std::string> muscles_from(const std::string& text) {
  auto j = parse_json_strict(text);
  std::vector<std::string> out;
  if (j && j->is_array())
    for (const auto& m : *j)
      if (m.is_string()) out.push_back(m.get<std::string>());
  return out;
}

Exercise exercise_of(const SqlRow& r) {
  return Exercise{r.text(0), r.text(2), r.text(3), muscles_from(r.text(4)), r.text(5), r.optional_text(6), r.text(1)};
}

constexpr const char* kPlanColumns = "id, user_id, author_id, name, days, archived, used, created_at, updated_at";
PlanRow plan_of(const SqlRow& r) {
  return PlanRow{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.boolean(5), r.boolean(6), r.integer(7), r.integer(8)};
}

constexpr const char* kSessionColumns = "id, user_id, plan_id, day_index, date, status, started_at, completed_at, snapshot, entries, summary";
constexpr const char* kSummaryColumns = "id, user_id, plan_id, day_index, date, status, started_at, completed_at, '', '', summary";
SessionRow session_of(const SqlRow& r) {
  return SessionRow{r.text(0), r.text(1), r.text(2), r.integer(3), r.text(4), r.text(5), r.integer(6), r.optional_integer(7),
                    r.text(8), r.text(9), r.optional_text(10)};
}

}  // namespace

Status TrainingStore::insert_exercise(const Exercise& e, const std::string& created_by, std::int64_t now) {
  auto r = db_.execute("INSERT INTO custom_exercises (id, branch_id, name, category, muscles, equipment, machine_type, created_by, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       {e.id, e.branch_id.value_or(""), e.name, e.category, dump_json(Json(e.muscles)), e.equipment, sql_opt(e.machine_type),
                        created_by, now});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Result<std::vector<Exercise>> TrainingStore::custom_exercises() {
  auto rows = db_.query("SELECT id, branch_id, name, category, muscles, equipment, machine_type FROM custom_exercises ORDER BY id");
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Exercise> out;
  for (const auto& r : *rows) out.push_back(exercise_of(r));
  return out;
}

Result<std::optional<Exercise>> TrainingStore::custom_exercise(const std::string& id) {
  auto rows = db_.query("SELECT id, branch_id, name, category, muscles, equipment, machine_type FROM custom_exercises WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<Exercise>{};
  return std::optional<Exercise>{exercise_of(rows->front())};
}

Status TrainingStore::insert_plan(const PlanRow& p) {
  auto r = db_.execute(std::string("INSERT INTO workout_plans (") + kPlanColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       {p.id, p.user_id, p.author_id, p.name, p.days, p.archived, p.used, p.created_at, p.updated_at});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Result<std::optional<PlanRow>> TrainingStore::plan(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kPlanColumns + " FROM workout_plans WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<PlanRow>{};
  return std::optional<PlanRow>{plan_of(rows->front())};
}

Result<std::vector<PlanRow>> TrainingStore::plans_of(const std::string& user_id, bool with_archived, const std::optional<std::string>& after_id,
                                                     std::int64_t limit) {
  std::string sql = std::string("SELECT ") + kPlanColumns + " FROM workout_plans WHERE user_id = ? AND id > ?";
  if (!with_archived) sql += " AND archived = FALSE";
  sql += " ORDER BY id LIMIT ?";
  auto rows = db_.query(sql, {user_id, after_id.value_or(""), limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<PlanRow> out;
  for (const auto& r : *rows) out.push_back(plan_of(r));
  return out;
}

Status TrainingStore::update_plan(const std::string& id, const std::string& name, const std::string& days, std::int64_t now) {
  auto r = db_.execute("UPDATE workout_plans SET name = ?, days = ?, updated_at = ? WHERE id = ?", {name, days, now, id});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Result<bool> TrainingStore::delete_plan(const std::string& id, std::int64_t now) {
  bool removed = false;
  auto tx = db_.atomically([&]() -> Status {
    // Removed only when no training session ever used it (the session's foreign key keeps
    // that true under a concurrent start: the delete fails and the plan is archived).
    auto gone = db_.execute("DELETE FROM workout_plans WHERE id = ? AND used = FALSE", {id});
    if (!gone) return Unexpected<Error>{gone.error()};
    removed = *gone > 0;
    if (removed) return {};
    auto archived = db_.execute("UPDATE workout_plans SET archived = TRUE, updated_at = ? WHERE id = ?", {now, id});
    if (!archived) return Unexpected<Error>{archived.error()};
    return {};
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return removed;
}

Status TrainingStore::insert_session(const SessionRow& s, std::int64_t now) {
  return db_.atomically([&]() -> Status {
    SPOTTER_SQL(db_.execute("UPDATE workout_plans SET used = TRUE WHERE id = ?", {s.plan_id}));
    SPOTTER_SQL(db_.execute(std::string("INSERT INTO training_sessions (") + kSessionColumns + ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            {s.id, s.user_id, s.plan_id, s.day_index, s.date, s.status, s.started_at, sql_opt(s.completed_at), s.snapshot, s.entries,
                             sql_opt(s.summary), now}));
    return {};
  });
}

Result<std::optional<SessionRow>> TrainingStore::session(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kSessionColumns + " FROM training_sessions WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<SessionRow>{};
  return std::optional<SessionRow>{session_of(rows->front())};
}

Result<std::optional<SessionRow>> TrainingStore::in_progress_of(const std::string& user_id) {
  auto rows = db_.query(std::string("SELECT ") + kSessionColumns + " FROM training_sessions WHERE user_id = ? AND status = 'in_progress'", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<SessionRow>{};
  return std::optional<SessionRow>{session_of(rows->front())};
}

Result<bool> TrainingStore::set_entries(const std::string& id, const std::string& entries, std::int64_t now) {
  auto r = db_.execute("UPDATE training_sessions SET entries = ?, updated_at = ? WHERE id = ? AND status = 'in_progress'", {entries, now, id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<bool> TrainingStore::complete(const std::string& id, const std::optional<std::string>& entries, const std::string& summary, std::int64_t now) {
  auto r = db_.execute("UPDATE training_sessions SET status = 'completed', completed_at = ?, summary = ?, updated_at = ?, "
                       "entries = COALESCE(?, entries) WHERE id = ? AND status = 'in_progress'",
                       {now, summary, now, sql_opt(entries), id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<std::vector<SessionRow>> TrainingStore::sessions(const SessionFilter& f) {
  std::string sql = std::string("SELECT ") + kSummaryColumns + " FROM training_sessions WHERE user_id = ?";
  std::vector<SqlValue> params{f.user_id};
  if (f.from_date) sql += " AND date >= ?", params.emplace_back(*f.from_date);
  if (f.to_date) sql += " AND date <= ?", params.emplace_back(*f.to_date);
  if (f.status) sql += " AND status = ?", params.emplace_back(*f.status);
  if (f.plan_id) sql += " AND plan_id = ?", params.emplace_back(*f.plan_id);
  if (f.before) {
    sql += " AND (started_at < ? OR (started_at = ? AND id < ?))";
    params.emplace_back(f.before->first);
    params.emplace_back(f.before->first);
    params.emplace_back(f.before->second);
  }
  sql += " ORDER BY started_at DESC, id DESC LIMIT ?";
  params.emplace_back(f.limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<SessionRow> out;
  for (const auto& r : *rows) out.push_back(session_of(r));
  return out;
}

Result<bool> TrainingStore::insert_machine_set(const MachineSet& s) {
  const Entry& e = s.entry;
  auto r = db_.execute("INSERT INTO machine_sets (workout_id, part, user_id, training_session_id, machine_id, exercise_id, set_index, reps, "
                       "weight_kg, duration_s, distance_m, calories_kcal, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (workout_id, part) DO NOTHING",
                       {s.workout_id, s.part, s.user_id, sql_opt(s.training_session_id), s.machine_id, sql_opt(e.exercise_id), e.set_index,
                        sql_opt(e.reps), sql_opt(e.weight_kg), sql_opt(e.duration_s), sql_opt(e.distance_m), sql_opt(e.calories_kcal), s.at});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<std::vector<Entry>> TrainingStore::machine_sets_of(const std::string& training_session_id) {
  auto rows = db_.query("SELECT exercise_id, set_index, reps, weight_kg, duration_s, distance_m, calories_kcal, machine_id, workout_id, at "
                        "FROM machine_sets WHERE training_session_id = ? ORDER BY at, workout_id, part",
                        {training_session_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Entry> out;
  for (const auto& r : *rows)
    out.push_back(Entry{r.optional_text(0), r.integer(1), r.optional_integer(2), r.optional_number(3), r.optional_number(4), r.optional_number(5),
                        r.optional_number(6), true, "machine", r.text(7), r.text(8), r.integer(9)});
  return out;
}

Result<std::int64_t> TrainingStore::machine_sets_of_exercise(const std::string& training_session_id, const std::string& exercise_id) {
  auto rows = db_.query("SELECT COUNT(*) FROM machine_sets WHERE training_session_id = ? AND exercise_id = ?", {training_session_id, exercise_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  return rows->empty() ? 0 : rows->front().integer(0);
}

Result<std::vector<MachineSet>> TrainingStore::remove_machine_sets(const std::string& workout_id) {
  auto rows = db_.query("DELETE FROM machine_sets WHERE workout_id = ? RETURNING user_id, machine_id, exercise_id, set_index, reps, weight_kg, "
                        "duration_s, distance_m, calories_kcal, at, part, training_session_id",
                        {workout_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<MachineSet> out;
  for (const auto& r : *rows) {
    Entry e{r.optional_text(2), r.integer(3), r.optional_integer(4), r.optional_number(5), r.optional_number(6), r.optional_number(7),
            r.optional_number(8), true, "machine", r.text(1), workout_id, r.integer(9)};
    out.push_back(MachineSet{workout_id, r.integer(10), r.text(0), r.optional_text(11), r.text(1), std::move(e), r.integer(9)});
  }
  return out;
}

Status TrainingStore::add_to_day(const std::string& user_id, const DayTotals& d) {
  auto r = db_.execute(
      "INSERT INTO training_days (user_id, day, training_sessions, sets, reps, volume_kg, duration_s, distance_m, calories_kcal) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, day) DO UPDATE SET "
      "training_sessions = training_days.training_sessions + excluded.training_sessions, sets = training_days.sets + excluded.sets, "
      "reps = training_days.reps + excluded.reps, volume_kg = training_days.volume_kg + excluded.volume_kg, "
      "duration_s = training_days.duration_s + excluded.duration_s, distance_m = training_days.distance_m + excluded.distance_m, "
      "calories_kcal = training_days.calories_kcal + excluded.calories_kcal",
      {user_id, d.day, d.training_sessions, d.sets, d.reps, d.volume_kg, d.duration_s, d.distance_m, d.calories_kcal});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Result<bool> TrainingStore::count_visit(const std::string& visit_id, const std::string& user_id, std::int64_t day) {
  bool counted = false;
  auto tx = db_.atomically([&]() -> Status {
    auto first = db_.execute("INSERT INTO counted_visits (visit_id, user_id, day) VALUES (?, ?, ?) ON CONFLICT (visit_id) DO NOTHING", {visit_id, user_id, day});
    if (!first) return Unexpected<Error>{first.error()};
    counted = *first > 0;
    if (!counted) return {};
    SPOTTER_SQL(db_.execute("INSERT INTO training_days (user_id, day, visits) VALUES (?, ?, 1) "
                            "ON CONFLICT (user_id, day) DO UPDATE SET visits = training_days.visits + 1",
                            {user_id, day}));
    return {};
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return counted;
}

Result<bool> TrainingStore::improve_record(const std::string& user_id, const std::string& exercise_id, const RecordCandidate& r, std::int64_t at) {
  const std::string better = lower_is_better(r.kind) ? "excluded.value < training_records.value" : "excluded.value > training_records.value";
  auto x = db_.execute("INSERT INTO training_records (user_id, exercise_id, kind, value, at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (user_id, exercise_id, kind) DO UPDATE SET value = excluded.value, at = excluded.at WHERE " + better,
                       {user_id, exercise_id, r.kind, r.value, at});
  if (!x) return Unexpected<Error>{x.error()};
  return *x > 0;
}

Result<std::vector<RecordRow>> TrainingStore::records_of(const std::string& user_id) {
  auto rows = db_.query("SELECT exercise_id, kind, value, at FROM training_records WHERE user_id = ? ORDER BY exercise_id, kind", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<RecordRow> out;
  for (const auto& r : *rows) out.push_back({r.text(0), r.text(1), r.number(2), r.integer(3)});
  return out;
}

Result<std::vector<std::int64_t>> TrainingStore::active_days(const std::string& user_id) {
  auto rows = db_.query("SELECT day FROM training_days WHERE user_id = ? AND (visits > 0 OR training_sessions > 0) ORDER BY day", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::int64_t> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(r.integer(0));
  return out;
}

Result<std::vector<DayTotals>> TrainingStore::days_of(const std::string& user_id, std::int64_t from_day, std::int64_t to_day) {
  auto rows = db_.query("SELECT day, training_sessions, sets, reps, volume_kg, duration_s, distance_m, calories_kcal FROM training_days "
                        "WHERE user_id = ? AND day >= ? AND day <= ? ORDER BY day",
                        {user_id, from_day, to_day});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<DayTotals> out;
  for (const auto& r : *rows)
    out.push_back({r.integer(0), r.integer(1), r.integer(2), r.integer(3), r.number(4), r.number(5), r.number(6), r.number(7)});
  return out;
}

Status TrainingStore::erase_member(const std::string& user_id) {
  for (const char* sql : {"DELETE FROM machine_sets WHERE user_id = ?", "DELETE FROM training_sessions WHERE user_id = ?",
                          "DELETE FROM workout_plans WHERE user_id = ?", "DELETE FROM training_days WHERE user_id = ?",
                          "DELETE FROM training_records WHERE user_id = ?"})
    SPOTTER_SQL(db_.execute(sql, {user_id}));
  return {};
}

}  // namespace spotter::cloud::training
