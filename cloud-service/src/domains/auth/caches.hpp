// What authentication keeps in memory so the hottest reads (availability at 1,000
// connections) need no database: who a login belongs to, and tokens already verified.
// Per instance; revocations reach every instance through auth.logins_revoked and the
// other domains' change events (platform/events.hpp). Thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "../../core/authz.hpp"

namespace spotter::cloud::auth {

class CallerCache {
 public:
  // Membership and staff branches may change in the database without passing here; they are
  // re-read after `ttl`. Revocations always pass here (forget / clear).
  // Past `ttl`, one request reloads the entry while the others keep using it, for at most
  // `grace` more: with a thousand requests a second from one caller, an expiry sends one of
  // them to the database instead of every request until the first reload lands.
  explicit CallerCache(std::chrono::milliseconds ttl = std::chrono::seconds(5), std::chrono::milliseconds grace = std::chrono::seconds(2))
      : ttl_(ttl), grace_(grace) {}
  enum class OnExpiry {
    reload,  // an expired entry nobody reloads yet: this caller will (gets nothing)
    skip,    // the same, but leave the reload to a later request (the I/O threads' fast path)
  };
  std::optional<Caller> get(const std::string& key, OnExpiry on_expiry = OnExpiry::reload) const;
  void put(const std::string& key, const Caller& caller);
  void forget(const std::string& key);
  void clear();

 private:
  struct Entry {
    Entry(Caller c, std::chrono::steady_clock::time_point u) : caller(std::move(c)), until(u) {}
    Caller caller;
    std::chrono::steady_clock::time_point until;
    mutable std::atomic<bool> reloading{false};
  };
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds grace_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// What a verified access or gateway token says, as far as authentication needs it.
struct AccessClaims {
  std::string typ;  // "access" or "gateway"
  std::string sub;
  std::string fam;  // access tokens: the refresh-token family; empty otherwise
  std::int64_t secret_version = 0;  // gateway tokens: the gateway secret they were issued for
  std::int64_t valid_from_ms = 0;
  std::int64_t valid_until_ms = 0;  // exp and nbf with the verifier's leeway applied
};

// Tokens this process has verified (signature, issuer, audience), so a client presenting the
// same token again costs a hash lookup instead of an HMAC and a JSON parse. An entry vouches
// only that this exact string is genuine and says these claims: the time window is checked on
// every use, revocation is still decided by CallerCache and the database, and the presented
// token is compared with the stored one in constant time. Keys never change while the process
// runs, so an entry never outlives its key. Bounded; thread-safe.
class VerifiedTokens {
 public:
  std::shared_ptr<const AccessClaims> get(std::string_view token, std::int64_t now_ms) const;
  void put(std::string_view token, std::shared_ptr<const AccessClaims> claims);

 private:
  struct Entry {
    std::string token;
    std::shared_ptr<const AccessClaims> claims;
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::size_t, Entry> entries_;  // by std::hash of the token
};

}  // namespace spotter::cloud::auth
