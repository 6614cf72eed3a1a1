#include "caches.hpp"

#include <mutex>

#include "../adapters/zlib/gzip.hpp"
#include "spotter/common/crypto.hpp"

namespace spotter::cloud {

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

std::string CalendarCache::key(std::string_view timezone, std::string_view opening_hours) {
  std::string k;
  k.reserve(timezone.size() + 1 + opening_hours.size());
  // A time zone name never holds a NUL, so the pair is recovered unambiguously.
  k.append(timezone).push_back('\0');
  k.append(opening_hours);
  return k;
}

std::shared_ptr<const BranchCalendar> CalendarCache::get(std::string_view timezone, std::string_view opening_hours) const {
  const std::string k = key(timezone, opening_hours);
  std::shared_lock lock(mu_);
  auto it = entries_.find(k);
  return it == entries_.end() ? nullptr : it->second;
}

void CalendarCache::put(std::string_view timezone, std::string_view opening_hours, std::shared_ptr<const BranchCalendar> calendar) {
  std::string k = key(timezone, opening_hours);
  std::unique_lock lock(mu_);
  if (entries_.size() >= 4096) entries_.clear();  // bounded: more calendars than any operator has branches
  entries_.insert_or_assign(std::move(k), std::move(calendar));
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

AvailabilitySnapshot make_availability_snapshot(const Json& items) {
  auto plain = std::make_shared<HttpResponse>(json_response(200, Json{{"items", items}, {"next_cursor", nullptr}}));
  plain->headers.emplace_back("vary", "accept-encoding");
  std::shared_ptr<const HttpResponse> gzip;
  if (auto compressed = gzip_compress(plain->body)) {
    auto gzipped = std::make_shared<HttpResponse>(HttpResponse{.status = 200, .content_type = plain->content_type, .body = std::move(*compressed),
                                                               .headers = plain->headers});
    gzipped->headers.emplace_back("content-encoding", "gzip");
    gzip = std::move(gzipped);
  }
  return AvailabilitySnapshot{.plain = std::move(plain), .gzip = std::move(gzip), .count = items.size()};
}

std::shared_ptr<const HttpResponse> availability_response(const AvailabilitySnapshot& snapshot, const HttpRequest& request) {
  return snapshot.gzip && accepts_gzip(request.accept_encoding) ? snapshot.gzip : snapshot.plain;
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
