#include "caches.hpp"

#include "spotter/common/crypto.hpp"

namespace spotter::cloud::auth {

std::optional<Caller> CallerCache::get(const std::string& key, OnExpiry on_expiry) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  const auto now = std::chrono::steady_clock::now();
  if (now < e.until) return e.caller;
  if (now >= e.until + grace_) return std::nullopt;
  if (e.reloading.load(std::memory_order_acquire)) return e.caller;  // someone reloads it
  if (on_expiry == OnExpiry::skip) return std::nullopt;
  if (e.reloading.exchange(true, std::memory_order_acq_rel)) return e.caller;  // lost the race
  return std::nullopt;  // this caller reloads it
}

void CallerCache::put(const std::string& key, const Caller& caller) {
  std::unique_lock lock(mu_);
  if (entries_.size() > 100'000) entries_.clear();  // bounded; refilled on demand
  entries_.erase(key);
  entries_.try_emplace(key, caller, std::chrono::steady_clock::now() + ttl_);
}

void CallerCache::forget(const std::string& key) {
  std::unique_lock lock(mu_);
  entries_.erase(key);
}

void CallerCache::clear() {
  std::unique_lock lock(mu_);
  entries_.clear();
}

std::shared_ptr<const AccessClaims> VerifiedTokens::get(std::string_view token, std::int64_t now_ms) const {
  const auto key = std::hash<std::string_view>{}(token);
  std::shared_lock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !crypto::constant_time_equal(it->second.token, token)) return nullptr;
  const auto& claims = it->second.claims;
  if (now_ms < claims->valid_from_ms || now_ms >= claims->valid_until_ms) return nullptr;
  return claims;
}

void VerifiedTokens::put(std::string_view token, std::shared_ptr<const AccessClaims> claims) {
  const auto key = std::hash<std::string_view>{}(token);
  std::unique_lock lock(mu_);
  if (entries_.size() > 100'000) entries_.clear();  // bounded; refilled on demand
  entries_[key] = Entry{std::string(token), std::move(claims)};
}

}  // namespace spotter::cloud::auth
