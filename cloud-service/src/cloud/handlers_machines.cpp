// Machines (seed 000 stories 3.2, 3.3): registry, availability, link/unlink with a queue
// for busy machines, device heartbeat, workout data and maintenance; members' workouts.
#include "../core/rules.hpp"
#include "floor.hpp"
#include "machine_queue.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/protocol/codec.hpp"
#include "sync_apply.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

struct MachineRow {
  std::string branch_id;
  std::string state;
  bool held_by_staff = false;  // shown_machine_state()
};

Try<std::optional<MachineRow>> load_machine(App& app, const std::string& machine_id) {
  auto rows = app.db.query("SELECT branch_id, state, staff_hold FROM machines WHERE id = ?", {machine_id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "machine")};
  if (rows->empty()) return std::optional<MachineRow>{};
  const auto& r = rows->front();
  return std::optional<MachineRow>{MachineRow{r.text(0), r.text(1), r.integer(2) != 0}};
}

HttpResponse create_machine(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string branch_id = f.id("branch_id");
  std::string machine_id = f.id("machine_id");
  std::string name = f.text("name");
  std::string category = f.choice("category", {"cardio", "strength", "functional"});
  std::string type = f.text("type", 64);
  if (!f.ok()) return f.problem();
  const std::int64_t now = app.now_ms();
  auto r = app.db.execute("INSERT INTO machines (id, branch_id, name, category, type, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'offline', ?, ?)",
                          {machine_id, branch_id, name, category, type, now, now});
  if (!r) {
    if (r.error().code == "conflict" && r.error().message == "foreign key") return validation_problem({{"branch_id", "no such branch"}});
    if (r.error().code == "conflict") return problem(409, "machine-exists", "a machine with this id exists");
    return storage_failure(app, r.error(), "machine");
  }
  audit(app, ctx, "machine.create", machine_id, {{"branch_id", branch_id}});
  replica_changed(app, "machine", machine_id);
  publish_machine(app, machine_id);
  return json_response(201, {{"machine_id", machine_id}, {"branch_id", branch_id}, {"name", name}, {"category", category}, {"type", type},
                             {"state", "offline"}, {"last_seen_at", nullptr}, {"created_at", rfc3339(now)}});
}

Try<Json> availability_page(App& app, const std::string& branch_id, const std::string& after, std::int64_t limit) {
  auto rows = app.db.query(std::string("SELECT ") + kMachineColumns +
                               ", EXISTS (SELECT 1 FROM machine_links l WHERE l.machine_id = m.id AND l.ended_at IS NULL)"
                               ", (SELECT COUNT(*) FROM machine_queue q WHERE q.machine_id = m.id)"
                               " FROM machines m WHERE m.branch_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
                           {branch_id, after, limit});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "machines")};
  Json items = Json::array();
  for (const auto& r : *rows) items.push_back(availability_item(r, r.integer(8) != 0, r.integer(9)));
  return items;
}

