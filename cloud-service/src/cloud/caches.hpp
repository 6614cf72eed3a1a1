// In-memory caches for the hottest read (machine availability at 1,000 connections):
// who a token's family belongs to, and each branch's availability list as sent. Both are
// per process; every write path that changes what they hold invalidates them here, so a
// logout or a machine change is seen at once by this process. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "../core/authz.hpp"

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

struct AvailabilitySnapshot {
  std::string items_json;  // the serialized `items` array, every machine of the branch
  std::size_t count = 0;
};

// The answer to GET /api/machines/availability for the whole branch.
std::string availability_body(const AvailabilitySnapshot& snapshot);

class AvailabilityCache {
 public:
  // The version to pass to store(): a snapshot built from data read after this call is
  // stored only if nothing changed the branch meanwhile.
  std::uint64_t version(const std::string& branch_id) const;
  std::shared_ptr<const AvailabilitySnapshot> get(const std::string& branch_id) const;
  void store(const std::string& branch_id, std::uint64_t version, std::shared_ptr<const AvailabilitySnapshot> snapshot);
  void invalidate(const std::string& branch_id);

 private:
  struct Entry {
    std::uint64_t version = 0;
    std::shared_ptr<const AvailabilitySnapshot> items;
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace spotter::cloud
