// Failed attempts (logins, gateway secrets) counted in the database, so every instance of
// the service sees the same count: five bad logins through one instance and a sixth
// through another still meet the limit. Thread-safe.
#pragma once
#include <string>
#include <vector>

#include "../core/attempts.hpp"
#include "spotter/cloud/storage.hpp"
#include "spotter/common/clock.hpp"

namespace spotter::cloud {

class AttemptLimiter {
 public:
  AttemptLimiter(SqlDatabase& db, const Clock& clock, AttemptRule rule) : db_(db), clock_(clock), rule_(rule) {}
  // The longest wait any of `keys` must keep (0: may try now).
  Result<std::int64_t> retry_after_s(const std::vector<std::string>& keys);
  Status record_failure(const std::vector<std::string>& keys);
  // Drops failures older than the window (a background job); how many went.
  Result<int> prune();

 private:
  SqlDatabase& db_;
  const Clock& clock_;
  AttemptRule rule_;
};

}  // namespace spotter::cloud
