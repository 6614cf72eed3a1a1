#include "proxies.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <optional>

namespace spotter::cloud {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped into ::ffff:0:0/96), and whether it was IPv4.
std::optional<std::pair<std::array<std::uint8_t, 16>, bool>> parse_address(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  std::array<std::uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return std::pair{out, true};
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return std::pair{out, false};
  }
  return std::nullopt;
}

// "[2001:db8::1]:443" or "203.0.113.7:5000" as some proxies write them: the address alone.
std::string_view strip_port(std::string_view entry) {
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    return close == std::string_view::npos ? entry : entry.substr(1, close - 1);
  }
  const auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) return entry.substr(0, colon);
  return entry;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
  TrustedProxies out;
  while (!trim(list).empty()) {
    const auto comma = list.find(',');
    const std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    const auto slash = entry.find('/');
    auto address = parse_address(entry.substr(0, slash));
    if (!address) return fail("invalid", "'" + std::string(entry) + "' is not an IP address or CIDR network");
    Network n{address->first, 128};
    if (slash != std::string_view::npos) {
      const auto bits = entry.substr(slash + 1);
      int prefix = 0;
      bool ok = !bits.empty() && bits.size() <= 3;
      for (char c : bits) ok = ok && c >= '0' && c <= '9', prefix = prefix * 10 + (c - '0');
      const int max = address->second ? 32 : 128;
      if (!ok || prefix > max) return fail("invalid", "'" + std::string(entry) + "' has a bad prefix length");
      n.prefix = address->second ? prefix + 96 : prefix;
    }
    out.networks_.push_back(n);
  }
  return out;
}

bool TrustedProxies::trusts(std::string_view address) const {
  auto parsed = parse_address(trim(address));
  if (!parsed) return false;
  const auto& a = parsed->first;
  for (const auto& n : networks_) {
    int bits = n.prefix;
    bool match = true;
    for (std::size_t i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
      const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
      match = (a[i] & mask) == (n.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string TrustedProxies::client_address(std::string_view peer, std::string_view forwarded_for) const {
  std::string client(peer);
  if (!trusts(peer)) return client;
  // Right to left: each trusted hop vouches for the one before it.
  std::string_view rest = forwarded_for;
  while (!trim(rest).empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view entry = strip_port(trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1)));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (!parse_address(entry)) return client;
    client.assign(entry);
    if (!trusts(entry)) return client;
  }
  return client;
}

}  // namespace spotter::cloud
