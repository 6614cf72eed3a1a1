#pragma once
#include "app.hpp"

namespace spotter::cloud {

// Routes a request to its handler after authentication; counts it in the metrics. Thread-
// safe: called from the database worker threads concurrently.
class Api {
 public:
  explicit Api(App& app);
  HttpResponse handle(const HttpRequest& request);
  // For WebSocket upgrades: the caller behind an access token, or why not.
  Try<Caller> authenticate_user_token(std::string_view token);
  const std::vector<Route>& routes() const { return routes_; }
  // The hottest read answered on the I/O thread from memory alone (no SQLite): availability
  // when the caller and the branch's list are cached: the answer, shared with every request
  // that gets the same one (the caller keeps it alive until written). Null: take the normal path.
  std::shared_ptr<const HttpResponse> try_from_memory(const HttpRequest& request);
  App& app() { return app_; }

 private:
  struct Match {
    const Route* route = nullptr;
    Params params;
    bool path_matched = false;
  };
  Match match(const HttpRequest& request) const;
  Try<Caller> authenticate(const HttpRequest& request, Access access);
  // The claims of a genuine, current access or gateway token; null otherwise.
  std::shared_ptr<const AccessClaims> verified_claims(std::string_view token);
  Try<Caller> load_caller(const AccessClaims& claims, Caller caller);

  App& app_;
  std::vector<Route> routes_;
};

}  // namespace spotter::cloud
