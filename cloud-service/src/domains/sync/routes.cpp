// Gateway sync routes (docs/sync.md): replica download by version, ordered idempotent event
// upload with quarantine, commands for the branch's machines; admins see quarantine and status.
#include <map>

#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "spotter/common/sync_api.hpp"
#include "sync.hpp"

namespace spotter::cloud::sync {
namespace {

GatewayOrigin gateway_of(const RequestContext& ctx) { return {ctx.who().id, *ctx.who().branch_ids.begin()}; }

// A decimal integer query parameter, or 400 naming it.
Try<std::optional<std::int64_t>> integer_param(const HttpRequest& req, const char* name, const char* problem_text) {
  auto text = req.query_param(name);
  if (text.empty()) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  bool ok = text.size() <= 18;
  for (char c : text) ok = ok && c >= '0' && c <= '9', n = n * 10 + (c - '0');
  if (!ok) return Unexpected<HttpResponse>{validation_problem({{name, problem_text}})};
  return std::optional<std::int64_t>{n};
}

}  // namespace

void SyncDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (SyncDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"GET", std::string(sync_api::kReplica), Access::gateway, bind(&SyncDomain::replica), "The gateway's branch replica when its version moved past ?since=",
         "gateway"});
  t.add({"POST", std::string(sync_api::kEvents), Access::gateway, bind(&SyncDomain::upload), "Upload outbox events in order; each applied once by (gateway, event_id)",
         "gateway"});
  t.add({"GET", std::string(sync_api::kCommands), Access::gateway, bind(&SyncDomain::commands), "Commands for the branch's machines after ?after=", "gateway"});
  t.add({"GET", "/api/sync/quarantine", Access::user, bind(&SyncDomain::quarantine_list), "Gateway events the cloud refused, with the reason", "admin"});
  t.add({"GET", "/api/sync/gateways", Access::user, bind(&SyncDomain::status), "Each gateway's sync position, last contact and quarantine count", "admin"});
  t.add({"POST", "/api/gateways", Access::user, bind(&SyncDomain::create_gateway), "Issue a gateway id and secret (the secret is shown once)", "admin"});
  t.add({"POST", "/api/gateways/{id}/rotate-secret", Access::user, bind(&SyncDomain::rotate_gateway), "Issue a new secret; the old one stops working", "admin"});
  t.add({"POST", "/api/gateways/{id}/revoke", Access::user, bind(&SyncDomain::revoke_gateway), "Revoke a gateway: its tokens stop working at once", "admin"});
  t.add({"POST", std::string(sync_api::kGatewayToken), Access::open, bind(&SyncDomain::gateway_token),
         "Exchange a gateway's id and secret for a 10-minute token", "gateways"});
}

HttpResponse SyncDomain::replica(RequestContext& ctx) {
  const auto g = gateway_of(ctx);
  SPOTTER_TRY(since, integer_param(ctx.req, "since", "must be a version this service gave out"));
  SPOTTER_TRY(v, checked(platform_.log, store_.replica_version(), "replica version"));
  (void)store_.touch(g.gateway_id, platform_.now_ms());
  if (since && *since == v) return json_response(200, {{"changed", false}, {"version", v}});
  if (since && *since > 0 && *since < v) {
    SPOTTER_TRY(delta, build_delta(g.branch_id, *since));
    if (delta) return json_response(200, {{"changed", true}, {"version", v}, {"delta", std::move(*delta)}});
  }
  SPOTTER_TRY(doc, build_replica(g.branch_id));
  return json_response(200, {{"changed", true}, {"version", v}, {"replica", std::move(doc)}});
}

