// Links (a member on a machine), queues and workouts.
#include "../../core/fields.hpp"
#include "store.hpp"

namespace spotter::cloud::machines {
namespace {

constexpr const char* kLinkColumns = "id, machine_id, user_id, session_id, started_at";

Link link_of(const SqlRow& r) {
  return Link{.id = r.text(0), .machine_id = r.text(1), .user_id = r.text(2), .session_id = r.optional_text(3), .started_at = r.integer(4)};
}

Result<std::vector<Link>> links(SqlDatabase& db, const std::string& where, const std::vector<SqlValue>& params) {
  auto rows = db.query(std::string("SELECT ") + kLinkColumns + " FROM machine_links WHERE " + where, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Link> out;
  for (const auto& r : *rows) out.push_back(link_of(r));
  return out;
}

Result<std::optional<Link>> first(Result<std::vector<Link>> found) {
  if (!found) return Unexpected<Error>{found.error()};
  if (found->empty()) return std::optional<Link>{};
  return std::optional<Link>{found->front()};
}

}  // namespace

Result<std::optional<Link>> MachineStore::active_link_of_machine(const std::string& machine_id) {
  return first(links(db_, "machine_id = ? AND ended_at IS NULL", {machine_id}));
}

Result<std::optional<Link>> MachineStore::active_link_in_branch(const std::string& machine_id, const std::string& branch_id) {
  return first(links(db_, "machine_id = ? AND ended_at IS NULL AND EXISTS (SELECT 1 FROM machines m WHERE m.id = ? AND m.branch_id = ?)",
                     {machine_id, machine_id, branch_id}));
}

Result<std::optional<Link>> MachineStore::active_link_of_user(const std::string& user_id) {
  return first(links(db_, "user_id = ? AND ended_at IS NULL", {user_id}));
}

Result<std::optional<Link>> MachineStore::link(const std::string& id) { return first(links(db_, "id = ?", {id})); }

Result<MachineStore::LeftVisit> MachineStore::leave_visit(const std::string& session_id, const std::string& user_id, const std::string& branch_id,
                                                          std::int64_t at) {
  constexpr const char* kEndLinks = "UPDATE machine_links SET ended_at = ?, ended_by = 'session_end' WHERE session_id = ? AND ended_at IS NULL";
  constexpr const char* kLeaveQueues = "DELETE FROM machine_queue WHERE user_id = ? AND machine_id IN (SELECT id FROM machines WHERE branch_id = ?)";
  LeftVisit left;
  if (db_.engine() == Engine::postgresql) {
    // Every visit's end comes here: on PostgreSQL both changes go in one statement (one round
    // trip); SQLite has no writing CTE, and on it a statement is a function call anyway.
    auto rows = db_.query(std::string("WITH l AS (") + kEndLinks + " RETURNING " + kLinkColumns + "), q AS (" + kLeaveQueues +
                              " RETURNING machine_id) SELECT 'l', id, machine_id, user_id, session_id, started_at FROM l "
                              "UNION ALL SELECT 'q', NULL, machine_id, NULL, NULL, NULL FROM q",
                          {at, session_id, user_id, branch_id});
    if (!rows) return Unexpected<Error>{rows.error()};
    for (const auto& r : *rows) {
      if (r.text(0) == "q") {
        left.queues_left.push_back(r.text(2));
        continue;
      }
      left.ended.push_back(Link{.id = r.text(1), .machine_id = r.text(2), .user_id = r.text(3), .session_id = r.optional_text(4), .started_at = r.integer(5)});
    }
    return left;
  }
  auto ended = db_.query(std::string(kEndLinks) + " RETURNING " + kLinkColumns, {at, session_id});
  if (!ended) return Unexpected<Error>{ended.error()};
  for (const auto& r : *ended) left.ended.push_back(link_of(r));
  auto queues = db_.query(std::string(kLeaveQueues) + " RETURNING machine_id", {user_id, branch_id});
  if (!queues) return Unexpected<Error>{queues.error()};
  for (const auto& r : *queues) left.queues_left.push_back(r.text(0));
  return left;
}

Result<std::vector<Link>> MachineStore::active_links_of_machine_or_user(const std::string& machine_id, const std::string& user_id) {
  return links(db_, "(machine_id = ? OR user_id = ?) AND ended_at IS NULL", {machine_id, user_id});
}

Result<std::optional<Link>> MachineStore::link_covering(const std::string& machine_id, std::int64_t start, std::int64_t end) {
  return first(links(db_, "machine_id = ? AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY started_at DESC LIMIT 1",
                     {machine_id, end, start}));
}

Status MachineStore::insert_link(const Link& l) {
  SPOTTER_SQL(db_.execute("INSERT INTO machine_links (id, machine_id, user_id, session_id, started_at) VALUES (?, ?, ?, ?, ?)",
                          {l.id, l.machine_id, l.user_id, sql_opt(l.session_id), l.started_at}));
  return {};
}

Result<bool> MachineStore::end_link(const std::string& id, std::int64_t at, const std::string& ended_by) {
  auto r = db_.execute("UPDATE machine_links SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL", {at, ended_by, id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<Json> MachineStore::links_of_visit(const std::string& session_id) {
  // With the workouts attributed to each link (also those that came before the link did).
  auto rows = db_.query("SELECT l.id, l.machine_id, l.started_at, l.ended_at, l.ended_by, "
                        "(SELECT COUNT(*) FROM workouts w WHERE w.link_id = l.id AND w.user_id IS NOT NULL) "
                        "FROM machine_links l WHERE l.session_id = ? ORDER BY l.started_at, l.id",
                        {session_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  Json machines = Json::array();
  for (const auto& l : *rows)
    machines.push_back({{"link_id", l.text(0)}, {"machine_id", l.text(1)}, {"started_at", rfc3339(l.integer(2))},
                        {"ended_at", rfc3339_or_null(l.optional_integer(3))}, {"ended_by", l.is_null(4) ? Json(nullptr) : Json(l.text(4))},
                        {"workouts", l.integer(5)}});
  return machines;
}

Result<std::vector<std::string>> MachineStore::queue(const std::string& machine_id) {
  auto rows = db_.query("SELECT user_id FROM machine_queue WHERE machine_id = ? ORDER BY seq", {machine_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.text(0));
  return out;
}

Status MachineStore::join_queue(const std::string& machine_id, const std::string& user_id, std::int64_t now) {
  return db_.atomically([&]() -> Status {
    // The machine's row lock orders concurrent joins: each gets the next place.
    SPOTTER_SQL(db_.execute("UPDATE machines SET updated_at = updated_at WHERE id = ?", {machine_id}));
    SPOTTER_SQL(db_.execute("INSERT INTO machine_queue (machine_id, user_id, joined_at, seq) VALUES (?, ?, ?, "
                            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM machine_queue WHERE machine_id = ?))",
                            {machine_id, user_id, now, machine_id}));
    return {};
  });
}

Result<bool> MachineStore::leave_queue(const std::string& machine_id, const std::string& user_id) {
  auto r = db_.execute("DELETE FROM machine_queue WHERE machine_id = ? AND user_id = ?", {machine_id, user_id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<std::optional<double>> MachineStore::average_link_ms(const std::string& machine_id) {
  auto rows = db_.query("SELECT AVG(ended_at - started_at) FROM (SELECT started_at, ended_at FROM machine_links "
                        "WHERE machine_id = ? AND ended_at IS NOT NULL ORDER BY started_at DESC LIMIT 20) recent",
                        {machine_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<double>{};
  return rows->front().optional_number(0);
}

Result<MachineStore::StoredWorkout> MachineStore::insert_workout(const Workout& w, std::int64_t now) {
  StoredWorkout out;
  if (!w.link_id) {
    auto r = insert_workout_row(w, now);
    if (!r) return Unexpected<Error>{r.error()};
    out.stored = *r;
    return out;
  }
  // A link's summary from its telemetry ("agg:<link>", made by the gateway when the link
  // ended with no workout of the machine's own) stands in for workouts that had not come
  // yet: the machine's own replace it, and it does not join them.
  const std::string summary = "agg:" + *w.link_id;
  auto done = db_.atomically([&]() -> Status {
    if (w.dedup_key == summary) {
      auto own = db_.query("SELECT 1 FROM workouts WHERE link_id = ? AND machine_id = ? AND dedup_key <> ? LIMIT 1", {*w.link_id, w.machine_id, summary});
      if (!own) return Unexpected<Error>{own.error()};
      if (!own->empty()) return {};
    } else {
      auto gone = db_.query("DELETE FROM workouts WHERE machine_id = ? AND dedup_key = ? RETURNING id", {w.machine_id, summary});
      if (!gone) return Unexpected<Error>{gone.error()};
      if (!gone->empty()) out.withdrawn = gone->front().text(0);
    }
    auto r = insert_workout_row(w, now);
    if (!r) return Unexpected<Error>{r.error()};
    out.stored = *r;
    return {};
  });
  if (!done) return Unexpected<Error>{done.error()};
  return out;
}

Result<bool> MachineStore::insert_workout_row(const Workout& w, std::int64_t now) {
  auto r = db_.execute("INSERT INTO workouts (id, user_id, machine_id, session_id, link_id, dedup_key, started_at, ended_at, data, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (machine_id, dedup_key) DO NOTHING",
                       {w.id, sql_opt(w.user_id), w.machine_id, sql_opt(w.session_id), sql_opt(w.link_id), w.dedup_key, w.started_at, w.ended_at, w.data, now});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<std::vector<Workout>> MachineStore::attribute_waiting(const Link& link) {
  auto rows = db_.query("UPDATE workouts SET user_id = ?, session_id = ? WHERE link_id = ? AND machine_id = ? AND (user_id IS NULL OR session_id IS NULL) "
                        "RETURNING id, dedup_key, data, started_at, ended_at",
                        {link.user_id, sql_opt(link.session_id), link.id, link.machine_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Workout> out;
  for (const auto& r : *rows)
    out.push_back(Workout{.id = r.text(0), .machine_id = link.machine_id, .dedup_key = r.text(1), .data = r.text(2), .user_id = link.user_id,
                          .session_id = link.session_id, .link_id = link.id, .started_at = r.integer(3), .ended_at = r.integer(4)});
  return out;
}

Result<Json> MachineStore::usage(const std::string& branch_id) {
  auto rows = db_.query("SELECT m.id, COUNT(w.id), "
                        "SUM(CASE WHEN w.id IS NOT NULL AND w.user_id IS NULL AND w.link_id IS NULL THEN 1 ELSE 0 END), "
                        "SUM(CASE WHEN w.id IS NOT NULL AND w.user_id IS NULL AND w.link_id IS NOT NULL THEN 1 ELSE 0 END) "
                        "FROM machines m LEFT JOIN workouts w ON w.machine_id = m.id WHERE m.branch_id = ? GROUP BY m.id ORDER BY m.id",
                        {branch_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows) {
    const std::int64_t total = r.integer(1), no_link = r.integer(2), waiting = r.integer(3);
    items.push_back({{"machine_id", r.text(0)}, {"workouts", total}, {"attributed", total - no_link - waiting},
                     {"unattributed", no_link}, {"waiting_for_link", waiting}});
  }
  return items;
}

Result<Json> MachineStore::workouts_of(const std::string& user_id, std::optional<std::pair<std::int64_t, std::string>> before, std::int64_t limit) {
  // Newest first; a page ends after the (started_at, id) of its last item.
  std::string sql = "SELECT id, machine_id, session_id, started_at, ended_at, data FROM workouts WHERE user_id = ?";
  std::vector<SqlValue> params{user_id};
  if (before) {
    sql += " AND (started_at < ? OR (started_at = ? AND id < ?))";
    params.insert(params.end(), {before->first, before->first, before->second});
  }
  sql += " ORDER BY started_at DESC, id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", r.text(0)}, {"machine_id", r.text(1)}, {"session_id", r.is_null(2) ? Json(nullptr) : Json(r.text(2))},
                     {"started_at", rfc3339(r.integer(3))}, {"ended_at", rfc3339(r.integer(4))},
                     {"data", parse_json_strict(r.text(5)).value_or(Json::object())}, {"started_at_ms", r.integer(3)}});
  return items;
}

}  // namespace spotter::cloud::machines
