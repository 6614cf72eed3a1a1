#pragma once
#include <optional>
#include <string>

#include "field_reader.hpp"

namespace spotter::protocol {
// The `credential` object of an auth or a scan (PROTOCOL.md 2.1).
std::optional<Credential> read_credential(FieldReader& r);
// The optional `member.display_name`.
std::optional<std::string> read_display_name(FieldReader& r);
}  // namespace spotter::protocol
