#pragma once
#include <cstddef>

namespace spotter::crypto {
// mbedTLS-style RNG callback backed by the calling thread's generator.
int drbg_random(void* unused, unsigned char* out, std::size_t len);
}  // namespace spotter::crypto
