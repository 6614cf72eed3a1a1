// Operations: health, Prometheus metrics, the OpenAPI document, the audit log, the
// notification outbox (admins), and gateway identities (issued, exchanged for tokens,
// rotated, revoked).
#include "openapi.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/ids.hpp"
#include "tokens.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

HttpResponse health(App& app, RequestContext&) {
  Json db = {{"ok", true}};
  if (auto p = app.db.ping(); !p) db = {{"ok", false}, {"error", p.error().code}};
  Json jobs = Json::object();
  bool jobs_ok = true;
  if (auto rows = app.db.query("SELECT name, last_run_at, last_ok, last_detail, runs FROM job_runs ORDER BY name")) {
    for (const auto& r : *rows) {
      // A job that has not run for 5 minutes is stuck (they run every few seconds).
      const bool fresh = app.now_ms() - r.integer(1) < 5 * 60 * 1000;
      jobs[r.text(0)] = {{"last_run_at", rfc3339(r.integer(1))}, {"ok", r.integer(2) != 0 && fresh}, {"runs", r.integer(4)},
                         {"detail", r.is_null(3) ? Json(nullptr) : Json(r.text(3))}};
      jobs_ok = jobs_ok && r.integer(2) != 0 && fresh;
    }
  }
  const bool ok = db["ok"].get<bool>() && jobs_ok;
  return json_response(ok ? 200 : 503, {{"status", ok ? "ok" : "degraded"}, {"database", db}, {"jobs", jobs}, {"time", rfc3339(app.now_ms())}});
}

HttpResponse metrics(App& app, RequestContext&) {
  return HttpResponse{.status = 200, .content_type = "text/plain; version=0.0.4", .body = app.metrics.prometheus_text(), .headers = {}};
}

HttpResponse openapi(App&, RequestContext&) { return json_response(200, openapi_document(all_routes())); }

HttpResponse audit_log(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("the audit log is for admins");
  SPOTTER_TRY(page, read_page(ctx.req));
  std::string sql = "SELECT id, at, actor_id, actor_role, action, target, ip, detail FROM audit_log WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (page.after) sql += " AND id < ?", params.emplace_back(std::stoll(*page.after));
  if (auto a = ctx.req.query_param("action"); !a.empty()) sql += " AND action = ?", params.emplace_back(std::string(a));
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto rows = app.db.query(sql, params);
  if (!rows) return storage_failure(app, rows.error(), "audit log");
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", std::to_string(r.integer(0))}, {"at", rfc3339(r.integer(1))}, {"actor_id", r.is_null(2) ? Json(nullptr) : Json(r.text(2))},
                     {"actor_role", r.is_null(3) ? Json(nullptr) : Json(r.text(3))}, {"action", r.text(4)}, {"target", r.text(5)},
                     {"ip", r.text(6)}, {"detail", parse_json_strict(r.text(7)).value_or(Json::object())}});
  return json_response(200, page_json(std::move(items), page, [](const Json& e) { return e["id"].get<std::string>(); }));
}

HttpResponse notifications(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("the notification outbox is for admins");
  SPOTTER_TRY(page, read_page(ctx.req));
  std::string sql = "SELECT id, user_id, kind, payload, created_at, sent_at FROM notifications WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (page.after) sql += " AND id < ?", params.emplace_back(std::stoll(*page.after));
  if (auto k = ctx.req.query_param("kind"); !k.empty()) sql += " AND kind = ?", params.emplace_back(std::string(k));
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto rows = app.db.query(sql, params);
  if (!rows) return storage_failure(app, rows.error(), "notifications");
  Json items = Json::array();
  for (const auto& r : *rows) {
    Json payload = parse_json_strict(r.text(3)).value_or(Json::object());
    if (payload.contains("token")) payload["token"] = "[redacted]";  // reset tokens are for the mail only
    items.push_back({{"id", std::to_string(r.integer(0))}, {"user_id", r.is_null(1) ? Json(nullptr) : Json(r.text(1))}, {"kind", r.text(2)},
                     {"payload", payload}, {"created_at", rfc3339(r.integer(4))}, {"sent_at", rfc3339_or_null(r.optional_integer(5))}});
  }
  return json_response(200, page_json(std::move(items), page, [](const Json& e) { return e["id"].get<std::string>(); }));
}

