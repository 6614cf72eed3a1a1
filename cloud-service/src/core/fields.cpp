#include "fields.hpp"

#include "dates.hpp"

#include <cctype>

#include "spotter/common/ids.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

Try<Json> parse_body(const HttpRequest& request) {
  if (request.content_type.rfind("application/json", 0) != 0)
    return reject(415, "unsupported-media-type", "the body must be application/json");
  auto parsed = parse_json_strict(request.body, JsonLimits{.max_bytes = 1 << 20, .max_depth = 16});
  if (!parsed) return reject(400, "malformed-body", "the body is not valid JSON: " + parsed.error().message);
  if (!parsed->is_object()) return reject(400, "malformed-body", "the body must be a JSON object");
  return std::move(parsed).value();
}

const Json* Fields::get(const char* name, bool required) {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) {
    if (required) add_error(name, "is required");
    return nullptr;
  }
  return &*it;
}

const Json* Fields::raw(const char* name) const {
  auto it = object_.find(name);
  return it == object_.end() ? nullptr : &*it;
}

std::optional<std::string> Fields::optional_text(const char* name, std::size_t max_len) {
  const Json* v = get(name, false);
  if (!v) return std::nullopt;
  if (!v->is_string()) { add_error(name, "must be a string"); return std::nullopt; }
  const auto& s = v->get_ref<const std::string&>();
  if (s.empty()) { add_error(name, "must not be empty"); return std::nullopt; }
  if (s.size() > max_len) { add_error(name, "is longer than " + std::to_string(max_len) + " bytes"); return std::nullopt; }
  for (unsigned char c : s)
    if (c < 0x20) { add_error(name, "contains a control character"); return std::nullopt; }
  return s;
}

std::string Fields::text(const char* name, std::size_t max_len) {
  if (!raw(name) || raw(name)->is_null()) { add_error(name, "is required"); return {}; }
  return optional_text(name, max_len).value_or("");
}

std::optional<std::string> Fields::optional_id(const char* name) {
  auto s = optional_text(name, 64);
  if (s && !is_valid_id(*s)) { add_error(name, "must match [A-Za-z0-9_-]{1,64}"); return std::nullopt; }
  return s;
}

std::string Fields::id(const char* name) {
  if (!raw(name) || raw(name)->is_null()) { add_error(name, "is required"); return {}; }
  return optional_id(name).value_or("");
}

std::int64_t Fields::integer(const char* name, std::int64_t min, std::int64_t max) {
  const Json* v = get(name, true);
  if (!v) return 0;
  if (!v->is_number_integer()) { add_error(name, "must be an integer"); return 0; }
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    add_error(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return 0;
  }
  auto n = v->get<std::int64_t>();
  if (n < min || n > max) { add_error(name, "must be between " + std::to_string(min) + " and " + std::to_string(max)); return 0; }
  return n;
}

bool Fields::boolean(const char* name) {
  const Json* v = get(name, true);
  if (!v) return false;
  if (!v->is_boolean()) {
    add_error(name, "must be true or false");
    return false;
  }
  return v->get<bool>();
}

std::vector<std::string> Fields::id_list(const char* name, std::size_t max_items) {
  const Json* v = get(name, false);
  std::vector<std::string> out;
  if (!v) return out;
  if (!v->is_array() || v->size() > max_items) { add_error(name, "must be an array of at most " + std::to_string(max_items) + " ids"); return out; }
  for (const auto& item : *v) {
    if (!item.is_string() || !is_valid_id(item.get_ref<const std::string&>())) { add_error(name, "must contain only ids"); return {}; }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string Fields::email(const char* name) {
  std::string s = text(name, 254);
  if (s.empty()) return s;
  auto at = s.find('@');
  bool ok = at != std::string::npos && at > 0 && at + 1 < s.size() && s.find('@', at + 1) == std::string::npos &&
            s.find('.', at) != std::string::npos && s.find(' ') == std::string::npos;
  if (!ok) { add_error(name, "must be an email address"); return {}; }
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Fields::choice(const char* name, const std::vector<std::string>& allowed) {
  std::string s = text(name, 64);
  if (s.empty()) return s;
  for (const auto& a : allowed)
    if (a == s) return s;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  add_error(name, "must be one of: " + list);
  return {};
}

std::optional<std::int64_t> Fields::optional_time_ms(const char* name) {
  auto s = optional_text(name, 40);
  if (!s) return std::nullopt;
  auto t = parse_rfc3339_ms(*s);
  if (!t) add_error(name, "must be an RFC 3339 time such as 2026-01-31T06:00:00Z");
  return t;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) ms = ms * 10 + (s[pos] - '0');
      ++n, ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 3; ++n) ms *= 10;
  }
  std::int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + std::min(se, 59) - offset_min * 60;
  return secs * 1000 + ms;
}

std::string rfc3339(std::int64_t unix_ms) { return format_rfc3339_ms(unix_ms); }

Json rfc3339_or_null(std::optional<std::int64_t> unix_ms) {
  return unix_ms ? Json(rfc3339(*unix_ms)) : Json(nullptr);
}

}  // namespace spotter::cloud
