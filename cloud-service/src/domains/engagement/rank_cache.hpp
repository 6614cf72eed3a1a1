// A leaderboard's values, kept in memory for at most a few seconds, so that a member's rank
// ("how many are ahead of me") is a binary search instead of a count over a branch of
// 100,000 members on every request. The page itself and the member's own value are read
// live; only the rank may lag the board by up to `max_age` plus one reload (docs/engagement.md).
// Threading: rank() from any worker. A board's first load happens on the asking thread (the
// others asking for it wait); later, a stale board is answered from its previous values and
// reloaded on the cache's own thread, so no request pays for a reload. The destructor stops
// that thread: the cache must be destroyed before what its loads use (the database).
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
#include <vector>

#include "spotter/common/result.hpp"

namespace spotter::cloud::engagement {

class RankCache {
 public:
  using Load = std::function<Result<std::vector<double>>()>;  // the board's values, any order; runs later: own its data
  explicit RankCache(std::chrono::milliseconds max_age);
  ~RankCache();
  RankCache(const RankCache&) = delete;
  RankCache& operator=(const RankCache&) = delete;
  // 1 + how many on `board` have more than `value`.
  Result<std::int64_t> rank(const std::string& board, double value, std::int64_t now_ms, Load load);

 private:
  struct Board {
    std::mutex first_load;  // held by whoever loads a board that has no values yet
    std::mutex mu;          // guards what follows
    std::shared_ptr<const std::vector<double>> ascending;
    std::int64_t loaded_at = 0;
    bool queued = false;
  };
  struct Job {
    std::shared_ptr<Board> board;
    std::int64_t now_ms;
    Load load;
  };
  std::shared_ptr<Board> board(const std::string& key, std::int64_t now_ms);
  static Status reload(Board& b, std::int64_t now_ms, const Load& load);
  void run();

  std::chrono::milliseconds max_age_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Board>> boards_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace spotter::cloud::engagement
