// The training domain's tables and all of their SQL: custom exercises, plans, training
// sessions (member-written entries as JSON on the session; machine-reported sets as rows),
// and what analytics read: totals per member and day, personal records, visits counted.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "rules.hpp"
#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::training {

struct PlanRow {
  std::string id, user_id, author_id, name, days;  // days: JSON text
  bool archived = false, used = false;
  std::int64_t created_at = 0, updated_at = 0;
};

struct SessionRow {
  std::string id, user_id, plan_id;
  std::int64_t day_index = 0;
  std::string date, status;
  std::int64_t started_at = 0;
  std::optional<std::int64_t> completed_at;
  std::string snapshot, entries;      // JSON text
  std::optional<std::string> summary;  // JSON text, once completed
};

struct SessionFilter {
  std::string user_id;
  std::optional<std::string> from_date, to_date, status, plan_id;
  std::optional<std::pair<std::int64_t, std::string>> before;  // (started_at, id) of the last shown
  std::int64_t limit = 50;
};

struct MachineSet {
  std::string workout_id;
  std::int64_t part = 0;
  std::string user_id;
  std::optional<std::string> training_session_id;
  std::string machine_id;
  Entry entry;  // exercise, set index, numbers; source "machine"
  std::int64_t at = 0;
};

struct RecordRow {
  std::string exercise_id, kind;
  double value = 0;
  std::int64_t at = 0;
};

class TrainingStore {
 public:
  explicit TrainingStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();
  // An erased person's plans, training sessions, sets, days and records (plans they wrote for
  // others stay). org::events::kMemberErased.
  Status erase_member(const std::string& user_id);

  // Custom exercises
  Status insert_exercise(const Exercise& e, const std::string& created_by, std::int64_t now);
  Result<std::vector<Exercise>> custom_exercises();
  Result<std::optional<Exercise>> custom_exercise(const std::string& id);

  // Plans
  Status insert_plan(const PlanRow& p);
  Result<std::optional<PlanRow>> plan(const std::string& id);
  Result<std::vector<PlanRow>> plans_of(const std::string& user_id, bool with_archived, const std::optional<std::string>& after_id, std::int64_t limit);
  Status update_plan(const std::string& id, const std::string& name, const std::string& days, std::int64_t now);
  // A plan with training sessions is archived; one without is removed. True: removed.
  Result<bool> delete_plan(const std::string& id, std::int64_t now);

  // Training sessions. insert: conflict when the member has one in progress.
  Status insert_session(const SessionRow& s, std::int64_t now);
  Result<std::optional<SessionRow>> session(const std::string& id);
  Result<std::optional<SessionRow>> in_progress_of(const std::string& user_id);
  // Only while in progress; false otherwise.
  Result<bool> set_entries(const std::string& id, const std::string& entries, std::int64_t now);
  Result<bool> complete(const std::string& id, const std::optional<std::string>& entries, const std::string& summary, std::int64_t now);
  Result<std::vector<SessionRow>> sessions(const SessionFilter& f);  // without snapshot and entries

  // Machine sets: once per (workout, part); false when already there.
  Result<bool> insert_machine_set(const MachineSet& s);
  Result<std::vector<Entry>> machine_sets_of(const std::string& training_session_id);
  Result<std::int64_t> machine_sets_of_exercise(const std::string& training_session_id, const std::string& exercise_id);
  // Removes a workout's sets (a link summary the machine's own set replaced): those removed.
  Result<std::vector<MachineSet>> remove_machine_sets(const std::string& workout_id);

  // Analytics
  Status add_to_day(const std::string& user_id, const DayTotals& delta);
  // True the first time a visit is counted.
  Result<bool> count_visit(const std::string& visit_id, const std::string& user_id, std::int64_t day);
  // True when it is a new record (the first, or better than the last).
  Result<bool> improve_record(const std::string& user_id, const std::string& exercise_id, const RecordCandidate& r, std::int64_t at);
  Result<std::vector<RecordRow>> records_of(const std::string& user_id);
  Result<std::vector<std::int64_t>> active_days(const std::string& user_id);
  Result<std::vector<DayTotals>> days_of(const std::string& user_id, std::int64_t from_day, std::int64_t to_day);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::training
