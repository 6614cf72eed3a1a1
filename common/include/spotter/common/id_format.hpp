#pragma once
#include <cstdint>
#include <span>
#include <string>

namespace spotter {
// The pure half of new_id(): formats a time and 10 random bytes as a 26-character
// time-sortable id. Exposed so tests can check the layout with fixed inputs.
std::string format_sortable_id(std::int64_t now_ms, std::span<const std::uint8_t, 10> random);
}  // namespace spotter
