#pragma once
// JSON for every boundary (MQTT payloads, HTTP bodies, config, logs) is nlohmann::json,
// but untrusted text is only ever parsed through parse_strict(): it bounds size and
// depth, rejects duplicate keys and ill-formed UTF-8, and never throws.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spotter/common/result.hpp"

namespace spotter {

using Json = nlohmann::json;

struct JsonLimits {
  std::size_t max_bytes = 1 << 20;
  int max_depth = 32;  // containers nested inside each other, the outermost counts as 1
};

// Error codes: "too_large", "bad_utf8", "not_json", "too_deep", "duplicate_key".
// Messages name the byte offset or the key, never echo the input.
Result<Json> parse_json_strict(std::string_view text, const JsonLimits& limits = {});

// Compact text; invalid UTF-8 in strings (which parse_json_strict never lets in) is
// replaced rather than thrown on, so dumping can't fail.
std::string dump_json(const Json& value);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace spotter
