// In-memory caches for the hottest read (machine availability at 1,000 connections):
// who a token's family belongs to, and each branch's availability list as sent. Both are
// per process; every write path that changes what they hold invalidates them here, so a
// logout or a machine change is seen at once by this process. Thread-safe.
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

#include "../core/authz.hpp"
#include "../core/http.hpp"
#include "spotter/common/json.hpp"
#include "spotter/common/opening_hours.hpp"

namespace spotter::cloud {

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

// Branch calendars parsed from their stored form (time zone name, opening-hours JSON), keyed
// by that text rather than by branch: the database stays the only source of truth and a branch
// whose hours change misses once, with nothing to invalidate. Starting a session reads the
// branch row each time; this spares it the JSON parse and the time-zone look-up. Bounded;
// thread-safe.
class CalendarCache {
 public:
  std::shared_ptr<const BranchCalendar> get(std::string_view timezone, std::string_view opening_hours) const;
  void put(std::string_view timezone, std::string_view opening_hours, std::shared_ptr<const BranchCalendar> calendar);

 private:
  static std::string key(std::string_view timezone, std::string_view opening_hours);
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const BranchCalendar>> entries_;
};

// The answer to GET /api/machines/availability for the whole branch, built once per change
// and shared by every request until the next one.
// Both answers are built whole, headers included, and shared: a request answered from the
// snapshot costs no allocation and no copy.
struct AvailabilitySnapshot {
  std::shared_ptr<const HttpResponse> plain;  // 200, {"items":[every machine],"next_cursor":null}
  std::shared_ptr<const HttpResponse> gzip;   // the same, gzip-compressed; null if zlib failed
  std::size_t count = 0;
};

AvailabilitySnapshot make_availability_snapshot(const Json& items);
// The 200 answer for `request` from the snapshot: gzip when the client accepts it.
std::shared_ptr<const HttpResponse> availability_response(const AvailabilitySnapshot& snapshot, const HttpRequest& request);

class AvailabilityCache {
 public:
  std::shared_ptr<const AvailabilitySnapshot> get(const std::string& branch_id) const;
  // The branch's snapshot, built by `build` (() -> Try<AvailabilitySnapshot>) when missing.
  // One build at a time: when a change empties the cache under load, the requests that
  // missed wait for the first one's snapshot instead of each reading SQLite and compressing.
  // A snapshot built from data read before an invalidate() is returned but not kept.
  template <class Build>
  Try<std::shared_ptr<const AvailabilitySnapshot>> get_or_build(const std::string& branch_id, Build build) {
    if (auto cached = get(branch_id)) return cached;
    std::lock_guard building(build_mu_);
    if (auto cached = get(branch_id)) return cached;
    const auto started_at = version(branch_id);
    auto built = build();
    if (!built) return Unexpected<HttpResponse>{std::move(built).error()};
    auto snapshot = std::make_shared<const AvailabilitySnapshot>(std::move(*built));
    store(branch_id, started_at, snapshot);
    return snapshot;
  }
  void invalidate(const std::string& branch_id);

 private:
  std::uint64_t version(const std::string& branch_id) const;
  void store(const std::string& branch_id, std::uint64_t version, std::shared_ptr<const AvailabilitySnapshot> snapshot);
  struct Entry {
    std::uint64_t version = 0;
    std::shared_ptr<const AvailabilitySnapshot> items;
  };
  std::mutex build_mu_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace spotter::cloud
