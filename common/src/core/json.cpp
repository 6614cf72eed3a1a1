#include "spotter/common/json.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace spotter {
namespace {

using DomParser = nlohmann::detail::json_sax_dom_parser<Json>;

// Forwards every SAX event to nlohmann's own DOM builder, after enforcing the depth
// limit and key uniqueness. Returning false stops the parse at once.
class StrictSax {
 public:
  StrictSax(Json& root, int max_depth) : dom_(root, false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const std::string& s) { return dom_.number_float(v, s); }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }

  bool start_object(std::size_t n) {
    if (!enter()) return false;
    keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(std::string& k) {
    auto& seen = keys_.back();
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
      error_ = fail("duplicate_key", "duplicate key \"" + k.substr(0, 64) + "\"").error;
      return false;
    }
    seen.push_back(k);
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (!enter()) return false;
    return dom_.start_array(n);
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    error_ = fail("not_json", "invalid JSON at byte " + std::to_string(position)).error;
    return false;
  }

  const Error& error() const { return error_; }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      error_ = fail("too_deep", "nesting deeper than " + std::to_string(max_depth_)).error;
      return false;
    }
    return true;
  }

  DomParser dom_;
  int max_depth_;
  int depth_ = 0;
  std::vector<std::vector<std::string>> keys_;
  Error error_{"not_json", "invalid JSON"};
};

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;  // continuation byte, overlong lead (C0/C1) or > U+10FFFF lead
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)) return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

Result<Json> parse_json_strict(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail("too_large", std::to_string(text.size()) + " bytes exceeds the limit of " +
                                 std::to_string(limits.max_bytes));
  }
  // Checked up front so ill-formed UTF-8 anywhere gets its own reason, not "not_json".
  if (!is_valid_utf8(text)) return fail("bad_utf8", "not well-formed UTF-8");
  Json root;
  StrictSax sax(root, limits.max_depth);
  bool ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) return Unexpected<Error>{sax.error()};
  return root;
}

const Json* json_member(const Json& object, std::string_view key) noexcept {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string json_text(const Json& object, std::string_view key, std::string fallback) {
  const Json* v = json_member(object, key);
  return v && v->is_string() ? v->get_ref<const std::string&>() : fallback;
}

bool json_bool(const Json& object, std::string_view key, bool fallback) noexcept {
  const Json* v = json_member(object, key);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

std::int64_t json_int(const Json& object, std::string_view key, std::int64_t fallback) noexcept {
  const Json* v = json_member(object, key);
  if (!v || !v->is_number_integer()) return fallback;
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return fallback;
  return v->get<std::int64_t>();
}

std::string dump_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace spotter
