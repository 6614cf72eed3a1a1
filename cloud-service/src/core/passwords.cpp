#include "passwords.hpp"

#include <cctype>

namespace spotter::cloud {

std::optional<std::string> password_weakness(const std::string& password, const std::string& email) {
  if (password.size() < 10) return "must be at least 10 characters";
  if (password.size() > 256) return "must be at most 256 characters";
  bool lower = false, upper = false, digit = false, other = false;
  for (unsigned char c : password) {
    if (std::islower(c)) lower = true;
    else if (std::isupper(c)) upper = true;
    else if (std::isdigit(c)) digit = true;
    else other = true;
  }
  if (lower + upper + digit + other < 3) return "must mix at least three of: lower case, upper case, digits, symbols";
  std::string local = email.substr(0, email.find('@'));
  std::string lowered = password;
  for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (local.size() >= 4 && lowered.find(local) != std::string::npos) return "must not contain the email address";
  return std::nullopt;
}

}  // namespace spotter::cloud
