// What a handler sees of an HTTP request and what it answers. Transport-free: the Beast
// adapter converts to and from these, tests build them directly.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/common/result.hpp"

namespace spotter::cloud {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  std::map<std::string, std::string, std::less<>> query;
  std::string authorization;
  std::string content_type;
  std::string accept_encoding;
  std::string idempotency_key;  // Idempotency-Key (platform/idempotency.hpp)
  std::string user_agent;       // untrusted text: shown back only through device_from_user_agent()
  std::string body;
  std::string remote_ip;

  std::string_view query_param(std::string_view name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string_view{} : std::string_view(it->second);
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A handler's early exit: any helper that can fail with an HTTP answer returns Try<T>.
template <class T>
using Try = Result<T, HttpResponse>;

struct FieldError {
  std::string field;
  std::string message;
};

HttpResponse json_response(int status, const Json& body);
HttpResponse no_content();
// RFC 9457 problem details. `kind` becomes the type URI's last segment.
HttpResponse problem(int status, std::string_view kind, std::string_view detail);
HttpResponse validation_problem(const std::vector<FieldError>& errors);
Unexpected<HttpResponse> reject(int status, std::string_view kind, std::string_view detail);

// "a=1&b=x%20y" -> map; false on bad percent-encoding or a repeated key.
bool parse_query(std::string_view text, std::map<std::string, std::string, std::less<>>& out);
bool percent_decode(std::string_view in, std::string& out);
// Whether an Accept-Encoding header (RFC 9110 12.5.3) lets us answer with gzip: `gzip` (or
// `x-gzip`, or else `*`) listed with a weight above zero. A malformed element counts as a no.
bool accepts_gzip(std::string_view accept_encoding);

// What SPOTTER_TRY returns on failure: converts to an HttpResponse (handlers) or a Try<T>
// (helpers), so the same macro serves both.
struct EarlyExit {
  HttpResponse response;
  operator HttpResponse() && { return std::move(response); }  // NOLINT: implicit by design
  template <class T>
  operator Try<T>() && { return Unexpected<HttpResponse>{std::move(response)}; }  // NOLINT
};

}  // namespace spotter::cloud

#define SPOTTER_TRY(lhs, expr)                        \
  auto lhs##_try_ = (expr);                           \
  if (!lhs##_try_) return ::spotter::cloud::EarlyExit{std::move(lhs##_try_).error()}; \
  auto& lhs = *lhs##_try_

// The same for a step whose value is not needed.
#define SPOTTER_DO(expr)                                                              \
  do {                                                                                \
    auto spotter_do_ = (expr);                                                        \
    if (!spotter_do_) return ::spotter::cloud::EarlyExit{std::move(spotter_do_).error()}; \
  } while (0)
