#include "sync_apply.hpp"

#include "../core/rules.hpp"
#include "floor.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace {

using Applied = Result<ApplyResult>;

ApplyResult quarantine(std::string reason) { return ApplyResult{true, std::move(reason)}; }

std::optional<std::string> id_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || !is_valid_id(it->get_ref<const std::string&>())) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::int64_t> time_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  auto v = it->get<std::int64_t>();
  if (v < 946684800000 || v > 4102444800000) return std::nullopt;  // 2000..2100
  return v;
}

// The cloud session a gateway's session id stands for (itself, or the one it merged into).
Result<std::optional<std::string>> resolve_session(App& app, const std::string& id) {
  auto alias = app.db.query("SELECT session_id FROM session_aliases WHERE alias_id = ?", {id});
  if (!alias) return Unexpected<Error>{alias.error()};
  if (!alias->empty()) return std::optional<std::string>{alias->front().text(0)};
  auto own = app.db.query("SELECT id FROM gym_sessions WHERE id = ?", {id});
  if (!own) return Unexpected<Error>{own.error()};
  return own->empty() ? std::optional<std::string>{} : std::optional<std::string>{id};
}

Result<bool> exists(App& app, const char* sql, const std::string& id) {
  auto r = app.db.query(sql, {id});
  if (!r) return Unexpected<Error>{r.error()};
  return !r->empty();
}

Applied session_started(App& app, const GatewayInfo& g, const Json& b) {
  auto id = id_field(b, "session_id");
  auto member = id_field(b, "member_id");
  auto started = time_field(b, "started_at_ms");
  if (!id || !member || !started) return quarantine("malformed session_started");
  if (auto branch = id_field(b, "branch_id"); branch && *branch != g.branch_id) return quarantine("session of another branch");
  auto known = resolve_session(app, *id);
  if (!known) return Unexpected<Error>{known.error()};
  if (*known) return ApplyResult{false, "already known"};
  auto user = exists(app, "SELECT 1 FROM users WHERE id = ?", *member);
  if (!user) return Unexpected<Error>{user.error()};
  if (!*user) return quarantine("unknown member " + *member);
  auto active = app.db.query("SELECT id FROM gym_sessions WHERE user_id = ? AND status = 'active'", {*member});
  if (!active) return Unexpected<Error>{active.error()};
  if (!active->empty()) {
    // One active session per member: the door's entry joins the one already open (an app
    // start, or an entry through another gateway).
    SPOTTER_SQL(app.db.execute("INSERT INTO session_aliases (alias_id, session_id) VALUES (?, ?)", {*id, active->front().text(0)}));
    return ApplyResult{false, "merged into " + active->front().text(0)};
  }
  SPOTTER_SQL(app.db.execute("INSERT INTO gym_sessions (id, user_id, branch_id, started_at, status, source) VALUES (?, ?, ?, ?, 'active', 'door')",
                          {*id, *member, g.branch_id, *started}));
  return ApplyResult{};
}

