#include "availability.hpp"

namespace spotter::cloud::machines {

AvailabilitySnapshot make_availability_snapshot(const Json& items, Gzip gzip) {
  auto plain = std::make_shared<HttpResponse>(json_response(200, Json{{"items", items}, {"next_cursor", nullptr}}));
  plain->headers.emplace_back("vary", "accept-encoding");
  std::shared_ptr<const HttpResponse> compressed_answer;
  if (auto compressed = gzip ? gzip(plain->body) : std::nullopt) {
    auto gzipped = std::make_shared<HttpResponse>(HttpResponse{.status = 200, .content_type = plain->content_type, .body = std::move(*compressed),
                                                               .headers = plain->headers});
    gzipped->headers.emplace_back("content-encoding", "gzip");
    compressed_answer = std::move(gzipped);
  }
  return AvailabilitySnapshot{.plain = std::move(plain), .gzip = std::move(compressed_answer), .count = items.size()};
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

void AvailabilityCache::invalidate_all() {
  std::unique_lock lock(mu_);
  for (auto& [branch, e] : entries_) {
    ++e.version;
    e.items.reset();
  }
}

}  // namespace spotter::cloud::machines
