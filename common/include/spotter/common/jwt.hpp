#pragma once
// JSON Web Tokens (RFC 7519) in JWS compact form, HS256 and ES256 only. The algorithm is
// a property of the key, never taken from the token, so "none" and HS/ES confusion are
// impossible. Verification checks signature, `exp`, `nbf` (with leeway) and `kid`.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/clock.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/json.hpp"

namespace spotter::jwt {

enum class Algorithm { HS256, ES256 };

// A key for signing (HMAC secret or ECDSA private key) or verifying only (HMAC secret
// or ECDSA public key). `kid` is empty only for a key set's unnamed default key.
class Key {
 public:
  static Key hs256(std::string kid, crypto::Bytes secret);
  static Key es256_signing(std::string kid, crypto::EcdsaP256PrivateKey key);
  static Key es256_verifying(std::string kid, crypto::EcdsaP256PublicKey key);

  const std::string& kid() const { return kid_; }
  Algorithm algorithm() const { return alg_; }
  bool can_sign() const;

 private:
  friend Result<std::string> sign(const Json&, const Key&);
  friend class Verifier;
  std::string kid_;
  Algorithm alg_ = Algorithm::HS256;
  crypto::Bytes secret_;
  std::optional<crypto::EcdsaP256PrivateKey> private_;
  std::optional<crypto::EcdsaP256PublicKey> public_;
};

// `claims` must be an object. The header is {"alg", "typ":"JWT", "kid" (when set)}.
Result<std::string> sign(const Json& claims, const Key& key);

struct VerifyOptions {
  std::chrono::seconds leeway{30};
  bool require_exp = true;
  std::optional<std::string> issuer;    // when set, `iss` must equal it
  std::optional<std::string> audience;  // when set, `aud` must equal or contain it
};

// Error codes: malformed, unsupported_algorithm, unknown_kid, bad_signature, expired,
// not_yet_valid, missing_exp, wrong_issuer, wrong_audience.
class Verifier {
 public:
  explicit Verifier(std::vector<Key> keys) : keys_(std::move(keys)) {}
  Result<Json> verify(std::string_view token, const Clock& clock,
                      const VerifyOptions& options = {}) const;

 private:
  const Key* find(std::string_view kid) const;
  std::vector<Key> keys_;
};

inline constexpr std::size_t kMaxTokenSize = 8192;

}  // namespace spotter::jwt