HttpResponse availability(App& app, RequestContext& ctx) {
  std::string branch_id(ctx.req.query_param("branch_id"));
  if (branch_id.empty()) return validation_problem({{"branch_id", "is required"}});
  if (!ctx.who().sees_branch(branch_id)) return forbidden("you cannot see this branch");
  SPOTTER_TRY(page, read_page(ctx.req));
  if (!page.after) {
    // The whole branch, from the snapshot (rebuilt after any change to it).
    SPOTTER_TRY(snapshot, app.availability.get_or_build(branch_id, [&]() -> Try<AvailabilitySnapshot> {
      SPOTTER_TRY(all, availability_page(app, branch_id, "", 100'000));
      return make_availability_snapshot(all);
    }));
    if (static_cast<std::int64_t>(snapshot->count) <= page.limit)
      return *availability_response(*snapshot, ctx.req);  // a copy, off the hot path
  }
  SPOTTER_TRY(items, availability_page(app, branch_id, page.after.value_or(""), page.limit + 1));
  return json_response(200, page_json(std::move(items), page, [](const Json& m) { return m["machine_id"].get<std::string>(); }));
}

HttpResponse link(App& app, RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  auto credential = f.optional_text("credential", 4096);
  if (who.role == Role::gateway && !credential) f.add_error("credential", "a device links the member whose credential was tapped");
  if (!f.ok()) return f.problem();
  if (who.is_staff()) return forbidden("members link themselves; machines link the member who tapped");
  std::string user_id = who.id;
  if (credential) {
    SPOTTER_TRY(owner, resolve_credential(app, *credential));
    if (who.role == Role::member && owner != who.id) return forbidden("members link themselves");
    user_id = owner;
  }
  SPOTTER_TRY(machine, load_machine(app, machine_id));
  if (!machine || !who.sees_branch(machine->branch_id)) return not_found("machine");
  if (machine->state == "maintenance" || machine->state == "offline" || machine->state == "error")
    return problem(409, "machine-unavailable", "the machine is " + machine->state);
  auto session = app.db.query("SELECT id FROM gym_sessions WHERE user_id = ? AND branch_id = ? AND status = 'active'", {user_id, machine->branch_id});
  if (!session) return storage_failure(app, session.error(), "session");
  if (session->empty()) return problem(409, "not-inside", "the member has no active session at this machine's branch");
  SPOTTER_TRY(turn, queue_turn(app, machine_id, user_id));
  if (!turn && who.role != Role::gateway) return problem(409, "queued", "other members are queued for this machine; join the queue");
  const std::int64_t now = app.now_ms();
  const std::string link_id = new_id("lnk", now);
  std::optional<std::pair<std::string, std::string>> moved_from;
  auto tx = app.db.transaction([&]() -> Status {
    // A member moving to another machine leaves the previous one.
    auto prev = app.db.query("SELECT id, machine_id FROM machine_links WHERE user_id = ? AND ended_at IS NULL", {user_id});
    if (!prev) return Unexpected<Error>{prev.error()};
    if (!prev->empty()) {
      if (prev->front().text(1) == machine_id) return fail("conflict", "already linked");
      auto e = app.db.execute("UPDATE machine_links SET ended_at = ?, ended_by = 'moved' WHERE id = ?", {now, prev->front().text(0)});
      if (!e) return Unexpected<Error>{e.error()};
      moved_from = {prev->front().text(0), prev->front().text(1)};
    }
    auto r = app.db.execute("INSERT INTO machine_links (id, machine_id, user_id, session_id, started_at) VALUES (?, ?, ?, ?, ?)",
                            {link_id, machine_id, user_id, session->front().text(0), now});
    if (!r) return Unexpected<Error>{r.error()};
    auto q = app.db.execute("DELETE FROM machine_queue WHERE machine_id = ? AND user_id = ?", {machine_id, user_id});
    return q ? Status{} : Status{Unexpected<Error>{q.error()}};
  });
  if (!tx) {
    if (tx.error().code == "conflict") return problem(409, "machine-taken", "the machine is in use");
    return storage_failure(app, tx.error(), "link");
  }
  if (moved_from) publish_machine(app, moved_from->second);
  publish_machine(app, machine_id);
  if (who.role == Role::gateway) audit(app, ctx, "machine.link", link_id, {{"machine_id", machine_id}, {"user_id", user_id}});
  return json_response(201, {{"id", link_id}, {"machine_id", machine_id}, {"user_id", user_id}, {"session_id", session->front().text(0)},
                             {"started_at", rfc3339(now)}, {"ended_at", nullptr}});
}

HttpResponse unlink(App& app, RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(machine, load_machine(app, machine_id));
  if (!machine || !who.sees_branch(machine->branch_id)) return not_found("machine");
  auto rows = app.db.query("SELECT id, user_id, session_id, started_at FROM machine_links WHERE machine_id = ? AND ended_at IS NULL", {machine_id});
  if (!rows) return storage_failure(app, rows.error(), "link");
  if (rows->empty() || (who.role == Role::member && rows->front().text(1) != who.id)) return problem(404, "not-linked", "you are not linked to this machine");
  if (who.role == Role::trainer && !who.manages_branch(machine->branch_id)) return forbidden();
  const auto& l = rows->front();
  auto ended = end_link(app, l.text(0), machine_id, who.role == Role::gateway ? "machine" : (who.is_staff() ? "staff" : "member"));
  if (!ended) return storage_failure(app, ended.error(), "unlink");
  if (!*ended) return problem(409, "already-unlinked", "the link has ended");
  if (who.role != Role::member) audit(app, ctx, "machine.unlink", l.text(0), {{"machine_id", machine_id}});
  // The machine learns it through its gateway (no inbound connection to the branch needed).
  if (who.role != Role::gateway) queue_gateway_command(app, machine_id, "unlink", {{"link_id", l.text(0)}});
  return json_response(200, {{"id", l.text(0)}, {"machine_id", machine_id}, {"user_id", l.text(1)}, {"session_id", l.text(2)},
                             {"started_at", rfc3339(l.integer(3))}, {"ended_at", rfc3339(app.now_ms())}});
}

// Devices and staff only touch machines of branches they serve.
Try<MachineRow> device_machine(App& app, const Caller& who, const std::string& machine_id) {
  SPOTTER_TRY(machine, load_machine(app, machine_id));
  if (!machine) return reject(404, "not-found", "machine not found");
  if (!(who.role == Role::gateway ? who.sees_branch(machine->branch_id) : who.manages_branch(machine->branch_id)))
    return reject(403, "forbidden", "not a machine of your branch");
  return *machine;
}

HttpResponse heartbeat(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  std::optional<std::string> state;
  if (f.raw("state")) state = f.choice("state", {"idle", "in_use", "maintenance", "error", "offline"});
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(machine, device_machine(app, ctx.who(), machine_id));
  const std::int64_t now = app.now_ms();
  // Silence made it offline; a heartbeat brings it back as idle unless it says otherwise.
  // One that staff hold out of service stays there until cleared.
  const std::string next = shown_machine_state(state.value_or(machine.state == "offline" ? "idle" : machine.state), machine.held_by_staff);
  const std::int64_t drop_code = back_in_service(next);
  auto r = app.db.execute("UPDATE machines SET last_seen_at = ?, state = ?, maintenance_code = CASE WHEN ? = 1 THEN NULL ELSE maintenance_code END, "
                          "updated_at = ? WHERE id = ?",
                          {now, next, drop_code, now, machine_id});
  if (!r) return storage_failure(app, r.error(), "heartbeat");
  if (next != machine.state) publish_machine(app, machine_id);
  else app.availability.invalidate(machine.branch_id);  // last_seen_at moved
  return json_response(200, {{"machine_id", machine_id}, {"state", next}, {"last_seen_at", rfc3339(now)}});
}

HttpResponse workout_data(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(machine, device_machine(app, ctx.who(), machine_id));
  (void)machine;
  Json record = body;
  record.erase("machine_id");
  auto workout = protocol::decode_workout(dump_json(record));
  if (!workout) return validation_problem({{workout.error().field.empty() ? "workout" : workout.error().field, workout.error().detail}});
  const std::int64_t now = app.now_ms();
  auto link = app.db.query("SELECT id, user_id, session_id FROM machine_links WHERE machine_id = ? AND started_at <= ? "
                           "AND (ended_at IS NULL OR ended_at >= ?) ORDER BY started_at DESC LIMIT 1",
                           {machine_id, workout->ts_end, workout->ts_start});
  if (!link) return storage_failure(app, link.error(), "link");
  std::optional<std::string> link_id, user_id, session_id;
  if (!link->empty()) link_id = link->front().text(0), user_id = link->front().text(1), session_id = link->front().optional_text(2);
  const std::string dedup = workout->boot_id.value_or("-") + ":" + std::to_string(workout->msg_id);
  const std::string id = new_id("wk", now);
  auto r = app.db.execute("INSERT INTO workouts (id, user_id, machine_id, session_id, link_id, dedup_key, started_at, ended_at, data, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {id, sql_opt(user_id), machine_id, sql_opt(session_id), sql_opt(link_id), dedup, workout->ts_start, workout->ts_end, dump_json(record), now});
  if (!r && r.error().code == "conflict") return json_response(200, {{"duplicate", true}, {"machine_id", machine_id}});
  if (!r) return storage_failure(app, r.error(), "workout");
  return json_response(201, {{"id", id}, {"machine_id", machine_id}, {"user_id", user_id ? Json(*user_id) : Json(nullptr)},
                             {"session_id", session_id ? Json(*session_id) : Json(nullptr)}});
}

HttpResponse maintenance(App& app, RequestContext& ctx, bool clear) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  std::string code, severity = "fault";
  if (!clear) {
    code = f.text("code", 64);
    severity = f.choice("severity", {"info", "warn", "fault"});
  }
  if (!f.ok()) return f.problem();
  if (ctx.who().role == Role::member) return forbidden();
  SPOTTER_TRY(machine, device_machine(app, ctx.who(), machine_id));
  const std::int64_t now = app.now_ms();
  const bool out_of_service = !clear && protocol::takes_out_of_service(severity_level(severity));
  if (clear || out_of_service) {
    // Staff hold what they take out of service; a device's own report is no hold (a device
    // holding one keeps it). A clear releases either.
    const std::int64_t hold = clear ? 0 : (ctx.who().role == Role::gateway ? (machine.held_by_staff ? 1 : 0) : 1);
    auto r = app.db.execute("UPDATE machines SET state = ?, maintenance_code = ?, staff_hold = ?, updated_at = ? WHERE id = ?",
                            {std::string(clear ? "idle" : "maintenance"), clear ? SqlValue(nullptr) : SqlValue(code), hold, now, machine_id});
    if (!r) return storage_failure(app, r.error(), "maintenance");
  }
  if (out_of_service) {
    auto links = app.db.query("SELECT id FROM machine_links WHERE machine_id = ? AND ended_at IS NULL", {machine_id});
    if (links && !links->empty()) (void)end_link(app, links->front().text(0), machine_id, "maintenance");
  }
  if (!clear && severity != "info")
    notify(app, std::nullopt, "maintenance", {{"machine_id", machine_id}, {"branch_id", machine.branch_id}, {"code", code}, {"severity", severity}});
  audit(app, ctx, clear ? "machine.maintenance_clear" : "machine.maintenance", machine_id, {{"code", code}, {"severity", severity}});
  if (ctx.who().role != Role::gateway && (clear || out_of_service))
    queue_gateway_command(app, machine_id, clear ? "clear_maintenance" : "set_maintenance", clear ? Json::object() : Json{{"code", code}});
  publish_machine(app, machine_id);
  return json_response(200, {{"machine_id", machine_id}, {"state", clear ? "idle" : (out_of_service ? "maintenance" : machine.state)},
                             {"code", clear ? Json(nullptr) : Json(code)}, {"severity", severity}});
}

HttpResponse my_workouts(App& app, RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  // Newest workout first; the cursor is "<started_at>_<id>" of the last one shown.
  std::string sql = "SELECT id, machine_id, session_id, started_at, ended_at, data FROM workouts WHERE user_id = ?";
  std::vector<SqlValue> params{ctx.who().id};
  if (page.after) {
    const auto cut = page.after->find('_');
    std::int64_t started = 0;
    try { started = std::stoll(page.after->substr(0, cut)); } catch (const std::exception&) { return validation_problem({{"cursor", "is not a cursor this service gave out"}}); }
    const std::string id = cut == std::string::npos ? "" : page.after->substr(cut + 1);
    sql += " AND (started_at < ? OR (started_at = ? AND id < ?))";
    params.insert(params.end(), {started, started, id});
  }
  sql += " ORDER BY started_at DESC, id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto rows = app.db.query(sql, params);
  if (!rows) return storage_failure(app, rows.error(), "workouts");
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", r.text(0)}, {"machine_id", r.text(1)}, {"session_id", r.is_null(2) ? Json(nullptr) : Json(r.text(2))},
                     {"started_at", rfc3339(r.integer(3))}, {"ended_at", rfc3339(r.integer(4))},
                     {"data", parse_json_strict(r.text(5)).value_or(Json::object())}, {"started_at_ms", r.integer(3)}});
  Json out = page_json(std::move(items), page, [](const Json& w) { return std::to_string(w["started_at_ms"].get<std::int64_t>()) + "_" + w["id"].get<std::string>(); });
  for (auto& w : out["items"]) w.erase("started_at_ms");
  return json_response(200, out);
}

}  // namespace

