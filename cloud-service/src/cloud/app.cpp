#include "app.hpp"

#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {

App::App(SqlDatabase& d, const Clock& c, Logger l, PasswordHasher& h, Metrics& m, SigningKeys k)
    : db(d), clock(c), log(std::move(l)), hasher(h), metrics(m), keys(std::move(k)),
      access_verifier(keys.access_all), qr_verifier(keys.qr_public),
      login_by_ip(c, 5, std::chrono::minutes(15)), login_by_account(c, 5, std::chrono::minutes(15)),
      instance_id(new_id("inst", c.now_ms())) {}

std::vector<Route> all_routes() {
  std::vector<Route> all;
  for (auto&& group : {auth_routes(), org_routes(), user_routes(), session_routes(), machine_routes(), ops_routes(), sync_routes()})
    for (auto&& r : group) all.push_back(r);
  return all;
}

HttpResponse storage_failure(App& app, const Error& e, std::string_view what) {
  if (e.code == "conflict") return problem(409, "conflict", std::string(what) + " conflicts with existing data");
  app.log.error("storage failed", {{"what", std::string(what)}, {"code", e.code}, {"error", e.message}});
  if (e.code == "unavailable") {
    HttpResponse r = problem(503, "unavailable", "storage is busy or unavailable; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  return problem(500, "internal", "the request failed; it has been logged");
}

Try<Page> read_page(const HttpRequest& req) {
  Page page;
  if (auto limit = req.query_param("limit"); !limit.empty()) {
    std::int64_t n = 0;
    bool digits = limit.size() <= 4;
    for (char c : limit) digits = digits && c >= '0' && c <= '9', n = n * 10 + (c - '0');
    if (!digits || n < 1 || n > 200)
      return Unexpected<HttpResponse>{validation_problem({{"limit", "must be an integer from 1 to 200"}})};
    page.limit = n;
  }
  if (auto cursor = req.query_param("cursor"); !cursor.empty()) {
    auto bytes = base64url_decode(cursor);
    std::string key = bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
    if (!bytes || key.rfind("c1:", 0) != 0 || !is_valid_id(key.substr(3)))
      return Unexpected<HttpResponse>{validation_problem({{"cursor", "is not a cursor this service gave out"}})};
    page.after = key.substr(3);
  }
  return page;
}

Json page_json(Json items, const Page& page, const std::function<std::string(const Json&)>& key_of) {
  Json next = nullptr;
  if (static_cast<std::int64_t>(items.size()) > page.limit) {
    items.erase(items.begin() + page.limit, items.end());
    std::string key = "c1:" + key_of(items.back());
    next = base64url_encode(crypto::as_bytes(key));
  }
  return {{"items", std::move(items)}, {"next_cursor", next}};
}

void audit(App& app, const RequestContext& ctx, std::string_view action, std::string_view target, const Json& detail) {
  SqlValue actor = ctx.caller ? SqlValue(ctx.caller->id) : SqlValue(nullptr);
  SqlValue role = ctx.caller ? SqlValue(std::string(to_string(ctx.caller->role))) : SqlValue(nullptr);
  auto r = app.db.execute("INSERT INTO audit_log (at, actor_id, actor_role, action, target, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          {app.now_ms(), actor, role, std::string(action), std::string(target), ctx.req.remote_ip, dump_json(detail)});
  if (!r) app.log.error("audit write failed", {{"action", std::string(action)}, {"error", r.error().message}});
}

void notify(App& app, const std::optional<std::string>& user_id, std::string_view kind, const Json& payload) {
  auto r = app.db.execute("INSERT INTO notifications (user_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                          {sql_opt(user_id), std::string(kind), dump_json(payload), app.now_ms()});
  if (!r) app.log.error("notification write failed", {{"kind", std::string(kind)}, {"error", r.error().message}});
}

HttpResponse forbidden(std::string_view detail) { return problem(403, "forbidden", detail); }
HttpResponse not_found(std::string_view what) { return problem(404, "not-found", std::string(what) + " not found"); }

}  // namespace spotter::cloud
