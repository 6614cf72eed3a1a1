#include "argon2_hasher.hpp"

#include <argon2.h>

#include <stdexcept>
#include <vector>

#include "spotter/common/crypto.hpp"

namespace spotter::cloud {

std::string Argon2Hasher::hash(const std::string& password) {
  constexpr std::size_t kSalt = 16, kHash = 32;
  auto salt = crypto::random_bytes(kSalt);
  std::vector<char> encoded(argon2_encodedlen(passes_, memory_kib_, 1, kSalt, kHash, Argon2_id) + 1);
  int rc = argon2id_hash_encoded(passes_, memory_kib_, 1, password.data(), password.size(), salt.data(), salt.size(), kHash,
                                 encoded.data(), encoded.size());
  // Only resource exhaustion or a programming error gets here (the input is bounded).
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

bool Argon2Hasher::verify(const std::string& encoded, const std::string& password) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace spotter::cloud
