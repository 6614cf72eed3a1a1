#include "responses.hpp"

#include "../core/fields.hpp"

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/cloud/storage.hpp"

namespace spotter::cloud {

HttpResponse storage_failure(const Logger& log, const Error& e, std::string_view what) {
  if (e.code == sql_error::conflict) return problem(409, "conflict", std::string(what) + " conflicts with existing data");
  log.error("storage failed", {{"what", std::string(what)}, {"code", e.code}, {"error", e.message}});
  if (e.code == sql_error::unavailable || e.code == sql_error::retry) {
    HttpResponse r = problem(503, "unavailable", "storage is busy or unavailable; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  return problem(500, "internal", "the request failed; it has been logged");
}

HttpResponse forbidden(std::string_view detail) { return problem(403, "forbidden", detail); }
HttpResponse not_found(std::string_view what) { return problem(404, "not-found", std::string(what) + " not found"); }

Try<Page> read_page(const HttpRequest& req) {
  Page page;
  if (auto limit = req.query_param("limit"); !limit.empty()) {
    std::int64_t n = 0;
    bool digits = limit.size() <= 4;
    for (char c : limit) digits = digits && c >= '0' && c <= '9', n = n * 10 + (c - '0');
    if (!digits || n < 1 || n > 200)
      return Unexpected<HttpResponse>{validation_problem({{"limit", "must be an integer from 1 to 200"}})};
    page.limit = n;
  }
  if (auto cursor = req.query_param("cursor"); !cursor.empty()) {
    auto bytes = base64url_decode(cursor);
    std::string key = bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
    if (!bytes || key.rfind("c1:", 0) != 0 || !is_valid_id(key.substr(3)))
      return Unexpected<HttpResponse>{validation_problem({{"cursor", "is not a cursor this service gave out"}})};
    page.after = key.substr(3);
  }
  return page;
}

Json page_json(Json items, const Page& page, const std::function<std::string(const Json&)>& key_of) {
  Json next = nullptr;
  if (static_cast<std::int64_t>(items.size()) > page.limit) {
    items.erase(items.begin() + page.limit, items.end());
    std::string key = "c1:" + key_of(items.back());
    next = base64url_encode(crypto::as_bytes(key));
  }
  return {{"items", std::move(items)}, {"next_cursor", next}};
}

Try<std::optional<std::int64_t>> integer_cursor(const Page& page) {
  if (!page.after) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  const std::string& key = *page.after;
  bool ok = !key.empty() && key.size() <= 18;
  for (char c : key) ok = ok && c >= '0' && c <= '9', n = n * 10 + (c - '0');
  if (!ok) return Unexpected<HttpResponse>{validation_problem({{"cursor", "is not a cursor this service gave out"}})};
  return std::optional<std::int64_t>{n};
}

std::string time_id_key(const Json& item, const char* time_field) {
  const auto at = item.contains(time_field) && item[time_field].is_string() ? parse_rfc3339_ms(item[time_field].get<std::string>()) : std::nullopt;
  return std::to_string(at.value_or(0)) + "_" + item.value("id", std::string());
}

Try<std::optional<std::pair<std::int64_t, std::string>>> time_id_cursor(const Page& page) {
  using Cursor = std::optional<std::pair<std::int64_t, std::string>>;
  if (!page.after) return Cursor{};
  const std::string& key = *page.after;
  const auto cut = key.find('_');
  Page digits{page.limit, cut == std::string::npos ? std::string("x") : key.substr(0, cut)};
  auto at = integer_cursor(digits);
  if (!at || cut == std::string::npos || !is_valid_id(key.substr(cut + 1)))
    return Unexpected<HttpResponse>{validation_problem({{"cursor", "is not a cursor this service gave out"}})};
  return Cursor{std::pair{**at, key.substr(cut + 1)}};
}

}  // namespace spotter::cloud
