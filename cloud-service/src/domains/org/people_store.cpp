// People (users, trainer branches), credentials, the QR replay cache, replicas and import.
#include <cctype>

#include "../../core/fields.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/opening_hours.hpp"
#include "rules_people.hpp"
#include "store.hpp"

namespace spotter::cloud::org {
namespace {

// Rows of kPersonColumns (person_store.cpp) with their trainer branches, in one more query.
Result<std::vector<Person>> with_branches(SqlDatabase& db, const SqlRows& rows) {
  std::vector<Person> out;
  std::vector<SqlValue> ids;
  for (const auto& r : rows) {
    out.push_back(person_of(r));
    if (out.back().role == "trainer") ids.emplace_back(out.back().id);
  }
  if (ids.empty()) return out;
  auto branches = db.query("SELECT user_id, branch_id FROM user_branches WHERE user_id IN (" + placeholders(ids.size()) + ") ORDER BY branch_id", ids);
  if (!branches) return Unexpected<Error>{branches.error()};
  for (auto& p : out)
    for (const auto& b : *branches)
      if (b.text(0) == p.id) p.branch_ids.push_back(b.text(1));
  return out;
}

}  // namespace

Status OrgStore::insert_user(const NewUser& u, std::int64_t now) {
  return db_.atomically([&]() -> Status {
    SPOTTER_SQL(db_.execute("INSERT INTO users (id, email, password_hash, full_name, role, home_branch_id, phone, document_id, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            {u.id, u.email, sql_opt(u.password_hash), u.full_name, u.role, sql_opt(u.home_branch_id), sql_opt(u.phone),
                             sql_opt(u.document_id), now, now}));
    for (const auto& b : std::set<std::string>(u.branch_ids.begin(), u.branch_ids.end()))
      SPOTTER_SQL(db_.execute("INSERT INTO user_branches (user_id, branch_id) VALUES (?, ?)", {u.id, b}));
    return set_search_keys(u.id, search_keys(u.full_name, u.email, u.phone, u.document_id));
  });
}

Result<std::optional<Json>> OrgStore::user(const std::string& id) {
  auto p = person(id);
  if (!p) return Unexpected<Error>{p.error()};
  if (!*p) return std::optional<Json>{};
  return std::optional<Json>{user_json(**p)};
}

