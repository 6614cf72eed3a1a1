// What a login's device is called when the app gave no `device_name`.
#pragma once
#include <string>
#include <string_view>

namespace spotter::cloud::auth {

// The User-Agent as printable ASCII (anything else becomes '?'), at most 100 characters:
// it is shown back to the member.
std::string device_from_user_agent(std::string_view user_agent);

}  // namespace spotter::cloud::auth
