// Erasure's SQL in org's own tables (erasure.cpp has the route; the other domains clear
// theirs on events::kMemberErased).
#include "store.hpp"

namespace spotter::cloud::org {

Result<std::string> OrgStore::erase_person(const std::string& user_id, std::int64_t now) {
  auto rows = db_.query("SELECT email FROM users WHERE id = ?", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return fail("not_found", "no such user");
  const std::string email = rows->front().text(0);
  // The address must stay unique and may be registered again: one that cannot be mail.
  SPOTTER_SQL(db_.execute("UPDATE users SET email = ?, full_name = 'Erased member', phone = NULL, document_id = NULL, password_hash = NULL, "
                          "status = 'suspended', erased_at = ?, updated_at = ? WHERE id = ?",
                          {"erased+" + user_id + "@erased.invalid", now, now, user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM credentials WHERE user_id = ?", {user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM user_search_keys WHERE user_id = ?", {user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM user_privacy WHERE user_id = ?", {user_id}));
  SPOTTER_SQL(db_.execute("DELETE FROM user_branches WHERE user_id = ?", {user_id}));
  SPOTTER_SQL(db_.execute("UPDATE subscriptions SET status = 'expired', expires_at = CASE WHEN expires_at > ? THEN ? ELSE expires_at END, "
                          "updated_at = ? WHERE user_id = ? AND status <> 'expired'",
                          {now, now, now, user_id}));
  return email;
}

Result<std::optional<std::string>> OrgStore::password_hash_of(const std::string& user_id) {
  auto rows = db_.query("SELECT password_hash FROM users WHERE id = ? AND erased_at IS NULL", {user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  return rows->front().optional_text(0);
}

}  // namespace spotter::cloud::org
