#include "response_head.hpp"

#include <charconv>
#include <string_view>

namespace spotter::cloud {
std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return {};  // the reason phrase may be empty (RFC 9112 4); the space stays
  }
}

namespace {

// RFC 9110 5.6.2 token characters.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

bool is_safe_value(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

std::size_t write_response_head(const HttpResponse& response, std::size_t body_size, bool keep_alive, std::string& out) {
  std::size_t left_out = 0;
  out.clear();
  out.append("HTTP/1.1 ");
  const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  append_number(out, static_cast<std::size_t>(status));
  out.append(" ").append(reason_phrase(status)).append("\r\n");
  append_field(out, "Server", "spotter-cloud");
  if (!response.content_type.empty()) {
    if (is_safe_value(response.content_type)) append_field(out, "Content-Type", response.content_type);
    else ++left_out;
  }
  append_field(out, "Cache-Control", "no-store");
  for (const auto& [name, value] : response.headers) {
    if (is_token(name) && is_safe_value(value)) append_field(out, name, value);
    else ++left_out;
  }
  if (status_has_body(status)) {
    out.append("Content-Length: ");
    append_number(out, body_size);
    out.append("\r\n");
  }
  if (!keep_alive) append_field(out, "Connection", "close");
  out.append("\r\n");
  return left_out;
}

}  // namespace spotter::cloud
