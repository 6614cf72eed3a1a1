#include "ops.hpp"

#include "../../core/fields.hpp"
#include "../../platform/idempotency.hpp"
#include "../../platform/responses.hpp"
#include "openapi.hpp"

namespace spotter::cloud::ops {

OpsDomain::OpsDomain(Platform& platform, const RouteTable& routes, Health health)
    : platform_(platform), all_routes_(routes), health_(std::move(health)) {}

void OpsDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (OpsDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"GET", "/health", Access::open, bind(&OpsDomain::health), "Database, background jobs and the link to the other instances", "anyone"});
  t.add({"GET", "/metrics", Access::open, bind(&OpsDomain::metrics), "Prometheus text: requests and latency per route, WebSocket clients, job runs",
         "anyone (restrict at the proxy)"});
  t.add({"GET", "/api/openapi.json", Access::open, bind(&OpsDomain::openapi), "This document", "anyone"});
  t.add({"GET", "/api/audit", Access::user, bind(&OpsDomain::audit_log), "Auth events and staff actions: who, what, when, from where", "admin"});
  t.add({"GET", "/api/notifications", Access::user, bind(&OpsDomain::notifications), "The notification outbox (reset mails, machine free, expiries)", "admin"});
}

void OpsDomain::jobs(JobTable& table) {
  // Both limiters keep their rows in one table: pruned by the longer window (the requests'
  // hour), which keeps every row either still counts.
  table.add("attempts_prune", [this] { return platform_.requests.prune(); });
  table.add("idempotency_prune", [this]() -> Result<int> {
    auto n = prune_idempotency_keys(platform_.db, platform_.now_ms());
    if (!n) return Unexpected<Error>{n.error()};
    return static_cast<int>(*n);
  });
}

HttpResponse OpsDomain::health(RequestContext&) {
  Json db = {{"ok", true}, {"engine", std::string(to_string(platform_.db.engine()))}};
  if (auto p = platform_.db.ping(); !p) db = {{"ok", false}, {"engine", std::string(to_string(platform_.db.engine()))}, {"error", p.error().code}};
  Json jobs = Json::object();
  bool jobs_ok = true;
  if (db["ok"].get<bool>()) {
    if (auto runs = health_.jobs()) {
      jobs = *runs;
      for (const auto& [name, run] : jobs.items()) jobs_ok = jobs_ok && run.value("ok", false);
    }
  }
  Json cluster = health_.cluster ? health_.cluster() : Json{{"state", "single"}};
  const bool cluster_ok = cluster.value("state", "") != "reconnecting";
  const bool ok = db["ok"].get<bool>() && jobs_ok && cluster_ok;
  HttpResponse r = json_response(ok ? 200 : 503, {{"status", ok ? "ok" : "degraded"}, {"database", db}, {"jobs", jobs}, {"cluster", cluster},
                                                  {"instance_id", platform_.instance_id}, {"time", rfc3339(platform_.now_ms())}});
  if (!ok) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse OpsDomain::metrics(RequestContext&) {
  return HttpResponse{.status = 200, .content_type = "text/plain; version=0.0.4", .body = platform_.metrics.prometheus_text(), .headers = {}};
}

HttpResponse OpsDomain::openapi(RequestContext&) { return json_response(200, openapi_document(all_routes_.routes())); }

HttpResponse OpsDomain::audit_log(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("the audit log is for admins");
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(before, integer_cursor(page));
  SPOTTER_TRY(items, checked(platform_.log, platform_.audit.list(before, ctx.req.query_param("action"), page.limit + 1), "audit log"));
  return json_response(200, page_json(std::move(items), page, [](const Json& e) { return e["id"].get<std::string>(); }));
}

HttpResponse OpsDomain::notifications(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("the notification outbox is for admins");
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(before, integer_cursor(page));
  SPOTTER_TRY(items, checked(platform_.log, platform_.outbox.list(before, ctx.req.query_param("kind"), page.limit + 1), "notifications"));
  return json_response(200, page_json(std::move(items), page, [](const Json& e) { return e["id"].get<std::string>(); }));
}

}  // namespace spotter::cloud::ops
