#include "challenge_store.hpp"

namespace spotter::cloud::engagement {

std::vector<Migration> ChallengeStore::migrations() {
  return {
      {"engagement/4", R"sql(
CREATE TABLE challenges (id TEXT PRIMARY KEY, creator_id TEXT NOT NULL, branch_id TEXT, name TEXT NOT NULL,
  metric TEXT NOT NULL CHECK (metric IN ('visits', 'training_sessions', 'volume_kg', 'distance_m')), target DOUBLE PRECISION NOT NULL CHECK (target > 0),
  starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, reward_points BIGINT NOT NULL DEFAULT 0 CHECK (reward_points >= 0), created_at BIGINT NOT NULL,
  CHECK (ends_at > starts_at));
CREATE TABLE challenge_participants (challenge_id TEXT NOT NULL REFERENCES challenges(id), user_id TEXT NOT NULL,
  metric TEXT NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, target DOUBLE PRECISION NOT NULL,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0, joined_at BIGINT NOT NULL, completed_at BIGINT, PRIMARY KEY (challenge_id, user_id));
CREATE INDEX challenge_participants_running ON challenge_participants(user_id, metric, ends_at);
CREATE TABLE activity_log (user_id TEXT NOT NULL, metric TEXT NOT NULL, at BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL);
CREATE INDEX activity_log_user ON activity_log(user_id, metric, at);
)sql"},
  };
}

namespace {
constexpr const char* kColumns = "id, creator_id, branch_id, name, metric, target, starts_at, ends_at, reward_points, created_at";
Challenge challenge_of(const SqlRow& r) {
  return {r.text(0), r.text(1), r.optional_text(2), r.text(3), r.text(4), r.number(5), r.integer(6), r.integer(7), r.integer(8), r.integer(9)};
}
}  // namespace

Status ChallengeStore::insert(const Challenge& c) {
  auto n = db_.execute(std::string("INSERT INTO challenges (") + kColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       {c.id, c.creator_id, sql_opt(c.branch_id), c.name, c.metric, c.target, c.starts_at, c.ends_at, c.reward_points, c.created_at});
  if (!n) return Unexpected<Error>{n.error()};
  return {};
}

Result<std::optional<Challenge>> ChallengeStore::challenge(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kColumns + " FROM challenges WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<Challenge>{};
  return std::optional<Challenge>{challenge_of(rows->front())};
}

Result<std::vector<Challenge>> ChallengeStore::of_member(const std::string& user_id, std::int64_t limit) {
  auto rows = db_.query(std::string("SELECT ") + kColumns +
                            " FROM challenges WHERE id IN (SELECT challenge_id FROM challenge_participants WHERE user_id = ?) ORDER BY created_at DESC, id DESC "
                            "LIMIT ?",
                        {user_id, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Challenge> out;
  for (const auto& r : *rows) out.push_back(challenge_of(r));
  return out;
}

Result<std::optional<bool>> ChallengeStore::join(const Challenge& c, const std::string& user_id, std::int64_t at) {
  auto so_far = db_.query("SELECT COALESCE(SUM(value), 0) FROM activity_log WHERE user_id = ? AND metric = ? AND at >= ? AND at < ?",
                          {user_id, c.metric, c.starts_at, c.ends_at});
  if (!so_far) return Unexpected<Error>{so_far.error()};
  const double progress = so_far->empty() ? 0.0 : so_far->front().number(0);
  auto n = db_.execute("INSERT INTO challenge_participants (challenge_id, user_id, metric, starts_at, ends_at, target, progress, joined_at, completed_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (challenge_id, user_id) DO NOTHING",
                       {c.id, user_id, c.metric, c.starts_at, c.ends_at, c.target, progress, at,
                        progress >= c.target ? SqlValue(at) : SqlValue(nullptr)});
  if (!n) return Unexpected<Error>{n.error()};
  if (*n == 0) return std::optional<bool>{};
  return std::optional<bool>{progress >= c.target};
}

Result<std::vector<Standing>> ChallengeStore::standings(const std::string& challenge_id) {
  auto rows = db_.query("SELECT user_id, progress, completed_at FROM challenge_participants WHERE challenge_id = ? ORDER BY progress DESC, joined_at, user_id",
                        {challenge_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Standing> out;
  for (const auto& r : *rows) out.push_back({r.text(0), r.number(1), r.optional_integer(2)});
  return out;
}

Result<std::vector<Reached>> ChallengeStore::count(const std::string& user_id, const std::vector<Activity>& activities, std::int64_t at) {
  std::vector<Reached> out;
  if (activities.empty()) return out;
  std::string log = "INSERT INTO activity_log (user_id, metric, at, value) VALUES ", add = "CASE metric", metrics;
  // `where`: the member's running challenges of these metrics that cover `at`.
  std::vector<SqlValue> logged_params, add_params, where{user_id};
  for (std::size_t i = 0; i < activities.size(); ++i) {
    const auto& [metric, value] = activities[i];
    log += i ? ", (?, ?, ?, ?)" : "(?, ?, ?, ?)";
    logged_params.insert(logged_params.end(), {user_id, metric, at, value});
    add += " WHEN ? THEN ?";
    add_params.insert(add_params.end(), {metric, value});
    metrics += i ? ", ?" : "?";
    where.emplace_back(metric);
  }
  where.insert(where.end(), {at, at});
  auto logged = db_.execute(log, logged_params);
  if (!logged) return Unexpected<Error>{logged.error()};
  std::vector<SqlValue> params = add_params;
  params.insert(params.end(), where.begin(), where.end());
  auto moved = db_.execute("UPDATE challenge_participants SET progress = progress + " + add + " END WHERE user_id = ? AND metric IN (" + metrics +
                               ") AND starts_at <= ? AND ends_at > ?",
                           params);
  if (!moved) return Unexpected<Error>{moved.error()};
  if (*moved == 0) return out;
  // Completed by this activity: each row changes once (completed_at IS NULL).
  auto rows = db_.query("SELECT p.challenge_id, c.name, c.reward_points FROM challenge_participants p JOIN challenges c ON c.id = p.challenge_id "
                        "WHERE p.user_id = ? AND p.metric IN (" + metrics + ") AND p.starts_at <= ? AND p.ends_at > ? AND p.completed_at IS NULL AND p.progress >= p.target",
                        where);
  if (!rows) return Unexpected<Error>{rows.error()};
  for (const auto& r : *rows) {
    auto done = db_.execute("UPDATE challenge_participants SET completed_at = ? WHERE challenge_id = ? AND user_id = ? AND completed_at IS NULL",
                            {at, r.text(0), user_id});
    if (!done) return Unexpected<Error>{done.error()};
    if (*done == 1) out.push_back({r.text(0), r.text(1), r.integer(2)});
  }
  return out;
}

}  // namespace spotter::cloud::engagement
