#include <doctest/doctest.h>

#include "spotter/common/access_qr.hpp"
#include "spotter/common/encoding.hpp"

using namespace spotter;

namespace {
struct Keys {
  crypto::EcdsaP256PrivateKey priv = crypto::EcdsaP256PrivateKey::generate();
  jwt::Key signing = jwt::Key::es256_signing("qr-2026-11", priv);
  // What a gateway holds: the public half only.
  jwt::Verifier gateway{{jwt::Key::es256_verifying("qr-2026-11", priv.public_key())}};
};
}  // namespace

TEST_CASE("a minted code verifies offline with the public key, within its 60 s") {
  Keys k;
  ManualClock clock(1'763'737'840'000);
  auto code = access_qr::mint("mem_42", k.signing, clock);
  REQUIRE(code.ok());
  CHECK(code->size() < 1024);  // fits PROTOCOL.md's credential.payload
  auto claims = access_qr::verify(*code, k.gateway, clock);
  REQUIRE(claims.ok());
  CHECK(claims->member_id == "mem_42");
  CHECK(claims->expires_at_s - claims->issued_at_s == 60);
  CHECK_FALSE(claims->jti.empty());
  clock.advance(std::chrono::seconds(64));  // within the 5 s skew allowance
  CHECK(access_qr::verify(*code, k.gateway, clock).ok());
  clock.advance(std::chrono::seconds(2));
  CHECK(access_qr::verify(*code, k.gateway, clock).error().code == "expired_qr");
}

TEST_CASE("two codes for the same member differ, so replays are told apart") {
  Keys k;
  ManualClock clock;
  auto a = access_qr::verify(access_qr::mint("m1", k.signing, clock).value(), k.gateway, clock).value();
  auto b = access_qr::verify(access_qr::mint("m1", k.signing, clock).value(), k.gateway, clock).value();
  CHECK(a.jti != b.jti);
}

TEST_CASE("forged, foreign, long-lived and non-QR tokens are invalid_qr") {
  Keys k, other;
  ManualClock clock;
  auto code = access_qr::mint("m1", k.signing, clock).value();
  CHECK(access_qr::verify(code, other.gateway, clock).error().code == "invalid_qr");  // another key, same kid
  std::string tampered = code;
  tampered[tampered.find('.') + 5] ^= 1;
  CHECK(access_qr::verify(tampered, k.gateway, clock).error().code == "invalid_qr");
  auto now = clock.now_ms() / 1000;
  auto long_lived = jwt::sign(Json{{"typ", access_qr::kType}, {"sub", "m1"}, {"jti", "j"}, {"iat", now}, {"exp", now + 3600}}, k.signing);
  CHECK(access_qr::verify(*long_lived, k.gateway, clock).error().code == "invalid_qr");
  auto access_token = jwt::sign(Json{{"sub", "m1"}, {"jti", "j"}, {"iat", now}, {"exp", now + 30}}, k.signing);
  CHECK(access_qr::verify(*access_token, k.gateway, clock).error().code == "invalid_qr");
  for (const char* junk : {"", "SPQ", "a.b.c", "04A1B2C3"}) CHECK(access_qr::verify(junk, k.gateway, clock).error().code == "invalid_qr");
  // A gateway's verifying key cannot mint.
  CHECK_FALSE(access_qr::mint("m1", jwt::Key::es256_verifying("x", k.priv.public_key()), clock).ok());
  CHECK_FALSE(access_qr::mint("m1", jwt::Key::hs256("x", crypto::random_bytes(32)), clock).ok());
}
