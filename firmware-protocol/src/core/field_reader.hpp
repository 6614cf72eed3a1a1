#pragma once
// Reads typed fields out of one JSON object and records the first rule broken, with the
// field's full path. Once failed, later reads are no-ops, so decoders read straight down
// the field list and check failed() once.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spotter/common/json.hpp"
#include "spotter/protocol/codec.hpp"
#include "enum_names.hpp"

namespace spotter::protocol {

enum class Need { required, optional };

class FieldReader {
 public:
  explicit FieldReader(const Json& object, std::string prefix = {}) : obj_(object), prefix_(std::move(prefix)) {}

  std::optional<std::int64_t> integer(std::string_view name, Need need, std::int64_t lo, std::int64_t hi);
  std::optional<double> number(std::string_view name, Need need, double lo, double hi);
  std::optional<std::int64_t> timestamp(std::string_view name, Need need) { return integer(name, need, 0, kMaxTimestampMs); }
  std::optional<std::string> id(std::string_view name, Need need);
  std::optional<std::string> text(std::string_view name, Need need, std::size_t max_chars);
  std::optional<bool> boolean(std::string_view name, Need need);
  const Json* object(std::string_view name, Need need);
  const Json* array(std::string_view name, Need need);

  template <class E, std::size_t N>
  std::optional<E> choice(std::string_view name, Need need, const std::array<std::string_view, N>& names) {
    const Json* v = get(name, need, Json::value_t::string, "a string");
    if (!v) return std::nullopt;
    auto e = enum_from_name<E>(names, v->get_ref<const std::string&>());
    if (!e) reject(RejectReason::bad_value, name, "not an allowed value");
    return e;
  }

  bool failed() const { return err_.has_value(); }
  const Rejection& rejection() const { return *err_; }
  void reject(RejectReason reason, std::string_view name, std::string detail);
  // Takes over a nested reader's failure, if any.
  void absorb(const FieldReader& child) {
    if (!err_ && child.err_) err_ = child.err_;
  }
  std::string path(std::string_view name) const;

 private:
  const Json* get(std::string_view name, Need need, Json::value_t type, const char* what);

  const Json& obj_;
  std::string prefix_;
  std::optional<Rejection> err_;
};

// Payload text -> JSON object, or the rejection (size, UTF-8, syntax, depth, duplicates).
Decoded<Json> parse_payload(std::string_view payload);

// Rules for free text: 1..max_chars code points, no control characters.
bool is_clean_text(std::string_view s, std::size_t max_chars) noexcept;

}  // namespace spotter::protocol
