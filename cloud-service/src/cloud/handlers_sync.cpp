// Gateway sync (docs/sync.md): replica download by version, ordered idempotent event upload
// with quarantine, and commands for the branch's machines. Admins see quarantine and status.
#include <map>

#include "floor.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/sync_api.hpp"
#include "sync_apply.hpp"
#include "views.hpp"

namespace spotter::cloud {

void bump_replica_version(App& app) {
  if (auto r = app.db.execute("UPDATE replica_version SET version = version + 1 WHERE id = 1"); !r)
    app.log.error("replica version bump failed", {{"error", r.error().message}});
}

void queue_gateway_command(App& app, const std::string& machine_id, const std::string& kind, const Json& body) {
  auto r = app.db.execute("INSERT INTO gateway_commands (branch_id, machine_id, kind, body, created_at) "
                          "SELECT branch_id, id, ?, ?, ? FROM machines WHERE id = ?",
                          {kind, dump_json(body), app.now_ms(), machine_id});
  if (!r) app.log.error("gateway command not queued", {{"error", r.error().message}});
}

namespace {

GatewayInfo gateway_of(const RequestContext& ctx) { return {ctx.who().id, *ctx.who().branch_ids.begin()}; }

Try<Json> build_replica(App& app, const std::string& branch_id) {
  auto branch = app.db.query("SELECT id, name, timezone, opening_hours FROM branches WHERE id = ?", {branch_id});
  if (!branch || branch->empty()) return Unexpected<HttpResponse>{storage_failure(app, branch ? Error{"sql", "branch gone"} : branch.error(), "branch")};
  const auto& b = branch->front();
  Json doc = {{"branch", {{"id", b.text(0)}, {"name", b.text(1)}, {"timezone", b.text(2)}, {"opening_hours", parse_json_strict(b.text(3)).value_or(Json::object())}}}};
  const std::int64_t now = app.now_ms();
  // Members whose current or future subscription opens this branch, or whose home it is.
  const std::string members_sql =
      "SELECT u.id FROM users u WHERE u.role = 'member' AND (u.home_branch_id = ? OR EXISTS (SELECT 1 FROM subscriptions s "
      "LEFT JOIN plan_branches pb ON pb.plan_id = s.plan_id WHERE s.user_id = u.id AND s.expires_at > ? AND (pb.branch_id IS NULL OR pb.branch_id = ?)))";
  auto members = app.db.query("SELECT id, full_name FROM users WHERE id IN (" + members_sql + ") ORDER BY id", {branch_id, now, branch_id});
  auto subs = app.db.query("SELECT s.id, s.user_id, s.starts_at, s.expires_at, s.status, (SELECT group_concat(branch_id) FROM plan_branches WHERE plan_id = s.plan_id) "
                           "FROM subscriptions s WHERE s.expires_at > ? AND s.status <> 'expired' AND s.user_id IN (" + members_sql + ")",
                           {now, branch_id, now, branch_id});
  auto cards = app.db.query("SELECT uid, user_id, revoked_at FROM credentials WHERE kind = 'nfc' AND user_id IN (" + members_sql + ") "
                            "AND (revoked_at IS NULL OR uid NOT IN (SELECT uid FROM credentials WHERE revoked_at IS NULL))",
                            {branch_id, now, branch_id});
  auto machines = app.db.query("SELECT id, name, category, type FROM machines WHERE branch_id = ? ORDER BY id", {branch_id});
  for (const auto* r : {&members, &subs, &cards, &machines})
    if (!*r) return Unexpected<HttpResponse>{storage_failure(app, r->error(), "replica")};
  Json list = Json::array();
  for (const auto& m : *members) list.push_back({{"id", m.text(0)}, {"display_name", m.text(1)}});
  doc["members"] = std::move(list);
  list = Json::array();
  for (const auto& s : *subs) {
    Json branches = Json::array();
    const std::string joined = s.text(5);
    for (std::size_t start = 0; !joined.empty() && start <= joined.size();) {
      const auto comma = std::min(joined.find(',', start), joined.size());
      branches.push_back(joined.substr(start, comma - start));
      start = comma + 1;
    }
    list.push_back({{"id", s.text(0)}, {"member_id", s.text(1)}, {"starts_at_ms", s.integer(2)}, {"expires_at_ms", s.integer(3)},
                    {"suspended", s.text(4) == "suspended"}, {"branch_ids", branches}});
  }
  doc["memberships"] = std::move(list);
  list = Json::array();
  // A revoked card stays in the replica as blocked (unless the UID now belongs to someone).
  for (const auto& c : *cards) list.push_back({{"uid", c.text(0)}, {"member_id", c.text(1)}, {"blocked", !c.is_null(2)}});
  doc["cards"] = std::move(list);
  list = Json::array();
  for (const auto& m : *machines) list.push_back({{"id", m.text(0)}, {"name", m.text(1)}, {"category", m.text(2)}, {"type", m.text(3)}});
  doc["machines"] = std::move(list);
  list = Json::array();
  for (const auto& [kid, sec1] : app.keys.qr_public_sec1) list.push_back({{"kid", kid}, {"public_key", base64url_encode(sec1)}});
  doc["qr_keys"] = std::move(list);
  return doc;
}

HttpResponse replica(App& app, RequestContext& ctx) {
  const auto g = gateway_of(ctx);
  auto version = app.db.query("SELECT version FROM replica_version WHERE id = 1");
  if (!version || version->empty()) return storage_failure(app, version ? Error{"sql", "no version row"} : version.error(), "replica version");
  const std::int64_t v = version->front().integer(0);
  (void)app.db.execute("UPDATE gateways SET last_contact_at = ? WHERE id = ?", {app.now_ms(), g.id});
  if (auto since = ctx.req.query_param("since"); !since.empty() && since == std::to_string(v))
    return json_response(200, {{"changed", false}, {"version", v}});
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
