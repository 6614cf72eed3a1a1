// Every SQL statement of the auth domain: logins (refresh-token families), refresh tokens
// and password resets. Secrets are stored as SHA-256 only. Thread-safe.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::auth {

// A login (a refresh-token family): the device it was made on, for the member's list.
struct LoginRecord {
  std::string id, device_name;
  std::int64_t created_at = 0, last_used_at = 0;
};

struct RefreshRecord {
  std::string family_id, user_id;
  std::int64_t expires_at = 0;
  bool spent = false, family_revoked = false;
};

class AuthStore {
 public:
  explicit AuthStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  Status insert_family(const std::string& id, const std::string& user_id, std::int64_t now, const std::string& device_name);
  Status touch_family(const std::string& family_id, std::int64_t now);
  // The user's live logins, newest first.
  Result<std::vector<LoginRecord>> logins_of(const std::string& user_id, std::int64_t now);
  // Revokes one of the user's logins; false when it is not theirs or already ended.
  Result<bool> revoke_login(const std::string& family_id, const std::string& user_id, std::int64_t now);
  Status insert_refresh(const std::string& token_hash, const std::string& family_id, const std::string& user_id, std::int64_t expires_at, std::int64_t now);
  Result<std::optional<RefreshRecord>> refresh(const std::string& token_hash);
  // True when this call spent it (it was unspent).
  Result<bool> spend(const std::string& token_hash, std::int64_t now);
  Status revoke_family(const std::string& family_id, const std::string& reason, std::int64_t now);
  // The family of a refresh token, revoked; nullopt when the token is unknown.
  Result<std::optional<std::string>> revoke_family_of(const std::string& token_hash, const std::string& reason, std::int64_t now);
  Status revoke_all_of(const std::string& user_id, const std::string& reason, std::int64_t now);
  // An erased person: every login ends, pending reset tokens go.
  Status erase_member(const std::string& user_id, std::int64_t now);
  Result<bool> family_active(const std::string& family_id, const std::string& user_id);
  Status insert_reset(const std::string& token_hash, const std::string& user_id, std::int64_t expires_at);
  // The user of an unused, unexpired reset token.
  Result<std::optional<std::string>> pending_reset(const std::string& token_hash, std::int64_t now);
  // Marks an unused, unexpired reset token used; its user, or nullopt.
  Result<std::optional<std::string>> use_reset(const std::string& token_hash, std::int64_t now);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::auth
