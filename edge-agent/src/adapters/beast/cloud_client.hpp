// HTTP/1.1 to spotter-cloud over a kept-alive connection (Beast). Blocking, with a timeout
// per request: used by the sync thread only. Plain HTTP: TLS to the cloud is terminated by a
// local tunnel or proxy for now (docs/sync.md says so).
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "spotter/common/result.hpp"

namespace spotter::edge {

struct CloudResponse {
  int status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
};

class CloudClient {
 public:
  // `base_url`: http://host:port (no path). Throws std::invalid_argument on anything else.
  explicit CloudClient(const std::string& base_url, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~CloudClient();
  // Error "unreachable" when no answer came (connect, timeout, reset); otherwise the answer,
  // whatever its status.
  Result<CloudResponse> request(const std::string& method, const std::string& target, const std::string& body, const std::string& bearer);
  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string base_url_;
};

}  // namespace spotter::edge
