// Machines (seed 000 stories 3.2, 3.3): registry, availability, link/unlink, device
// heartbeat, workout data and maintenance; members' workouts. The queue: queue_routes.cpp.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "machines.hpp"
#include "spotter/common/sync_api.hpp"
#include "rules.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::cloud::machines {

void MachinesDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (MachinesDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/machines", Access::user, bind(&MachinesDomain::create), "Register a machine (its MQTT device id) at a branch", "admin"});
  t.add({"GET", "/api/machines/availability", Access::user, bind(&MachinesDomain::availability),
         "Machines of a branch with state, link, queue length, last seen", "any user who sees the branch",
         [this](const HttpRequest& r, const Caller& c) { return availability_from_memory(r, c); }});
  t.add({"POST", "/api/machines/link", Access::user_or_gateway, bind(&MachinesDomain::link), "Link a machine to a member with an active session at its branch",
         "member (own), device"});
  t.add({"POST", "/api/machines/unlink", Access::user_or_gateway, bind(&MachinesDomain::unlink), "End the machine's link", "member (own), staff, device"});
  t.add({"POST", "/api/machines/heartbeat", Access::user_or_gateway, bind(&MachinesDomain::heartbeat), "A machine that talks to the cloud directly says it is alive",
         "device, staff"});
  t.add({"POST", "/api/machines/workout-data", Access::user_or_gateway, bind(&MachinesDomain::workout_data),
         "A workout record as in the firmware protocol, plus machine_id", "device, staff"});
  t.add({"POST", "/api/machines/maintenance", Access::user_or_gateway, [this](RequestContext& c) { return maintenance(c, false); },
         "Report maintenance: a fault takes the machine out of use until cleared; warn tells staff", "staff, device"});
  t.add({"POST", "/api/machines/maintenance/clear", Access::user_or_gateway, [this](RequestContext& c) { return maintenance(c, true); },
         "Put a machine back in use", "staff, device"});
  t.add({"POST", std::string(sync_api::kProgress), Access::gateway, bind(&MachinesDomain::progress),
         "Live telemetry of linked machines (items: machine_id, link_id, ts, metrics): pushed as workout_progress to the member's WebSockets, never stored",
         "gateway (own branch)"});
  t.add({"GET", "/api/workouts", Access::user, bind(&MachinesDomain::my_workouts), "The caller's workouts, newest first", "member (own)"});
  t.add({"GET", "/api/machines/usage", Access::user, bind(&MachinesDomain::usage),
         "Per machine of a branch (?branch_id=): workouts, attributed, unattributed (used without a tap), waiting for their link", "admin, trainer (own branches)"});
  t.add({"POST", "/api/machines/queue/join", Access::user, bind(&MachinesDomain::join_queue), "Join a busy machine's queue: position and estimated wait",
         "member with an active session at the branch"});
  t.add({"POST", "/api/machines/queue/leave", Access::user, bind(&MachinesDomain::leave_queue), "Leave a machine's queue", "member"});
  t.add({"GET", "/api/machines/queue", Access::user, bind(&MachinesDomain::queue_status), "The caller's position in a machine's queue (?machine_id=)",
         "any user who sees the branch"});
}

HttpResponse MachinesDomain::create(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  NewMachine m{.id = f.id("machine_id"), .branch_id = f.id("branch_id"), .name = f.text("name"),
               .category = f.choice("category", {"cardio", "strength", "functional"}), .type = f.text("type", 64)};
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  auto tx = platform_.db.transaction([&]() -> Status {
    if (auto r = store_.insert(m, now); !r) return r;
    if (auto r = platform_.events.publish({events::kRegistered, {{"machine_id", m.id}, {"branch_id", m.branch_id}}}); !r) return r;
    return changed(m.id, m.branch_id);
  });
  if (!tx) {
    if (tx.error().code == sql_error::reference) return validation_problem({{"branch_id", "no such branch"}});
    if (tx.error().code == sql_error::conflict) return problem(409, "machine-exists", "a machine with this id exists");
    return storage_failure(platform_.log, tx.error(), "machine");
  }
  platform_.audit.record(ctx, "machine.create", m.id, {{"branch_id", m.branch_id}});
  return json_response(201, {{"machine_id", m.id}, {"branch_id", m.branch_id}, {"name", m.name}, {"category", m.category}, {"type", m.type},
                             {"state", "offline"}, {"last_seen_at", nullptr}, {"created_at", rfc3339(now)}});
}

