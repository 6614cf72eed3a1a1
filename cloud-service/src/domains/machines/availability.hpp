// The answer to GET /api/machines/availability for a whole branch, built once per change and
// shared by every request until the next one: the hottest read (1,000 connections), served
// from memory on the I/O thread. Per instance; kept coherent across instances by the
// machines.changed event, which every instance receives (platform/events.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "../../core/http.hpp"

namespace spotter::cloud::machines {

// Both answers built whole, headers included: a request answered from the snapshot costs
// no allocation and no copy.
struct AvailabilitySnapshot {
  std::shared_ptr<const HttpResponse> plain;  // 200, {"items":[every machine],"next_cursor":null}
  std::shared_ptr<const HttpResponse> gzip;   // the same, gzip-compressed; null if that failed
  std::size_t count = 0;
};

using Gzip = std::optional<std::string> (*)(std::string_view);
AvailabilitySnapshot make_availability_snapshot(const Json& items, Gzip gzip);
// The 200 answer for `request` from the snapshot: gzip when the client accepts it.
std::shared_ptr<const HttpResponse> availability_response(const AvailabilitySnapshot& snapshot, const HttpRequest& request);

// Thread-safe.
class AvailabilityCache {
 public:
  std::shared_ptr<const AvailabilitySnapshot> get(const std::string& branch_id) const;
  // The branch's snapshot, built by `build` (() -> Try<AvailabilitySnapshot>) when missing.
  // One build at a time: when a change empties the cache under load, the requests that
  // missed wait for the first one's snapshot instead of each reading the database and
  // compressing. A snapshot built from data read before an invalidate() is returned but
  // not kept.
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
  void invalidate_all();

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

}  // namespace spotter::cloud::machines
