// The machine registry and state, and the replica/import. Links, queue, workouts:
// link_store.cpp.
#include "store.hpp"

#include "../../core/fields.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::machines {

std::vector<Migration> MachineStore::migrations() {
  return {
      {"machines/1", R"sql(
CREATE TABLE machines (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL REFERENCES branches(id), name TEXT NOT NULL,
  category TEXT NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, last_seen_at BIGINT,
  maintenance_code TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, staff_hold BOOLEAN NOT NULL DEFAULT FALSE);
CREATE INDEX machines_branch ON machines(branch_id, id);
CREATE TABLE machine_links (id TEXT PRIMARY KEY, machine_id TEXT NOT NULL REFERENCES machines(id),
  user_id TEXT NOT NULL REFERENCES users(id), session_id TEXT, started_at BIGINT NOT NULL,
  ended_at BIGINT, ended_by TEXT);
CREATE UNIQUE INDEX machine_links_one_per_machine ON machine_links(machine_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX machine_links_one_per_user ON machine_links(user_id) WHERE ended_at IS NULL;
CREATE INDEX machine_links_session ON machine_links(session_id);
CREATE INDEX machine_links_machine ON machine_links(machine_id, started_at);
CREATE TABLE machine_queue (machine_id TEXT NOT NULL REFERENCES machines(id), user_id TEXT NOT NULL REFERENCES users(id),
  joined_at BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (machine_id, user_id));
CREATE INDEX machine_queue_user ON machine_queue(user_id);
CREATE TABLE workouts (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users(id), machine_id TEXT NOT NULL,
  session_id TEXT, link_id TEXT, dedup_key TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL, data TEXT NOT NULL,
  created_at BIGINT NOT NULL);
CREATE INDEX workouts_user ON workouts(user_id, id);
CREATE UNIQUE INDEX workouts_dedup ON workouts(machine_id, dedup_key);
)sql"},
      // A place in a queue is handed out once (join_queue() locks the machine to number it).
      {"machines/2", R"sql(
CREATE UNIQUE INDEX machine_queue_order ON machine_queue(machine_id, seq);
CREATE INDEX workouts_user_started ON workouts(user_id, started_at, id);
)sql"},
      // Workouts are attributed by the link they name, also when the link comes later.
      {"machines/3", R"sql(
CREATE INDEX workouts_link ON workouts(link_id) WHERE link_id IS NOT NULL;
CREATE INDEX workouts_machine ON workouts(machine_id);
)sql"},
  };
}

namespace {

constexpr const char* kItemColumns =
    "m.id, m.branch_id, m.name, m.category, m.type, m.state, m.last_seen_at, m.maintenance_code, "
    "EXISTS (SELECT 1 FROM machine_links l WHERE l.machine_id = m.id AND l.ended_at IS NULL), "
    "(SELECT COUNT(*) FROM machine_queue q WHERE q.machine_id = m.id)";

Json item_json(const SqlRow& m) {
  const bool linked = m.boolean(8);
  std::string state = m.text(5);
  // A linked machine that reports idle is in use as far as members are concerned.
  if (linked && state == "idle") state = "in_use";
  return {{"machine_id", m.text(0)}, {"branch_id", m.text(1)}, {"name", m.text(2)}, {"category", m.text(3)},
          {"type", m.text(4)}, {"state", state}, {"linked", linked}, {"queue_length", m.integer(9)},
          {"last_seen_at", rfc3339_or_null(m.optional_integer(6))},
          {"maintenance_code", m.is_null(7) ? Json(nullptr) : Json(m.text(7))}};
}

}  // namespace

Status MachineStore::insert(const NewMachine& m, std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO machines (id, branch_id, name, category, type, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'offline', ?, ?)",
                          {m.id, m.branch_id, m.name, m.category, m.type, now, now}));
  return {};
}

Result<std::optional<MachineRow>> MachineStore::machine(const std::string& id) {
  auto rows = db_.query("SELECT branch_id, state, staff_hold, type, category FROM machines WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<MachineRow>{};
  const auto& r = rows->front();
  return std::optional<MachineRow>{MachineRow{r.text(0), r.text(1), r.boolean(2), r.text(3), r.text(4)}};
}

Result<Json> MachineStore::availability(const std::string& branch_id, const std::string& after, std::int64_t limit) {
  auto rows = db_.query(std::string("SELECT ") + kItemColumns + " FROM machines m WHERE m.branch_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
                        {branch_id, after, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows) items.push_back(item_json(r));
  return items;
}

Result<std::optional<std::pair<std::string, Json>>> MachineStore::item(const std::string& machine_id) {
  auto rows = db_.query(std::string("SELECT ") + kItemColumns + " FROM machines m WHERE m.id = ?", {machine_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::pair<std::string, Json>>{};
  return std::optional<std::pair<std::string, Json>>{std::pair{rows->front().text(1), item_json(rows->front())}};
}

Status MachineStore::heartbeat(const std::string& machine_id, const std::string& state, bool drop_code, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE machines SET last_seen_at = ?, state = ?, maintenance_code = CASE WHEN ? THEN NULL ELSE maintenance_code END, "
                          "updated_at = ? WHERE id = ?",
                          {now, state, drop_code, now, machine_id}));
  return {};
}

Status MachineStore::set_out_of_service(const std::string& machine_id, bool out, const std::string& code, bool staff_hold, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE machines SET state = ?, maintenance_code = ?, staff_hold = ?, updated_at = ? WHERE id = ?",
                          {std::string(out ? "maintenance" : "idle"), out ? SqlValue(code) : SqlValue(nullptr), staff_hold, now, machine_id}));
  return {};
}

