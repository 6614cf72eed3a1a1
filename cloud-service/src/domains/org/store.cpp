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
      // Updates and deactivation (cloud-api-2.md "Chain operations"): a branch's currency and
      // whether it is open for business, a user's status, a plan that can no longer be sold,
      // what a subscription cost and who sold it (the plan's price when sold: a price change
      // applies to new sales only), the subscription a renewal continues (once: a unique
      // index), and the keys people are found by at the desk, compared byte by byte so that
      // a prefix is an index range on both engines (rules_people.hpp). Subscriptions sold
      // before this keep their plan's price of today. No index on (status, expires_at): SQLite,
      // without statistics, chose it over (user_id, status) for a member's current
      // subscriptions and walked every active one (bench/run engagement: p99 1.5 s).
      {"org/4", R"sql(
ALTER TABLE branches ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR';
ALTER TABLE branches ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended'));
ALTER TABLE plans ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE plans ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN price_cents BIGINT;
ALTER TABLE subscriptions ADD COLUMN sold_by TEXT;
ALTER TABLE subscriptions ADD COLUMN renews TEXT REFERENCES subscriptions(id);
UPDATE subscriptions SET price_cents = (SELECT p.price_cents FROM plans p WHERE p.id = subscriptions.plan_id);
CREATE UNIQUE INDEX subscriptions_renewal ON subscriptions(renews) WHERE renews IS NOT NULL;
CREATE TABLE user_search_keys (search_key TEXT {{BYTEWISE}} NOT NULL, user_id TEXT NOT NULL REFERENCES users(id),
  PRIMARY KEY (search_key, user_id));
CREATE INDEX user_search_keys_user ON user_search_keys(user_id);
)sql"},
      // Fingerprints (cloud-api-2.md): the template sealed with the service's key (AES-256-GCM,
      // the credential id as additional data; cleared when the credential is deleted), and
      // which finger, each finger once per member. A fingerprint's `uid` is its own id: that
      // is what a reader names.
      {"org/5", R"sql(
ALTER TABLE credentials ADD COLUMN finger TEXT;
ALTER TABLE credentials ADD COLUMN template_sealed TEXT;
CREATE UNIQUE INDEX credentials_active_finger ON credentials(user_id, finger) WHERE revoked_at IS NULL AND finger IS NOT NULL;
)sql"},
      // Erasure (erasure.cpp): when a person was erased; their row stays, without a name.
      {"org/6", R"sql(
ALTER TABLE users ADD COLUMN erased_at BIGINT;
)sql"},
  };
}

std::string subscription_opens_any(std::size_t n) {
  return "(NOT EXISTS (SELECT 1 FROM plan_branches pb WHERE pb.plan_id = s.plan_id) OR EXISTS (SELECT 1 FROM plan_branches pb "
         "WHERE pb.plan_id = s.plan_id AND pb.branch_id IN (" + placeholders(n) + ")))";
}

namespace {

constexpr const char* kBranchColumns = "id, name, timezone, opening_hours, created_at, currency, active";

BranchRecord branch_of(const SqlRow& r) {
  return BranchRecord{.id = r.text(0), .name = r.text(1), .timezone = r.text(2), .opening_hours = r.text(3), .created_at = r.integer(4),
                      .currency = r.text(5), .active = r.boolean(6)};
}

constexpr const char* kSubscriptionColumns = "id, user_id, plan_id, starts_at, expires_at, status, created_at, price_cents, sold_by, renews";

SubscriptionRecord subscription_of(const SqlRow& r) {
  return SubscriptionRecord{.id = r.text(0), .user_id = r.text(1), .plan_id = r.text(2), .status = r.text(5),
                            .starts_at = r.integer(3), .expires_at = r.integer(4), .created_at = r.integer(6),
                            .price_cents = r.optional_integer(7), .sold_by = r.optional_text(8), .renews = r.optional_text(9)};
}

}  // namespace

Status OrgStore::insert_branch(const BranchRecord& b) {
  SPOTTER_SQL(db_.execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at, currency, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          {b.id, b.name, b.timezone, b.opening_hours, b.created_at, b.created_at, b.currency, b.active}));
  return {};
}

Result<std::optional<BranchRecord>> OrgStore::branch(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kBranchColumns + " FROM branches WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<BranchRecord>{};
  return std::optional<BranchRecord>{branch_of(rows->front())};
}

