// `spotter-cloud import FILE.json`: a branch in the gateway replica format
// (docs/edge-agent.md), so a branch can move from standalone to synced and the demo can seed
// the simulated branch. Idempotent: importing the same file again updates in place.
#include <map>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/opening_hours.hpp"
#include "rules_people.hpp"
#include "store.hpp"

namespace spotter::cloud::org {
namespace {

std::string text_of(const Json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Status check_id(const Json& j, const char* key, const std::string& where) {
  if (!is_valid_id(text_of(j, key))) return fail("invalid", where + "." + key + ": must match [A-Za-z0-9_-]{1,64}");
  return {};
}

// One imported plan per distinct set of branches, named by that set: two imported
// branches whose memberships open different branches never share a plan.
std::string imported_plan_id(const std::string& branch_set) {
  const auto digest = crypto::sha256(crypto::as_bytes(branch_set));
  return "plan_imported_" + hex_encode(crypto::ByteView(digest.data(), 8));
}

}  // namespace

Result<OrgStore::ImportCounts> OrgStore::import_people(const std::string& branch_id, const Json& doc, std::int64_t now) {
  const Json& b = doc["branch"];
  const std::string tz = text_of(b, "timezone", "UTC");
  if (!load_time_zone(tz)) return fail("invalid", "branch.timezone: unknown zone " + tz);
  auto hours = OpeningHours::from_json(b.value("opening_hours", OpeningHours::always_open().to_json()));
  if (!hours) return fail("invalid", "branch.opening_hours: " + hours.error().message);
  for (const char* list : {"members", "memberships", "cards"})
    if (doc.contains(list) && !doc[list].is_array()) return fail("invalid", std::string(list) + ": must be an array");
  ImportCounts counts;
  SPOTTER_SQL(db_.execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, opening_hours = excluded.opening_hours, updated_at = excluded.updated_at",
                          {branch_id, text_of(b, "name", branch_id), tz, dump_json(hours->to_json()), now, now}));
  std::size_t i = 0;
  for (const auto& m : doc.value("members", Json::array())) {
    if (auto s = check_id(m, "id", "members[" + std::to_string(i++) + "]"); !s) return Unexpected<Error>{s.error()};
    const std::string id = text_of(m, "id");
    // Imported members have no login until they reset a password for a real address.
    SPOTTER_SQL(db_.execute("INSERT INTO users (id, email, full_name, role, home_branch_id, created_at, updated_at) VALUES (?, ?, ?, 'member', ?, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, updated_at = excluded.updated_at",
                            {id, id + "@imported.invalid", text_of(m, "display_name", id), branch_id, now, now}));
    auto person = this->person(id);
    if (!person) return Unexpected<Error>{person.error()};
    if (*person) SPOTTER_SQL(set_search_keys(id, search_keys((*person)->full_name, (*person)->email, (*person)->phone, (*person)->document_id)));
    ++counts.members;
  }
  std::map<std::string, std::string> plans;
  i = 0;
  for (const auto& ms : doc.value("memberships", Json::array())) {
    const std::string where = "memberships[" + std::to_string(i++) + "]";
    if (auto s = check_id(ms, "id", where); !s) return Unexpected<Error>{s.error()};
    if (auto s = check_id(ms, "member_id", where); !s) return Unexpected<Error>{s.error()};
    if (!ms.contains("starts_at_ms") || !ms["starts_at_ms"].is_number_integer() || !ms.contains("expires_at_ms") || !ms["expires_at_ms"].is_number_integer())
      return fail("invalid", where + ": starts_at_ms and expires_at_ms are required");
    std::set<std::string> branches;
    for (const auto& bid : ms.value("branch_ids", Json::array()))
      if (bid.is_string() && is_valid_id(bid.get_ref<const std::string&>())) branches.insert(bid.get<std::string>());
    std::string key;
    for (const auto& bid : branches) key += bid + ",";
    if (!plans.count(key)) {
      const std::string plan_id = imported_plan_id(key);
      SPOTTER_SQL(db_.execute("INSERT INTO plans (id, name, price_cents, duration_days, created_at) VALUES (?, 'Imported membership', 0, 30, ?) "
                              "ON CONFLICT (id) DO NOTHING", {plan_id, now}));
      for (const auto& bid : branches)
        SPOTTER_SQL(db_.execute("INSERT INTO plan_branches (plan_id, branch_id) SELECT ?, id FROM branches WHERE id = ? ON CONFLICT DO NOTHING",
                                {plan_id, bid}));
      plans[key] = plan_id;
    }
    const std::int64_t expires = ms["expires_at_ms"].get<std::int64_t>();
    const std::string status = expires <= now ? "expired" : (json_bool(ms, "suspended", false) ? "suspended" : "active");
    SPOTTER_SQL(db_.execute("INSERT INTO subscriptions (id, user_id, plan_id, starts_at, expires_at, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET plan_id = excluded.plan_id, starts_at = excluded.starts_at, expires_at = excluded.expires_at, "
                            "status = excluded.status, updated_at = excluded.updated_at",
                            {text_of(ms, "id"), text_of(ms, "member_id"), plans[key], ms["starts_at_ms"].get<std::int64_t>(), expires, status, now, now}));
    ++counts.subscriptions;
  }
  i = 0;
  for (const auto& c : doc.value("cards", Json::array())) {
    const std::string where = "cards[" + std::to_string(i++) + "]";
    if (auto s = check_id(c, "member_id", where); !s) return Unexpected<Error>{s.error()};
    const std::string uid = text_of(c, "uid");
    if (uid.empty() || uid.size() > 20 || !is_valid_id(uid)) return fail("invalid", where + ".uid: not a card UID");
    const bool blocked = json_bool(c, "blocked", false);
    SPOTTER_SQL(db_.execute("INSERT INTO credentials (id, user_id, kind, uid, created_at, revoked_at) VALUES (?, ?, 'nfc', ?, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, revoked_at = excluded.revoked_at",
                            {"cred_imported_" + uid, text_of(c, "member_id"), uid, now, blocked ? SqlValue(now) : SqlValue(nullptr)}));
    ++counts.cards;
  }
  return counts;
}

}  // namespace spotter::cloud::org
