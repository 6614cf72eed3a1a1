#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include <stdexcept>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "drbg.hpp"

namespace spotter::crypto {
namespace {

// One generator per thread: mbedTLS contexts are not thread-safe, and a lock here would
// serialize every token and id the cloud mints.
struct Drbg {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context ctr;
  Drbg() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&ctr);
    static const char kPersonalization[] = "spotter-drbg";
    if (mbedtls_ctr_drbg_seed(&ctr, mbedtls_entropy_func, &entropy,
                              reinterpret_cast<const unsigned char*>(kPersonalization),
                              sizeof(kPersonalization) - 1) != 0) {
      throw std::runtime_error("cannot seed the random generator from the OS entropy source");
    }
  }
  ~Drbg() {
    mbedtls_ctr_drbg_free(&ctr);
    mbedtls_entropy_free(&entropy);
  }
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;
};

Drbg& thread_drbg() {
  thread_local Drbg drbg;
  return drbg;
}

}  // namespace

int drbg_random(void*, unsigned char* out, std::size_t len) {
  try {
    random_fill({out, len});
    return 0;
  } catch (const std::exception&) {
    return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
  }
}

void random_fill(std::span<std::uint8_t> out) {
  auto& d = thread_drbg();
  std::size_t off = 0;
  while (off < out.size()) {
    std::size_t n = std::min<std::size_t>(out.size() - off, MBEDTLS_CTR_DRBG_MAX_REQUEST);
    if (mbedtls_ctr_drbg_random(&d.ctr, out.data() + off, n) != 0) {
      throw std::runtime_error("random generator failed");
    }
    off += n;
  }
}

Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  random_fill(b);
  return b;
}

std::string random_token(std::size_t n) { return base64url_encode(random_bytes(n)); }

}  // namespace spotter::crypto
