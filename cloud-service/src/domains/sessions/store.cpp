#include "store.hpp"

namespace spotter::cloud::sessions {
namespace {

constexpr const char* kColumns = "id, user_id, branch_id, started_at, ended_at, status, ended_by, source";

Visit visit_of(const SqlRow& r) {
  return Visit{.id = r.text(0), .user_id = r.text(1), .branch_id = r.text(2), .status = r.text(5), .source = r.text(7),
               .started_at = r.integer(3), .ended_at = r.optional_integer(4), .ended_by = r.optional_text(6)};
}

Result<std::optional<Visit>> one_visit(SqlDatabase& db, const std::string& sql, const std::vector<SqlValue>& params) {
  auto rows = db.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<Visit>{};
  return std::optional<Visit>{visit_of(rows->front())};
}

}  // namespace

std::vector<Migration> SessionStore::migrations() {
  return {
      {"sessions/1", R"sql(
CREATE TABLE gym_sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  branch_id TEXT NOT NULL REFERENCES branches(id), started_at BIGINT NOT NULL, ended_at BIGINT,
  status TEXT NOT NULL CHECK (status IN ('active','ended')), ended_by TEXT, source TEXT NOT NULL);
CREATE UNIQUE INDEX gym_sessions_one_active ON gym_sessions(user_id) WHERE status = 'active';
CREATE INDEX gym_sessions_user ON gym_sessions(user_id, started_at);
CREATE INDEX gym_sessions_branch ON gym_sessions(branch_id, started_at);
CREATE INDEX gym_sessions_active_since ON gym_sessions(started_at) WHERE status = 'active';
CREATE TABLE session_aliases (alias_id TEXT PRIMARY KEY, session_id TEXT NOT NULL);
)sql"},
      // The auto-end job finds visits in progress through the one-active index (partial,
      // on the same rows): one index fewer to keep on every visit's start and end.
      {"sessions/2", R"sql(
DROP INDEX gym_sessions_active_since;
)sql"},
  };
}

Status SessionStore::insert(const Visit& v) {
  SPOTTER_SQL(db_.execute("INSERT INTO gym_sessions (id, user_id, branch_id, started_at, status, source) VALUES (?, ?, ?, ?, 'active', ?)",
                          {v.id, v.user_id, v.branch_id, v.started_at, v.source}));
  return {};
}

Result<std::optional<Visit>> SessionStore::visit(const std::string& id) {
  return one_visit(db_, std::string("SELECT ") + kColumns + " FROM gym_sessions WHERE id = ?", {id});
}

Result<std::optional<Visit>> SessionStore::active_of(const std::string& user_id) {
  return one_visit(db_, std::string("SELECT ") + kColumns + " FROM gym_sessions WHERE user_id = ? AND status = 'active'", {user_id});
}

Result<std::optional<std::string>> SessionStore::active_at(const std::string& user_id, const std::string& branch_id) {
  auto rows = db_.query("SELECT id FROM gym_sessions WHERE user_id = ? AND branch_id = ? AND status = 'active'", {user_id, branch_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows->front().text(0)};
}

Result<bool> SessionStore::end(const std::string& id, std::int64_t ended_at, const std::string& ended_by) {
  // CASE rather than SQLite's two-argument MAX (GREATEST elsewhere): portable SQL.
  auto r = db_.execute("UPDATE gym_sessions SET status = 'ended', ended_at = CASE WHEN started_at > ? THEN started_at ELSE ? END, ended_by = ? "
                       "WHERE id = ? AND status = 'active'",
                       {ended_at, ended_at, ended_by, id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<std::optional<Visit>> SessionStore::end_active_of(const std::string& user_id, std::int64_t ended_at, const std::string& ended_by) {
  return one_visit(db_, std::string("UPDATE gym_sessions SET status = 'ended', ended_at = CASE WHEN started_at > ? THEN started_at ELSE ? END, ended_by = ? "
                                    "WHERE user_id = ? AND status = 'active' RETURNING ") + kColumns,
                   {ended_at, ended_at, ended_by, user_id});
}

Result<std::vector<Visit>> SessionStore::history(const HistoryQuery& q) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM gym_sessions WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (!q.user_id.empty()) sql += " AND user_id = ?", params.emplace_back(q.user_id);
  if (!q.branch_id.empty()) sql += " AND branch_id = ?", params.emplace_back(q.branch_id);
  if (q.from) sql += " AND started_at >= ?", params.emplace_back(*q.from);
  if (q.to) sql += " AND started_at < ?", params.emplace_back(*q.to);
  if (q.before_id) sql += " AND id < ?", params.emplace_back(*q.before_id);
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(q.limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Visit> out;
  for (const auto& r : *rows) out.push_back(visit_of(r));
  return out;
}

Result<std::vector<SessionSample>> SessionStore::samples(const std::string& branch_id, std::int64_t from, std::int64_t to) {
  auto rows = db_.query("SELECT started_at, ended_at FROM gym_sessions WHERE branch_id = ? AND started_at >= ? AND started_at < ?", {branch_id, from, to});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<SessionSample> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back({r.integer(0), r.optional_integer(1)});
  return out;
}

Result<std::vector<Visit>> SessionStore::all_active() {
  auto rows = db_.query(std::string("SELECT ") + kColumns + " FROM gym_sessions WHERE status = 'active'");
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Visit> out;
  for (const auto& r : *rows) out.push_back(visit_of(r));
  return out;
}

Result<std::optional<std::string>> SessionStore::resolve(const std::string& id) {
  auto direct = db_.query("SELECT id FROM gym_sessions WHERE id = ?", {id});
  if (!direct) return Unexpected<Error>{direct.error()};
  if (!direct->empty()) return std::optional<std::string>{id};
  auto alias = db_.query("SELECT session_id FROM session_aliases WHERE alias_id = ?", {id});
  if (!alias) return Unexpected<Error>{alias.error()};
  if (alias->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{alias->front().text(0)};
}

Status SessionStore::add_alias(const std::string& alias_id, const std::string& session_id) {
  SPOTTER_SQL(db_.execute("INSERT INTO session_aliases (alias_id, session_id) VALUES (?, ?)", {alias_id, session_id}));
  return {};
}

}  // namespace spotter::cloud::sessions
