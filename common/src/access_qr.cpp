#include "spotter/common/access_qr.hpp"

#include <algorithm>

#include "spotter/common/crypto.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::access_qr {

Result<std::string> mint(const std::string& member_id, const jwt::Key& key, const Clock& clock, std::chrono::seconds lifetime) {
  if (key.algorithm() != jwt::Algorithm::ES256 || !key.can_sign() || key.kid().empty()) {
    return fail("bad_key", "access QR codes are signed with an ES256 private key that has a kid");
  }
  if (!is_valid_id(member_id)) return fail("bad_member", "member id is not a valid id");
  auto now = clock.now_ms() / 1000;
  auto life = std::clamp<std::int64_t>(lifetime.count(), 1, kMaxLifetime.count());
  Json claims = {{"typ", kType}, {"sub", member_id}, {"jti", crypto::random_token(12)}, {"iat", now}, {"exp", now + life}};
  return jwt::sign(claims, key);
}

Result<Claims> verify(const std::string& payload, const jwt::Verifier& keys, const Clock& clock) {
  jwt::VerifyOptions opts;
  opts.leeway = std::chrono::seconds(5);
  auto claims = keys.verify(payload, clock, opts);
  if (!claims) {
    if (claims.error().code == "expired") return fail("expired_qr", "the code has expired");
    return fail("invalid_qr", "the code is not a valid Spotter access code (" + claims.error().code + ")");
  }
  const Json& c = *claims;
  auto str = [&](const char* k) -> std::string {
    auto it = c.find(k);
    return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* k) -> std::int64_t {
    auto it = c.find(k);
    return it != c.end() && it->is_number_integer() ? it->get<std::int64_t>() : -1;
  };
  Claims out{str("sub"), str("jti"), num("iat"), num("exp")};
  if (str("typ") != kType || !is_valid_id(out.member_id) || out.jti.empty() || out.jti.size() > 64 || out.issued_at_s < 0 ||
      out.expires_at_s < out.issued_at_s || out.expires_at_s - out.issued_at_s > kMaxLifetime.count()) {
    return fail("invalid_qr", "the code's claims are not those of an access code");
  }
  return out;
}

}  // namespace spotter::access_qr
