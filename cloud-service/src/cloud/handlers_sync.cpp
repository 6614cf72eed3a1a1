// Gateway sync (docs/sync.md): replica download by version, ordered idempotent event upload
// with quarantine, and commands for the branch's machines. Admins see quarantine and status.
#include <map>
#include <set>

#include "floor.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/sync_api.hpp"
#include "sync_apply.hpp"
#include "views.hpp"

namespace spotter::cloud {

void replica_changed(App& app, std::string_view entity, const std::string& id) {
  if (auto r = app.db.execute("INSERT INTO replica_changes (entity, entity_id) VALUES (?, ?)", {std::string(entity), id}); !r)
    app.log.error("replica change not recorded", {{"error", r.error().message}});
}

void queue_gateway_command(App& app, const std::string& machine_id, const std::string& kind, const Json& body) {
  auto r = app.db.execute("INSERT INTO gateway_commands (branch_id, machine_id, kind, body, created_at) "
                          "SELECT branch_id, id, ?, ?, ? FROM machines WHERE id = ?",
                          {kind, dump_json(body), app.now_ms(), machine_id});
  if (!r) app.log.error("gateway command not queued", {{"error", r.error().message}});
}

namespace {

GatewayInfo gateway_of(const RequestContext& ctx) { return {ctx.who().id, *ctx.who().branch_ids.begin()}; }

// Members whose home is the branch or whose unexpired subscription opens it. `only` narrows
// to one member (deltas).
std::string members_sql(bool one) {
  return std::string("SELECT u.id FROM users u WHERE u.role = 'member'") + (one ? " AND u.id = ?" : "") +
         " AND (u.home_branch_id = ? OR EXISTS (SELECT 1 FROM subscriptions s LEFT JOIN plan_branches pb ON pb.plan_id = s.plan_id "
         "WHERE s.user_id = u.id AND s.expires_at > ? AND (pb.branch_id IS NULL OR pb.branch_id = ?)))";
}

std::vector<SqlValue> members_params(const std::optional<std::string>& one, const std::string& branch_id, std::int64_t now) {
  std::vector<SqlValue> p;
  if (one) p.emplace_back(*one);
  p.insert(p.end(), {branch_id, now, branch_id});
  return p;
}

// {members, memberships, cards} for the branch's members (or just `one`), as in the
// replica import format.
Try<Json> member_records(App& app, const std::string& branch_id, const std::optional<std::string>& one) {
  const std::int64_t now = app.now_ms();
  const std::string in = members_sql(one.has_value());
  auto params = [&](std::vector<SqlValue> first) {
    auto p = members_params(one, branch_id, now);
    first.insert(first.end(), p.begin(), p.end());
    return first;
  };
  auto members = app.db.query("SELECT id, full_name FROM users WHERE id IN (" + in + ") ORDER BY id", params({}));
  auto subs = app.db.query("SELECT s.id, s.user_id, s.starts_at, s.expires_at, s.status, s.plan_id "
                           "FROM subscriptions s WHERE s.expires_at > ? AND s.status <> 'expired' AND s.user_id IN (" + in + ")", params({now}));
  // A revoked card stays as blocked, unless its UID now belongs to someone else.
  auto cards = app.db.query("SELECT uid, user_id, revoked_at FROM credentials WHERE kind = 'nfc' AND user_id IN (" + in + ") "
                            "AND (revoked_at IS NULL OR uid NOT IN (SELECT uid FROM credentials WHERE revoked_at IS NULL))", params({}));
  for (const auto* r : {&members, &subs, &cards})
    if (!*r) return Unexpected<HttpResponse>{storage_failure(app, r->error(), "replica")};
  std::set<std::string> plans;
  for (const auto& s : *subs) plans.insert(s.text(5));
  SPOTTER_TRY(branches, plan_branch_ids(app, std::vector<std::string>(plans.begin(), plans.end())));
  Json out = {{"members", Json::array()}, {"memberships", Json::array()}, {"cards", Json::array()}};
  for (const auto& m : *members) out["members"].push_back({{"id", m.text(0)}, {"display_name", m.text(1)}});
  for (const auto& s : *subs)
    out["memberships"].push_back({{"id", s.text(0)}, {"member_id", s.text(1)}, {"starts_at_ms", s.integer(2)}, {"expires_at_ms", s.integer(3)},
                                  {"suspended", s.text(4) == "suspended"}, {"branch_ids", branches.contains(s.text(5)) ? branches[s.text(5)] : Json::array()}});
  for (const auto& c : *cards) out["cards"].push_back({{"uid", c.text(0)}, {"member_id", c.text(1)}, {"blocked", !c.is_null(2)}});
  return out;
}

Try<Json> machine_records(App& app, const std::string& branch_id, const std::optional<std::string>& one) {
  auto machines = one ? app.db.query("SELECT id, name, category, type FROM machines WHERE branch_id = ? AND id = ?", {branch_id, *one})
                      : app.db.query("SELECT id, name, category, type FROM machines WHERE branch_id = ? ORDER BY id", {branch_id});
  if (!machines) return Unexpected<HttpResponse>{storage_failure(app, machines.error(), "replica")};
  Json list = Json::array();
  for (const auto& m : *machines) list.push_back({{"id", m.text(0)}, {"name", m.text(1)}, {"category", m.text(2)}, {"type", m.text(3)}});
  return list;
}

Try<Json> build_replica(App& app, const std::string& branch_id) {
  auto branch = app.db.query("SELECT id, name, timezone, opening_hours FROM branches WHERE id = ?", {branch_id});
  if (!branch || branch->empty()) return Unexpected<HttpResponse>{storage_failure(app, branch ? Error{"sql", "branch gone"} : branch.error(), "branch")};
  const auto& b = branch->front();
  Json doc = {{"branch", {{"id", b.text(0)}, {"name", b.text(1)}, {"timezone", b.text(2)}, {"opening_hours", parse_json_strict(b.text(3)).value_or(Json::object())}}}};
  SPOTTER_TRY(people, member_records(app, branch_id, std::nullopt));
  SPOTTER_TRY(machines, machine_records(app, branch_id, std::nullopt));
  doc["members"] = std::move(people["members"]);
  doc["memberships"] = std::move(people["memberships"]);
  doc["cards"] = std::move(people["cards"]);
  doc["machines"] = std::move(machines);
  Json keys = Json::array();
  for (const auto& [kid, sec1] : app.keys.qr_public_sec1) keys.push_back({{"kid", kid}, {"public_key", base64url_encode(sec1)}});
  doc["qr_keys"] = std::move(keys);
  return doc;
}

// What changed after `since`: each changed member with all their memberships and cards (or
// their removal, when they no longer belong to this branch's replica), and machines. nullopt
// when only a whole snapshot will do (a change to everything, or a version too old).
Try<std::optional<Json>> build_delta(App& app, const std::string& branch_id, std::int64_t since) {
  auto changes = app.db.query("SELECT DISTINCT entity, entity_id FROM replica_changes WHERE id > ?", {since});
  if (!changes) return Unexpected<HttpResponse>{storage_failure(app, changes.error(), "replica changes")};
  if (changes->size() > 5000) return std::optional<Json>{};
  Json delta = {{"members", Json::array()}, {"removed_members", Json::array()}, {"machines", Json::array()}, {"removed_machines", Json::array()}};
  for (const auto& c : *changes) {
    const std::string entity = c.text(0), id = c.text(1);
    if (entity == "user") {
      SPOTTER_TRY(one, member_records(app, branch_id, id));
      if (one["members"].empty()) {
        delta["removed_members"].push_back(id);
        continue;
      }
      Json m = one["members"][0];
      m["memberships"] = std::move(one["memberships"]);
      m["cards"] = std::move(one["cards"]);
      delta["members"].push_back(std::move(m));
    } else if (entity == "machine") {
      SPOTTER_TRY(one, machine_records(app, branch_id, id));
      if (one.empty()) delta["removed_machines"].push_back(id);
      else delta["machines"].push_back(std::move(one[0]));
    } else {
      return std::optional<Json>{};
    }
  }
  return std::optional<Json>{std::move(delta)};
}

HttpResponse replica(App& app, RequestContext& ctx) {
  const auto g = gateway_of(ctx);
  auto version = app.db.query("SELECT COALESCE(MAX(id), 0) FROM replica_changes");
  if (!version || version->empty()) return storage_failure(app, version ? Error{"sql", "no version"} : version.error(), "replica version");
  const std::int64_t v = version->front().integer(0);
  (void)app.db.execute("UPDATE gateways SET last_contact_at = ? WHERE id = ?", {app.now_ms(), g.id});
  std::int64_t since = -1;
  if (auto text = ctx.req.query_param("since"); !text.empty()) {
    try {
      since = std::stoll(std::string(text));
    } catch (const std::exception&) {
      return validation_problem({{"since", "must be a version this service gave out"}});
    }
  }
  if (since == v) return json_response(200, {{"changed", false}, {"version", v}});
  if (since > 0 && since < v) {
    SPOTTER_TRY(delta, build_delta(app, g.branch_id, since));
    if (delta) return json_response(200, {{"changed", true}, {"version", v}, {"delta", std::move(*delta)}});
  }
  SPOTTER_TRY(doc, build_replica(app, g.branch_id));
  return json_response(200, {{"changed", true}, {"version", v}, {"replica", std::move(doc)}});
}

HttpResponse events(App& app, RequestContext& ctx) {
  const auto g = gateway_of(ctx);
  if (ctx.req.body.size() > sync_api::kMaxBatchBytes) return problem(413, "too-large", "split the batch");
  SPOTTER_TRY(body, parse_body(ctx.req));
  if (!body.contains("events") || !body["events"].is_array() || body["events"].size() > sync_api::kMaxBatchEvents)
    return validation_problem({{"events", "must be an array of at most " + std::to_string(sync_api::kMaxBatchEvents) + " events"}});
  std::int64_t previous = 0;
  for (const auto& e : body["events"]) {
    if (!e.is_object() || !e.contains("seq") || !e["seq"].is_number_integer() || e["seq"].get<std::int64_t>() <= previous ||
        !e.contains("event_id") || !e["event_id"].is_string() || e["event_id"].get_ref<const std::string&>().empty() ||
        e["event_id"].get_ref<const std::string&>().size() > 200 || !e.contains("kind") || !e["kind"].is_string())
      return validation_problem({{"events", "each event needs seq (increasing), event_id and kind"}});
    previous = e["seq"].get<std::int64_t>();
  }
  Json results = Json::array();
  std::set<std::string> touched;
  std::int64_t last_seq = 0;
  int quarantined = 0;
  auto tx = app.db.transaction([&]() -> Status {
    results = Json::array();
    touched.clear();
    quarantined = 0;
    auto gw = app.db.query("SELECT last_seq FROM gateways WHERE id = ?", {g.id});
    if (!gw) return Unexpected<Error>{gw.error()};
    last_seq = gw->empty() ? 0 : gw->front().integer(0);
    std::map<std::string, std::int64_t> lane_seq;
    auto lanes = app.db.query("SELECT lane, last_seq FROM gateway_lanes WHERE gateway_id = ?", {g.id});
    if (!lanes) return Unexpected<Error>{lanes.error()};
    for (const auto& l : *lanes) lane_seq[l.text(0)] = l.integer(1);
    const std::int64_t now = app.now_ms();
    for (const auto& e : body["events"]) {
      const std::int64_t seq = e["seq"].get<std::int64_t>();
      const std::string event_id = e["event_id"].get<std::string>(), kind = e["kind"].get<std::string>().substr(0, 40);
      // Per gateway and lane, in order: anything at or below the lane's last applied
      // sequence was seen.
      const std::string lane(sync_api::to_string(sync_api::lane_of(kind)));
      if (seq <= lane_seq[lane]) {
        results.push_back({{"event_id", event_id}, {"status", "duplicate"}});
        continue;
      }
      const std::int64_t at = e.contains("at_ms") && e["at_ms"].is_number_integer() ? e["at_ms"].get<std::int64_t>() : now;
      static const Json kEmpty = Json::object();
      auto applied = apply_sync_event(app, g, kind, at, e.contains("body") ? e["body"] : kEmpty, touched);
      if (!applied) return Unexpected<Error>{applied.error()};
      auto row = app.db.execute("INSERT INTO sync_inbox (gateway_id, event_id, seq, kind, at, status, reason, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (gateway_id, event_id) DO NOTHING",
                                {g.id, event_id, seq, kind, at, std::string(applied->quarantined ? "quarantined" : "applied"),
                                 applied->reason.empty() ? SqlValue(nullptr) : SqlValue(applied->reason),
                                 applied->quarantined ? SqlValue(dump_json(e.contains("body") ? e["body"] : kEmpty)) : SqlValue(nullptr), now});
      if (!row) return Unexpected<Error>{row.error()};
      Json result = {{"event_id", event_id}, {"status", applied->quarantined ? "quarantined" : "applied"}};
      if (!applied->reason.empty()) result["reason"] = applied->reason;
      if (applied->quarantined) ++quarantined;
      results.push_back(std::move(result));
      lane_seq[lane] = seq;
      last_seq = std::max(last_seq, seq);
    }
    for (const auto& [lane, seq] : lane_seq) {
      auto l = app.db.execute("INSERT INTO gateway_lanes (gateway_id, lane, last_seq) VALUES (?, ?, ?) "
                              "ON CONFLICT (gateway_id, lane) DO UPDATE SET last_seq = excluded.last_seq", {g.id, lane, seq});
      if (!l) return Unexpected<Error>{l.error()};
    }
    auto upd = app.db.execute("UPDATE gateways SET last_seq = ?, last_contact_at = ? WHERE id = ?", {last_seq, now, g.id});
    return upd ? Status{} : Status{Unexpected<Error>{upd.error()}};
  });
  if (!tx) return storage_failure(app, tx.error(), "sync batch");
  // Pushed after the commit, so no one caches a state that might still roll back.
  for (const auto& m : touched) publish_machine(app, m);
  if (quarantined > 0) app.log.warn("sync events quarantined", {{"gateway_id", g.id}, {"count", quarantined}});
  return json_response(200, {{"results", std::move(results)}, {"last_seq", last_seq}});
}

HttpResponse commands(App& app, RequestContext& ctx) {
  const auto g = gateway_of(ctx);
  std::int64_t after = 0;
  if (auto a = ctx.req.query_param("after"); !a.empty()) {
    try {
      after = std::stoll(std::string(a));
    } catch (const std::exception&) {
      return validation_problem({{"after", "must be an integer"}});
    }
  }
  auto rows = app.db.query("SELECT id, machine_id, kind, body FROM gateway_commands WHERE branch_id = ? AND id > ? ORDER BY id LIMIT 100", {g.branch_id, after});
  if (!rows) return storage_failure(app, rows.error(), "commands");
  Json list = Json::array();
  std::int64_t last = after;
  for (const auto& r : *rows) {
    list.push_back({{"id", r.integer(0)}, {"machine_id", r.text(1)}, {"kind", r.text(2)}, {"body", parse_json_strict(r.text(3)).value_or(Json::object())}});
    last = r.integer(0);
  }
  return json_response(200, {{"commands", list}, {"last_id", last}});
}

HttpResponse quarantine_list(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("quarantined sync events are for admins");
  auto rows = app.db.query("SELECT q.gateway_id, g.branch_id, q.event_id, q.seq, q.kind, q.at, q.reason, q.body, q.received_at FROM sync_inbox q "
                           "JOIN gateways g ON g.id = q.gateway_id WHERE q.status = 'quarantined' ORDER BY q.received_at DESC LIMIT 200");
  if (!rows) return storage_failure(app, rows.error(), "quarantine");
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"gateway_id", r.text(0)}, {"branch_id", r.text(1)}, {"event_id", r.text(2)}, {"seq", r.integer(3)}, {"kind", r.text(4)},
                     {"at", rfc3339(r.integer(5))}, {"reason", r.text(6)}, {"body", parse_json_strict(r.text(7)).value_or(Json::object())},
                     {"received_at", rfc3339(r.integer(8))}});
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

