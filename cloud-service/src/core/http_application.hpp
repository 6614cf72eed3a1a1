// What the HTTP adapter serves: the service's router, seen without Beast or the domains.
#pragma once
#include <memory>
#include <string_view>

#include "authz.hpp"
#include "http.hpp"

namespace spotter::cloud {

class HttpApplication {
 public:
  virtual ~HttpApplication() = default;
  // A worker thread; may block on the database. Thread-safe.
  virtual HttpResponse handle(const HttpRequest& request) = 0;
  // An I/O thread; never blocks: an answer from memory alone, shared by every request that
  // gets the same one (the caller keeps it alive until written), or null for handle().
  virtual std::shared_ptr<const HttpResponse> answer_from_memory(const HttpRequest& request) = 0;
  // A worker thread: the user behind a WebSocket's access token, or why not.
  virtual Try<Caller> authenticate_socket(std::string_view token) = 0;
};

}  // namespace spotter::cloud
