#pragma once
// JSON for every boundary (MQTT payloads, HTTP bodies, config, logs) is nlohmann::json,
// but untrusted text is only ever parsed through parse_strict(): it bounds size and
// depth, rejects duplicate keys and ill-formed UTF-8, and never throws.
#include <cstddef>
#include <cstdint>
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

// Reading untrusted JSON without a throwing accessor (nlohmann's value() and get<>() throw
// on a wrong type): the member `key` of `object` when `object` is an object holding it,
// else nullptr; its text, boolean or integer when it has that type, else `fallback`.
const Json* json_member(const Json& object, std::string_view key) noexcept;
std::string json_text(const Json& object, std::string_view key, std::string fallback = {});
bool json_bool(const Json& object, std::string_view key, bool fallback) noexcept;
std::int64_t json_int(const Json& object, std::string_view key, std::int64_t fallback) noexcept;

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace spotter