HttpResponse sync_status(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  auto rows = app.db.query("SELECT g.id, g.branch_id, g.name, g.last_seq, g.last_contact_at, g.revoked_at, "
                           "(SELECT COUNT(*) FROM sync_inbox q WHERE q.gateway_id = g.id AND q.status = 'quarantined') FROM gateways g ORDER BY g.id");
  if (!rows) return storage_failure(app, rows.error(), "gateways");
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"gateway_id", r.text(0)}, {"branch_id", r.text(1)}, {"name", r.text(2)}, {"last_seq", r.integer(3)},
                     {"last_contact_at", rfc3339_or_null(r.optional_integer(4))}, {"revoked", !r.is_null(5)}, {"quarantined", r.integer(6)}});
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

}  // namespace

std::vector<Route> sync_routes() {
  return {
      {"GET", std::string(sync_api::kReplica), Access::gateway, replica, "The gateway's branch replica when its version moved past ?since=", "gateway"},
      {"POST", std::string(sync_api::kEvents), Access::gateway, events, "Upload outbox events in order; each applied once by (gateway, event_id)", "gateway"},
      {"GET", std::string(sync_api::kCommands), Access::gateway, commands, "Commands for the branch's machines after ?after=", "gateway"},
      {"GET", "/api/sync/quarantine", Access::user, quarantine_list, "Gateway events the cloud refused, with the reason", "admin"},
      {"GET", "/api/sync/gateways", Access::user, sync_status, "Each gateway's sync position, last contact and quarantine count", "admin"},
  };
}

}  // namespace spotter::cloud
