#pragma once
#include <cstdint>

#include "../../core/password_hasher.hpp"

namespace spotter::cloud {

// Argon2id (libargon2) in the PHC string format, so parameters can rise later and old
// hashes still verify. Defaults follow OWASP's minimum: 19 MiB, 2 passes, 1 lane.
class Argon2Hasher final : public PasswordHasher {
 public:
  explicit Argon2Hasher(std::uint32_t memory_kib = 19 * 1024, std::uint32_t passes = 2) : memory_kib_(memory_kib), passes_(passes) {}
  std::string hash(const std::string& password) override;
  bool verify(const std::string& encoded, const std::string& password) override;

 private:
  std::uint32_t memory_kib_;
  std::uint32_t passes_;
};

}  // namespace spotter::cloud
