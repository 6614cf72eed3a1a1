#include "attendance_store.hpp"

namespace spotter::cloud::sessions {

namespace {
constexpr const char* kColumns = "id, user_id, branch_id, started_at, ended_at, status, ended_by, source";

Result<std::vector<Visit>> visits(SqlDatabase& db, const std::string& sql, const std::vector<SqlValue>& params) {
  auto rows = db.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Visit> out;
  out.reserve(rows->size());
  for (const auto& r : *rows)
    out.push_back(Visit{.id = r.text(0), .user_id = r.text(1), .branch_id = r.text(2), .status = r.text(5), .source = r.text(7),
                        .started_at = r.integer(3), .ended_at = r.optional_integer(4), .ended_by = r.optional_text(6)});
  return out;
}
}  // namespace

std::vector<Migration> AttendanceStore::migrations() {
  return {
      // One row per member whose visits staff corrected: its lock makes the overlap check
      // and the write one step for that member.
      {"sessions/3", R"sql(
CREATE TABLE attendance_locks (user_id TEXT PRIMARY KEY, at BIGINT NOT NULL);
)sql"},
  };
}

Result<std::vector<Visit>> AttendanceStore::started_at_branch(const std::string& branch_id, std::int64_t from, std::int64_t to) {
  return visits(db_, std::string("SELECT ") + kColumns + " FROM gym_sessions WHERE branch_id = ? AND started_at >= ? AND started_at < ? ORDER BY started_at, id",
                {branch_id, from, to});
}

Result<std::vector<Visit>> AttendanceStore::of_member(const std::string& user_id, std::int64_t from, std::int64_t to) {
  return visits(db_, std::string("SELECT ") + kColumns + " FROM gym_sessions WHERE user_id = ? AND started_at >= ? AND started_at < ? ORDER BY started_at, id",
                {user_id, from, to});
}

Status AttendanceStore::lock_member(const std::string& user_id) {
  SPOTTER_SQL(db_.execute("INSERT INTO attendance_locks (user_id, at) VALUES (?, 0) ON CONFLICT (user_id) DO UPDATE SET at = attendance_locks.at + 1",
                          {user_id}));
  return {};
}

Result<bool> AttendanceStore::overlaps(const std::string& user_id, std::int64_t from, std::int64_t to, std::int64_t now, const std::string& except_id) {
  // A visit starts before `to` and ends (or, in progress, lasts until now) after `from`;
  // visits last at most a day, so only those started in the day before `from` can reach it.
  auto rows = db_.query("SELECT 1 FROM gym_sessions WHERE user_id = ? AND id <> ? AND started_at < ? AND started_at > ? "
                        "AND COALESCE(ended_at, ?) > ? LIMIT 1",
                        {user_id, except_id, to, from - 24LL * 3'600'000 - 1, now, from});
  if (!rows) return Unexpected<Error>{rows.error()};
  return !rows->empty();
}

Status AttendanceStore::insert_closed(const Visit& v) {
  SPOTTER_SQL(db_.execute("INSERT INTO gym_sessions (id, user_id, branch_id, started_at, ended_at, status, ended_by, source) VALUES (?, ?, ?, ?, ?, 'ended', ?, ?)",
                          {v.id, v.user_id, v.branch_id, v.started_at, v.ended_at.value_or(v.started_at), v.ended_by.value_or("staff"), v.source}));
  return {};
}

Result<bool> AttendanceStore::move_end(const std::string& id, std::int64_t ended_at, const std::string& ended_by) {
  auto n = db_.execute("UPDATE gym_sessions SET ended_at = ?, ended_by = ? WHERE id = ? AND status = 'ended'", {ended_at, ended_by, id});
  if (!n) return Unexpected<Error>{n.error()};
  return *n > 0;
}

}  // namespace spotter::cloud::sessions