Status end_links_of(App& app, const std::string& session_id, std::int64_t at, std::set<std::string>& touched) {
  auto links = app.db.query("SELECT machine_id FROM machine_links WHERE session_id = ? AND ended_at IS NULL", {session_id});
  if (!links) return Unexpected<Error>{links.error()};
  for (const auto& l : *links) touched.insert(l.text(0));
  auto r = app.db.execute("UPDATE machine_links SET ended_at = ?, ended_by = 'session_end' WHERE session_id = ? AND ended_at IS NULL", {at, session_id});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Applied session_ended(App& app, const Json& b, std::set<std::string>& touched) {
  auto id = id_field(b, "session_id");
  auto ended = time_field(b, "ended_at_ms");
  if (!id || !ended) return quarantine("malformed session_ended");
  std::string by = b.contains("ended_by") && b["ended_by"].is_string() ? b["ended_by"].get<std::string>() : "door";
  if (by != "door" && by != "timeout" && by != "closing") by = "door";
  auto target = resolve_session(app, *id);
  if (!target) return Unexpected<Error>{target.error()};
  if (!*target) return quarantine("unknown session " + *id);
  // The first end wins: an app or job end already recorded stays.
  // CASE rather than SQLite's two-argument MAX (GREATEST elsewhere): portable SQL.
  SPOTTER_SQL(app.db.execute("UPDATE gym_sessions SET status = 'ended', ended_at = CASE WHEN started_at > ? THEN started_at ELSE ? END, ended_by = ? "
                             "WHERE id = ? AND status = 'active'",
                          {*ended, *ended, by, **target}));
  if (auto s = end_links_of(app, **target, *ended, touched); !s) return Unexpected<Error>{s.error()};
  return ApplyResult{};
}

Result<bool> machine_of_branch(App& app, const GatewayInfo& g, const std::string& machine_id) {
  auto r = app.db.query("SELECT 1 FROM machines WHERE id = ? AND branch_id = ?", {machine_id, g.branch_id});
  if (!r) return Unexpected<Error>{r.error()};
  return !r->empty();
}

Applied link_started(App& app, const GatewayInfo& g, const Json& b, std::set<std::string>& touched) {
  auto id = id_field(b, "link_id");
  auto machine = id_field(b, "machine_id");
  auto member = id_field(b, "member_id");
  auto started = time_field(b, "started_at_ms");
  if (!id || !machine || !member || !started) return quarantine("malformed link_started");
  auto ok = machine_of_branch(app, g, *machine);
  if (!ok) return Unexpected<Error>{ok.error()};
  if (!*ok) return quarantine("unknown machine " + *machine);
  auto user = exists(app, "SELECT 1 FROM users WHERE id = ?", *member);
  if (!user) return Unexpected<Error>{user.error()};
  if (!*user) return quarantine("unknown member " + *member);
  auto dup = exists(app, "SELECT 1 FROM machine_links WHERE id = ?", *id);
  if (!dup) return Unexpected<Error>{dup.error()};
  if (*dup) return ApplyResult{false, "already known"};
  std::optional<std::string> session;
  if (auto sid = id_field(b, "session_id")) {
    auto resolved = resolve_session(app, *sid);
    if (!resolved) return Unexpected<Error>{resolved.error()};
    session = *resolved;
  }
  // The machine is the truth about who is on it: a link it reports replaces any other.
  SPOTTER_SQL(app.db.execute("UPDATE machine_links SET ended_at = ?, ended_by = 'superseded' WHERE (machine_id = ? OR user_id = ?) AND ended_at IS NULL",
                          {*started, *machine, *member}));
  SPOTTER_SQL(app.db.execute("INSERT INTO machine_links (id, machine_id, user_id, session_id, started_at) VALUES (?, ?, ?, ?, ?)",
                          {*id, *machine, *member, sql_opt(session), *started}));
  SPOTTER_SQL(app.db.execute("DELETE FROM machine_queue WHERE machine_id = ? AND user_id = ?", {*machine, *member}));
  touched.insert(*machine);
  return ApplyResult{};
}

Applied link_ended(App& app, const Json& b, std::set<std::string>& touched) {
  auto id = id_field(b, "link_id");
  auto ended = time_field(b, "ended_at_ms");
  if (!id || !ended) return quarantine("malformed link_ended");
  auto row = app.db.query("SELECT machine_id FROM machine_links WHERE id = ?", {*id});
  if (!row) return Unexpected<Error>{row.error()};
  if (row->empty()) return quarantine("unknown link " + *id);
  std::string by = b.contains("ended_by") && b["ended_by"].is_string() ? b["ended_by"].get<std::string>().substr(0, 32) : "machine";
  SPOTTER_SQL(app.db.execute("UPDATE machine_links SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL", {*ended, by, *id}));
  touched.insert(row->front().text(0));
  return ApplyResult{};
}

Applied machine_status(App& app, const GatewayInfo& g, std::int64_t at, const Json& b, std::set<std::string>& touched) {
  auto machine = id_field(b, "machine_id");
  auto state = b.contains("state") && b["state"].is_string() ? b["state"].get<std::string>() : "";
  if (!machine || (state != "idle" && state != "in_use" && state != "maintenance" && state != "error" && state != "offline"))
    return quarantine("malformed machine_status");
  auto ok = machine_of_branch(app, g, *machine);
  if (!ok) return Unexpected<Error>{ok.error()};
  if (!*ok) return quarantine("unknown machine " + *machine);
  const std::int64_t when = time_field(b, "at_ms").value_or(at);
  // shown_machine_state() in SQL, so the hold is read by the write that uses it.
  // back_in_service() decided here, held or not; the hold's part is in the SQL.
  const std::int64_t drop_code = back_in_service(state);
  SPOTTER_SQL(app.db.execute("UPDATE machines SET state = CASE WHEN staff_hold = 0 THEN ? ELSE 'maintenance' END, "
                             "maintenance_code = CASE WHEN staff_hold = 0 AND ? = 1 THEN NULL ELSE maintenance_code END, "
                             "last_seen_at = CASE WHEN last_seen_at > ? THEN last_seen_at ELSE ? END, updated_at = ? WHERE id = ?",
                          {state, drop_code, when, when, app.now_ms(), *machine}));
  if (state == "offline" || state == "maintenance" || state == "error") {
    auto r = app.db.execute("UPDATE machine_links SET ended_at = ?, ended_by = ? WHERE machine_id = ? AND ended_at IS NULL", {when, state, *machine});
    if (!r) return Unexpected<Error>{r.error()};
  }
  touched.insert(*machine);
  return ApplyResult{};
}

Applied maintenance(App& app, const GatewayInfo& g, std::int64_t at, const Json& b, std::set<std::string>& touched) {
  auto machine = id_field(b, "machine_id");
  std::string code = b.contains("code") && b["code"].is_string() ? b["code"].get<std::string>().substr(0, 64) : "";
  std::string severity = b.contains("severity") && b["severity"].is_string() ? b["severity"].get<std::string>() : "";
  if (!machine || code.empty() || (severity != "info" && severity != "warn" && severity != "fault")) return quarantine("malformed maintenance");
  auto ok = machine_of_branch(app, g, *machine);
  if (!ok) return Unexpected<Error>{ok.error()};
  if (!*ok) return quarantine("unknown machine " + *machine);
  // The gateway applied the same rule to the machine when the report came in. The machine's
  // own report is no staff hold: its later status puts it back.
  if (protocol::takes_out_of_service(severity_level(severity))) {
    SPOTTER_SQL(app.db.execute("UPDATE machines SET state = 'maintenance', maintenance_code = ?, updated_at = ? WHERE id = ?", {code, app.now_ms(), *machine}));
    SPOTTER_SQL(app.db.execute("UPDATE machine_links SET ended_at = ?, ended_by = 'maintenance' WHERE machine_id = ? AND ended_at IS NULL", {at, *machine}));
  }
  if (severity != "info") {
    SPOTTER_SQL(app.db.execute("INSERT INTO notifications (user_id, kind, payload, created_at) VALUES (NULL, 'maintenance', ?, ?)",
                            {dump_json(Json{{"machine_id", *machine}, {"branch_id", g.branch_id}, {"code", code}, {"severity", severity}}), app.now_ms()}));
  }
  touched.insert(*machine);
  return ApplyResult{};
}

Applied workout(App& app, const GatewayInfo& g, std::int64_t at, const Json& b) {
  auto machine = id_field(b, "machine_id");
  if (!machine || !b.contains("workout") || !b["workout"].is_object()) return quarantine("malformed workout");
  auto ok = machine_of_branch(app, g, *machine);
  if (!ok) return Unexpected<Error>{ok.error()};
  if (!*ok) return quarantine("unknown machine " + *machine);
  const Json& w = b["workout"];
  std::string dedup;
  if (b.contains("msg_id") && b["msg_id"].is_number_integer())
    dedup = (b.contains("boot_id") && b["boot_id"].is_string() ? b["boot_id"].get<std::string>() : "-") + ":" + std::to_string(b["msg_id"].get<std::int64_t>());
  else if (auto link = id_field(b, "link_id"))
    dedup = "agg:" + *link;
  else
    return quarantine("workout without msg_id or link_id");
  const std::int64_t start = time_field(w, "ts_start").value_or(at), end = time_field(w, "ts_end").value_or(at);
  std::optional<std::string> member = id_field(b, "member_id"), session, link = id_field(b, "link_id");
  if (member) {
    auto user = exists(app, "SELECT 1 FROM users WHERE id = ?", *member);
    if (!user) return Unexpected<Error>{user.error()};
    if (!*user) member.reset();
  }
  if (auto sid = id_field(b, "session_id")) {
    auto resolved = resolve_session(app, *sid);
    if (!resolved) return Unexpected<Error>{resolved.error()};
    session = *resolved;
  }
  auto r = app.db.execute("INSERT INTO workouts (id, user_id, machine_id, session_id, link_id, dedup_key, started_at, ended_at, data, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (machine_id, dedup_key) DO NOTHING",
                          {new_id("wk", app.now_ms()), sql_opt(member), *machine, sql_opt(session), sql_opt(link), dedup, start, end, dump_json(w), app.now_ms()});
  if (!r) return Unexpected<Error>{r.error()};
  return ApplyResult{};
}

Applied door_event(App& app, const GatewayInfo& g, std::int64_t at, const Json& b) {
  const std::string id = b.contains("event_id") && b["event_id"].is_string() ? b["event_id"].get<std::string>().substr(0, 100) : "";
  if (id.empty() || !b.contains("granted") || !b["granted"].is_boolean()) return quarantine("malformed door_event");
  auto text = [&](const char* k) { return b.contains(k) && b[k].is_string() ? SqlValue(b[k].get<std::string>().substr(0, 64)) : SqlValue(nullptr); };
  SPOTTER_SQL(app.db.execute("INSERT INTO door_events (id, gateway_id, branch_id, door_id, at, direction, member_id, granted, reason) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                          {id, g.id, g.branch_id, text("door_id"), time_field(b, "at_ms").value_or(at), text("direction"), text("member_id"),
                           std::int64_t{b["granted"].get<bool>() ? 1 : 0}, text("reason")}));
  return ApplyResult{};
}

}  // namespace

Result<ApplyResult> apply_sync_event(App& app, const GatewayInfo& g, const std::string& kind, std::int64_t at, const Json& body,
                                     std::set<std::string>& touched) {
  if (!body.is_object()) return quarantine("body is not an object");
  if (kind == "door_event") return door_event(app, g, at, body);
  if (kind == "session_started") return session_started(app, g, body);
  if (kind == "session_ended") return session_ended(app, body, touched);
  if (kind == "link_started") return link_started(app, g, body, touched);
  if (kind == "link_ended") return link_ended(app, body, touched);
  if (kind == "machine_status") return machine_status(app, g, at, body, touched);
  if (kind == "maintenance") return maintenance(app, g, at, body, touched);
  if (kind == "workout") return workout(app, g, at, body);
  if (kind == "eviction") return ApplyResult{false, "recorded"};
  return quarantine("unknown kind " + kind.substr(0, 40));
}

}  // namespace spotter::cloud