std::shared_ptr<const HttpResponse> MachinesDomain::availability_from_memory(const HttpRequest& req, const Caller& caller) {
  if (!req.query_param("cursor").empty()) return nullptr;
  const std::string branch_id(req.query_param("branch_id"));
  auto snapshot = availability_.get(branch_id);
  if (!snapshot || !caller.sees_branch(branch_id)) return nullptr;
  auto page = read_page(req);
  if (!page || static_cast<std::int64_t>(snapshot->count) > page->limit) return nullptr;
  return availability_response(*snapshot, req);
}

HttpResponse MachinesDomain::availability(RequestContext& ctx) {
  std::string branch_id(ctx.req.query_param("branch_id"));
  if (branch_id.empty()) return validation_problem({{"branch_id", "is required"}});
  if (!ctx.who().sees_branch(branch_id)) return forbidden("you cannot see this branch");
  SPOTTER_TRY(page, read_page(ctx.req));
  if (!page.after) {
    // The whole branch, from the snapshot (rebuilt after any change to it).
    SPOTTER_TRY(snapshot, availability_.get_or_build(branch_id, [&]() -> Try<AvailabilitySnapshot> {
      SPOTTER_TRY(all, checked(platform_.log, store_.availability(branch_id, "", 100'000), "machines"));
      return make_availability_snapshot(all, platform_.gzip);
    }));
    if (static_cast<std::int64_t>(snapshot->count) <= page.limit) return *availability_response(*snapshot, ctx.req);  // a copy, off the hot path
  }
  SPOTTER_TRY(items, checked(platform_.log, store_.availability(branch_id, page.after.value_or(""), page.limit + 1), "machines"));
  return json_response(200, page_json(std::move(items), page, [](const Json& m) { return m["machine_id"].get<std::string>(); }));
}

HttpResponse MachinesDomain::link(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  auto credential = org::read_credential("credential", f);
  if (who.role == Role::gateway && !f.raw("credential")) f.add_error("credential", "a device links the member whose credential was tapped");
  if (!f.ok()) return f.problem();
  if (who.is_staff()) return forbidden("members link themselves; machines link the member who tapped");
  std::string user_id = who.id;
  if (credential) {
    SPOTTER_TRY(owner, org_.resolve_credential(*credential));
    if (who.role == Role::member && owner != who.id) return forbidden("members link themselves");
    user_id = owner;
  }
  SPOTTER_TRY(machine, checked(platform_.log, store_.machine(machine_id), "machine"));
  if (!machine || !who.sees_branch(machine->branch_id)) return not_found("machine");
  if (machine->state == "maintenance" || machine->state == "offline" || machine->state == "error")
    return problem(409, "machine-unavailable", "the machine is " + machine->state);
  SPOTTER_TRY(session, checked(platform_.log, sessions_.active_visit_at(user_id, machine->branch_id), "session"));
  if (!session) return problem(409, "not-inside", "the member has no active session at this machine's branch");
  SPOTTER_TRY(queue, checked(platform_.log, store_.queue(machine_id), "queue"));
  const bool my_turn = queue.empty() || queue.front() == user_id;
  if (!my_turn && who.role != Role::gateway) return problem(409, "queued", "other members are queued for this machine; join the queue");
  const std::int64_t now = platform_.now_ms();
  const Link l{.id = new_id("lnk", now), .machine_id = machine_id, .user_id = user_id, .session_id = *session, .started_at = now};
  auto tx = platform_.db.transaction([&]() -> Status {
    // A member moving to another machine leaves the previous one.
    auto prev = store_.active_link_of_user(user_id);
    if (!prev) return Unexpected<Error>{prev.error()};
    if (*prev) {
      if ((*prev)->machine_id == machine_id) return fail(std::string(sql_error::conflict), "already linked");
      if (auto e = end_link(**prev, now, "moved"); !e) return Unexpected<Error>{e.error()};
    }
    if (auto r = store_.insert_link(l); !r) return r;
    if (auto q = store_.leave_queue(machine_id, user_id); !q) return Unexpected<Error>{q.error()};
    return changed(machine_id, machine->branch_id);
  });
  if (!tx) {
    if (tx.error().code == sql_error::conflict) return problem(409, "machine-taken", "the machine is in use");
    return storage_failure(platform_.log, tx.error(), "link");
  }
  if (who.role == Role::gateway) platform_.audit.record(ctx, "machine.link", l.id, {{"machine_id", machine_id}, {"user_id", user_id}});
  return json_response(201, {{"id", l.id}, {"machine_id", machine_id}, {"user_id", user_id}, {"session_id", *session},
                             {"started_at", rfc3339(now)}, {"ended_at", nullptr}});
}

HttpResponse MachinesDomain::unlink(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(machine, checked(platform_.log, store_.machine(machine_id), "machine"));
  if (!machine || !who.sees_branch(machine->branch_id)) return not_found("machine");
  SPOTTER_TRY(active, checked(platform_.log, store_.active_link_of_machine(machine_id), "link"));
  if (!active || (who.role == Role::member && active->user_id != who.id)) return problem(404, "not-linked", "you are not linked to this machine");
  if (who.role == Role::trainer && !who.manages_branch(machine->branch_id)) return forbidden();
  const Link l = *active;
  const std::int64_t now = platform_.now_ms();
  bool ended = false;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       auto r = end_link(l, now, who.role == Role::gateway ? "machine" : (who.is_staff() ? "staff" : "member"));
                       if (!r) return Unexpected<Error>{r.error()};
                       ended = *r;
                       // The machine learns it through its gateway (no inbound connection to the branch needed).
                       if (!ended || who.role == Role::gateway) return {};
                       return command(machine_id, machine->branch_id, "unlink", {{"link_id", l.id}});
                     }),
                     "unlink"));
  if (!ended) return problem(409, "already-unlinked", "the link has ended");
  if (who.role != Role::member) platform_.audit.record(ctx, "machine.unlink", l.id, {{"machine_id", machine_id}});
  return json_response(200, {{"id", l.id}, {"machine_id", machine_id}, {"user_id", l.user_id}, {"session_id", l.session_id ? Json(*l.session_id) : Json(nullptr)},
                             {"started_at", rfc3339(l.started_at)}, {"ended_at", rfc3339(now)}});
}

