#include "rules.hpp"

#include <algorithm>
#include <cctype>

namespace spotter::cloud::org {

bool plan_opens_every_branch(const std::vector<std::string>& plan_branch_ids) { return plan_branch_ids.empty(); }

bool plan_opens(const std::vector<std::string>& plan_branch_ids, std::string_view branch_id) {
  return plan_opens_every_branch(plan_branch_ids) || std::find(plan_branch_ids.begin(), plan_branch_ids.end(), branch_id) != plan_branch_ids.end();
}

Entry entry_decision(const std::vector<MembershipAtBranch>& current) {
  if (current.empty()) return Entry::no_membership;
  bool suspended_here = false;
  for (const auto& m : current) {
    if (!m.opens_branch) continue;
    if (!m.suspended) return Entry::allowed;
    suspended_here = true;
  }
  return suspended_here ? Entry::suspended : Entry::branch_not_allowed;
}

std::string shown_subscription_status(std::string_view stored, std::int64_t expires_at_ms, std::int64_t now_ms) {
  if (stored == "active" && expires_at_ms <= now_ms) return "expired";
  return std::string(stored);
}

bool valid_phone(std::string_view p) {
  if (p.size() < 6 || p.size() > 20) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(p[i])) && !(i == 0 && p[i] == '+')) return false;
  return true;
}

std::optional<std::string> normalized_uid(std::string_view uid) {
  if (uid.size() != 8 && uid.size() != 14 && uid.size() != 20) return std::nullopt;
  std::string out;
  for (char c : uid) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

bool valid_currency(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

}  // namespace spotter::cloud::org
