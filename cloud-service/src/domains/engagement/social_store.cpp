#include "social_store.hpp"

namespace spotter::cloud::engagement {

std::vector<Migration> SocialStore::migrations() {
  return {
      {"engagement/3", R"sql(
CREATE TABLE leaderboard_hidden (user_id TEXT PRIMARY KEY);
CREATE TABLE buddy_requests (id TEXT PRIMARY KEY, from_user TEXT NOT NULL, to_user TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')), created_at BIGINT NOT NULL, answered_at BIGINT,
  CHECK (from_user <> to_user));
CREATE UNIQUE INDEX buddy_requests_one_pending ON buddy_requests(from_user, to_user) WHERE status = 'pending';
CREATE INDEX buddy_requests_to ON buddy_requests(to_user, status);
CREATE TABLE buddies (user_id TEXT NOT NULL, buddy_id TEXT NOT NULL, since BIGINT NOT NULL, PRIMARY KEY (user_id, buddy_id));
CREATE TABLE blocks (user_id TEXT NOT NULL, blocked_id TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (user_id, blocked_id));
CREATE TABLE feed_items (id {{AUTO_ID}}, user_id TEXT NOT NULL, kind TEXT NOT NULL, ref_id TEXT NOT NULL, branch_id TEXT,
  payload TEXT NOT NULL, at BIGINT NOT NULL, hidden_at BIGINT, UNIQUE (kind, ref_id));
CREATE INDEX feed_items_user ON feed_items(user_id, id);
CREATE TABLE feed_reports (id {{AUTO_ID}}, item_id BIGINT NOT NULL REFERENCES feed_items(id), reporter_id TEXT NOT NULL,
  reason TEXT NOT NULL, at BIGINT NOT NULL, status TEXT NOT NULL CHECK (status IN ('open', 'hidden')), UNIQUE (item_id, reporter_id));
CREATE INDEX feed_reports_open ON feed_reports(status, id);
)sql"},
      // What a feed reads: the visible items' ids per person, so the newest of a few
      // thousand are found in the index alone (BENCHMARKS.md, "Engagement").
      {"engagement/5", R"sql(
CREATE INDEX feed_items_visible ON feed_items(user_id, id) WHERE hidden_at IS NULL;
DROP INDEX feed_items_user;
)sql"},
      // Opting back in keeps the row (hidden false) with the time of the change, so the rank
      // cache sees both directions among the changes it reads (rank_cache.hpp).
      {"engagement/7", R"sql(
ALTER TABLE leaderboard_hidden ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE leaderboard_hidden ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX leaderboard_hidden_changes ON leaderboard_hidden(changed_at);
)sql"},
  };
}

namespace {
BuddyRequest request_of(const SqlRow& r) { return {r.text(0), r.text(1), r.text(2), r.text(3), r.integer(4)}; }
constexpr const char* kRequestColumns = "id, from_user, to_user, status, created_at";
FeedItem item_of(const SqlRow& r) { return {r.integer(0), r.text(1), r.text(2), r.text(3), r.optional_text(4), r.text(5), r.integer(6)}; }
constexpr const char* kItemColumns = "id, user_id, kind, ref_id, branch_id, payload, at";
Report report_of(const SqlRow& r) {
  return {r.integer(0), r.integer(1), r.text(2), r.text(3), r.text(4), r.integer(5), r.optional_text(6)};
}
constexpr const char* kReportSelect =
    "SELECT r.id, r.item_id, r.reporter_id, r.reason, r.status, r.at, i.branch_id FROM feed_reports r JOIN feed_items i ON i.id = r.item_id";

Result<bool> exists(SqlDatabase& db, const std::string& sql, const std::vector<SqlValue>& params) {
  auto rows = db.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  return !rows->empty();
}
Status done(const Result<std::int64_t>& n) {
  if (!n) return Unexpected<Error>{n.error()};
  return {};
}
}  // namespace

Result<bool> SocialStore::are_buddies(const std::string& a, const std::string& b) {
  return exists(db_, "SELECT 1 FROM buddies WHERE user_id = ? AND buddy_id = ?", {a, b});
}

Result<bool> SocialStore::blocked(const std::string& by, const std::string& whom) {
  return exists(db_, "SELECT 1 FROM blocks WHERE user_id = ? AND blocked_id = ?", {by, whom});
}

Result<std::optional<BuddyRequest>> SocialStore::pending_between(const std::string& from, const std::string& to) {
  auto rows = db_.query(std::string("SELECT ") + kRequestColumns + " FROM buddy_requests WHERE from_user = ? AND to_user = ? AND status = 'pending'",
                        {from, to});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<BuddyRequest>{};
  return std::optional<BuddyRequest>{request_of(rows->front())};
}

Status SocialStore::insert_request(const BuddyRequest& r) {
  return done(db_.execute("INSERT INTO buddy_requests (id, from_user, to_user, status, created_at) VALUES (?, ?, ?, 'pending', ?)",
                          {r.id, r.from_user, r.to_user, r.created_at}));
}

Result<std::optional<BuddyRequest>> SocialStore::request(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kRequestColumns + " FROM buddy_requests WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<BuddyRequest>{};
  return std::optional<BuddyRequest>{request_of(rows->front())};
}

Result<bool> SocialStore::answer(const std::string& id, const std::string& status, std::int64_t at) {
  auto n = db_.execute("UPDATE buddy_requests SET status = ?, answered_at = ? WHERE id = ? AND status = 'pending'", {status, at, id});
  if (!n) return Unexpected<Error>{n.error()};
  return *n == 1;
}

Status SocialStore::befriend(const std::string& a, const std::string& b, std::int64_t at) {
  for (const auto& [x, y] : {std::pair{a, b}, std::pair{b, a}})
    SPOTTER_SQL(done(db_.execute("INSERT INTO buddies (user_id, buddy_id, since) VALUES (?, ?, ?) ON CONFLICT (user_id, buddy_id) DO NOTHING", {x, y, at})));
  return {};
}

Result<bool> SocialStore::unfriend(const std::string& a, const std::string& b) {
  auto n = db_.execute("DELETE FROM buddies WHERE (user_id = ? AND buddy_id = ?) OR (user_id = ? AND buddy_id = ?)", {a, b, b, a});
  if (!n) return Unexpected<Error>{n.error()};
  return *n > 0;
}

Result<std::vector<std::pair<std::string, std::int64_t>>> SocialStore::buddies(const std::string& user_id) {
  auto rows = db_.query("SELECT buddy_id, since FROM buddies WHERE user_id = ? ORDER BY since, buddy_id", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& r : *rows) out.emplace_back(r.text(0), r.integer(1));
  return out;
}

Result<std::vector<BuddyRequest>> SocialStore::pending_of(const std::string& user_id) {
  auto rows = db_.query(std::string("SELECT ") + kRequestColumns +
                            " FROM buddy_requests WHERE (from_user = ? OR to_user = ?) AND status = 'pending' ORDER BY created_at, id",
                        {user_id, user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<BuddyRequest> out;
  for (const auto& r : *rows) out.push_back(request_of(r));
  return out;
}

Status SocialStore::block(const std::string& by, const std::string& whom, std::int64_t at) {
  return done(db_.execute("INSERT INTO blocks (user_id, blocked_id, at) VALUES (?, ?, ?) ON CONFLICT (user_id, blocked_id) DO NOTHING", {by, whom, at}));
}

Result<bool> SocialStore::unblock(const std::string& by, const std::string& whom) {
  auto n = db_.execute("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?", {by, whom});
  if (!n) return Unexpected<Error>{n.error()};
  return *n > 0;
}

Status SocialStore::decline_between(const std::string& a, const std::string& b, std::int64_t at) {
  return done(db_.execute("UPDATE buddy_requests SET status = 'declined', answered_at = ? WHERE status = 'pending' AND "
                          "((from_user = ? AND to_user = ?) OR (from_user = ? AND to_user = ?))",
                          {at, a, b, b, a}));
}

Status SocialStore::add_item(const FeedItem& i) {
  return done(db_.execute("INSERT INTO feed_items (user_id, kind, ref_id, branch_id, payload, at) VALUES (?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (kind, ref_id) DO NOTHING",
                          {i.user_id, i.kind, i.ref_id, sql_opt(i.branch_id), i.payload, i.at}));
}

Result<std::vector<FeedItem>> SocialStore::feed(const std::string& user_id, std::optional<std::int64_t> before_id, std::int64_t limit) {
  // The people as a list of values; the newest ids found in the partial index alone (the
  // inner query, ordered by `id + 0` so that PostgreSQL reads each person's index range
  // rather than walking the whole table backwards by its primary key: 13 s for a member
  // whose 200 buddies were quiet lately, BENCHMARKS.md "Engagement"), then those rows.
  auto buddies = db_.query("SELECT buddy_id FROM buddies WHERE user_id = ? ORDER BY since DESC LIMIT 2000", {user_id});
  if (!buddies) return Unexpected<Error>{buddies.error()};
  std::vector<SqlValue> params{user_id};
  for (const auto& r : *buddies) params.emplace_back(r.text(0));
  std::string inner = "SELECT id FROM feed_items WHERE user_id IN (" + placeholders(params.size()) + ") AND hidden_at IS NULL";
  if (before_id) inner += " AND id < ?", params.emplace_back(*before_id);
  inner += " ORDER BY id + 0 DESC LIMIT ?";
  params.emplace_back(limit);
  const std::string sql = std::string("SELECT ") + kItemColumns + " FROM feed_items WHERE id IN (" + inner + ") ORDER BY id DESC";
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<FeedItem> out;
  for (const auto& r : *rows) out.push_back(item_of(r));
  return out;
}

Result<std::optional<FeedItem>> SocialStore::item(std::int64_t id) {
  auto rows = db_.query(std::string("SELECT ") + kItemColumns + " FROM feed_items WHERE id = ? AND hidden_at IS NULL", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<FeedItem>{};
  return std::optional<FeedItem>{item_of(rows->front())};
}

Result<bool> SocialStore::report(std::int64_t item_id, const std::string& reporter, const std::string& reason, std::int64_t at) {
  auto n = db_.execute("INSERT INTO feed_reports (item_id, reporter_id, reason, at, status) VALUES (?, ?, ?, ?, 'open') "
                       "ON CONFLICT (item_id, reporter_id) DO NOTHING",
                       {item_id, reporter, reason, at});
  if (!n) return Unexpected<Error>{n.error()};
  return *n == 1;
}

Result<std::vector<Report>> SocialStore::open_reports(std::optional<std::int64_t> before_id, std::int64_t limit) {
  std::string sql = std::string(kReportSelect) + " WHERE r.status = 'open'";
  std::vector<SqlValue> params;
  if (before_id) sql += " AND r.id < ?", params.emplace_back(*before_id);
  sql += " ORDER BY r.id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Report> out;
  for (const auto& r : *rows) out.push_back(report_of(r));
  return out;
}

Result<std::optional<Report>> SocialStore::report_by_id(std::int64_t id) {
  auto rows = db_.query(std::string(kReportSelect) + " WHERE r.id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<Report>{};
  return std::optional<Report>{report_of(rows->front())};
}

Status SocialStore::hide_item(std::int64_t item_id, std::int64_t at) {
  SPOTTER_SQL(done(db_.execute("UPDATE feed_items SET hidden_at = ? WHERE id = ? AND hidden_at IS NULL", {at, item_id})));
  return done(db_.execute("UPDATE feed_reports SET status = 'hidden' WHERE item_id = ? AND status = 'open'", {item_id}));
}

Status SocialStore::set_hidden_from_boards(const std::string& user_id, bool hidden, std::int64_t at) {
  return done(db_.execute("INSERT INTO leaderboard_hidden (user_id, hidden, changed_at) VALUES (?, ?, ?) "
                          "ON CONFLICT (user_id) DO UPDATE SET hidden = excluded.hidden, changed_at = excluded.changed_at",
                          {user_id, hidden, at}));
}

}  // namespace spotter::cloud::engagement
