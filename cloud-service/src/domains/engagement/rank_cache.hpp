// A leaderboard's values, kept in memory so that a member's rank ("how many are ahead of
// me") is a binary search instead of a count over a branch of 100,000 members on every
// request. The page itself and the member's own value are read live; only the rank may lag
// the board, by up to `max_age` plus one refresh (docs/engagement.md).
//
// Kept by incremental updates, as userver keeps its caches from PostgreSQL: a board is read
// whole once, then only the rows changed since the last refresh (minus `overlap`, so a
// transaction that stamped its rows before the last refresh but committed after it is still
// seen; instances' clocks are assumed within that of each other). A board is read whole
// again every `full_every` as a safety net. Reading 100,000 rows every few seconds cost
// PostgreSQL and the adapter 0.1 - 0.2 s of CPU each time: that was the p99 (BENCHMARKS.md).
//
// Threading: rank() from any worker. A board's first load happens on the asking thread (the
// others asking for it wait); later, a stale board is answered from its previous values and
// refreshed on the cache's own thread, so no request pays for a refresh. The destructor
// stops that thread: the cache must be destroyed before what its loads use (the database).
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "spotter/common/result.hpp"

namespace spotter::cloud::engagement {

// A member's current total on a board, and whether it shows (members who opted out do not).
struct BoardEntry {
  std::string user_id;
  double value = 0;
  bool visible = true;
};

// The visible values of one board in ascending order, with each member's entry so that a
// changed row replaces the member's old value. Not thread-safe: the cache serialises it.
class BoardValues {
 public:
  // Rows hold each member's latest state; a member may appear more than once (same state).
  void apply(const std::vector<BoardEntry>& rows);
  void clear();
  std::shared_ptr<const std::vector<double>> ascending() const { return ascending_; }

 private:
  struct Entry {
    double value;
    bool visible;
  };
  std::unordered_map<std::string, Entry> by_user_;
  std::shared_ptr<const std::vector<double>> ascending_ = std::make_shared<const std::vector<double>>();
};

class RankCache {
 public:
  // The board's rows changed at or after `since_ms` (0: all of them). Runs later, on another
  // thread: it must own what it uses.
  using Load = std::function<Result<std::vector<BoardEntry>>(std::int64_t since_ms)>;
  struct Options {
    std::chrono::milliseconds max_age{1000};
    std::chrono::milliseconds overlap{10'000};
    std::chrono::milliseconds full_every{600'000};
  };
  explicit RankCache(Options options);
  ~RankCache();
  RankCache(const RankCache&) = delete;
  RankCache& operator=(const RankCache&) = delete;
  // 1 + how many on `board` have more than `value`.
  Result<std::int64_t> rank(const std::string& board, double value, std::int64_t now_ms, Load load);

 private:
  struct Board {
    std::mutex loading;  // held by whoever loads or refreshes the board; guards the next three
    BoardValues values;
    std::int64_t changes_since = 0;  // what the next refresh asks for (0: everything)
    std::int64_t full_at = 0;
    std::mutex mu;  // guards what follows
    std::shared_ptr<const std::vector<double>> ascending;
    std::int64_t refreshed_at = 0;
    std::int64_t asked_at = 0;
    bool queued = false;
  };
  struct Job {
    std::shared_ptr<Board> board;
    std::int64_t now_ms;
    Load load;
  };
  std::shared_ptr<Board> board(const std::string& key, std::int64_t now_ms);
  // With b.loading held.
  Status refresh(Board& b, std::int64_t now_ms, const Load& load) const;
  void run();

  Options options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Board>> boards_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace spotter::cloud::engagement