Status MachineStore::reported_state(const std::string& machine_id, const std::string& state, bool drop_code, std::int64_t seen_at, std::int64_t now) {
  // shown_machine_state() in SQL, so the hold is read by the write that uses it; the
  // caller decided back_in_service(), the hold's part is here.
  SPOTTER_SQL(db_.execute("UPDATE machines SET state = CASE WHEN staff_hold THEN 'maintenance' ELSE ? END, "
                          "maintenance_code = CASE WHEN NOT staff_hold AND ? THEN NULL ELSE maintenance_code END, "
                          "last_seen_at = CASE WHEN last_seen_at > ? THEN last_seen_at ELSE ? END, updated_at = ? WHERE id = ?",
                          {state, drop_code, seen_at, seen_at, now, machine_id}));
  return {};
}

Result<std::vector<std::string>> MachineStore::silent_since(std::int64_t cutoff) {
  // A machine staff hold out of service stays `maintenance` while silent (shown_machine_state()).
  auto rows = db_.query("SELECT id FROM machines WHERE state <> 'offline' AND NOT staff_hold AND (last_seen_at IS NULL OR last_seen_at < ?)", {cutoff});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.text(0));
  return out;
}

Result<bool> MachineStore::mark_offline(const std::string& machine_id, std::int64_t now) {
  auto r = db_.execute("UPDATE machines SET state = 'offline', updated_at = ? WHERE id = ? AND state <> 'offline' AND NOT staff_hold", {now, machine_id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<bool> MachineStore::of_branch(const std::string& machine_id, const std::string& branch_id) {
  auto r = db_.query("SELECT 1 FROM machines WHERE id = ? AND branch_id = ?", {machine_id, branch_id});
  if (!r) return Unexpected<Error>{r.error()};
  return !r->empty();
}

Result<std::vector<std::pair<std::string, std::string>>> MachineStore::all_machines() {
  auto rows = db_.query("SELECT id, branch_id FROM machines ORDER BY id");
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : *rows) out.emplace_back(r.text(0), r.text(1));
  return out;
}

Result<Json> MachineStore::replica_machines(const std::string& branch_id, const std::optional<std::string>& one) {
  auto rows = one ? db_.query("SELECT id, name, category, type FROM machines WHERE branch_id = ? AND id = ?", {branch_id, *one})
                  : db_.query("SELECT id, name, category, type FROM machines WHERE branch_id = ? ORDER BY id", {branch_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  Json list = Json::array();
  for (const auto& m : *rows) list.push_back({{"id", m.text(0)}, {"name", m.text(1)}, {"category", m.text(2)}, {"type", m.text(3)}});
  return list;
}

Result<std::size_t> MachineStore::import_machines(const std::string& branch_id, const Json& list, std::int64_t now) {
  std::size_t i = 0;
  for (const auto& m : list) {
    const std::string where = "machines[" + std::to_string(i++) + "]";
    const std::string id = m.is_object() && m.contains("id") && m["id"].is_string() ? m["id"].get<std::string>() : "";
    if (!is_valid_id(id)) return fail("invalid", where + ".id: must match [A-Za-z0-9_-]{1,64}");
    auto text = [&](const char* key, const std::string& fallback) { return m.contains(key) && m[key].is_string() ? m[key].get<std::string>() : fallback; };
    SPOTTER_SQL(db_.execute("INSERT INTO machines (id, branch_id, name, category, type, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'offline', ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, category = excluded.category, type = excluded.type",
                            {id, branch_id, text("name", id), text("category", "cardio"), text("type", "machine"), now, now}));
  }
  return i;
}

Status MachineStore::erase_member(const std::string& user_id) {
  SPOTTER_SQL(db_.execute("DELETE FROM machine_queue WHERE user_id = ?", {user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM workouts WHERE user_id = ?", {user_id}));
  return {};
}

}  // namespace spotter::cloud::machines
