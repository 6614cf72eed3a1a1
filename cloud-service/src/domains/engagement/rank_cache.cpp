#include "rank_cache.hpp"

#include <algorithm>

namespace spotter::cloud::engagement {

std::shared_ptr<RankCache::Board> RankCache::board(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto& b = boards_[key];
  if (!b) {
    b = std::make_shared<Board>();
    // Boards of past periods are not asked for again: drop what nobody loaded for an hour.
    for (auto it = boards_.begin(); it != boards_.end();) {
      std::lock_guard inner(it->second->mu);
      const bool old = it->second->ascending && now_ms - it->second->loaded_at > 3'600'000;
      it = old ? boards_.erase(it) : std::next(it);
    }
  }
  return b;
}

Status RankCache::reload(Board& b, std::int64_t now_ms, const Load& load) {
  auto values = load();
  if (!values) return Unexpected<Error>{values.error()};
  std::sort(values->begin(), values->end());
  auto fresh = std::make_shared<const std::vector<double>>(std::move(*values));
  std::lock_guard lock(b.mu);
  b.ascending = std::move(fresh);
  b.loaded_at = now_ms;
  return {};
}

Result<std::int64_t> RankCache::rank(const std::string& key, double value, std::int64_t now_ms, const Load& load) {
  auto b = board(key, now_ms);
  std::shared_ptr<const std::vector<double>> values;
  bool stale = true;
  {
    std::lock_guard lock(b->mu);
    values = b->ascending;
    stale = !values || now_ms - b->loaded_at > max_age_.count();
  }
  if (stale) {
    std::unique_lock refresh(b->refresh, std::try_to_lock);
    if (!refresh.owns_lock() && !values) refresh.lock();  // nothing to answer from: wait for the loader
    if (refresh.owns_lock()) {
      {
        std::lock_guard lock(b->mu);
        stale = !b->ascending || now_ms - b->loaded_at > max_age_.count();
      }
      if (stale)
        if (auto s = reload(*b, now_ms, load); !s) return Unexpected<Error>{s.error()};
      std::lock_guard lock(b->mu);
      values = b->ascending;
    }
  }
  const auto ahead = values->end() - std::upper_bound(values->begin(), values->end(), value);
  return static_cast<std::int64_t>(ahead) + 1;
}

}  // namespace spotter::cloud::engagement
