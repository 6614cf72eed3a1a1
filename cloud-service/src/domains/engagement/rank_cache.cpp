#include "rank_cache.hpp"

#include <algorithm>

namespace spotter::cloud::engagement {

RankCache::RankCache(std::chrono::milliseconds max_age) : max_age_(max_age), refresher_([this] { run(); }) {}

RankCache::~RankCache() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  refresher_.join();
}

void RankCache::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    (void)reload(*job.board, job.now_ms, job.load);  // a failed reload keeps the old values; the next ask queues another
    {
      std::lock_guard b(job.board->mu);
      job.board->queued = false;
    }
    lock.lock();
  }
}

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

Result<std::int64_t> RankCache::rank(const std::string& key, double value, std::int64_t now_ms, Load load) {
  auto b = board(key, now_ms);
  std::shared_ptr<const std::vector<double>> values;
  bool queue = false;
  {
    std::lock_guard lock(b->mu);
    values = b->ascending;
    if (values && now_ms - b->loaded_at > max_age_.count() && !b->queued) queue = b->queued = true;
  }
  if (!values) {
    std::lock_guard first(b->first_load);
    {
      std::lock_guard lock(b->mu);
      values = b->ascending;
    }
    if (!values) {
      if (auto s = reload(*b, now_ms, load); !s) return Unexpected<Error>{s.error()};
      std::lock_guard lock(b->mu);
      values = b->ascending;
    }
  } else if (queue) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back({b, now_ms, std::move(load)});
    }
    wake_.notify_one();
  }
  const auto ahead = values->end() - std::upper_bound(values->begin(), values->end(), value);
  return static_cast<std::int64_t>(ahead) + 1;
}

}  // namespace spotter::cloud::engagement
