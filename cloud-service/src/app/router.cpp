#include "router.hpp"

#include <chrono>

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

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

Router::Router(Platform& platform, const RouteTable& routes, auth::AuthDomain& auth) : platform_(platform), routes_(routes), auth_(auth) {
  for (const auto& r : routes_.routes())
    if (r.from_memory) memory_routes_.push_back({&r, r.method + " " + r.pattern});
}

Router::Match Router::match(const HttpRequest& request) const {
  Match best;
  if (request.path.empty() || request.path.front() != '/') return best;
  const auto parts = split_path(request.path);
  for (const auto& route : routes_.routes()) {
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

std::shared_ptr<const HttpResponse> Router::answer_from_memory(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  for (const auto& m : memory_routes_) {
    if (request.path != m.route->pattern || request.method != m.route->method) continue;
    auto caller = auth_.cached_user(bearer_token(request));
    if (!caller) return nullptr;
    auto response = m.route->from_memory(request, *caller);
    if (response) platform_.metrics.observe_request(m.label, response->status, seconds_since(started));
    return response;
  }
  return nullptr;
}

Try<Caller> Router::authenticate_socket(std::string_view token) { return auth_.authenticate(token); }

Try<Caller> Router::authenticate(const HttpRequest& request, Access access) {
  auto caller = auth_.authenticate(bearer_token(request));
  if (!caller) return caller;
  const bool gateway = caller->role == Role::gateway;
  if (access == Access::user && gateway) return reject(403, "forbidden", "gateways may not use this route");
  if (access == Access::gateway && !gateway) return reject(403, "forbidden", "only gateways use this route");
  return caller;
}

HttpResponse Router::handle(const HttpRequest& request) {
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
        response = m.route->handler(ctx);
      } catch (const std::exception& e) {
        // A programming error: logged with the route, answered without details.
        platform_.log.error("handler failed", {{"route", label}, {"error", e.what()}});
        response = problem(500, "internal", "the request failed; it has been logged");
      }
    }
  }
  platform_.metrics.observe_request(label, response.status, seconds_since(started));
  return response;
}

}  // namespace spotter::cloud
