#include "authz.hpp"

namespace spotter::cloud {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::admin: return "admin";
    case Role::trainer: return "trainer";
    case Role::member: return "member";
    case Role::gateway: return "gateway";
  }
  return "member";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "admin") return Role::admin;
  if (text == "trainer") return Role::trainer;
  if (text == "member") return Role::member;
  return std::nullopt;
}

}  // namespace spotter::cloud