// Devices and staff only touch machines of branches they serve.
Try<MachineRow> MachinesDomain::device_machine(const Caller& who, const std::string& machine_id) {
  SPOTTER_TRY(machine, checked(platform_.log, store_.machine(machine_id), "machine"));
  if (!machine) return reject(404, "not-found", "machine not found");
  if (!(who.role == Role::gateway ? who.sees_branch(machine->branch_id) : who.manages_branch(machine->branch_id)))
    return reject(403, "forbidden", "not a machine of your branch");
  return *machine;
}

HttpResponse MachinesDomain::heartbeat(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  std::optional<std::string> state;
  if (f.raw("state")) state = f.choice("state", {"idle", "in_use", "maintenance", "error", "offline"});
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(machine, device_machine(ctx.who(), machine_id));
  const std::int64_t now = platform_.now_ms();
  // Silence made it offline; a heartbeat brings it back as idle unless it says otherwise.
  // One that staff hold out of service stays there until cleared.
  const std::string next = shown_machine_state(state.value_or(machine.state == "offline" ? "idle" : machine.state), machine.held_by_staff);
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       if (auto r = store_.heartbeat(machine_id, next, back_in_service(next), now); !r) return r;
                       // Only last_seen_at moved when the state stays: answers refresh, nobody is pushed.
                       Json change = {{"machine_id", machine_id}, {"branch_id", machine.branch_id}};
                       if (next == machine.state) change["push"] = false;
                       return platform_.events.publish({events::kChanged, change});
                     }),
                     "heartbeat"));
  return json_response(200, {{"machine_id", machine_id}, {"state", next}, {"last_seen_at", rfc3339(now)}});
}

