// The bytes an HTTP/1.1 answer starts with: status line and header block. The Beast adapter
// writes this head and the body with one gather write; building it here, into a buffer the
// connection reuses, costs no allocation per request (Beast's header container allocates
// one node per field) and keeps the framing rules testable without a socket.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "http.hpp"

namespace spotter::cloud {

// RFC 9110 reason phrase of the statuses the service uses; empty for others.
std::string_view reason_phrase(int status);

// Whether an answer with this status carries a body at all (RFC 9110 6.4.1: 1xx, 204 and
// 304 never do, and send no Content-Length).
bool status_has_body(int status);

// Replaces `out` with the head for `response` whose body is `body_size` bytes: the status
// line, Server, Content-Type (when set), Cache-Control: no-store, the response's own headers,
// Content-Length, and Connection: close when the connection ends after this answer.
// A header whose name is not a token or whose value holds CR, LF or NUL is left out rather
// than let it split the head; returns how many were left out (always 0 from our handlers).
std::size_t write_response_head(const HttpResponse& response, std::size_t body_size, bool keep_alive, std::string& out);

}  // namespace spotter::cloud
