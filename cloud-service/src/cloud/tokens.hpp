// Access tokens (JWT HS256 with kid, 15 min), refresh tokens (opaque, 7 days, stored hashed,
// rotated on every use; a spent one presented again revokes its family) and gateway tokens.
#pragma once
#include "app.hpp"

namespace spotter::cloud {

inline constexpr std::int64_t kAccessLifetimeS = 15 * 60;
inline constexpr std::int64_t kRefreshLifetimeMs = 7LL * 24 * 3600 * 1000;
inline constexpr std::int64_t kGatewayTokenLifetimeS = 10 * 60;

// A new family when `family` is empty. {access_token, refresh_token, token_type, expires_in}.
Try<Json> issue_token_pair(App& app, const std::string& user_id, const std::optional<std::string>& family);
Try<Json> rotate_refresh_token(App& app, const RequestContext& ctx, const std::string& refresh_token);
void revoke_family_of_refresh(App& app, const std::string& refresh_token, const char* reason);
void revoke_family_of_access(App& app, const std::string& access_token, const char* reason);
Result<std::string> mint_gateway_token(App& app, const std::string& gateway_id, const std::string& branch_id);
// A valid hash of a random password, so an unknown account costs a login as much as a known.
const std::string& dummy_password_hash(App& app);

}  // namespace spotter::cloud
