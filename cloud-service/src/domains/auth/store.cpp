#include "store.hpp"

namespace spotter::cloud::auth {

std::vector<Migration> AuthStore::migrations() {
  return {
      {"auth/1", R"sql(
CREATE TABLE token_families (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL, revoked_at BIGINT, revoked_reason TEXT);
CREATE INDEX token_families_user ON token_families(user_id);
CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL REFERENCES token_families(id),
  user_id TEXT NOT NULL, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, spent_at BIGINT);
CREATE TABLE password_resets (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  expires_at BIGINT NOT NULL, used_at BIGINT);
)sql"},
      // Devices (cloud-api-2, Members): what each login was made on, and when it was last
      // refreshed.
      {"auth/2", R"sql(
ALTER TABLE token_families ADD COLUMN device_name TEXT;
ALTER TABLE token_families ADD COLUMN last_used_at BIGINT;
)sql"},
  };
}

Status AuthStore::insert_family(const std::string& id, const std::string& user_id, std::int64_t now, const std::string& device_name) {
  SPOTTER_SQL(db_.execute("INSERT INTO token_families (id, user_id, created_at, device_name, last_used_at) VALUES (?, ?, ?, ?, ?)",
                          {id, user_id, now, device_name, now}));
  return {};
}

Status AuthStore::touch_family(const std::string& family_id, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE token_families SET last_used_at = ? WHERE id = ?", {now, family_id}));
  return {};
}

Result<std::vector<LoginRecord>> AuthStore::logins_of(const std::string& user_id, std::int64_t now) {
  // A login is live while it is not revoked and holds an unspent, unexpired refresh token.
  auto rows = db_.query("SELECT f.id, f.device_name, f.created_at, f.last_used_at FROM token_families f WHERE f.user_id = ? AND f.revoked_at IS NULL "
                        "AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.spent_at IS NULL AND t.expires_at > ?) "
                        "ORDER BY f.created_at DESC, f.id",
                        {user_id, now});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<LoginRecord> out;
  for (const auto& r : *rows)
    out.push_back({r.text(0), r.is_null(1) ? "" : r.text(1), r.integer(2), r.is_null(3) ? r.integer(2) : r.integer(3)});
  return out;
}

Result<bool> AuthStore::revoke_login(const std::string& family_id, const std::string& user_id, std::int64_t now) {
  auto r = db_.execute("UPDATE token_families SET revoked_at = ?, revoked_reason = 'signed_out' WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                       {now, family_id, user_id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r == 1;
}

Status AuthStore::insert_refresh(const std::string& token_hash, const std::string& family_id, const std::string& user_id, std::int64_t expires_at,
                                 std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                          {token_hash, family_id, user_id, expires_at, now}));
  return {};
}

Result<std::optional<RefreshRecord>> AuthStore::refresh(const std::string& token_hash) {
  auto rows = db_.query("SELECT t.family_id, t.user_id, t.expires_at, t.spent_at, f.revoked_at FROM refresh_tokens t "
                        "JOIN token_families f ON f.id = t.family_id WHERE t.token_hash = ?",
                        {token_hash});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<RefreshRecord>{};
  const auto& r = rows->front();
  return std::optional<RefreshRecord>{RefreshRecord{r.text(0), r.text(1), r.integer(2), !r.is_null(3), !r.is_null(4)}};
}

Result<bool> AuthStore::spend(const std::string& token_hash, std::int64_t now) {
  auto r = db_.execute("UPDATE refresh_tokens SET spent_at = ? WHERE token_hash = ? AND spent_at IS NULL", {now, token_hash});
  if (!r) return Unexpected<Error>{r.error()};
  return *r == 1;
}

Status AuthStore::revoke_family(const std::string& family_id, const std::string& reason, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE token_families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL", {now, reason, family_id}));
  return {};
}

Result<std::optional<std::string>> AuthStore::revoke_family_of(const std::string& token_hash, const std::string& reason, std::int64_t now) {
  auto rows = db_.query("SELECT family_id FROM refresh_tokens WHERE token_hash = ?", {token_hash});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  const std::string family = rows->front().text(0);
  if (auto r = revoke_family(family, reason, now); !r) return Unexpected<Error>{r.error()};
  return std::optional<std::string>{family};
}

Status AuthStore::revoke_all_of(const std::string& user_id, const std::string& reason, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE token_families SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL", {now, reason, user_id}));
  return {};
}

Result<bool> AuthStore::family_active(const std::string& family_id, const std::string& user_id) {
  auto rows = db_.query("SELECT 1 FROM token_families WHERE id = ? AND user_id = ? AND revoked_at IS NULL", {family_id, user_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  return !rows->empty();
}

Status AuthStore::insert_reset(const std::string& token_hash, const std::string& user_id, std::int64_t expires_at) {
  SPOTTER_SQL(db_.execute("INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?, ?, ?)", {token_hash, user_id, expires_at}));
  return {};
}

Result<std::optional<std::string>> AuthStore::pending_reset(const std::string& token_hash, std::int64_t now) {
  auto rows = db_.query("SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?", {token_hash, now});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows->front().text(0)};
}

Result<std::optional<std::string>> AuthStore::use_reset(const std::string& token_hash, std::int64_t now) {
  auto rows = db_.query("UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id",
                        {now, token_hash, now});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{rows->front().text(0)};
}

Status AuthStore::erase_member(const std::string& user_id, std::int64_t now) {
  if (auto r = revoke_all_of(user_id, "erased", now); !r) return r;
  SPOTTER_SQL(db_.execute("DELETE FROM password_resets WHERE user_id = ?", {user_id}));
  return {};
}

}  // namespace spotter::cloud::auth