Result<std::vector<BranchRecord>> OrgStore::branches(const std::string& after, std::int64_t limit, bool with_inactive) {
  auto rows = db_.query(std::string("SELECT ") + kBranchColumns + " FROM branches WHERE id > ?" + (with_inactive ? "" : " AND active") + " ORDER BY id LIMIT ?",
                        {after, limit});
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

Result<Json> OrgStore::plans(const std::string& after, std::int64_t limit, bool with_inactive) {
  auto rows = db_.query(std::string("SELECT id, name, price_cents, duration_days, created_at, active FROM plans WHERE id > ?") + (with_inactive ? "" : " AND active") +
                            " ORDER BY id LIMIT ?",
                        {after, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.text(0));
  auto branches = plan_branch_ids(ids);
  if (!branches) return Unexpected<Error>{branches.error()};
  Json items = Json::array();
  for (const auto& r : *rows) {
    auto b = branches->find(r.text(0));
    items.push_back({{"id", r.text(0)}, {"name", r.text(1)}, {"price_cents", r.integer(2)}, {"duration_days", r.integer(3)},
                     {"created_at", rfc3339(r.integer(4))}, {"branch_ids", b == branches->end() ? Json::array() : Json(b->second)},
                     {"active", r.boolean(5)}});
  }
  return items;
}

Result<std::optional<PlanRecord>> OrgStore::plan(const std::string& id) {
  auto rows = db_.query("SELECT id, name, price_cents, duration_days, active, created_at FROM plans WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<PlanRecord>{};
  const auto& r = rows->front();
  PlanRecord p{.id = r.text(0), .name = r.text(1), .price_cents = r.integer(2), .duration_days = r.integer(3), .branch_ids = {}, .active = r.boolean(4),
               .created_at = r.integer(5)};
  auto branches = plan_branch_ids({id});
  if (!branches) return Unexpected<Error>{branches.error()};
  if (auto it = branches->find(id); it != branches->end()) p.branch_ids = it->second;
  return std::optional<PlanRecord>{std::move(p)};
}

Status OrgStore::update_plan(const PlanRecord& p, std::int64_t now) {
  return db_.atomically([&]() -> Status {
    SPOTTER_SQL(db_.execute("UPDATE plans SET name = ?, price_cents = ?, duration_days = ?, active = ?, updated_at = ? WHERE id = ?",
                            {p.name, p.price_cents, p.duration_days, p.active, now, p.id}));
    SPOTTER_SQL(db_.execute("DELETE FROM plan_branches WHERE plan_id = ?", {p.id}));
    for (const auto& b : std::set<std::string>(p.branch_ids.begin(), p.branch_ids.end()))
      SPOTTER_SQL(db_.execute("INSERT INTO plan_branches (plan_id, branch_id) VALUES (?, ?)", {p.id, b}));
    return {};
  });
}

Status OrgStore::update_branch(const BranchRecord& b, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE branches SET name = ?, timezone = ?, opening_hours = ?, currency = ?, active = ?, updated_at = ? WHERE id = ?",
                          {b.name, b.timezone, b.opening_hours, b.currency, b.active, now, b.id}));
  return {};
}

Status OrgStore::insert_subscription(const SubscriptionRecord& s, std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO subscriptions (id, user_id, plan_id, starts_at, expires_at, status, created_at, updated_at, price_cents, sold_by, renews) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          {s.id, s.user_id, s.plan_id, s.starts_at, s.expires_at, s.status, now, now, sql_opt(s.price_cents), sql_opt(s.sold_by),
                           sql_opt(s.renews)}));
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

Result<std::vector<SubscriptionRecord>> OrgStore::subscriptions(const SubscriptionFilter& f) {
  std::string sql = std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions s WHERE id > ?";
  std::vector<SqlValue> params{f.after};
  if (f.opening) {
    if (f.opening->empty()) return std::vector<SubscriptionRecord>{};
    sql += " AND " + subscription_opens_any(f.opening->size());
    params.insert(params.end(), f.opening->begin(), f.opening->end());
  }
  // As shown (shown_subscription_status): past its end is expired, whatever the row says yet.
  if (f.status == "expired") sql += " AND (status = 'expired' OR expires_at <= ?)", params.emplace_back(f.now);
  else if (!f.status.empty()) sql += " AND status = ? AND expires_at > ?", params.insert(params.end(), {f.status, f.now});
  if (f.expiring_before) sql += " AND status = 'active' AND expires_at > ? AND expires_at <= ?", params.insert(params.end(), {f.now, *f.expiring_before});
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(f.limit);
  auto rows = db_.query(sql, params);
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
  // A suspended account's memberships are as good as suspended.
  auto rows = db_.query("SELECT s.id, CASE WHEN u.status = 'suspended' THEN 'suspended' ELSE s.status END, pb.branch_id FROM subscriptions s "
                        "JOIN users u ON u.id = s.user_id LEFT JOIN plan_branches pb ON pb.plan_id = s.plan_id "
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
