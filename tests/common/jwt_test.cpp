#include <doctest/doctest.h>

#include "spotter/common/encoding.hpp"
#include "spotter/common/jwt.hpp"

using namespace spotter;
using namespace spotter::jwt;

namespace {
// RFC 7515 appendix A.1 (HS256) and A.3 (ES256): same claims, exp 1300819380.
const char* kRfcClaimsB64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const char* kHsKey = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const std::string kHsToken = std::string("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.") + kRfcClaimsB64 +
                             ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string kEsToken = std::string("eyJhbGciOiJFUzI1NiJ9.") + kRfcClaimsB64 +
                             ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

crypto::EcdsaP256PublicKey rfc_es_public() {
  auto x = base64url_decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").value();
  auto y = base64url_decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").value();
  crypto::Bytes point = {0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  return crypto::EcdsaP256PublicKey::from_sec1(point).value();
}
}  // namespace

TEST_CASE("RFC 7515 A.1: HS256 example verifies before its expiry and not after") {
  Verifier v({Key::hs256("", base64url_decode(kHsKey).value())});
  ManualClock before(1300819380LL * 1000 - 60'000);
  auto claims = v.verify(kHsToken, before);
  REQUIRE(claims.ok());
  CHECK((*claims)["iss"] == "joe");
  CHECK((*claims)["http://example.com/is_root"] == true);
  ManualClock after(1300819380LL * 1000 + 31'000);
  CHECK(v.verify(kHsToken, after).error().code == "expired");
  ManualClock within_leeway(1300819380LL * 1000 + 29'000);
  CHECK(v.verify(kHsToken, within_leeway).ok());
}

TEST_CASE("RFC 7515 A.3: ES256 example verifies with the public key") {
  Verifier v({Key::es256_verifying("", rfc_es_public())});
  ManualClock before(1300819380LL * 1000 - 1000);
  CHECK(v.verify(kEsToken, before).ok());
  std::string tampered = kEsToken;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(v.verify(tampered, before).error().code == "bad_signature");
}

TEST_CASE("the key decides the algorithm: none and HS/ES confusion are refused") {
  ManualClock clock(1300819380LL * 1000 - 1000);
  Verifier es({Key::es256_verifying("", rfc_es_public())});
  CHECK(es.verify(kHsToken, clock).error().code == "unsupported_algorithm");
  std::string none = base64url_encode(crypto::as_bytes(R"({"alg":"none"})")) + "." + kRfcClaimsB64 + ".";
  CHECK(es.verify(none, clock).error().code == "unsupported_algorithm");
  // An HS256 token whose secret is the ES public key bytes must not pass an ES verifier.
  auto forged = sign(Json{{"exp", 1300819380}}, Key::hs256("", rfc_es_public().to_sec1())).value();
  CHECK_FALSE(es.verify(forged, clock).ok());
}

TEST_CASE("kid selects the key; rotation keeps old tokens valid until removed") {
  SystemClock clock;
  auto now = clock.now_ms() / 1000;
  Key k1 = Key::es256_signing("k1", crypto::EcdsaP256PrivateKey::generate());
  Key k2 = Key::hs256("k2", crypto::random_bytes(32));
  auto t1 = sign(Json{{"sub", "u1"}, {"exp", now + 900}}, k1).value();
  auto t2 = sign(Json{{"sub", "u2"}, {"exp", now + 900}}, k2).value();
  Verifier both({k1, k2});
  CHECK(both.verify(t1, clock)->at("sub") == "u1");
  CHECK(both.verify(t2, clock)->at("sub") == "u2");
  Verifier only2({k2});
  CHECK(only2.verify(t1, clock).error().code == "unknown_kid");
}

TEST_CASE("nbf, exp, iss and aud are enforced") {
  ManualClock clock(2'000'000'000'000);
  Key k = Key::hs256("a", crypto::random_bytes(32));
  Verifier v({k});
  auto now = clock.now_ms() / 1000;
  CHECK(v.verify(sign(Json{{"exp", now + 60}, {"nbf", now + 120}}, k).value(), clock).error().code == "not_yet_valid");
  CHECK(v.verify(sign(Json{{"sub", "x"}}, k).value(), clock).error().code == "missing_exp");
  CHECK(v.verify(sign(Json{{"sub", "x"}}, k).value(), clock, {.require_exp = false}).ok());
  CHECK(v.verify(sign(Json{{"exp", "soon"}}, k).value(), clock).error().code == "malformed");
  auto t = sign(Json{{"exp", now + 60}, {"iss", "spotter"}, {"aud", Json::array({"edge", "app"})}}, k).value();
  CHECK(v.verify(t, clock, {.issuer = "spotter", .audience = "app"}).ok());
  CHECK(v.verify(t, clock, {.issuer = "other"}).error().code == "wrong_issuer");
  CHECK(v.verify(t, clock, {.audience = "cloud"}).error().code == "wrong_audience");
}

TEST_CASE("garbage tokens are malformed, never a crash") {
  ManualClock clock;
  Verifier v({Key::hs256("", crypto::random_bytes(32))});
  for (const char* bad : {"", ".", "..", "a.b.c", "a.b", "a.b.c.d", "e30.e30.", "!!!.e30.AA", "eyJhbGciOiJIUzI1NiJ9.e30"}) {
    CAPTURE(bad);
    CHECK_FALSE(v.verify(bad, clock).ok());
  }
  CHECK(v.verify(std::string(9000, 'a'), clock).error().code == "malformed");
}
