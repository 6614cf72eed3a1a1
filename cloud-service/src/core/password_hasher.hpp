// Password hashing as the domains see it; the argon2 adapter implements it.
#pragma once
#include <string>

namespace spotter::cloud {

// Thread-safe. hash() is slow on purpose (tens of milliseconds): call it on a worker thread.
class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;
  virtual std::string hash(const std::string& password) = 0;
  virtual bool verify(const std::string& encoded, const std::string& password) = 0;
};

}  // namespace spotter::cloud
