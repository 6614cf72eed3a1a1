#include <doctest/doctest.h>

#include "spotter/common/encoding.hpp"

using namespace spotter;
using crypto::as_bytes;

TEST_CASE("base64url follows RFC 4648 test vectors, without padding") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    CHECK(base64url_encode(as_bytes(plain)) == enc);
    auto d = base64url_decode(enc);
    REQUIRE(d.ok());
    CHECK(crypto::as_text(*d) == plain);
  }
  crypto::Bytes high = {0xFB, 0xFF, 0xBF};
  CHECK(base64url_encode(high) == "-_-_");
}

TEST_CASE("base64url decoding rejects padding, foreign characters and non-canonical input") {
  for (const char* bad : {"Zg==", "Zm9v+", "Zm9v/", "Z", "Zh", "Zm9=", "Zm 9v"}) {
    CAPTURE(bad);
    CHECK_FALSE(base64url_decode(bad).ok());
  }
}

TEST_CASE("standard base64 follows RFC 4648 with padding, and refuses what is not canonical") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    CHECK(base64_encode(as_bytes(plain)) == enc);
    auto d = base64_decode(enc);
    REQUIRE(d.ok());
    CHECK(crypto::as_text(*d) == plain);
  }
  crypto::Bytes high = {0xFB, 0xFF, 0xBF};
  CHECK(base64_encode(high) == "+/+/");
  CHECK(*base64_decode("+/+/") == high);
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm=v", "-_-_", "Zh==", "Zm9v Yg==", "===="}) {
    CAPTURE(bad);
    CHECK_FALSE(base64_decode(bad).ok());
  }
}

TEST_CASE("hex round trip") {
  crypto::Bytes b = {0x04, 0xA1, 0xB2, 0xFF};
  CHECK(hex_encode(b) == "04a1b2ff");
  CHECK(hex_encode(b, true) == "04A1B2FF");
  CHECK(*hex_decode("04a1B2fF") == b);
  CHECK_FALSE(hex_decode("abc").ok());
  CHECK_FALSE(hex_decode("zz").ok());
}
