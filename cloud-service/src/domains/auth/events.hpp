// What auth publishes (platform/events.hpp).
#pragma once
#include "../../platform/events.hpp"

namespace spotter::cloud::auth::events {

// Logins were revoked (logout, a reused refresh token, a password reset): their access
// tokens stop working on every instance at once. {"family_ids": [...]} or {"user_id"} for
// every login of a user.
inline constexpr const char* kLoginsRevoked = "auth.logins_revoked";

}  // namespace spotter::cloud::auth::events
