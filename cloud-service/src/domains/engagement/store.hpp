// The engagement domain's tables and all of their SQL: the points ledger (one row per
// source, its key the primary key) with each member's balance kept beside it, what has been
// counted from events (each event once), progress counters, active weeks, achievements
// earned, and the leaderboards' running totals per branch, period, metric and member.
// Every "at most once" here is a constraint: two instances handling the same event, or one
// handling it twice, leave one row.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rank_cache.hpp"
#include "rules.hpp"
#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::engagement {

struct LedgerRow {
  std::string source_key;  // what may give points once: "training_session:<id>", "visit_day:<user>:<day>"
  std::string user_id;
  std::int64_t points = 0;
  std::string reason, source_id;
  std::int64_t at = 0;
  std::int64_t id = 0;  // the ledger's order (read only)
};

struct RewardRow {
  std::string id, branch_id, name;
  std::int64_t cost_points = 0;
  std::optional<std::string> product_id;
  std::int64_t stock = 0;
  bool active = true;
  std::int64_t created_at = 0;
};

struct RedemptionRow {
  std::string id, code, user_id, reward_id, branch_id;
  std::int64_t points = 0;
  std::optional<std::string> note;
  std::string status;  // issued, handed_out
  std::int64_t created_at = 0;
  std::optional<std::int64_t> handed_out_at;
  std::optional<std::string> handed_out_by;
};

struct BoardRow {
  std::string user_id;
  double value = 0;
};

class EngagementStore {
 public:
  explicit EngagementStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();
  // An erased person: points, achievements, progress, feed (and reports on it), buddies,
  // requests, blocks, challenge places go; their board rows stay hidden (the rank cache
  // follows a hide incrementally), redemptions stay like sales. org::events::kMemberErased.
  Status erase_member(const std::string& user_id, std::int64_t now);

  // True the first time `key` is seen (then it is remembered), false after.
  Result<bool> first_time(const std::string& key, std::int64_t at);
  // The row and the balance, in the caller's transaction: the balance after it; nullopt
  // when the source gave before (nothing written).
  Result<std::optional<std::int64_t>> add_points(const LedgerRow& row);
  Result<std::int64_t> balance(const std::string& user_id);
  // Points leave the balance (row.points negative), only if the balance covers them; false
  // when it does not (nothing written).
  Result<bool> spend(const LedgerRow& row);
  // Newest first; `before_id` is the id of the last one shown.
  Result<std::vector<LedgerRow>> ledger(const std::string& user_id, std::optional<std::int64_t> before_id, std::int64_t limit);

  enum class Counter { visits, training_sessions, records };
  // One more of `counter`; the member's progress after it.
  Result<Progress> count(const std::string& user_id, Counter counter);
  Status add_active_week(const std::string& user_id, std::int64_t week);
  // Active weeks up to `upto`, newest first, at most `limit`.
  Result<std::vector<std::int64_t>> active_weeks(const std::string& user_id, std::int64_t upto, std::int64_t limit);
  // Those of `achievement_ids` the member earns for the first time (one statement).
  Result<std::vector<std::string>> earn(const std::string& user_id, const std::vector<std::string>& achievement_ids, std::int64_t at);
  Result<std::vector<std::pair<std::string, std::int64_t>>> earned(const std::string& user_id);

  Status insert_reward(const RewardRow& reward);
  Result<std::optional<RewardRow>> reward(const std::string& id);
  Result<std::vector<RewardRow>> rewards(const std::string& branch_id);  // active ones
  // One unit of stock, if there is one (false: none left).
  Result<bool> take_one(const std::string& reward_id);
  Status insert_redemption(const RedemptionRow& r);
  Result<std::optional<RedemptionRow>> redemption_by_code(const std::string& code);
  // The member's, newest first; the page after (created_at, id) when given.
  Result<std::vector<RedemptionRow>> redemptions_of(const std::string& user_id, std::optional<std::pair<std::int64_t, std::string>> after,
                                                    std::int64_t limit);
  // issued -> handed_out, once (false: it was handed out before).
  Result<bool> hand_out(const std::string& id, const std::string& by, std::int64_t at);

  // Adds `value` to the member's total on each of `periods`' boards (one statement), stamped
  // `at` (the rank cache reads changes by it).
  Status add_to_boards(const std::string& branch_id, const std::vector<std::string>& periods, Metric metric, const std::string& user_id, double value,
                       std::int64_t at);
  Result<std::vector<BoardRow>> top(const std::string& branch_id, const std::string& period, Metric metric, std::int64_t limit);
  Result<std::optional<double>> value_of(const std::string& branch_id, const std::string& period, Metric metric, const std::string& user_id);
  // The board's totals changed at or after `since` (0: all), each with whether it shows
  // (for ranks: RankCache).
  Result<std::vector<BoardEntry>> board_changes(const std::string& branch_id, const std::string& period, Metric metric, std::int64_t since);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::engagement
