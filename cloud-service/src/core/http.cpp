#include "http.hpp"

#include "response_head.hpp"

#include <algorithm>
#include <cctype>

namespace spotter::cloud {
namespace {
// A problem's title: the status's reason phrase (RFC 9110), the same words as the status line.
std::string_view title_for(int status) {
  if (auto reason = reason_phrase(status); !reason.empty()) return reason;
  return status >= 500 ? "Internal Server Error" : "Error";
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
  // Plain runs are copied whole (every request's path and query pass here).
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t special = std::min(in.find_first_of("%+", i), in.size());
    out.append(in.substr(i, special - i));
    if (special == in.size()) break;
    if (in[special] == '+') {
      out.push_back(' ');
      i = special + 1;
      continue;
    }
    if (special + 2 >= in.size()) return false;
    int hi = hex_value(in[special + 1]), lo = hex_value(in[special + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i = special + 3;
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

namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// The weight of one Accept-Encoding element: -1 when malformed, else 0 (refused) or 1.
int coding_weight(std::string_view params) {
  int weight = 1;
  while (!params.empty()) {
    auto semi = params.find(';');
    std::string_view param = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' || param[1] != '=') continue;
    std::string_view q = param.substr(2);
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    if (q.empty() || q.size() > 5 || (q[0] != '0' && q[0] != '1') || (q.size() > 1 && q[1] != '.')) return -1;
    bool any_nonzero = false;
    for (char c : q.substr(std::min<std::size_t>(q.size(), 2))) {
      if (c < '0' || c > '9' || (q[0] == '1' && c != '0')) return -1;
      any_nonzero = any_nonzero || c != '0';
    }
    weight = (q[0] == '1' || any_nonzero) ? 1 : 0;
  }
  return weight;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  int gzip = -2, star = -2;  // -2: not listed
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view element = trim_ows(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (element.empty()) continue;
    auto semi = element.find(';');
    std::string_view coding = trim_ows(element.substr(0, semi));
    const int weight = coding_weight(semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = std::max(gzip, weight);
    else if (coding == "*") star = std::max(star, weight);
  }
  if (gzip != -2) return gzip == 1;
  return star == 1;
}

}  // namespace spotter::cloud
