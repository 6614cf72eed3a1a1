#include "store.hpp"

namespace spotter::cloud::engagement {

std::vector<Migration> EngagementStore::migrations() {
  return {
      {"engagement/1", R"sql(
CREATE TABLE points_ledger (id {{AUTO_ID}}, source_key TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, points BIGINT NOT NULL,
  reason TEXT NOT NULL, source_id TEXT NOT NULL, at BIGINT NOT NULL);
CREATE INDEX points_ledger_user ON points_ledger(user_id, id);
CREATE TABLE points_balances (user_id TEXT PRIMARY KEY, balance BIGINT NOT NULL CHECK (balance >= 0));
CREATE TABLE engagement_seen (event_key TEXT PRIMARY KEY, at BIGINT NOT NULL);
CREATE TABLE engagement_progress (user_id TEXT PRIMARY KEY, visits BIGINT NOT NULL DEFAULT 0,
  training_sessions BIGINT NOT NULL DEFAULT 0, records BIGINT NOT NULL DEFAULT 0);
CREATE TABLE active_weeks (user_id TEXT NOT NULL, week BIGINT NOT NULL, PRIMARY KEY (user_id, week));
CREATE TABLE achievements_earned (user_id TEXT NOT NULL, achievement_id TEXT NOT NULL, earned_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, achievement_id));
CREATE TABLE leaderboard_totals (branch_id TEXT NOT NULL, period TEXT NOT NULL, metric TEXT NOT NULL, user_id TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL, PRIMARY KEY (branch_id, period, metric, user_id));
CREATE INDEX leaderboard_rank ON leaderboard_totals(branch_id, period, metric, value DESC, user_id);
)sql"},
      // Rewards with stock, and redemptions: stock and points never below zero (checks), a
      // redemption's code unique.
      {"engagement/2", R"sql(
CREATE TABLE rewards (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL, name TEXT NOT NULL, cost_points BIGINT NOT NULL CHECK (cost_points > 0),
  product_id TEXT, stock BIGINT NOT NULL CHECK (stock >= 0), active BOOLEAN NOT NULL DEFAULT TRUE, created_at BIGINT NOT NULL);
CREATE INDEX rewards_branch ON rewards(branch_id, id);
CREATE TABLE redemptions (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, reward_id TEXT NOT NULL REFERENCES rewards(id),
  branch_id TEXT NOT NULL, points BIGINT NOT NULL, note TEXT, status TEXT NOT NULL CHECK (status IN ('issued', 'handed_out')),
  created_at BIGINT NOT NULL, handed_out_at BIGINT, handed_out_by TEXT);
CREATE INDEX redemptions_user ON redemptions(user_id, created_at);
)sql"},
      // When each total last changed, so that the rank cache reads only what changed since
      // its last look (rank_cache.hpp) instead of a whole board every few seconds.
      {"engagement/6", R"sql(
ALTER TABLE leaderboard_totals ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX leaderboard_changes ON leaderboard_totals(branch_id, period, metric, changed_at);
)sql"},
  };
}

Result<bool> EngagementStore::first_time(const std::string& key, std::int64_t at) {
  auto n = db_.execute("INSERT INTO engagement_seen (event_key, at) VALUES (?, ?) ON CONFLICT (event_key) DO NOTHING", {key, at});
  if (!n) return Unexpected<Error>{n.error()};
  return *n == 1;
}

Result<std::optional<std::int64_t>> EngagementStore::add_points(const LedgerRow& r) {
  auto n = db_.execute("INSERT INTO points_ledger (source_key, user_id, points, reason, source_id, at) VALUES (?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (source_key) DO NOTHING",
                       {r.source_key, r.user_id, r.points, r.reason, r.source_id, r.at});
  if (!n) return Unexpected<Error>{n.error()};
  if (*n == 0) return std::optional<std::int64_t>{};
  auto b = db_.query("INSERT INTO points_balances (user_id, balance) VALUES (?, ?) "
                     "ON CONFLICT (user_id) DO UPDATE SET balance = points_balances.balance + excluded.balance RETURNING balance",
                     {r.user_id, r.points});
  if (!b) return Unexpected<Error>{b.error()};
  if (b->empty()) return fail(std::string(sql_error::sql), "balance not returned");
  return std::optional<std::int64_t>{b->front().integer(0)};
}

