#include "http.hpp"

namespace spotter::cloud {
namespace {
const char* title_for(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
  }
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

HttpResponse json_response(int status, const Json& body) {
  return HttpResponse{.status = status, .content_type = "application/json", .body = dump_json(body), .headers = {}};
}

HttpResponse no_content() { return HttpResponse{.status = 204, .content_type = "", .body = "", .headers = {}}; }

HttpResponse problem(int status, std::string_view kind, std::string_view detail) {
  Json body = {{"type", "https://spotter.example/problems/" + std::string(kind)},
               {"title", title_for(status)},
               {"status", status},
               {"detail", std::string(detail)}};
  return HttpResponse{.status = status, .content_type = "application/problem+json", .body = dump_json(body), .headers = {}};
}

HttpResponse validation_problem(const std::vector<FieldError>& errors) {
  Json list = Json::array();
  for (const auto& e : errors) list.push_back({{"field", e.field}, {"message", e.message}});
  Json body = {{"type", "https://spotter.example/problems/validation"},
               {"title", "Bad Request"},
               {"status", 400},
               {"detail", "the request has invalid fields"},
               {"errors", list}};
  return HttpResponse{.status = 400, .content_type = "application/problem+json", .body = dump_json(body), .headers = {}};
}

Unexpected<HttpResponse> reject(int status, std::string_view kind, std::string_view detail) {
  return Unexpected<HttpResponse>{problem(status, kind, detail)};
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return is_valid_utf8(out) && out.find('\0') == std::string::npos;
}

bool parse_query(std::string_view text, std::map<std::string, std::string, std::less<>>& out) {
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key, value;
    if (!percent_decode(pair.substr(0, eq), key)) return false;
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value)) return false;
    if (!out.emplace(std::move(key), std::move(value)).second) return false;
  }
  return true;
}

}  // namespace spotter::cloud