HttpResponse MachinesDomain::workout_data(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  SPOTTER_DO(device_machine(ctx.who(), machine_id));
  Json record = body;
  record.erase("machine_id");
  auto decoded = protocol::decode_workout(dump_json(record));
  if (!decoded) return validation_problem({{decoded.error().field.empty() ? "workout" : decoded.error().field, decoded.error().detail}});
  const std::int64_t now = platform_.now_ms();
  Workout w{.id = new_id("wk", now), .machine_id = machine_id, .dedup_key = decoded->boot_id.value_or("-") + ":" + std::to_string(decoded->msg_id),
            .data = dump_json(record), .user_id = {}, .session_id = {}, .link_id = decoded->link_id, .started_at = decoded->ts_start, .ended_at = decoded->ts_end};
  // The link it names, else the link that covered its time (docs/sync.md, "Attribution").
  SPOTTER_TRY(link, checked(platform_.log, decoded->link_id ? store_.link(*decoded->link_id)
                                                          : store_.link_covering(machine_id, decoded->ts_start, decoded->ts_end),
                            "link"));
  if (link && link->machine_id == machine_id) w.link_id = link->id, w.user_id = link->user_id, w.session_id = link->session_id;
  SPOTTER_TRY(stored, checked(platform_.log, record_workout(w), "workout"));
  if (!stored) return json_response(200, {{"duplicate", true}, {"machine_id", machine_id}});
  return json_response(201, {{"id", w.id}, {"machine_id", machine_id}, {"user_id", w.user_id ? Json(*w.user_id) : Json(nullptr)},
                             {"session_id", w.session_id ? Json(*w.session_id) : Json(nullptr)}});
}

HttpResponse MachinesDomain::maintenance(RequestContext& ctx, bool clear) {
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
  SPOTTER_TRY(machine, device_machine(ctx.who(), machine_id));
  const std::int64_t now = platform_.now_ms();
  const bool out_of_service = !clear && protocol::takes_out_of_service(severity_level(severity));
  const bool by_device = ctx.who().role == Role::gateway;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       if (clear || out_of_service) {
                         // Staff hold what they take out of service; a device's own report is no hold
                         // (a device holding one keeps it). A clear releases either.
                         const bool hold = !clear && (!by_device || machine.held_by_staff);
                         if (auto r = store_.set_out_of_service(machine_id, out_of_service, code, hold, now); !r) return r;
                       }
                       if (out_of_service)
                         if (auto r = end_active_link_of_machine(machine_id, now, "maintenance"); !r) return r;
                       if (!by_device && (clear || out_of_service))
                         if (auto r = command(machine_id, machine.branch_id, clear ? "clear_maintenance" : "set_maintenance",
                                              clear ? Json::object() : Json{{"code", code}});
                             !r)
                           return r;
                       return changed(machine_id, machine.branch_id);
                     }),
                     "maintenance"));
  if (!clear && severity != "info")
    platform_.outbox.notify(std::nullopt, "maintenance", {{"machine_id", machine_id}, {"branch_id", machine.branch_id}, {"code", code}, {"severity", severity}});
  platform_.audit.record(ctx, clear ? "machine.maintenance_clear" : "machine.maintenance", machine_id, {{"code", code}, {"severity", severity}});
  return json_response(200, {{"machine_id", machine_id}, {"state", clear ? "idle" : (out_of_service ? "maintenance" : machine.state)},
                             {"code", clear ? Json(nullptr) : Json(code)}, {"severity", severity}});
}

HttpResponse MachinesDomain::usage(RequestContext& ctx) {
  const std::string branch_id(ctx.req.query_param("branch_id"));
  if (branch_id.empty()) return validation_problem({{"branch_id", "is required"}});
  if (!ctx.who().manages_branch(branch_id)) return forbidden("not one of your branches");
  SPOTTER_TRY(items, checked(platform_.log, store_.usage(branch_id), "usage"));
  return json_response(200, {{"branch_id", branch_id}, {"items", items}, {"next_cursor", nullptr}});
}

HttpResponse MachinesDomain::my_workouts(RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  // The cursor is "<started_at>_<id>" of the last one shown.
  std::optional<std::pair<std::int64_t, std::string>> before;
  if (page.after) {
    const auto cut = page.after->find('_');
    std::int64_t started = 0;
    bool digits = cut != std::string::npos && cut > 0 && cut <= 15;
    for (std::size_t i = 0; digits && i < cut; ++i) digits = std::isdigit(static_cast<unsigned char>((*page.after)[i])), started = started * 10 + ((*page.after)[i] - '0');
    if (!digits) return validation_problem({{"cursor", "is not a cursor this service gave out"}});
    before = std::pair{started, page.after->substr(cut + 1)};
  }
  SPOTTER_TRY(items, checked(platform_.log, store_.workouts_of(ctx.who().id, before, page.limit + 1), "workouts"));
  Json out = page_json(std::move(items), page, [](const Json& w) { return std::to_string(w["started_at_ms"].get<std::int64_t>()) + "_" + w["id"].get<std::string>(); });
  for (auto& w : out["items"]) w.erase("started_at_ms");
  return json_response(200, out);
}

}  // namespace spotter::cloud::machines