HttpResponse SyncDomain::upload(RequestContext& ctx) {
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
  static const Json kEmpty = Json::object();
  Json results = Json::array();
  std::int64_t last_seq = 0;
  int quarantined = 0;
  auto tx = platform_.db.transaction([&]() -> Status {
    results = Json::array();
    quarantined = 0;
    const std::int64_t now = platform_.now_ms();
    // Locks the gateway's row first: a retried batch racing the original (on another
    // instance) waits for it, then sees its positions.
    SPOTTER_SQL(store_.touch(g.gateway_id, now));
    auto last = store_.last_seq(g.gateway_id);
    if (!last) return Unexpected<Error>{last.error()};
    last_seq = *last;
    auto lanes = store_.lane_positions(g.gateway_id);
    if (!lanes) return Unexpected<Error>{lanes.error()};
    auto& lane_seq = *lanes;
    // An event is the same event by its id, whatever its sequence number: a retried batch,
    // or one the gateway numbered again, is applied once; a reinstalled gateway (an empty
    // outbox, numbering from 1 again) has its new events applied, not taken for old ones.
    std::vector<std::string> ids;
    for (const auto& e : body["events"]) ids.push_back(e["event_id"].get<std::string>());
    auto seen = store_.seen_events(g.gateway_id, ids);
    if (!seen) return Unexpected<Error>{seen.error()};
    for (const auto& e : body["events"]) {
      const std::int64_t seq = e["seq"].get<std::int64_t>();
      const std::string event_id = e["event_id"].get<std::string>(), kind = e["kind"].get<std::string>().substr(0, 40);
      const std::string lane(sync_api::to_string(sync_api::lane_of(kind)));
      if (!seen->insert(event_id).second) {
        results.push_back({{"event_id", event_id}, {"status", "duplicate"}});
        continue;
      }
      const std::int64_t at = e.contains("at_ms") && e["at_ms"].is_number_integer() ? e["at_ms"].get<std::int64_t>() : now;
      const Json& event_body = e.contains("body") ? e["body"] : kEmpty;
      Result<Applied> applied = quarantine("unknown kind " + kind);
      if (!event_body.is_object()) applied = quarantine("body is not an object");
      else if (const auto* handler = uploads_.find(kind)) applied = (*handler)(g, at, event_body);
      if (!applied) return Unexpected<Error>{applied.error()};
      InboxRow row{.gateway_id = g.gateway_id, .event_id = event_id, .kind = kind, .status = applied->quarantined ? "quarantined" : "applied",
                   .seq = seq, .at = at, .received_at = now, .reason = {}, .body = {}};
      if (!applied->reason.empty()) row.reason = applied->reason;
      if (applied->quarantined) row.body = dump_json(event_body);
      SPOTTER_SQL(store_.record(row));
      Json result = {{"event_id", event_id}, {"status", row.status}};
      if (!applied->reason.empty()) result["reason"] = applied->reason;
      if (applied->quarantined) ++quarantined;
      results.push_back(std::move(result));
      lane_seq[lane] = std::max(lane_seq[lane], seq);  // how far each lane got, for operators
      last_seq = std::max(last_seq, seq);
    }
    return store_.set_lane_positions(g.gateway_id, lane_seq, last_seq, now);
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "sync batch");
  if (quarantined > 0) platform_.log.warn("sync events quarantined", {{"gateway_id", g.gateway_id}, {"count", quarantined}});
  return json_response(200, {{"results", std::move(results)}, {"last_seq", last_seq}});
}

HttpResponse SyncDomain::commands(RequestContext& ctx) {
  const auto g = gateway_of(ctx);
  SPOTTER_TRY(after, integer_param(ctx.req, "after", "must be an integer"));
  SPOTTER_TRY(list, checked(platform_.log, store_.commands_after(g.branch_id, after.value_or(0), 100), "commands"));
  const std::int64_t last = list.empty() ? after.value_or(0) : list.back()["id"].get<std::int64_t>();
  return json_response(200, {{"commands", list}, {"last_id", last}});
}

HttpResponse SyncDomain::quarantine_list(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("quarantined sync events are for admins");
  SPOTTER_TRY(items, checked(platform_.log, store_.quarantined(200), "quarantine"));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

HttpResponse SyncDomain::status(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(items, checked(platform_.log, store_.gateways_status(), "gateways"));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

}  // namespace spotter::cloud::sync
