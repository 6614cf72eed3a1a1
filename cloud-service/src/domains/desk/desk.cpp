#include "desk.hpp"

#include "assets.hpp"

namespace spotter::cloud::desk {
namespace {

// The page loads only from this origin and talks only to it (the API and its WebSocket);
// nothing may frame it (clickjacking at a till).
constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

HttpResponse file_response(const DeskFile& f) {
  return HttpResponse{.status = 200,
                      .content_type = std::string(content_type_of(f.name)),
                      .body = std::string(f.bytes),
                      .headers = {{"Cache-Control", "no-cache"},
                                  {"Content-Security-Policy", kPolicy},
                                  {"X-Content-Type-Options", "nosniff"},
                                  {"X-Frame-Options", "DENY"},
                                  {"Referrer-Policy", "no-referrer"}}};
}

}  // namespace

std::string_view content_type_of(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

void DeskDomain::routes(RouteTable& t) {
  const std::string who = "anyone (the page signs staff in through the API)";
  t.add({"GET", "/desk", Access::open,
         [](RequestContext&) { return HttpResponse{.status = 308, .content_type = "text/plain", .body = "/desk/", .headers = {{"Location", "/desk/"}}}; },
         "The front-desk page (redirects to /desk/)", who});
  for (const auto& f : desk_files()) {
    auto answer = [&f](RequestContext&) { return file_response(f); };
    if (f.name == "index.html") t.add({"GET", "/desk/", Access::open, answer, "The front-desk page", who});
    t.add({"GET", "/desk/" + std::string(f.name), Access::open, answer, "The front-desk page: " + std::string(f.name), who});
  }
}

}  // namespace spotter::cloud::desk
