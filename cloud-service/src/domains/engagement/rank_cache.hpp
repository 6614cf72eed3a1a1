// A leaderboard's values, kept in memory for at most a few seconds, so that a member's rank
// ("how many are ahead of me") is a binary search instead of a count over a branch of
// 100,000 members on every request. The page itself and the member's own value are read
// live; only the rank may lag the board by up to `max_age` (docs/engagement.md).
// Thread-safe: workers call rank() at once; one refreshes a stale board while the others use
// the previous values (or wait when there are none yet).
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spotter/common/result.hpp"

namespace spotter::cloud::engagement {

class RankCache {
 public:
  using Load = std::function<Result<std::vector<double>>()>;  // the board's values, any order
  explicit RankCache(std::chrono::milliseconds max_age) : max_age_(max_age) {}
  // 1 + how many on `board` have more than `value`.
  Result<std::int64_t> rank(const std::string& board, double value, std::int64_t now_ms, const Load& load);

 private:
  struct Board {
    std::mutex refresh;  // held by the one loading
    std::mutex mu;       // guards the two below
    std::shared_ptr<const std::vector<double>> ascending;
    std::int64_t loaded_at = 0;
  };
  std::shared_ptr<Board> board(const std::string& key, std::int64_t now_ms);
  Status reload(Board& b, std::int64_t now_ms, const Load& load);

  std::chrono::milliseconds max_age_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Board>> boards_;
};

}  // namespace spotter::cloud::engagement
