#pragma once
// Identifiers: every id that crosses a process boundary (branch, device, member, event)
// matches [A-Za-z0-9_-]{1,64}, because ids appear in MQTT topics and URLs.
#include <cstdint>
#include <string>
#include <string_view>

namespace spotter {

inline constexpr std::size_t kMaxIdLength = 64;

bool is_valid_id(std::string_view id) noexcept;

// A new 26-character id (ULID layout, Crockford base32): 48 bits of milliseconds then
// 80 random bits, so ids sort by creation time. Thread-safe.
std::string new_id(std::int64_t now_ms);

// The same with a prefix, e.g. new_id("ses", now) -> "ses_01J...". The prefix must be a
// valid id of at most 16 characters.
std::string new_id(std::string_view prefix, std::int64_t now_ms);

}  // namespace spotter
