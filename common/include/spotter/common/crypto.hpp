#pragma once
// Cryptography on mbedTLS. Keys and digests are plain byte containers; encodings
// (hex, base64url) are in encoding.hpp. Every function is thread-safe.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/result.hpp"

namespace spotter::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using Digest = std::array<std::uint8_t, 32>;

inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_text(ByteView b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// CTR-DRBG seeded from the OS entropy source, one per thread. Failure to seed is fatal
// for a security component, so it throws (start-up error), never returns weak bytes.
void random_fill(std::span<std::uint8_t> out);
Bytes random_bytes(std::size_t n);
// `n` random bytes as base64url without padding: for tokens and secrets.
std::string random_token(std::size_t n = 32);

Digest sha256(ByteView data);
// SHA-256 of text as lower-case hex: how secrets given out once (tokens) are stored.
std::string sha256_hex(std::string_view text);
Digest hmac_sha256(ByteView key, ByteView data);
// PBKDF2 with HMAC-SHA512 (RFC 8018): how mosquitto's password file ($7$) stores passwords.
Bytes pbkdf2_sha512(ByteView password, ByteView salt, unsigned iterations, std::size_t length);

// Compares every byte whatever the contents; only the lengths may leak.
bool constant_time_equal(ByteView a, ByteView b) noexcept;
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return constant_time_equal(as_bytes(a), as_bytes(b));
}

inline constexpr std::size_t kAesKeySize = 32, kGcmNonceSize = 12, kGcmTagSize = 16;

// AES-256-GCM with an explicit nonce. Output: ciphertext || 16-byte tag.
Result<Bytes> aes256gcm_encrypt(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad);
// Input: ciphertext || tag. Error code "auth_failed" when anything was altered.
Result<Bytes> aes256gcm_decrypt(ByteView key, ByteView nonce, ByteView sealed, ByteView aad);
// Random nonce, carried in front: nonce || ciphertext || tag. The usual way to encrypt.
Result<Bytes> seal(ByteView key, ByteView plaintext, ByteView aad = {});
Result<Bytes> open(ByteView key, ByteView sealed, ByteView aad = {});

// ECDSA over NIST P-256 with SHA-256. Signatures are the 64-byte r || s form that JWS
// (ES256) uses. Keys are immutable after construction.
class EcdsaP256PublicKey {
 public:
  // 65-byte uncompressed SEC1 point (04 || X || Y); checked to lie on the curve.
  static Result<EcdsaP256PublicKey> from_sec1(ByteView point);
  Bytes to_sec1() const;
  bool verify(ByteView message, ByteView signature) const;

  struct Impl;
  explicit EcdsaP256PublicKey(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<Impl> impl_;
};

class EcdsaP256PrivateKey {
 public:
  static EcdsaP256PrivateKey generate();
  // 32-byte big-endian scalar; checked to be in [1, n-1].
  static Result<EcdsaP256PrivateKey> from_scalar(ByteView d);
  Bytes scalar() const;
  EcdsaP256PublicKey public_key() const;
  // Deterministic (RFC 6979), so the same key and message give the same signature.
  Bytes sign(ByteView message) const;

  struct Impl;
  explicit EcdsaP256PrivateKey(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace spotter::crypto