Result<Json> OrgStore::search_users(const UserSearch& q) {
  std::string sql = std::string("SELECT ") + kPersonColumns + " FROM users WHERE id > ?";
  std::vector<SqlValue> params{q.after};
  if (!q.prefix.empty()) {
    sql += " AND id IN (SELECT user_id FROM user_search_keys WHERE search_key >= ? AND search_key < ?)";
    params.insert(params.end(), {q.prefix, search_range_end(q.prefix)});
  }
  if (!q.email.empty()) sql += " AND email = ?", params.emplace_back(q.email);
  if (!q.phone.empty()) sql += " AND phone = ?", params.emplace_back(q.phone);
  if (!q.document_id.empty()) sql += " AND document_id = ?", params.emplace_back(q.document_id);
  if (!q.role.empty()) sql += " AND role = ?", params.emplace_back(q.role);
  if (q.within_branches) {
    if (q.within_branches->empty()) return Json::array();
    const std::string in = placeholders(q.within_branches->size());
    sql += " AND (home_branch_id IN (" + in + ") OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = users.id AND " +
           subscription_opens_any(q.within_branches->size()) + "))";
    for (int twice = 0; twice < 2; ++twice)
      for (const auto& b : *q.within_branches) params.emplace_back(b);
  }
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(q.limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  auto people = with_branches(db_, *rows);
  if (!people) return Unexpected<Error>{people.error()};
  Json items = Json::array();
  for (const auto& p : *people) items.push_back(user_json(p));
  return items;
}

Result<std::map<std::string, std::string>> OrgStore::full_names(const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  for (std::size_t at = 0; at < ids.size(); at += 200) {
    const std::size_t n = std::min<std::size_t>(200, ids.size() - at);
    std::vector<SqlValue> params(ids.begin() + static_cast<std::ptrdiff_t>(at), ids.begin() + static_cast<std::ptrdiff_t>(at + n));
    auto rows = db_.query("SELECT id, full_name FROM users WHERE id IN (" + placeholders(n) + ")", params);
    if (!rows) return Unexpected<Error>{rows.error()};
    for (const auto& r : *rows) out[r.text(0)] = r.text(1);
  }
  return out;
}

Result<Privacy> OrgStore::privacy(const std::string& user_id) {
  auto rows = db_.query("SELECT share_measurements_with_trainers, show_on_leaderboards, allow_buddy_requests FROM user_privacy WHERE user_id = ?", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return Privacy{};
  const auto& r = rows->front();
  return Privacy{r.boolean(0), r.boolean(1), r.boolean(2)};
}

Status OrgStore::set_privacy(const std::string& user_id, const Privacy& p, std::int64_t now) {
  auto n = db_.execute("INSERT INTO user_privacy (user_id, share_measurements_with_trainers, show_on_leaderboards, allow_buddy_requests, updated_at) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET share_measurements_with_trainers = excluded.share_measurements_with_trainers, "
                       "show_on_leaderboards = excluded.show_on_leaderboards, allow_buddy_requests = excluded.allow_buddy_requests, updated_at = excluded.updated_at",
                       {user_id, p.share_measurements_with_trainers, p.show_on_leaderboards, p.allow_buddy_requests, now});
  if (!n) return Unexpected<Error>{n.error()};
  return {};
}

Result<std::optional<std::optional<std::string>>> OrgStore::home_branch_of(const std::string& user_id) {
  auto rows = db_.query("SELECT home_branch_id FROM users WHERE id = ?", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::optional<std::string>>{};
  return std::optional<std::optional<std::string>>{rows->front().optional_text(0)};
}

Result<bool> OrgStore::subscribed_at_any(const std::string& user_id, const std::set<std::string, std::less<>>& branches) {
  if (branches.empty()) return false;
  std::vector<SqlValue> params{user_id};
  for (const auto& b : branches) params.emplace_back(b);
  auto rows = db_.query("SELECT 1 FROM subscriptions s WHERE s.user_id = ? AND " + subscription_opens_any(branches.size()) + " LIMIT 1", params);
  if (!rows) return Unexpected<Error>{rows.error()};
  return !rows->empty();
}

Result<std::optional<LoginRecord>> OrgStore::login_record(const std::string& email) {
  auto rows = db_.query("SELECT id, password_hash, status FROM users WHERE email = ?", {email});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<LoginRecord>{};
  return std::optional<LoginRecord>{LoginRecord{rows->front().text(0), rows->front().optional_text(1), rows->front().text(2) == "suspended"}};
}

Result<std::optional<std::string>> OrgStore::user_role(const std::string& email) {
  auto rows = db_.query("SELECT role FROM users WHERE email = ?", {email});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows->front().text(0)};
}

Result<std::optional<Account>> OrgStore::account(const std::string& user_id, std::int64_t now) {
  auto rows = db_.query("SELECT role, home_branch_id, status FROM users WHERE id = ?", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<Account>{};
  Account a{.role = rows->front().text(0), .home_branch_id = rows->front().optional_text(1), .branch_ids = {}, .all_branches = false,
            .suspended = rows->front().text(2) == "suspended"};
  if (a.role == "trainer") {
    auto b = db_.query("SELECT branch_id FROM user_branches WHERE user_id = ?", {user_id});
    if (!b) return Unexpected<Error>{b.error()};
    for (const auto& r : *b) a.branch_ids.insert(r.text(0));
  } else if (a.role == "member") {
    // The branches current subscriptions open.
    auto s = db_.query("SELECT plan_id FROM subscriptions WHERE user_id = ? AND status = 'active' AND starts_at <= ? AND expires_at > ?",
                       {user_id, now, now});
    if (!s) return Unexpected<Error>{s.error()};
    std::vector<std::string> plans;
    for (const auto& r : *s) plans.push_back(r.text(0));
    auto listed = plan_branch_ids(plans);
    if (!listed) return Unexpected<Error>{listed.error()};
    for (const auto& plan : plans) {
      auto it = listed->find(plan);
      const std::vector<std::string> none;
      const auto& branches = it == listed->end() ? none : it->second;
      if (plan_opens_every_branch(branches)) a.all_branches = true;
      a.branch_ids.insert(branches.begin(), branches.end());
    }
  }
  if (a.home_branch_id && a.role != "admin") a.branch_ids.insert(*a.home_branch_id);
  return std::optional<Account>{std::move(a)};
}

Status OrgStore::set_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", {hash, now, user_id}));
  return {};
}

Status OrgStore::insert_credential(const std::string& id, const std::string& user_id, const std::string& kind, const std::string& uid, std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO credentials (id, user_id, kind, uid, created_at) VALUES (?, ?, ?, ?, ?)", {id, user_id, kind, uid, now}));
  return {};
}

Status OrgStore::insert_fingerprint(const std::string& id, const std::string& user_id, const std::string& finger, const std::string& sealed,
                                    std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO credentials (id, user_id, kind, uid, finger, template_sealed, created_at) VALUES (?, ?, 'fingerprint', ?, ?, ?, ?)",
                          {id, user_id, id, finger, sealed, now}));
  return {};
}

