// Reads a JSON request body field by field and collects every problem, so one 400 names all
// bad fields (problem+json `errors`). Never throws on any input.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http.hpp"

namespace spotter::cloud {

// The body as a JSON object, or the 400/415 to answer.
Try<Json> parse_body(const HttpRequest& request);

class Fields {
 public:
  explicit Fields(const Json& object) : object_(object) {}

  std::string text(const char* name, std::size_t max_len = 200);  // required, non-empty
  std::optional<std::string> optional_text(const char* name, std::size_t max_len = 200);
  std::string id(const char* name);  // required, [A-Za-z0-9_-]{1,64}
  std::optional<std::string> optional_id(const char* name);
  std::int64_t integer(const char* name, std::int64_t min, std::int64_t max);
  bool boolean(const char* name);  // required, true or false
  // Whether the body has the field at all (PATCH: absent = unchanged; null = clear).
  bool has(const char* name) const { return raw(name) != nullptr; }
  std::vector<std::string> id_list(const char* name, std::size_t max_items = 200);  // optional, [] when absent
  std::string email(const char* name);
  std::string choice(const char* name, const std::vector<std::string>& allowed);
  std::optional<std::int64_t> optional_time_ms(const char* name);  // RFC 3339
  const Json* raw(const char* name) const;

  void add_error(std::string field, std::string message) { errors_.push_back({std::move(field), std::move(message)}); }
  bool ok() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  HttpResponse problem() const { return validation_problem(errors_); }

 private:
  const Json* get(const char* name, bool required);
  const Json& object_;
  std::vector<FieldError> errors_;
};

// RFC 3339 with `Z` or an offset; milliseconds since the epoch.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);
std::string rfc3339(std::int64_t unix_ms);
Json rfc3339_or_null(std::optional<std::int64_t> unix_ms);

}  // namespace spotter::cloud
