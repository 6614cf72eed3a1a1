#pragma once
// Which fingerprint templates to send to which readers, and which to take back (PROTOCOL.md
// 4.4). Pure: the delivery service (edge/fingerprint_delivery.hpp) gathers what the replica
// holds and what the broker holds for each door, and carries the plan out.
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace spotter::edge {

struct FingerprintPlan {
  std::vector<std::pair<std::string, std::string>> send;       // door, credential id
  std::vector<std::pair<std::string, std::string>> take_back;  // door, credential id
  bool more = false;  // sends left for the next round (at most `max_sends` per round)
};

// `sensors`: doors whose reader said it has a fingerprint sensor; `enrolled`: the replica's
// fingerprint credentials; `held`: what the broker holds per door. A door without a sensor
// is owed nothing, so whatever it holds is taken back.
FingerprintPlan plan_fingerprints(const std::set<std::string>& sensors, const std::vector<std::string>& enrolled,
                                  const std::map<std::string, std::set<std::string>>& held, std::size_t max_sends);

}  // namespace spotter::edge
