#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#include <cstring>
#include <stdexcept>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"

namespace spotter::crypto {
namespace {
const mbedtls_md_info_t* sha256_info() {
  static const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  return info;
}

struct Gcm {
  mbedtls_gcm_context ctx;
  Gcm() { mbedtls_gcm_init(&ctx); }
  ~Gcm() { mbedtls_gcm_free(&ctx); }
  Gcm(const Gcm&) = delete;
  Gcm& operator=(const Gcm&) = delete;
};
}  // namespace

Digest sha256(ByteView data) {
  Digest out{};
  if (mbedtls_md(sha256_info(), data.data(), data.size(), out.data()) != 0) {
    throw std::logic_error("sha256 failed");
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  const auto d = sha256(as_bytes(text));
  return hex_encode(ByteView(d.data(), d.size()));
}

Digest hmac_sha256(ByteView key, ByteView data) {
  Digest out{};
  if (mbedtls_md_hmac(sha256_info(), key.data(), key.size(), data.data(), data.size(), out.data()) != 0) {
    throw std::logic_error("hmac-sha256 failed");
  }
  return out;
}

Bytes pbkdf2_sha512(ByteView password, ByteView salt, unsigned iterations, std::size_t length) {
  Bytes out(length);
  mbedtls_md_context_t md;
  mbedtls_md_init(&md);
  int rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA512), 1);
  if (rc == 0)
    rc = mbedtls_pkcs5_pbkdf2_hmac(&md, password.data(), password.size(), salt.data(), salt.size(), iterations,
                                   static_cast<std::uint32_t>(length), out.data());
  mbedtls_md_free(&md);
  if (rc != 0) throw std::logic_error("pbkdf2-sha512 failed");
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  // Eight bytes per step (tokens are compared on every request); `volatile` keeps the
  // compiler from turning the accumulation into an early exit.
  volatile std::uint64_t diff = 0;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    diff = diff | (x ^ y);
  }
  for (; i < a.size(); ++i) diff = diff | static_cast<std::uint64_t>(a[i] ^ b[i]);
  return diff == 0;
}

Result<Bytes> aes256gcm_encrypt(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad) {
  if (key.size() != kAesKeySize) return fail("bad_key", "AES-256 needs a 32-byte key");
  if (nonce.size() != kGcmNonceSize) return fail("bad_nonce", "GCM nonce must be 12 bytes");
  Gcm g;
  if (mbedtls_gcm_setkey(&g.ctx, MBEDTLS_CIPHER_ID_AES, key.data(), 256) != 0) {
    return fail("bad_key", "cannot load AES key");
  }
  Bytes out(plaintext.size() + kGcmTagSize);
  if (mbedtls_gcm_crypt_and_tag(&g.ctx, MBEDTLS_GCM_ENCRYPT, plaintext.size(), nonce.data(), nonce.size(),
                                aad.data(), aad.size(), plaintext.data(), out.data(), kGcmTagSize,
                                out.data() + plaintext.size()) != 0) {
    return fail("crypto_error", "AES-GCM encryption failed");
  }
  return out;
}

Result<Bytes> aes256gcm_decrypt(ByteView key, ByteView nonce, ByteView sealed, ByteView aad) {
  if (key.size() != kAesKeySize) return fail("bad_key", "AES-256 needs a 32-byte key");
  if (nonce.size() != kGcmNonceSize) return fail("bad_nonce", "GCM nonce must be 12 bytes");
  if (sealed.size() < kGcmTagSize) return fail("auth_failed", "ciphertext too short");
  Gcm g;
  if (mbedtls_gcm_setkey(&g.ctx, MBEDTLS_CIPHER_ID_AES, key.data(), 256) != 0) {
    return fail("bad_key", "cannot load AES key");
  }
  std::size_t n = sealed.size() - kGcmTagSize;
  Bytes out(n);
  if (mbedtls_gcm_auth_decrypt(&g.ctx, n, nonce.data(), nonce.size(), aad.data(), aad.size(),
                               sealed.data() + n, kGcmTagSize, sealed.data(), out.data()) != 0) {
    return fail("auth_failed", "ciphertext or associated data was altered");
  }
  return out;
}

Result<Bytes> seal(ByteView key, ByteView plaintext, ByteView aad) {
  Bytes nonce = random_bytes(kGcmNonceSize);
  auto ct = aes256gcm_encrypt(key, nonce, plaintext, aad);
  if (!ct) return ct;
  nonce.insert(nonce.end(), ct->begin(), ct->end());
  return nonce;
}

Result<Bytes> open(ByteView key, ByteView sealed, ByteView aad) {
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) return fail("auth_failed", "sealed data too short");
  return aes256gcm_decrypt(key, sealed.first(kGcmNonceSize), sealed.subspan(kGcmNonceSize), aad);
}

}  // namespace spotter::crypto
