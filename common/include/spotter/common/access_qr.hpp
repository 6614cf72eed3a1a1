#pragma once
// The QR code a member's app shows at a door or machine (cloud-api.md: GET
// /api/users/me/access-qr; PROTOCOL.md 2.1). It is an ES256 JWT: the cloud signs it with a
// private key that never leaves the cloud, and gateways verify it offline with the public
// key, so a gateway cannot mint one. It expires at most 60 s after it was issued; refusing
// a second use (replay) is the verifier's job, with a durable cache of `jti`s until `exp`.
#include <chrono>
#include <string>

#include "spotter/common/clock.hpp"
#include "spotter/common/jwt.hpp"

namespace spotter::access_qr {

inline constexpr std::chrono::seconds kMaxLifetime{60};
inline constexpr const char* kType = "spotter-access-qr";

struct Claims {
  std::string member_id;
  std::string jti;  // unique per code: the replay cache key
  std::int64_t issued_at_s = 0;
  std::int64_t expires_at_s = 0;
};

// `lifetime` is capped at kMaxLifetime. `key` must be an ES256 signing key with a kid.
Result<std::string> mint(const std::string& member_id, const jwt::Key& key, const Clock& clock,
                         std::chrono::seconds lifetime = kMaxLifetime);

// Error codes map to door/machine reasons: "invalid_qr" (bad signature, unknown key, wrong
// type, malformed, lifetime over 60 s) and "expired_qr". Allows 5 s of clock skew.
Result<Claims> verify(const std::string& payload, const jwt::Verifier& keys, const Clock& clock);

}  // namespace spotter::access_qr
