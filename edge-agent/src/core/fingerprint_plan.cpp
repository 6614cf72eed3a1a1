#include "spotter/edge/fingerprint_plan.hpp"

namespace spotter::edge {

FingerprintPlan plan_fingerprints(const std::set<std::string>& sensors, const std::vector<std::string>& enrolled,
                                  const std::map<std::string, std::set<std::string>>& held, std::size_t max_sends) {
  FingerprintPlan plan;
  const std::set<std::string> wanted(enrolled.begin(), enrolled.end());
  static const std::set<std::string> kNothing;
  for (const auto& [door, ids] : held) {
    const auto& owed = sensors.count(door) ? wanted : kNothing;
    for (const auto& id : ids)
      if (!owed.count(id)) plan.take_back.emplace_back(door, id);
  }
  for (const auto& door : sensors) {
    auto h = held.find(door);
    for (const auto& id : wanted) {
      if (h != held.end() && h->second.count(id)) continue;
      if (plan.send.size() == max_sends) {
        plan.more = true;
        return plan;
      }
      plan.send.emplace_back(door, id);
    }
  }
  return plan;
}

}  // namespace spotter::edge
