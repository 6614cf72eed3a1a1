#include "field_reader.hpp"

#include <cmath>

#include "spotter/common/ids.hpp"

namespace spotter::protocol {

std::string FieldReader::path(std::string_view name) const {
  if (prefix_.empty()) return std::string(name);
  if (name.empty()) return prefix_;
  return prefix_ + "." + std::string(name);
}

void FieldReader::reject(RejectReason reason, std::string_view name, std::string detail) {
  if (!err_) err_ = Rejection{reason, path(name), std::move(detail)};
}

const Json* FieldReader::get(std::string_view name, Need need, Json::value_t type, const char* what) {
  if (err_) return nullptr;
  auto it = obj_.find(name);
  if (it == obj_.end()) {
    if (need == Need::required) reject(RejectReason::missing_field, name, "required field is missing");
    return nullptr;
  }
  bool match = it->type() == type ||
               (type == Json::value_t::number_float && it->is_number()) ||
               (type == Json::value_t::number_integer && (it->is_number_integer()));
  if (!match) {
    reject(RejectReason::wrong_type, name, std::string("must be ") + what);
    return nullptr;
  }
  return &*it;
}

std::optional<std::int64_t> FieldReader::integer(std::string_view name, Need need, std::int64_t lo, std::int64_t hi) {
  const Json* v = get(name, need, Json::value_t::number_integer, "an integer");
  if (!v) return std::nullopt;
  // Unsigned values above INT64_MAX are out of every range we use.
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
    reject(RejectReason::out_of_range, name, "above " + std::to_string(hi));
    return std::nullopt;
  }
  std::int64_t n = v->get<std::int64_t>();
  if (n < lo || n > hi) {
    reject(RejectReason::out_of_range, name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::nullopt;
  }
  return n;
}

std::optional<double> FieldReader::number(std::string_view name, Need need, double lo, double hi) {
  const Json* v = get(name, need, Json::value_t::number_float, "a number");
  if (!v) return std::nullopt;
  double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    reject(RejectReason::out_of_range, name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::nullopt;
  }
  return d;
}

std::optional<std::string> FieldReader::id(std::string_view name, Need need) {
  const Json* v = get(name, need, Json::value_t::string, "a string");
  if (!v) return std::nullopt;
  const auto& s = v->get_ref<const std::string&>();
  if (!is_valid_id(s)) {
    reject(RejectReason::bad_value, name, "must match [A-Za-z0-9_-]{1,64}");
    return std::nullopt;
  }
  return s;
}

bool is_clean_text(std::string_view s, std::size_t max_chars) noexcept {
  std::size_t chars = 0;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return false;
    if ((c & 0xC0) != 0x80) ++chars;  // count code points, not bytes
  }
  return chars >= 1 && chars <= max_chars;
}

std::optional<std::string> FieldReader::text(std::string_view name, Need need, std::size_t max_chars) {
  const Json* v = get(name, need, Json::value_t::string, "a string");
  if (!v) return std::nullopt;
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_chars * 4 || !is_clean_text(s, max_chars)) {
    bool control = false;
    for (char c : s) control = control || static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
    if (control || s.empty()) {
      reject(RejectReason::bad_value, name, "must be non-empty text without control characters");
    } else {
      reject(RejectReason::out_of_range, name, "longer than " + std::to_string(max_chars) + " characters");
    }
    return std::nullopt;
  }
  return s;
}

std::optional<bool> FieldReader::boolean(std::string_view name, Need need) {
  const Json* v = get(name, need, Json::value_t::boolean, "true or false");
  if (!v) return std::nullopt;
  return v->get<bool>();
}

const Json* FieldReader::object(std::string_view name, Need need) {
  if (err_) return nullptr;
  auto it = obj_.find(name);
  if (it != obj_.end() && !it->is_object()) {
    reject(RejectReason::not_object, name, "must be an object");
    return nullptr;
  }
  return get(name, need, Json::value_t::object, "an object");
}

const Json* FieldReader::array(std::string_view name, Need need) {
  return get(name, need, Json::value_t::array, "an array");
}

Decoded<Json> parse_payload(std::string_view payload) {
  // nlohmann skips a UTF-8 BOM; the protocol forbids it, so firmware bugs show up early.
  if (payload.substr(0, 3) == "\xEF\xBB\xBF") {
    return Unexpected<Rejection>{Rejection{RejectReason::not_json, "", "byte order mark not allowed"}};
  }
  auto j = parse_json_strict(payload, JsonLimits{kMaxPayloadBytes, kMaxDepth});
  if (!j) {
    const auto& code = j.error().code;
    RejectReason r = RejectReason::not_json;
    if (code == "too_large") r = RejectReason::too_large;
    if (code == "bad_utf8") r = RejectReason::bad_utf8;
    if (code == "too_deep") r = RejectReason::too_deep;
    if (code == "duplicate_key") r = RejectReason::duplicate_key;
    return Unexpected<Rejection>{Rejection{r, "", j.error().message}};
  }
  if (!j->is_object()) return Unexpected<Rejection>{Rejection{RejectReason::not_object, "", "payload must be a JSON object"}};
  return std::move(j).value();
}

}  // namespace spotter::protocol