Result<std::int64_t> EngagementStore::balance(const std::string& user_id) {
  auto rows = db_.query("SELECT balance FROM points_balances WHERE user_id = ?", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  return rows->empty() ? 0 : rows->front().integer(0);
}

Result<std::vector<LedgerRow>> EngagementStore::ledger(const std::string& user_id, std::optional<std::int64_t> before_id, std::int64_t limit) {
  std::string sql = "SELECT source_key, user_id, points, reason, source_id, at, id FROM points_ledger WHERE user_id = ?";
  std::vector<SqlValue> params{user_id};
  if (before_id) sql += " AND id < ?", params.emplace_back(*before_id);
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<LedgerRow> out;
  for (const auto& r : *rows) out.push_back({r.text(0), r.text(1), r.integer(2), r.text(3), r.text(4), r.integer(5), r.integer(6)});
  return out;
}

Result<Progress> EngagementStore::count(const std::string& user_id, Counter counter) {
  const char* column = counter == Counter::visits ? "visits" : counter == Counter::training_sessions ? "training_sessions" : "records";
  auto rows = db_.query(std::string("INSERT INTO engagement_progress (user_id, ") + column + ") VALUES (?, 1) ON CONFLICT (user_id) DO UPDATE SET " +
                            column + " = engagement_progress." + column + " + 1 RETURNING visits, training_sessions, records",
                        {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return fail(std::string(sql_error::sql), "progress not returned");
  const auto& r = rows->front();
  return Progress{r.integer(0), r.integer(1), r.integer(2), 0};
}

Status EngagementStore::add_active_week(const std::string& user_id, std::int64_t week) {
  auto n = db_.execute("INSERT INTO active_weeks (user_id, week) VALUES (?, ?) ON CONFLICT (user_id, week) DO NOTHING", {user_id, week});
  if (!n) return Unexpected<Error>{n.error()};
  return {};
}

Result<std::vector<std::int64_t>> EngagementStore::active_weeks(const std::string& user_id, std::int64_t upto, std::int64_t limit) {
  auto rows = db_.query("SELECT week FROM active_weeks WHERE user_id = ? AND week <= ? ORDER BY week DESC LIMIT ?", {user_id, upto, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::int64_t> out;
  for (const auto& r : *rows) out.push_back(r.integer(0));
  return out;
}

Result<std::vector<std::string>> EngagementStore::earn(const std::string& user_id, const std::vector<std::string>& achievement_ids, std::int64_t at) {
  std::vector<std::string> out;
  if (achievement_ids.empty()) return out;
  std::string sql = "INSERT INTO achievements_earned (user_id, achievement_id, earned_at) VALUES ";
  std::vector<SqlValue> params;
  for (std::size_t i = 0; i < achievement_ids.size(); ++i) {
    sql += i ? ", (?, ?, ?)" : "(?, ?, ?)";
    params.insert(params.end(), {user_id, achievement_ids[i], at});
  }
  // Only the rows inserted come back: those earned before meet the constraint and stay out.
  sql += " ON CONFLICT (user_id, achievement_id) DO NOTHING RETURNING achievement_id";
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  for (const auto& r : *rows) out.push_back(r.text(0));
  return out;
}

Result<std::vector<std::pair<std::string, std::int64_t>>> EngagementStore::earned(const std::string& user_id) {
  auto rows = db_.query("SELECT achievement_id, earned_at FROM achievements_earned WHERE user_id = ? ORDER BY earned_at, achievement_id", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& r : *rows) out.emplace_back(r.text(0), r.integer(1));
  return out;
}

Status EngagementStore::add_to_boards(const std::string& branch_id, const std::vector<std::string>& periods, Metric metric, const std::string& user_id,
                                      double value, std::int64_t at) {
  if (periods.empty()) return {};
  std::string sql = "INSERT INTO leaderboard_totals (branch_id, period, metric, user_id, value, changed_at) VALUES ";
  std::vector<SqlValue> params;
  for (std::size_t i = 0; i < periods.size(); ++i) {
    sql += i ? ", (?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?)";
    params.insert(params.end(), {branch_id, periods[i], std::string(to_string(metric)), user_id, value, at});
  }
  sql += " ON CONFLICT (branch_id, period, metric, user_id) DO UPDATE SET value = leaderboard_totals.value + excluded.value, "
         "changed_at = excluded.changed_at";
  auto n = db_.execute(sql, params);
  if (!n) return Unexpected<Error>{n.error()};
  return {};
}

Result<std::vector<BoardRow>> EngagementStore::top(const std::string& branch_id, const std::string& period, Metric metric, std::int64_t limit) {
  auto rows = db_.query("SELECT user_id, value FROM leaderboard_totals WHERE branch_id = ? AND period = ? AND metric = ? "
                        "AND NOT EXISTS (SELECT 1 FROM leaderboard_hidden h WHERE h.user_id = leaderboard_totals.user_id AND h.hidden = TRUE) "
                        "ORDER BY value DESC, user_id LIMIT ?",
                        {branch_id, period, std::string(to_string(metric)), limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<BoardRow> out;
  for (const auto& r : *rows) out.push_back({r.text(0), r.number(1)});
  return out;
}

Result<std::optional<double>> EngagementStore::value_of(const std::string& branch_id, const std::string& period, Metric metric,
                                                        const std::string& user_id) {
  auto rows = db_.query("SELECT value FROM leaderboard_totals WHERE branch_id = ? AND period = ? AND metric = ? AND user_id = ?",
                        {branch_id, period, std::string(to_string(metric)), user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<double>{};
  return std::optional<double>{rows->front().number(0)};
}

Result<std::vector<BoardEntry>> EngagementStore::board_changes(const std::string& branch_id, const std::string& period, Metric metric,
                                                               std::int64_t since) {
  // The totals stamped since then, and the totals of members whose visibility changed since
  // then (a member appears twice when both changed: the same state twice).
  const std::string m(to_string(metric));
  auto rows = db_.query(
      "SELECT t.user_id, t.value, NOT EXISTS (SELECT 1 FROM leaderboard_hidden h WHERE h.user_id = t.user_id AND h.hidden = TRUE) "
      "FROM leaderboard_totals t WHERE t.branch_id = ? AND t.period = ? AND t.metric = ? AND t.changed_at >= ? "
      "UNION ALL "
      // CROSS JOIN: SQLite then reads the few changed opt-outs first (their index by time) and
      // looks each up on the board, instead of walking the board's 100,000 rows.
      "SELECT t.user_id, t.value, NOT h.hidden FROM leaderboard_hidden h CROSS JOIN leaderboard_totals t "
      "WHERE h.changed_at >= ? AND t.branch_id = ? AND t.period = ? AND t.metric = ? AND t.user_id = h.user_id",
      {branch_id, period, m, since, since, branch_id, period, m});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<BoardEntry> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back({r.text(0), r.number(1), r.boolean(2)});
  return out;
}

Result<bool> EngagementStore::spend(const LedgerRow& row) {
  const std::int64_t cost = -row.points;
  auto n = db_.execute("UPDATE points_balances SET balance = balance - ? WHERE user_id = ? AND balance >= ?", {cost, row.user_id, cost});
  if (!n) return Unexpected<Error>{n.error()};
  if (*n == 0) return false;
  auto r = db_.execute("INSERT INTO points_ledger (source_key, user_id, points, reason, source_id, at) VALUES (?, ?, ?, ?, ?, ?)",
                       {row.source_key, row.user_id, row.points, row.reason, row.source_id, row.at});
  if (!r) return Unexpected<Error>{r.error()};
  return true;
}

namespace {
constexpr const char* kRewardColumns = "id, branch_id, name, cost_points, product_id, stock, active, created_at";
RewardRow reward_of(const SqlRow& r) {
  return {r.text(0), r.text(1), r.text(2), r.integer(3), r.optional_text(4), r.integer(5), r.boolean(6), r.integer(7)};
}
constexpr const char* kRedemptionColumns = "id, code, user_id, reward_id, branch_id, points, note, status, created_at, handed_out_at, handed_out_by";
RedemptionRow redemption_of(const SqlRow& r) {
  return {r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.integer(5), r.optional_text(6), r.text(7), r.integer(8), r.optional_integer(9),
          r.optional_text(10)};
}
}  // namespace

Status EngagementStore::insert_reward(const RewardRow& w) {
  auto n = db_.execute(std::string("INSERT INTO rewards (") + kRewardColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       {w.id, w.branch_id, w.name, w.cost_points, sql_opt(w.product_id), w.stock, w.active, w.created_at});
  if (!n) return Unexpected<Error>{n.error()};
  return {};
}

Result<std::optional<RewardRow>> EngagementStore::reward(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kRewardColumns + " FROM rewards WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<RewardRow>{};
  return std::optional<RewardRow>{reward_of(rows->front())};
}

Result<std::vector<RewardRow>> EngagementStore::rewards(const std::string& branch_id) {
  auto rows = db_.query(std::string("SELECT ") + kRewardColumns + " FROM rewards WHERE branch_id = ? AND active ORDER BY id", {branch_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<RewardRow> out;
  for (const auto& r : *rows) out.push_back(reward_of(r));
  return out;
}

Result<bool> EngagementStore::take_one(const std::string& reward_id) {
  auto n = db_.execute("UPDATE rewards SET stock = stock - 1 WHERE id = ? AND active AND stock > 0", {reward_id});
  if (!n) return Unexpected<Error>{n.error()};
  return *n == 1;
}

Status EngagementStore::insert_redemption(const RedemptionRow& r) {
  auto n = db_.execute(std::string("INSERT INTO redemptions (") + kRedemptionColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       {r.id, r.code, r.user_id, r.reward_id, r.branch_id, r.points, sql_opt(r.note), r.status, r.created_at, nullptr, nullptr});
  if (!n) return Unexpected<Error>{n.error()};
  return {};
}

Result<std::optional<RedemptionRow>> EngagementStore::redemption_by_code(const std::string& code) {
  auto rows = db_.query(std::string("SELECT ") + kRedemptionColumns + " FROM redemptions WHERE code = ?", {code});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<RedemptionRow>{};
  return std::optional<RedemptionRow>{redemption_of(rows->front())};
}

Result<std::vector<RedemptionRow>> EngagementStore::redemptions_of(const std::string& user_id, std::optional<std::pair<std::int64_t, std::string>> after,
                                                                   std::int64_t limit) {
  std::string sql = std::string("SELECT ") + kRedemptionColumns + " FROM redemptions WHERE user_id = ?";
  std::vector<SqlValue> params{user_id};
  if (after) {
    sql += " AND (created_at < ? OR (created_at = ? AND id < ?))";
    params.insert(params.end(), {after->first, after->first, after->second});
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<RedemptionRow> out;
  for (const auto& r : *rows) out.push_back(redemption_of(r));
  return out;
}

Result<bool> EngagementStore::hand_out(const std::string& id, const std::string& by, std::int64_t at) {
  auto n = db_.execute("UPDATE redemptions SET status = 'handed_out', handed_out_at = ?, handed_out_by = ? WHERE id = ? AND status = 'issued'",
                       {at, by, id});
  if (!n) return Unexpected<Error>{n.error()};
  return *n == 1;
}

Status EngagementStore::erase_member(const std::string& user_id, std::int64_t now) {
  SPOTTER_SQL(db_.execute("DELETE FROM feed_reports WHERE reporter_id = ? OR item_id IN (SELECT id FROM feed_items WHERE user_id = ?)", {user_id, user_id}));
  for (const char* sql : {"DELETE FROM feed_items WHERE user_id = ?", "DELETE FROM achievements_earned WHERE user_id = ?",
                          "DELETE FROM points_ledger WHERE user_id = ?", "DELETE FROM points_balances WHERE user_id = ?",
                          "DELETE FROM active_weeks WHERE user_id = ?", "DELETE FROM activity_log WHERE user_id = ?",
                          "DELETE FROM counted_visits WHERE user_id = ?", "DELETE FROM engagement_progress WHERE user_id = ?",
                          "DELETE FROM challenge_participants WHERE user_id = ?"})
    SPOTTER_SQL(db_.execute(sql, {user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM buddies WHERE user_id = ? OR buddy_id = ?", {user_id, user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM buddy_requests WHERE from_user = ? OR to_user = ?", {user_id, user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM blocks WHERE user_id = ? OR blocked_id = ?", {user_id, user_id}));
  SPOTTER_SQL(db_.execute("INSERT INTO leaderboard_hidden (user_id, hidden, changed_at) VALUES (?, ?, ?) "
                          "ON CONFLICT (user_id) DO UPDATE SET hidden = excluded.hidden, changed_at = excluded.changed_at",
                          {user_id, true, now}));
  return {};
}

}  // namespace spotter::cloud::engagement
