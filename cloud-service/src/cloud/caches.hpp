// In-memory caches for the hottest read (machine availability at 1,000 connections):
// who a token's family belongs to, and each branch's availability list as sent. Both are
// per process; every write path that changes what they hold invalidates them here, so a
// logout or a machine change is seen at once by this process. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "../core/authz.hpp"
#include "../core/http.hpp"
#include "spotter/common/json.hpp"

namespace spotter::cloud {

class CallerCache {
 public:
  // Membership and staff branches may change in the database without passing here; they are
  // re-read after `ttl`. Revocations always pass here (forget / clear).
  explicit CallerCache(std::chrono::milliseconds ttl = std::chrono::seconds(5)) : ttl_(ttl) {}
  std::optional<Caller> get(const std::string& key) const;
  void put(const std::string& key, const Caller& caller);
  void forget(const std::string& key);
  void clear();

 private:
  struct Entry {
    Caller caller;
    std::chrono::steady_clock::time_point until;
  };
  std::chrono::milliseconds ttl_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// What a verified access or gateway token says, as far as authentication needs it.
struct AccessClaims {
  std::string typ;  // "access" or "gateway"
  std::string sub;
  std::string fam;  // access tokens: the refresh-token family; empty otherwise
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

// The answer to GET /api/machines/availability for the whole branch, built once per change
// and shared by every request until the next one.
struct AvailabilitySnapshot {
  std::shared_ptr<const std::string> body;       // {"items":[every machine],"next_cursor":null}
  std::shared_ptr<const std::string> body_gzip;  // the same, gzip-compressed; null if zlib failed
  std::size_t count = 0;
};

AvailabilitySnapshot make_availability_snapshot(const Json& items);
// The 200 answer for `request` from the snapshot: gzip when the client accepts it.
HttpResponse availability_response(const AvailabilitySnapshot& snapshot, const HttpRequest& request);

class AvailabilityCache {
 public:
  // The version to pass to store(): a snapshot built from data read after this call is
  // stored only if nothing changed the branch meanwhile.
  std::uint64_t version(const std::string& branch_id) const;
  std::shared_ptr<const AvailabilitySnapshot> get(const std::string& branch_id) const;
  void store(const std::string& branch_id, std::uint64_t version, std::shared_ptr<const AvailabilitySnapshot> snapshot);
  void invalidate(const std::string& branch_id);
  // Held while a snapshot is built, so a burst of misses builds it once (see the handler).
  [[nodiscard]] std::unique_lock<std::mutex> lock_for_build() { return std::unique_lock(build_mu_); }

 private:
  struct Entry {
    std::uint64_t version = 0;
    std::shared_ptr<const AvailabilitySnapshot> items;
  };
  std::mutex build_mu_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace spotter::cloud
