#include "replica_import.hpp"

#include <map>

#include "../core/fields.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/opening_hours.hpp"

namespace spotter::cloud {
namespace {

std::string text_of(const Json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Status check_id(const Json& j, const char* key, const std::string& where) {
  if (!is_valid_id(text_of(j, key))) return fail("invalid", where + "." + key + ": must match [A-Za-z0-9_-]{1,64}");
  return {};
}

}  // namespace

Result<ImportCounts> import_branch_replica(SqlDatabase& db, const Json& doc, std::int64_t now) {
  if (!doc.is_object() || !doc.contains("branch") || !doc["branch"].is_object()) return fail("invalid", "branch: missing");
  const Json& b = doc["branch"];
  if (auto s = check_id(b, "id", "branch"); !s) return Unexpected<Error>{s.error()};
  const std::string branch_id = text_of(b, "id"), tz = text_of(b, "timezone", "UTC");
  if (!load_time_zone(tz)) return fail("invalid", "branch.timezone: unknown zone " + tz);
  auto hours = OpeningHours::from_json(b.value("opening_hours", OpeningHours::always_open().to_json()));
  if (!hours) return fail("invalid", "branch.opening_hours: " + hours.error().message);
  for (const char* list : {"members", "memberships", "cards", "machines"})
    if (doc.contains(list) && !doc[list].is_array()) return fail("invalid", std::string(list) + ": must be an array");
  ImportCounts counts;
  auto tx = db.transaction([&]() -> Status {
    SPOTTER_SQL(db.execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, opening_hours = excluded.opening_hours, updated_at = excluded.updated_at",
                          {branch_id, text_of(b, "name", branch_id), tz, dump_json(hours->to_json()), now, now}));
    std::size_t i = 0;
    for (const auto& m : doc.value("members", Json::array())) {
      if (auto s = check_id(m, "id", "members[" + std::to_string(i++) + "]"); !s) return s;
      const std::string id = text_of(m, "id");
      // Imported members have no login until they reset a password for a real address.
      SPOTTER_SQL(db.execute("INSERT INTO users (id, email, full_name, role, home_branch_id, created_at, updated_at) VALUES (?, ?, ?, 'member', ?, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, updated_at = excluded.updated_at",
                            {id, id + "@imported.invalid", text_of(m, "display_name", id), branch_id, now, now}));
      ++counts.members;
    }
    // One plan per distinct set of branches the memberships open.
    std::map<std::string, std::string> plans;
    i = 0;
    for (const auto& ms : doc.value("memberships", Json::array())) {
      const std::string where = "memberships[" + std::to_string(i++) + "]";
      if (auto s = check_id(ms, "id", where); !s) return s;
      if (auto s = check_id(ms, "member_id", where); !s) return s;
      if (!ms.contains("starts_at_ms") || !ms["starts_at_ms"].is_number_integer() || !ms.contains("expires_at_ms") || !ms["expires_at_ms"].is_number_integer())
        return fail("invalid", where + ": starts_at_ms and expires_at_ms are required");
      std::string key;
      std::vector<std::string> branches;
      for (const auto& bid : ms.value("branch_ids", Json::array()))
        if (bid.is_string() && is_valid_id(bid.get_ref<const std::string&>())) branches.push_back(bid.get<std::string>()), key += bid.get<std::string>() + ",";
      if (!plans.count(key)) {
        const std::string plan_id = "plan_imported_" + std::to_string(plans.size() + 1);
        SPOTTER_SQL(db.execute("INSERT INTO plans (id, name, price_cents, duration_days, created_at) VALUES (?, 'Imported membership', 0, 30, ?) "
                              "ON CONFLICT (id) DO NOTHING", {plan_id, now}));
        SPOTTER_SQL(db.execute("DELETE FROM plan_branches WHERE plan_id = ?", {plan_id}));
        for (const auto& bid : branches)
          SPOTTER_SQL(db.execute("INSERT INTO plan_branches (plan_id, branch_id) SELECT ?, id FROM branches WHERE id = ?", {plan_id, bid}));
        plans[key] = plan_id;
      }
      const std::int64_t expires = ms["expires_at_ms"].get<std::int64_t>();
      const std::string status = expires <= now ? "expired" : (ms.value("suspended", false) ? "suspended" : "active");
      SPOTTER_SQL(db.execute("INSERT INTO subscriptions (id, user_id, plan_id, starts_at, expires_at, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, expires_at = excluded.expires_at, status = excluded.status, updated_at = excluded.updated_at",
                            {text_of(ms, "id"), text_of(ms, "member_id"), plans[key], ms["starts_at_ms"].get<std::int64_t>(), expires, status, now, now}));
      ++counts.subscriptions;
    }
    i = 0;
    for (const auto& c : doc.value("cards", Json::array())) {
      const std::string where = "cards[" + std::to_string(i++) + "]";
      if (auto s = check_id(c, "member_id", where); !s) return s;
      const std::string uid = text_of(c, "uid");
      if (uid.empty() || uid.size() > 20 || !is_valid_id(uid)) return fail("invalid", where + ".uid: not a card UID");
      const bool blocked = c.value("blocked", false);
      SPOTTER_SQL(db.execute("INSERT INTO credentials (id, user_id, kind, uid, created_at, revoked_at) VALUES (?, ?, 'nfc', ?, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, revoked_at = excluded.revoked_at",
                            {"cred_imported_" + uid, text_of(c, "member_id"), uid, now, blocked ? SqlValue(now) : SqlValue(nullptr)}));
      ++counts.cards;
    }
    i = 0;
    for (const auto& m : doc.value("machines", Json::array())) {
      if (auto s = check_id(m, "id", "machines[" + std::to_string(i++) + "]"); !s) return s;
      const std::string category = text_of(m, "category", "cardio");
      SPOTTER_SQL(db.execute("INSERT INTO machines (id, branch_id, name, category, type, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'offline', ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, category = excluded.category, type = excluded.type",
                            {text_of(m, "id"), branch_id, text_of(m, "name", text_of(m, "id")), category, text_of(m, "type", "machine"), now, now}));
      ++counts.machines;
    }
    SPOTTER_SQL(db.execute("INSERT INTO replica_changes (entity, entity_id) VALUES ('all', ?)", {branch_id}));
    return {};
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return counts;
}

}  // namespace spotter::cloud
