#include "rank_cache.hpp"

#include <algorithm>
#include <iterator>

namespace spotter::cloud::engagement {

void BoardValues::apply(const std::vector<BoardEntry>& rows) {
  std::vector<double> removed, added;
  for (const auto& r : rows) {
    auto [it, inserted] = by_user_.try_emplace(r.user_id, Entry{r.value, r.visible});
    if (!inserted) {
      if (it->second.value == r.value && it->second.visible == r.visible) continue;
      if (it->second.visible) removed.push_back(it->second.value);
      it->second = {r.value, r.visible};
    }
    if (r.visible) added.push_back(r.value);
  }
  if (removed.empty() && added.empty()) return;
  std::sort(removed.begin(), removed.end());
  std::sort(added.begin(), added.end());
  // The old values less the removed ones (one occurrence each: values repeat), merged with
  // the added ones: linear in the board, so a refresh of a few changes stays cheap.
  std::vector<double> kept;
  kept.reserve(ascending_->size());
  std::set_difference(ascending_->begin(), ascending_->end(), removed.begin(), removed.end(), std::back_inserter(kept));
  auto next = std::make_shared<std::vector<double>>();
  next->reserve(kept.size() + added.size());
  std::merge(kept.begin(), kept.end(), added.begin(), added.end(), std::back_inserter(*next));
  ascending_ = std::move(next);
}

void BoardValues::clear() {
  by_user_.clear();
  ascending_ = std::make_shared<const std::vector<double>>();
}

RankCache::RankCache(Options options) : options_(options), refresher_([this] { run(); }) {}

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
    {
      std::lock_guard loading(job.board->loading);
      (void)refresh(*job.board, job.now_ms, job.load);  // a failed refresh keeps the old values; the next ask queues another
    }
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
    // Boards of past periods are not asked for again: drop what nobody asked for in an hour.
    for (auto it = boards_.begin(); it != boards_.end();) {
      std::lock_guard inner(it->second->mu);
      const bool old = it->second->ascending && now_ms - it->second->asked_at > 3'600'000;
      it = old ? boards_.erase(it) : std::next(it);
    }
  }
  return b;
}

Status RankCache::refresh(Board& b, std::int64_t now_ms, const Load& load) const {
  const bool full = b.changes_since == 0 || now_ms - b.full_at >= options_.full_every.count();
  const std::int64_t since = full ? 0 : std::max<std::int64_t>(1, b.changes_since - options_.overlap.count());
  auto rows = load(since);
  if (!rows) return Unexpected<Error>{rows.error()};
  if (full) b.values.clear(), b.full_at = now_ms;
  b.values.apply(*rows);
  b.changes_since = std::max<std::int64_t>(now_ms, 1);
  auto ascending = b.values.ascending();
  std::lock_guard lock(b.mu);
  b.ascending = std::move(ascending);
  b.refreshed_at = now_ms;
  return {};
}

Result<std::int64_t> RankCache::rank(const std::string& key, double value, std::int64_t now_ms, Load load) {
  auto b = board(key, now_ms);
  std::shared_ptr<const std::vector<double>> values;
  bool queue = false;
  {
    std::lock_guard lock(b->mu);
    values = b->ascending;
    b->asked_at = now_ms;
    if (values && now_ms - b->refreshed_at > options_.max_age.count() && !b->queued) queue = b->queued = true;
  }
  if (!values) {
    std::lock_guard loading(b->loading);
    {
      std::lock_guard lock(b->mu);
      values = b->ascending;
    }
    if (!values) {
      if (auto s = refresh(*b, now_ms, load); !s) return Unexpected<Error>{s.error()};
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