Result<bool> OrgStore::revoke_credential(const std::string& user_id, const std::string& credential_id, std::int64_t now) {
  // A deleted fingerprint's template goes at once: nothing keeps biometric data unused.
  auto r = db_.execute("UPDATE credentials SET revoked_at = ?, template_sealed = NULL WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                       {now, credential_id, user_id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<Json> OrgStore::credentials_of(const std::string& user_id) {
  auto rows = db_.query("SELECT id, kind, uid, created_at, revoked_at, finger FROM credentials WHERE user_id = ? ORDER BY id", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows) {
    Json item = {{"id", r.text(0)}, {"user_id", user_id}, {"kind", r.text(1)}, {"created_at", rfc3339(r.integer(3))},
                 {"revoked_at", rfc3339_or_null(r.optional_integer(4))}};
    // A fingerprint shows which finger; its template is never returned.
    if (r.text(1) == "fingerprint") item["finger"] = r.is_null(5) ? Json(nullptr) : Json(r.text(5));
    else item["uid"] = r.text(2);
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::optional<std::string>> OrgStore::card_owner(const std::string& uid) {
  auto rows = db_.query("SELECT user_id FROM credentials WHERE uid = ? AND revoked_at IS NULL", {uid});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows->front().text(0)};
}

Result<std::optional<std::string>> OrgStore::credential_owner(const std::string& id, const std::string& kind) {
  auto rows = db_.query("SELECT user_id FROM credentials WHERE id = ? AND kind = ? AND revoked_at IS NULL", {id, kind});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows->front().text(0)};
}

Status OrgStore::use_qr(const std::string& jti, std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO qr_used (jti, used_at) VALUES (?, ?)", {jti, now}));
  return {};
}

Result<Json> OrgStore::replica_people(const std::string& branch_id, const std::optional<std::string>& one, std::int64_t now) {
  // Members whose home is the branch or whose unexpired subscription opens it.
  const std::string in = std::string("SELECT u.id FROM users u WHERE u.role = 'member' AND u.erased_at IS NULL") + (one ? " AND u.id = ?" : "") +
                         " AND (u.home_branch_id = ? OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id AND s.expires_at > ? AND " +
                         subscription_opens_any(1) + "))";
  auto params = [&](std::vector<SqlValue> first) {
    if (one) first.emplace_back(*one);
    first.insert(first.end(), {branch_id, now, branch_id});
    return first;
  };
  auto members = db_.query("SELECT id, full_name FROM users WHERE id IN (" + in + ") ORDER BY id", params({}));
  // A suspended account's memberships go to the doors as suspended: they open nothing.
  auto subs = db_.query("SELECT s.id, s.user_id, s.starts_at, s.expires_at, "
                        "CASE WHEN (SELECT status FROM users WHERE id = s.user_id) = 'suspended' THEN 'suspended' ELSE s.status END, s.plan_id "
                        "FROM subscriptions s WHERE s.expires_at > ? AND s.status <> 'expired' AND s.user_id IN (" + in + ") ORDER BY s.id",
                        params({now}));
  // A revoked card stays as blocked, unless its UID now belongs to someone else.
  auto cards = db_.query("SELECT uid, user_id, revoked_at FROM credentials WHERE kind = 'nfc' AND user_id IN (" + in + ") "
                         "AND (revoked_at IS NULL OR uid NOT IN (SELECT uid FROM credentials WHERE revoked_at IS NULL)) ORDER BY id",
                         params({}));
  auto prints = db_.query("SELECT id, user_id, finger, template_sealed FROM credentials WHERE kind = 'fingerprint' AND revoked_at IS NULL "
                          "AND template_sealed IS NOT NULL AND user_id IN (" + in + ") ORDER BY id", params({}));
  for (const auto* r : {&members, &subs, &cards, &prints})
    if (!*r) return Unexpected<Error>{r->error()};
  std::set<std::string> plan_set;
  for (const auto& s : *subs) plan_set.insert(s.text(5));
  auto branches = plan_branch_ids(std::vector<std::string>(plan_set.begin(), plan_set.end()));
  if (!branches) return Unexpected<Error>{branches.error()};
  Json out = {{"members", Json::array()}, {"memberships", Json::array()}, {"cards", Json::array()}, {"fingerprints", Json::array()}};
  for (const auto& m : *members) out["members"].push_back({{"id", m.text(0)}, {"display_name", m.text(1)}});
  for (const auto& s : *subs) {
    auto b = branches->find(s.text(5));
    out["memberships"].push_back({{"id", s.text(0)}, {"member_id", s.text(1)}, {"starts_at_ms", s.integer(2)}, {"expires_at_ms", s.integer(3)},
                                  {"suspended", s.text(4) == "suspended"}, {"branch_ids", b == branches->end() ? Json::array() : Json(b->second)}});
  }
  for (const auto& c : *cards) out["cards"].push_back({{"uid", c.text(0)}, {"member_id", c.text(1)}, {"blocked", !c.is_null(2)}});
  // Still sealed: OrgDomain opens them for the gateway (org.hpp, replica_people).
  for (const auto& p : *prints)
    out["fingerprints"].push_back({{"credential_id", p.text(0)}, {"member_id", p.text(1)}, {"finger", p.is_null(2) ? "" : p.text(2)},
                                   {"sealed", p.text(3)}});
  return out;
}

}  // namespace spotter::cloud::org
