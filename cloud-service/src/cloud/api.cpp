#include "api.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string_view bearer_token(const HttpRequest& req) {
  std::string_view h = req.authorization;
  if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer ")) return h.substr(7);
  return {};
}

const jwt::VerifyOptions kAccessOptions{.leeway = std::chrono::seconds(5), .require_exp = true, .issuer = "spotter-cloud", .audience = "spotter-api"};

}  // namespace

Api::Api(App& app) : app_(app), routes_(all_routes()) {}

Api::Match Api::match(const HttpRequest& request) const {
  Match best;
  if (request.path.empty() || request.path.front() != '/') return best;
  const auto parts = split_path(request.path);
  for (const auto& route : routes_) {
    const auto pattern = split_path(route.pattern);
    if (pattern.size() != parts.size()) continue;
    Params params;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      if (pattern[i].size() > 2 && pattern[i].front() == '{') {
        if (!is_valid_id(parts[i])) ok = false;
        else params.emplace(std::string(pattern[i].substr(1, pattern[i].size() - 2)), std::string(parts[i]));
      } else if (pattern[i] != parts[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    best.path_matched = true;
    if (route.method == request.method) {
      best.route = &route;
      best.params = std::move(params);
      return best;
    }
  }
  return best;
}

std::shared_ptr<const AccessClaims> Api::verified_claims(std::string_view token) {
  const std::int64_t now = app_.now_ms();
  if (auto known = app_.verified_tokens.get(token, now)) return known;
  auto verified = app_.access_verifier.verify(token, app_.clock, kAccessOptions);
  if (!verified) return nullptr;
  const Json& c = *verified;
  auto text = [&c](const char* name) { return c.contains(name) && c[name].is_string() ? c[name].get<std::string>() : std::string(); };
  auto claims = std::make_shared<AccessClaims>(AccessClaims{.typ = text("typ"), .sub = text("sub"), .fam = text("fam")});
  if (claims->typ.empty() || claims->sub.empty()) return nullptr;
  // The verifier accepted exp and nbf as finite numbers (exp is required); keep its window.
  const double leeway_ms = static_cast<double>(std::chrono::milliseconds(kAccessOptions.leeway).count());
  auto to_ms = [](double ms) { return static_cast<std::int64_t>(std::clamp(ms, -9.0e18, 9.0e18)); };
  claims->valid_until_ms = to_ms(std::floor(c["exp"].get<double>() * 1000.0 + leeway_ms));
  claims->valid_from_ms = c.contains("nbf") ? to_ms(std::ceil(c["nbf"].get<double>() * 1000.0 - leeway_ms)) : 0;
  app_.verified_tokens.put(token, claims);
  return claims;
}

Try<Caller> Api::authenticate_user_token(std::string_view token) {
  if (token.empty()) return reject(401, "unauthenticated", "a bearer access token is required");
  auto claims = verified_claims(token);
  if (!claims) return reject(401, "invalid-token", "the access token is invalid or expired");
  Caller caller;
  caller.id = claims->sub;
  const bool is_gateway = claims->typ == "gateway";
  const std::string cache_key = is_gateway ? "gw:" + caller.id : (claims->fam.empty() ? "" : "fam:" + claims->fam);
  if (!cache_key.empty())
    if (auto cached = app_.callers.get(cache_key); cached && cached->id == caller.id) return *cached;
  auto loaded = load_caller(*claims, std::move(caller));
  if (!cache_key.empty()) {
    if (loaded) app_.callers.put(cache_key, *loaded);
    else app_.callers.forget(cache_key);  // no one keeps using an entry the database refused
  }
  return loaded;
}

Try<Caller> Api::load_caller(const AccessClaims& c, Caller caller) {
  if (c.typ == "gateway") {
    auto rows = app_.db.query("SELECT branch_id FROM gateways WHERE id = ? AND revoked_at IS NULL", {caller.id});
    if (!rows) return Unexpected<HttpResponse>{storage_failure(app_, rows.error(), "gateway lookup")};
    if (rows->empty()) return reject(401, "revoked", "this gateway is revoked");
    caller.role = Role::gateway;
    caller.branch_ids.insert(rows->front().text(0));
    return caller;
  }
  if (c.typ != "access" || c.fam.empty()) return reject(401, "invalid-token", "the access token is invalid or expired");
  caller.family_id = c.fam;
  // Logout and reuse detection revoke the family: its access tokens stop working at once.
  auto rows = app_.db.query(
      "SELECT u.role, u.home_branch_id FROM token_families f JOIN users u ON u.id = f.user_id "
      "WHERE f.id = ? AND f.user_id = ? AND f.revoked_at IS NULL",
      {caller.family_id, caller.id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app_, rows.error(), "token family lookup")};
  if (rows->empty()) return reject(401, "revoked", "this session was logged out or revoked");
  auto role = parse_role(rows->front().text(0));
  if (!role) return reject(401, "invalid-token", "unknown role");
  caller.role = *role;
  if (caller.role == Role::admin) {
    caller.all_branches = true;
  } else if (caller.role == Role::trainer) {
    auto b = app_.db.query("SELECT branch_id FROM user_branches WHERE user_id = ?", {caller.id});
    if (!b) return Unexpected<HttpResponse>{storage_failure(app_, b.error(), "trainer branches")};
    for (const auto& r : *b) caller.branch_ids.insert(r.text(0));
    if (auto home = rows->front().optional_text(1)) caller.branch_ids.insert(*home);
  } else {
    if (auto home = rows->front().optional_text(1)) caller.branch_ids.insert(*home);
    // Branches a current subscription opens; a plan listing none opens every branch.
    auto b = app_.db.query(
        "SELECT p.id, pb.branch_id FROM subscriptions s JOIN plans p ON p.id = s.plan_id "
        "LEFT JOIN plan_branches pb ON pb.plan_id = p.id "
        "WHERE s.user_id = ? AND s.status = 'active' AND s.starts_at <= ? AND s.expires_at > ?",
        {caller.id, app_.now_ms(), app_.now_ms()});
    if (!b) return Unexpected<HttpResponse>{storage_failure(app_, b.error(), "member branches")};
    for (const auto& r : *b) {
      if (r.is_null(1)) caller.all_branches = true;
      else caller.branch_ids.insert(r.text(1));
    }
  }
  return caller;
}

std::shared_ptr<const HttpResponse> Api::try_from_memory(const HttpRequest& request) {
  if (request.method != "GET" || request.path != "/api/machines/availability" || !request.query_param("cursor").empty()) return nullptr;
  const auto started = std::chrono::steady_clock::now();
  auto snapshot = app_.availability.get(std::string(request.query_param("branch_id")));
  if (!snapshot) return nullptr;
  auto page = read_page(request);
  if (!page || static_cast<std::int64_t>(snapshot->count) > page->limit) return nullptr;
  auto claims = verified_claims(bearer_token(request));
  if (!claims || claims->typ != "access" || claims->fam.empty()) return nullptr;
  auto caller = app_.callers.get("fam:" + claims->fam, CallerCache::OnExpiry::skip);
  if (!caller || caller->id != claims->sub || !caller->sees_branch(request.query_param("branch_id"))) return nullptr;
  auto response = availability_response(*snapshot, request);
  app_.metrics.observe_request("GET /api/machines/availability", 200, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return response;
}

Try<Caller> Api::authenticate(const HttpRequest& request, Access access) {
  auto caller = authenticate_user_token(bearer_token(request));
  if (!caller) return caller;
  const bool gateway = caller->role == Role::gateway;
  if (access == Access::user && gateway) return reject(403, "forbidden", "gateways may not use this route");
  if (access == Access::gateway && !gateway) return reject(403, "forbidden", "only gateways use this route");
  return caller;
}

HttpResponse Api::handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  Match m = match(request);
  std::string label = m.route ? m.route->method + " " + m.route->pattern : (m.path_matched ? "method_not_allowed" : "not_found");
  HttpResponse response;
  if (!m.route) {
    response = m.path_matched ? problem(405, "method-not-allowed", "this path does not accept " + request.method)
                              : problem(404, "not-found", "no such route");
  } else {
    RequestContext ctx{request, std::move(m.params), std::nullopt};
    bool allowed = true;
    if (m.route->access != Access::open) {
      auto caller = authenticate(request, m.route->access);
      if (!caller) {
        response = std::move(caller).error();
        allowed = false;
      } else {
        ctx.caller = std::move(caller).value();
      }
    }
    if (allowed) {
      try {
        response = m.route->handler(app_, ctx);
      } catch (const std::exception& e) {
        // A programming error: logged with the route, answered without details.
        app_.log.error("handler failed", {{"route", label}, {"error", e.what()}});
        response = problem(500, "internal", "the request failed; it has been logged");
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  app_.metrics.observe_request(label, response.status, seconds);
  return response;
}

}  // namespace spotter::cloud
