// Branches, plans and subscriptions. People and credentials: people_store.cpp.
#include "store.hpp"

#include "../../core/fields.hpp"

namespace spotter::cloud::org {

std::vector<Migration> OrgStore::migrations() {
  return {
      {"org/1", R"sql(
CREATE TABLE branches (id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL,
  opening_hours TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT,
  full_name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('admin','trainer','member')),
  home_branch_id TEXT REFERENCES branches(id), phone TEXT, document_id TEXT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX users_phone ON users(phone);
CREATE INDEX users_document ON users(document_id);
CREATE INDEX users_home_branch ON users(home_branch_id, id);
CREATE TABLE user_branches (user_id TEXT NOT NULL REFERENCES users(id), branch_id TEXT NOT NULL REFERENCES branches(id),
  PRIMARY KEY (user_id, branch_id));
CREATE TABLE plans (id TEXT PRIMARY KEY, name TEXT NOT NULL, price_cents BIGINT NOT NULL,
  duration_days BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE plan_branches (plan_id TEXT NOT NULL REFERENCES plans(id), branch_id TEXT NOT NULL REFERENCES branches(id),
  PRIMARY KEY (plan_id, branch_id));
CREATE TABLE subscriptions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  plan_id TEXT NOT NULL REFERENCES plans(id), starts_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active','suspended','expired')), created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL);
CREATE INDEX subscriptions_user ON subscriptions(user_id, status);
CREATE INDEX subscriptions_due ON subscriptions(expires_at) WHERE status <> 'expired';
CREATE TABLE credentials (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), kind TEXT NOT NULL,
  uid TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE UNIQUE INDEX credentials_active_uid ON credentials(uid) WHERE revoked_at IS NULL;
CREATE INDEX credentials_user ON credentials(user_id);
CREATE TABLE qr_used (jti TEXT PRIMARY KEY, used_at BIGINT NOT NULL);
)sql"},
      // Plans are looked up by what they open (trainers' views, replicas).
      {"org/2", R"sql(
CREATE INDEX plan_branches_branch ON plan_branches(branch_id, plan_id);
CREATE INDEX subscriptions_plan ON subscriptions(plan_id);
)sql"},
      // A member's privacy switches (cloud-api-2.md "Members"); no row: all true.
      {"org/3", R"sql(
CREATE TABLE user_privacy (user_id TEXT PRIMARY KEY REFERENCES users(id), share_measurements_with_trainers BOOLEAN NOT NULL,
  show_on_leaderboards BOOLEAN NOT NULL, allow_buddy_requests BOOLEAN NOT NULL, updated_at BIGINT NOT NULL);
)sql"},
  };
}

namespace {

BranchRecord branch_of(const SqlRow& r) {
  return BranchRecord{.id = r.text(0), .name = r.text(1), .timezone = r.text(2), .opening_hours = r.text(3), .created_at = r.integer(4)};
}

constexpr const char* kSubscriptionColumns = "id, user_id, plan_id, starts_at, expires_at, status, created_at";

SubscriptionRecord subscription_of(const SqlRow& r) {
  return SubscriptionRecord{.id = r.text(0), .user_id = r.text(1), .plan_id = r.text(2), .status = r.text(5),
                            .starts_at = r.integer(3), .expires_at = r.integer(4), .created_at = r.integer(6)};
}

}  // namespace

Status OrgStore::insert_branch(const BranchRecord& b) {
  SPOTTER_SQL(db_.execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                          {b.id, b.name, b.timezone, b.opening_hours, b.created_at, b.created_at}));
  return {};
}

Result<std::optional<BranchRecord>> OrgStore::branch(const std::string& id) {
  auto rows = db_.query("SELECT id, name, timezone, opening_hours, created_at FROM branches WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<BranchRecord>{};
  return std::optional<BranchRecord>{branch_of(rows->front())};
}

Result<std::vector<BranchRecord>> OrgStore::branches(const std::string& after, std::int64_t limit) {
  auto rows = db_.query("SELECT id, name, timezone, opening_hours, created_at FROM branches WHERE id > ? ORDER BY id LIMIT ?", {after, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<BranchRecord> out;
  for (const auto& r : *rows) out.push_back(branch_of(r));
  return out;
}

Result<bool> OrgStore::branches_exist(const std::vector<std::string>& ids) {
  const std::set<std::string> distinct(ids.begin(), ids.end());
  if (distinct.empty()) return true;
  std::vector<SqlValue> params(distinct.begin(), distinct.end());
  auto rows = db_.query("SELECT COUNT(*) FROM branches WHERE id IN (" + placeholders(distinct.size()) + ")", params);
  if (!rows) return Unexpected<Error>{rows.error()};
  return rows->front().integer(0) == static_cast<std::int64_t>(distinct.size());
}

Status OrgStore::insert_plan(const std::string& id, const std::string& name, std::int64_t price_cents, std::int64_t days,
                             const std::set<std::string>& branch_ids, std::int64_t now) {
  return db_.atomically([&]() -> Status {
    SPOTTER_SQL(db_.execute("INSERT INTO plans (id, name, price_cents, duration_days, created_at) VALUES (?, ?, ?, ?, ?)", {id, name, price_cents, days, now}));
    for (const auto& b : branch_ids) SPOTTER_SQL(db_.execute("INSERT INTO plan_branches (plan_id, branch_id) VALUES (?, ?)", {id, b}));
    return {};
  });
}

Result<std::map<std::string, std::vector<std::string>>> OrgStore::plan_branch_ids(const std::vector<std::string>& plan_ids) {
  std::map<std::string, std::vector<std::string>> out;
  if (plan_ids.empty()) return out;
  std::vector<SqlValue> params(plan_ids.begin(), plan_ids.end());
  auto rows = db_.query("SELECT plan_id, branch_id FROM plan_branches WHERE plan_id IN (" + placeholders(plan_ids.size()) + ") ORDER BY plan_id, branch_id",
                        params);
  if (!rows) return Unexpected<Error>{rows.error()};
  for (const auto& r : *rows) out[r.text(0)].push_back(r.text(1));
  return out;
}

Result<Json> OrgStore::plans(const std::string& after, std::int64_t limit) {
  auto rows = db_.query("SELECT id, name, price_cents, duration_days, created_at FROM plans WHERE id > ? ORDER BY id LIMIT ?", {after, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.text(0));
  auto branches = plan_branch_ids(ids);
  if (!branches) return Unexpected<Error>{branches.error()};
  Json items = Json::array();
  for (const auto& r : *rows) {
    auto b = branches->find(r.text(0));
    items.push_back({{"id", r.text(0)}, {"name", r.text(1)}, {"price_cents", r.integer(2)}, {"duration_days", r.integer(3)},
                     {"created_at", rfc3339(r.integer(4))}, {"branch_ids", b == branches->end() ? Json::array() : Json(b->second)}});
  }
  return items;
}

Result<std::optional<std::int64_t>> OrgStore::plan_duration_days(const std::string& plan_id) {
  auto rows = db_.query("SELECT duration_days FROM plans WHERE id = ?", {plan_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{rows->front().integer(0)};
}

Status OrgStore::insert_subscription(const SubscriptionRecord& s, std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO subscriptions (id, user_id, plan_id, starts_at, expires_at, status, created_at, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          {s.id, s.user_id, s.plan_id, s.starts_at, s.expires_at, s.status, now, now}));
  return {};
}

Result<std::optional<SubscriptionRecord>> OrgStore::subscription(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<SubscriptionRecord>{};
  return std::optional<SubscriptionRecord>{subscription_of(rows->front())};
}

Result<std::vector<SubscriptionRecord>> OrgStore::subscriptions_of(const std::string& user_id, const std::string& after, std::int64_t limit) {
  auto rows = db_.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
                        {user_id, after, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<SubscriptionRecord> out;
  for (const auto& r : *rows) out.push_back(subscription_of(r));
  return out;
}

Status OrgStore::set_subscription_status(const std::string& id, const std::string& status, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE subscriptions SET status = ?, updated_at = ? WHERE id = ?", {status, now, id}));
  return {};
}

Result<std::vector<MembershipAtBranch>> OrgStore::memberships_at(const std::string& user_id, const std::string& branch_id, std::int64_t now) {
  // One row per (subscription, branch its plan lists); a plan listing none gives one NULL.
  auto rows = db_.query("SELECT s.id, s.status, pb.branch_id FROM subscriptions s LEFT JOIN plan_branches pb ON pb.plan_id = s.plan_id "
                        "WHERE s.user_id = ? AND s.status IN ('active', 'suspended') AND s.starts_at <= ? AND s.expires_at > ? ORDER BY s.id",
                        {user_id, now, now});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<MembershipAtBranch> out;
  std::vector<std::string> listed;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto& r = (*rows)[i];
    if (!r.is_null(2)) listed.push_back(r.text(2));
    if (i + 1 == rows->size() || (*rows)[i + 1].text(0) != r.text(0)) {
      out.push_back(MembershipAtBranch{.suspended = r.text(1) == "suspended", .opens_branch = plan_opens(listed, branch_id)});
      listed.clear();
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> OrgStore::subscriptions_due(std::int64_t now) {
  auto rows = db_.query("SELECT id, user_id FROM subscriptions WHERE status <> 'expired' AND expires_at <= ?", {now});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : *rows) out.emplace_back(r.text(0), r.text(1));
  return out;
}

Result<bool> OrgStore::mark_expired(const std::string& id, std::int64_t now) {
  auto r = db_.execute("UPDATE subscriptions SET status = 'expired', updated_at = ? WHERE id = ? AND status IN ('active', 'suspended')", {now, id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r == 1;
}

}  // namespace spotter::cloud::org
