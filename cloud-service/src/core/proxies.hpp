// Who the client is behind a load balancer (processes.md, --trusted-proxies): only from
// the listed peers is X-Forwarded-For believed, and the client address is its right-most
// entry that is not itself a trusted proxy. That address is what per-address limits and
// the audit log use. Pure; thread-safe once built.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/result.hpp"

namespace spotter::cloud {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // "CIDR[,CIDR...]" of IPv4 and IPv6 networks ("10.0.0.0/8", "::1/128", "192.168.1.7");
  // empty: trust no one. Error code "invalid" naming the bad entry.
  static Result<TrustedProxies> parse(std::string_view list);
  bool empty() const { return networks_.empty(); }
  bool trusts(std::string_view address) const;
  // `peer` is the TCP peer's address; `forwarded_for` every X-Forwarded-For value, joined
  // with commas in arrival order. A malformed entry ends the walk there: the address
  // before it (the nearest trusted hop that named it) is the client.
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d
    int prefix = 128;
  };
  std::vector<Network> networks_;
};

}  // namespace spotter::cloud