HttpResponse create_gateway(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string branch_id = f.id("branch_id");
  std::string name = f.text("name");
  if (!f.ok()) return f.problem();
  const std::int64_t now = app.now_ms();
  const std::string id = new_id("gw", now);
  const std::string secret = "gws_" + crypto::random_token(32);
  auto r = app.db.execute("INSERT INTO gateways (id, branch_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                          {id, branch_id, name, sha256_hex(secret), now});
  if (!r) {
    if (r.error().code == "conflict") return validation_problem({{"branch_id", "no such branch"}});
    return storage_failure(app, r.error(), "gateway");
  }
  audit(app, ctx, "gateway.create", id, {{"branch_id", branch_id}});
  return json_response(201, {{"gateway_id", id}, {"branch_id", branch_id}, {"name", name}, {"secret", secret}, {"created_at", rfc3339(now)}});
}

HttpResponse rotate_gateway(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  const std::string secret = "gws_" + crypto::random_token(32);
  auto r = app.db.execute("UPDATE gateways SET secret_hash = ?, rotated_at = ? WHERE id = ? AND revoked_at IS NULL",
                          {sha256_hex(secret), app.now_ms(), ctx.param("id")});
  if (!r) return storage_failure(app, r.error(), "gateway");
  if (*r == 0) return not_found("active gateway");
  app.callers.clear();
  audit(app, ctx, "gateway.rotate", ctx.param("id"));
  return json_response(200, {{"gateway_id", ctx.param("id")}, {"secret", secret}});
}

HttpResponse revoke_gateway(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  auto r = app.db.execute("UPDATE gateways SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", {app.now_ms(), ctx.param("id")});
  if (!r) return storage_failure(app, r.error(), "gateway");
  if (*r == 0) return not_found("active gateway");
  app.callers.clear();
  audit(app, ctx, "gateway.revoke", ctx.param("id"));
  return no_content();
}

HttpResponse gateway_token(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string gateway_id = f.id("gateway_id");
  std::string secret = f.text("secret", 200);
  if (!f.ok()) return f.problem();
  const std::string ip_key = "gw-ip:" + ctx.req.remote_ip;
  if (auto wait = app.login_by_ip.retry_after_s(ip_key); wait > 0) {
    HttpResponse r = problem(429, "too-many-attempts", "too many failed attempts");
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return r;
  }
  auto rows = app.db.query("SELECT secret_hash, branch_id, revoked_at FROM gateways WHERE id = ?", {gateway_id});
  if (!rows) return storage_failure(app, rows.error(), "gateway");
  const std::string presented = sha256_hex(secret);
  const bool match = !rows->empty() && crypto::constant_time_equal(std::string_view(rows->front().text(0)), std::string_view(presented));
  if (!match || !rows->front().is_null(2)) {
    app.login_by_ip.record_failure(ip_key);
    audit(app, ctx, "gateway.auth_failed", gateway_id);
    return problem(401, "invalid-credentials", "unknown, revoked or wrong gateway credentials");
  }
  auto token = mint_gateway_token(app, gateway_id, rows->front().text(1));
  if (!token) return storage_failure(app, Error{"sql", token.error().message}, "gateway token");
  return json_response(200, {{"access_token", *token}, {"token_type", "Bearer"}, {"expires_in", kGatewayTokenLifetimeS}, {"branch_id", rows->front().text(1)}});
}

}  // namespace

std::vector<Route> ops_routes() {
  return {
      {"GET", "/health", Access::open, health, "Database and background job state", "anyone"},
      {"GET", "/metrics", Access::open, metrics, "Prometheus text: requests and latency per route, WebSocket clients, job runs", "anyone (restrict at the proxy)"},
      {"GET", "/api/openapi.json", Access::open, openapi, "This document", "anyone"},
      {"GET", "/api/audit", Access::user, audit_log, "Auth events and staff actions: who, what, when, from where", "admin"},
      {"GET", "/api/notifications", Access::user, notifications, "The notification outbox (reset mails, machine free, expiries)", "admin"},
      {"POST", "/api/gateways", Access::user, create_gateway, "Issue a gateway id and secret (the secret is shown once)", "admin"},
      {"POST", "/api/gateways/{id}/rotate-secret", Access::user, rotate_gateway, "Issue a new secret; the old one stops working", "admin"},
      {"POST", "/api/gateways/{id}/revoke", Access::user, revoke_gateway, "Revoke a gateway: its tokens stop working at once", "admin"},
      {"POST", "/api/gateways/token", Access::open, gateway_token, "Exchange a gateway's id and secret for a 10-minute token", "gateways"},
  };
}

}  // namespace spotter::cloud