std::vector<Route> machine_routes() {
  auto routes = std::vector<Route>{
      {"POST", "/api/machines", Access::user, create_machine, "Register a machine (its MQTT device id) at a branch", "admin"},
      {"GET", "/api/machines/availability", Access::user, availability, "Machines of a branch with state, link, queue length, last seen", "any user who sees the branch"},
      {"POST", "/api/machines/link", Access::user_or_gateway, link, "Link a machine to a member with an active session at its branch", "member (own), device"},
      {"POST", "/api/machines/unlink", Access::user_or_gateway, unlink, "End the machine's link", "member (own), staff, device"},
      {"POST", "/api/machines/heartbeat", Access::user_or_gateway, heartbeat, "A machine that talks to the cloud directly says it is alive", "device, staff"},
      {"POST", "/api/machines/workout-data", Access::user_or_gateway, workout_data, "A workout record as in the firmware protocol, plus machine_id", "device, staff"},
      {"POST", "/api/machines/maintenance", Access::user_or_gateway, [](App& a, RequestContext& c) { return maintenance(a, c, false); }, "Report maintenance: a fault takes the machine out of use until cleared; warn tells staff", "staff, device"},
      {"POST", "/api/machines/maintenance/clear", Access::user_or_gateway, [](App& a, RequestContext& c) { return maintenance(a, c, true); }, "Put a machine back in use", "staff, device"},
      {"GET", "/api/workouts", Access::user, my_workouts, "The caller's workouts, newest first", "member (own)"},
  };
  for (auto& r : queue_routes()) routes.push_back(std::move(r));
  return routes;
}

}  // namespace spotter::cloud
