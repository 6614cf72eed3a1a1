// Routes a request to its domain's handler after authentication and counts it in the
// metrics (the HTTP adapter's HttpApplication). Thread-safe: called from the worker
// threads concurrently, and answer_from_memory() from the I/O threads.
#pragma once
#include <vector>

#include "../core/http_application.hpp"
#include "../domains/auth/auth.hpp"
#include "../platform/platform.hpp"

namespace spotter::cloud {

class Router final : public HttpApplication {
 public:
  // `routes` is complete before the first request; it outlives the router.
  Router(Platform& platform, const RouteTable& routes, auth::AuthDomain& auth);
  HttpResponse handle(const HttpRequest& request) override;
  std::shared_ptr<const HttpResponse> answer_from_memory(const HttpRequest& request) override;
  Try<Caller> authenticate_socket(std::string_view token) override;

 private:
  struct Match {
    const Route* route = nullptr;
    Params params;
    bool path_matched = false;
  };
  Match match(const HttpRequest& request) const;
  Try<Caller> authenticate(const HttpRequest& request, Access access);

  Platform& platform_;
  const RouteTable& routes_;
  auth::AuthDomain& auth_;
  struct MemoryRoute {
    const Route* route;
    std::string label;  // "GET /path", as the metrics name it
  };
  std::vector<MemoryRoute> memory_routes_;  // routes with from_memory (a handful: scanned)
};

}  // namespace spotter::cloud
