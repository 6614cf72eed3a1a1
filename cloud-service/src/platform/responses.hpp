// Answers every domain gives the same way: storage failures, refusals, paged lists.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "../core/http.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

// A database failure as HTTP: 409 for a unique conflict, 503 with Retry-After when the
// database is unavailable (or a retry was exhausted), else 500. Logged without bound values.
HttpResponse storage_failure(const Logger& log, const Error& e, std::string_view what);
// The same as the error of a Try<T>.
inline Unexpected<HttpResponse> storage_error(const Logger& log, const Error& e, std::string_view what) {
  return Unexpected<HttpResponse>{storage_failure(log, e, what)};
}

// A store's answer in a handler: its value, or the storage failure as HTTP.
template <class T>
Try<T> checked(const Logger& log, Result<T> result, std::string_view what) {
  if (!result) return storage_error(log, result.error(), what);
  return std::move(result).value();
}
inline Try<bool> checked(const Logger& log, const Status& status, std::string_view what) {
  if (!status) return storage_error(log, status.error(), what);
  return true;
}

HttpResponse forbidden(std::string_view detail = "your role or branch does not allow this");
HttpResponse not_found(std::string_view what);

struct Page {
  std::int64_t limit = 50;
  std::optional<std::string> after;  // the last key of the previous page
};
// ?limit= (1-200, default 50) and ?cursor= (opaque, given out by page_json).
Try<Page> read_page(const HttpRequest& req);
// `items` fetched with LIMIT page.limit + 1; `key_of` gives each item's cursor key (an id
// or an integer as text).
Json page_json(Json items, const Page& page, const std::function<std::string(const Json&)>& key_of);
// A cursor key that must be a decimal integer (audit and outbox ids); 400 otherwise.
Try<std::optional<std::int64_t>> integer_cursor(const Page& page);
// Lists ordered by a time and then id, newest first: the key "<ms>_<id>" of an item (its
// RFC 3339 `time_field` and its "id"), and the (time, id) a cursor of such keys names.
std::string time_id_key(const Json& item, const char* time_field);
Try<std::optional<std::pair<std::int64_t, std::string>>> time_id_cursor(const Page& page);

}  // namespace spotter::cloud
