// Who is calling and what they may see. Pure: the API layer loads a Caller once per request
// (from the token and the database) and every handler asks these questions of it.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace spotter::cloud {

enum class Role { admin, trainer, member, gateway };

std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

struct Caller {
  Role role = Role::member;
  std::string id;         // user id, or gateway id for Role::gateway
  std::string family_id;  // the refresh-token family the access token belongs to (users)
  // Branches this caller works at (trainer), holds a membership for (member) or serves
  // (gateway: exactly one). Admins see every branch.
  std::set<std::string, std::less<>> branch_ids;
  bool all_branches = false;  // admins; members whose plan opens every branch

  bool is_staff() const { return role == Role::admin || role == Role::trainer; }
  bool is_admin() const { return role == Role::admin; }
  bool sees_branch(std::string_view branch_id) const {
    return all_branches || branch_ids.find(branch_id) != branch_ids.end();
  }
  // Staff who may act on this branch's data (trainers only at their own branches).
  bool manages_branch(std::string_view branch_id) const {
    return role == Role::admin || (role == Role::trainer && branch_ids.find(branch_id) != branch_ids.end());
  }
};

}  // namespace spotter::cloud
