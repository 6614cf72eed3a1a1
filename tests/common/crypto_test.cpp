// Known-answer tests: SHA-256 (FIPS 180-2 examples), HMAC-SHA256 (RFC 4231), AES-256-GCM
// (McGrew-Viega GCM spec test cases 13, 14, 16, as used by NIST CAVP), ECDSA P-256
// (RFC 6979 appendix A.2.5, deterministic signatures).
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"

using namespace spotter;
using namespace spotter::crypto;

namespace {
Bytes hex(std::string_view s) { return hex_decode(s).value(); }
std::string hexs(ByteView b) { return hex_encode(b); }
}  // namespace

TEST_CASE("SHA-256 known answers") {
  CHECK(hexs(sha256(as_bytes(""))) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hexs(sha256(as_bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hexs(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1'000'000, 'a');
  CHECK(hexs(sha256(as_bytes(million))) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("HMAC-SHA256 known answers (RFC 4231)") {
  CHECK(hexs(hmac_sha256(Bytes(20, 0x0b), as_bytes("Hi There"))) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hexs(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  CHECK(hexs(hmac_sha256(Bytes(131, 0xaa), as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("PBKDF2-HMAC-SHA512 known answers") {
  CHECK(hexs(pbkdf2_sha512(as_bytes("password"), as_bytes("salt"), 1, 64)) ==
        "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce");
  CHECK(hexs(pbkdf2_sha512(as_bytes("passwordPASSWORDpassword"), as_bytes("saltSALTsaltSALTsaltSALTsaltSALTsalt"), 4096, 64)) ==
        "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b8");
}

TEST_CASE("AES-256-GCM known answers") {
  Bytes zero_key(32, 0), zero_iv(12, 0);
  SUBCASE("test case 13: empty plaintext") {
    auto out = aes256gcm_encrypt(zero_key, zero_iv, {}, {});
    REQUIRE(out.ok());
    CHECK(hexs(*out) == "530f8afbc74536b9a963b4f1c4cb738b");
  }
  SUBCASE("test case 14: one zero block") {
    auto out = aes256gcm_encrypt(zero_key, zero_iv, Bytes(16, 0), {});
    REQUIRE(out.ok());
    CHECK(hexs(*out) == "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  }
  SUBCASE("test case 16: with associated data, and decryption back") {
    auto key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    auto iv = hex("cafebabefacedbaddecaf888");
    auto pt = hex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    auto aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    auto expected =
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        "76fc6ece0f4e1768cddf8853bb2d551b";
    auto ct = aes256gcm_encrypt(key, iv, pt, aad);
    REQUIRE(ct.ok());
    CHECK(hexs(*ct) == expected);
    auto back = aes256gcm_decrypt(key, iv, *ct, aad);
    REQUIRE(back.ok());
    CHECK(*back == pt);
    // Any altered bit, in the data, the tag or the associated data, is refused.
    auto flipped = *ct;
    flipped[3] ^= 1;
    CHECK(aes256gcm_decrypt(key, iv, flipped, aad).error().code == "auth_failed");
    flipped = *ct;
    flipped.back() ^= 0x80;
    CHECK(aes256gcm_decrypt(key, iv, flipped, aad).error().code == "auth_failed");
    auto aad2 = aad;
    aad2[0] ^= 1;
    CHECK(aes256gcm_decrypt(key, iv, *ct, aad2).error().code == "auth_failed");
  }
  CHECK(aes256gcm_encrypt(Bytes(16, 0), zero_iv, {}, {}).error().code == "bad_key");
  CHECK(aes256gcm_encrypt(zero_key, Bytes(8, 0), {}, {}).error().code == "bad_nonce");
  CHECK(aes256gcm_decrypt(zero_key, zero_iv, Bytes(5, 0), {}).error().code == "auth_failed");
}

TEST_CASE("seal/open uses a fresh nonce each time") {
  auto key = random_bytes(32);
  auto a = seal(key, as_bytes("member 42"), as_bytes("ctx"));
  auto b = seal(key, as_bytes("member 42"), as_bytes("ctx"));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(as_text(*open(key, *a, as_bytes("ctx"))) == "member 42");
  CHECK_FALSE(open(key, *a, as_bytes("other")).ok());
  CHECK_FALSE(open(key, Bytes(10, 0)).ok());
}

TEST_CASE("ECDSA P-256 known answer (RFC 6979 A.2.5, SHA-256, \"sample\")") {
  auto d = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
  auto key = EcdsaP256PrivateKey::from_scalar(d);
  REQUIRE(key.ok());
  CHECK(hex_encode(key->public_key().to_sec1(), true) ==
        "0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB67903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299");
  auto sig = key->sign(as_bytes("sample"));
  CHECK(hex_encode(sig, true) ==
        "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
  auto pub = key->public_key();
  CHECK(pub.verify(as_bytes("sample"), sig));
  CHECK_FALSE(pub.verify(as_bytes("samplf"), sig));
  auto bad = sig;
  bad[40] ^= 1;
  CHECK_FALSE(pub.verify(as_bytes("sample"), bad));
  CHECK_FALSE(pub.verify(as_bytes("sample"), Bytes(64, 0)));
  CHECK_FALSE(pub.verify(as_bytes("sample"), Bytes(63, 1)));
}

TEST_CASE("ECDSA keys are validated on import") {
  CHECK_FALSE(EcdsaP256PrivateKey::from_scalar(Bytes(32, 0)).ok());     // zero scalar
  CHECK_FALSE(EcdsaP256PrivateKey::from_scalar(Bytes(32, 0xFF)).ok());  // >= group order
  CHECK_FALSE(EcdsaP256PrivateKey::from_scalar(Bytes(31, 1)).ok());
  Bytes off_curve(65, 0x01);
  off_curve[0] = 0x04;
  CHECK_FALSE(EcdsaP256PublicKey::from_sec1(off_curve).ok());
  CHECK_FALSE(EcdsaP256PublicKey::from_sec1(Bytes(33, 0x02)).ok());
}

TEST_CASE("generated keys round-trip and sign from several threads") {
  auto key = EcdsaP256PrivateKey::generate();
  auto again = EcdsaP256PrivateKey::from_scalar(key.scalar()).value();
  CHECK(again.public_key().to_sec1() == key.public_key().to_sec1());
  auto pub = EcdsaP256PublicKey::from_sec1(key.public_key().to_sec1()).value();
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string msg = "m" + std::to_string(t * 100 + i);
        if (pub.verify(as_bytes(msg), key.sign(as_bytes(msg)))) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(good == 40);
}

TEST_CASE("random bytes and constant-time comparison") {
  auto a = random_bytes(32), b = random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(a != b);
  CHECK(random_bytes(5000).size() == 5000);  // more than one DRBG request
  CHECK(random_token(32).size() == 43);
  CHECK(constant_time_equal(a, a));
  CHECK_FALSE(constant_time_equal(a, b));
  CHECK_FALSE(constant_time_equal(std::string_view("abc"), std::string_view("abcd")));
  CHECK(constant_time_equal(std::string_view(""), std::string_view("")));
  // Compared eight bytes at a time, then the tail: a difference anywhere must count.
  for (std::size_t size : {1u, 7u, 8u, 9u, 43u, 64u}) {
    std::string x(size, 'a');
    for (std::size_t at = 0; at < size; ++at) {
      std::string y = x;
      y[at] = 'b';
      CHECK_FALSE(constant_time_equal(std::string_view(x), std::string_view(y)));
    }
    CHECK(constant_time_equal(std::string_view(x), std::string_view(std::string(size, 'a'))));
  }
}
