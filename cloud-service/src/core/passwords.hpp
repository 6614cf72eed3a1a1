// Password strength, the same rule wherever a password is set (registration, staff
// accounts, resets, `spotter-cloud admin create`).
#pragma once
#include <optional>
#include <string>

namespace spotter::cloud {

// Empty when acceptable, else why not (shown to the user): at least 10 characters mixing
// three of lower case, upper case, digits and symbols, not containing the e-mail's name.
std::optional<std::string> password_weakness(const std::string& password, const std::string& email);

}  // namespace spotter::cloud
