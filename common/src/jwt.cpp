#include "spotter/common/jwt.hpp"

#include <cmath>

#include "spotter/common/encoding.hpp"

namespace spotter::jwt {
namespace {

const char* alg_name(Algorithm a) { return a == Algorithm::HS256 ? "HS256" : "ES256"; }

// RFC 7519 NumericDate: seconds, integer or not. Anything else is malformed.
Result<double> numeric_date(const Json& claims, const char* name, bool& present) {
  auto it = claims.find(name);
  present = it != claims.end();
  if (!present) return 0.0;
  if (!it->is_number()) return fail("malformed", std::string("claim ") + name + " is not a number");
  double v = it->get<double>();
  if (!std::isfinite(v)) return fail("malformed", std::string("claim ") + name + " is not finite");
  return v;
}

}  // namespace

Key Key::hs256(std::string kid, crypto::Bytes secret) {
  Key k;
  k.kid_ = std::move(kid);
  k.alg_ = Algorithm::HS256;
  k.secret_ = std::move(secret);
  return k;
}

Key Key::es256_signing(std::string kid, crypto::EcdsaP256PrivateKey key) {
  Key k;
  k.kid_ = std::move(kid);
  k.alg_ = Algorithm::ES256;
  k.public_ = key.public_key();
  k.private_ = std::move(key);
  return k;
}

Key Key::es256_verifying(std::string kid, crypto::EcdsaP256PublicKey key) {
  Key k;
  k.kid_ = std::move(kid);
  k.alg_ = Algorithm::ES256;
  k.public_ = std::move(key);
  return k;
}

bool Key::can_sign() const { return alg_ == Algorithm::HS256 || private_.has_value(); }

Result<std::string> sign(const Json& claims, const Key& key) {
  if (!claims.is_object()) return fail("malformed", "claims must be a JSON object");
  if (!key.can_sign()) return fail("cannot_sign", "key has no private part");
  Json header = {{"alg", alg_name(key.alg_)}, {"typ", "JWT"}};
  if (!key.kid_.empty()) header["kid"] = key.kid_;
  std::string input = base64url_encode(crypto::as_bytes(dump_json(header))) + "." +
                      base64url_encode(crypto::as_bytes(dump_json(claims)));
  crypto::Bytes sig;
  if (key.alg_ == Algorithm::HS256) {
    auto mac = crypto::hmac_sha256(key.secret_, crypto::as_bytes(input));
    sig.assign(mac.begin(), mac.end());
  } else {
    sig = key.private_->sign(crypto::as_bytes(input));
  }
  return input + "." + base64url_encode(sig);
}

const Key* Verifier::find(std::string_view kid) const {
  for (const auto& k : keys_) {
    if (k.kid_ == kid) return &k;
  }
  return nullptr;
}

Result<Json> Verifier::verify(std::string_view token, const Clock& clock, const VerifyOptions& options) const {
  if (token.size() > kMaxTokenSize) return fail("malformed", "token too long");
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return fail("malformed", "expected three dot-separated parts");
  }
  auto header_raw = base64url_decode(token.substr(0, d1));
  auto claims_raw = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header_raw || !claims_raw || !sig) return fail("malformed", "a part is not base64url");

  JsonLimits limits{kMaxTokenSize, 8};
  auto header = parse_json_strict(crypto::as_text(*header_raw), limits);
  if (!header || !header->is_object()) return fail("malformed", "header is not a JSON object");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return fail("malformed", "header has no alg");
  std::string kid;
  if (auto k = header->find("kid"); k != header->end()) {
    if (!k->is_string()) return fail("malformed", "kid is not a string");
    kid = k->get<std::string>();
  }
  const Key* key = find(kid);
  if (!key) return fail("unknown_kid", "no key with this kid");
  // The key decides the algorithm; a token asking for another one is refused outright.
  if (alg->get<std::string>() != alg_name(key->alg_)) return fail("unsupported_algorithm", "algorithm does not match the key");

  auto signing_input = crypto::as_bytes(token.substr(0, d2));
  bool good;
  if (key->alg_ == Algorithm::HS256) {
    auto mac = crypto::hmac_sha256(key->secret_, signing_input);
    good = crypto::constant_time_equal(mac, *sig);
  } else {
    good = key->public_ && key->public_->verify(signing_input, *sig);
  }
  if (!good) return fail("bad_signature", "signature does not verify");

  auto claims = parse_json_strict(crypto::as_text(*claims_raw), limits);
  if (!claims || !claims->is_object()) return fail("malformed", "claims are not a JSON object");

  double now = static_cast<double>(clock.now_ms()) / 1000.0;
  double leeway = static_cast<double>(options.leeway.count());
  bool has_exp = false, has_nbf = false;
  auto exp = numeric_date(*claims, "exp", has_exp);
  auto nbf = numeric_date(*claims, "nbf", has_nbf);
  if (!exp) return Unexpected<Error>{exp.error()};
  if (!nbf) return Unexpected<Error>{nbf.error()};
  if (!has_exp && options.require_exp) return fail("missing_exp", "token has no expiry");
  if (has_exp && now >= *exp + leeway) return fail("expired", "token has expired");
  if (has_nbf && now + leeway < *nbf) return fail("not_yet_valid", "token is not valid yet");
  if (options.issuer) {
    auto iss = claims->find("iss");
    if (iss == claims->end() || !iss->is_string() || iss->get<std::string>() != *options.issuer) {
      return fail("wrong_issuer", "unexpected issuer");
    }
  }
  if (options.audience) {
    auto aud = claims->find("aud");
    bool match = false;
    if (aud != claims->end()) {
      if (aud->is_string()) match = aud->get<std::string>() == *options.audience;
      if (aud->is_array()) {
        for (const auto& a : *aud) match = match || (a.is_string() && a.get<std::string>() == *options.audience);
      }
    }
    if (!match) return fail("wrong_audience", "token is not meant for this audience");
  }
  return std::move(claims).value();
}

}  // namespace spotter::jwt
