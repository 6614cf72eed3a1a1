#include "caches.hpp"

#include <mutex>

namespace spotter::cloud {

std::optional<Caller> CallerCache::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.until < std::chrono::steady_clock::now()) return std::nullopt;
  return it->second.caller;
}

void CallerCache::put(const std::string& key, const Caller& caller) {
  std::unique_lock lock(mu_);
  if (entries_.size() > 100'000) entries_.clear();  // bounded; refilled on demand
  entries_[key] = Entry{caller, std::chrono::steady_clock::now() + ttl_};
}

void CallerCache::forget(const std::string& key) {
  std::unique_lock lock(mu_);
  entries_.erase(key);
}

void CallerCache::clear() {
  std::unique_lock lock(mu_);
  entries_.clear();
}

std::string availability_body(const AvailabilitySnapshot& snapshot) {
  std::string body;
  body.reserve(snapshot.items_json.size() + 32);
  body.append("{\"items\":").append(snapshot.items_json).append(",\"next_cursor\":null}");
  return body;
}

std::uint64_t AvailabilityCache::version(const std::string& branch_id) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(branch_id);
  return it == entries_.end() ? 0 : it->second.version;
}

std::shared_ptr<const AvailabilitySnapshot> AvailabilityCache::get(const std::string& branch_id) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(branch_id);
  return it == entries_.end() ? nullptr : it->second.items;
}

void AvailabilityCache::store(const std::string& branch_id, std::uint64_t version, std::shared_ptr<const AvailabilitySnapshot> snapshot) {
  std::unique_lock lock(mu_);
  auto& e = entries_[branch_id];
  if (e.version == version) e.items = std::move(snapshot);
}

void AvailabilityCache::invalidate(const std::string& branch_id) {
  std::unique_lock lock(mu_);
  auto& e = entries_[branch_id];
  ++e.version;
  e.items.reset();
}

}  // namespace spotter::cloud
