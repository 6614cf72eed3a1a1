// HTTP/1.1 to spotter-cloud over a kept-alive connection (Beast): https:// with OpenSSL
// (the cloud's certificate checked against the system's CA store or --cloud-ca, and its
// name against the URL's host), or http:// to this machine only (the caller enforces that).
// Blocking, with a timeout per request: used by the sync thread only.
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

struct CloudEndpoint {
  bool tls = false;
  std::string host, port;
};
// http://HOST[:PORT] or https://HOST[:PORT] (IPv6 in brackets); error "bad_url" otherwise.
Result<CloudEndpoint> parse_cloud_url(const std::string& url);
// 127.0.0.0/8, ::1 or localhost: where plain http:// may go.
bool is_loopback_host(const std::string& host);

class CloudClient {
 public:
  // `ca_file`: PEM certificates to trust instead of the system's store (https only). Throws
  // std::invalid_argument on a bad URL or an unreadable CA file (start-up errors).
  explicit CloudClient(const std::string& base_url, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       const std::string& ca_file = "");
  ~CloudClient();
  // Error "certificate" when the cloud's certificate was refused (the reason in the
  // message); "unreachable" when no answer came (connect, timeout, reset, TLS failure);
  // otherwise the answer, whatever its status.
  Result<CloudResponse> request(const std::string& method, const std::string& target, const std::string& body, const std::string& bearer);
  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string base_url_;
};

}  // namespace spotter::edge
