#include <algorithm>
#include <cctype>

#include "spotter/edge/reader.hpp"

namespace spotter::edge {

protocol::Credential credential_from_text(const std::string& raw) {
  std::string text = raw;
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  bool hex = (text.size() == 8 || text.size() == 14 || text.size() == 20) &&
             std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (hex) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return {protocol::Credential::Kind::nfc, text};
  }
  return {protocol::Credential::Kind::qr, text};
}

}  // namespace spotter::edge
