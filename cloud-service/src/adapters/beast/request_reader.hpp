// Internal to the Beast adapter: Beast's HTTP/1.1 request parser (framing, limits, chunked
// bodies, keep-alive and upgrade rules) feeding a buffer the connection keeps between
// requests, instead of http::request_parser, whose field container allocates a node per
// header on every request. Only the request line, the fields and the body are kept; a
// WebSocket upgrade is turned back into a Beast request by upgrade_request().
#pragma once
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <utility>
#include <vector>

namespace spotter::cloud {

// One request as read, reused by the connection: strings keep their capacity.
struct RawRequest {
  std::string method;
  std::string target;
  int version = 11;
  std::vector<std::pair<std::string, std::string>> fields;  // the first `field_count` are this request's
  std::size_t field_count = 0;
  std::string body;

  // The first field with this name (case-insensitive), or empty.
  std::string_view field(boost::beast::http::field name) const {
    for (std::size_t i = 0; i < field_count; ++i)
      if (boost::beast::iequals(fields[i].first, boost::beast::http::to_string(name))) return fields[i].second;
    return {};
  }

  // Every field with this name, joined with commas in arrival order (RFC 9110 5.3).
  std::string joined_field(std::string_view name) const {
    std::string out;
    for (std::size_t i = 0; i < field_count; ++i)
      if (boost::beast::iequals(fields[i].first, boost::beast::string_view(name.data(), name.size()))) {
        if (!out.empty()) out.push_back(',');
        out.append(fields[i].second);
      }
    return out;
  }

  boost::beast::http::request<boost::beast::http::string_body> upgrade_request() const {
    boost::beast::http::request<boost::beast::http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(version);
    for (std::size_t i = 0; i < field_count; ++i) req.insert(fields[i].first, fields[i].second);
    return req;
  }
};

class RequestReader final : public boost::beast::http::basic_parser<true> {
 public:
  explicit RequestReader(RawRequest& out) : out_(out) {
    out_.field_count = 0;
    out_.body.clear();
  }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view method, string_view target, int version, error_code&) override {
    out_.method.assign(method.data(), method.size());
    out_.target.assign(target.data(), target.size());
    out_.version = version;
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code&) override {
    if (out_.field_count == out_.fields.size()) out_.fields.emplace_back();
    auto& [n, v] = out_.fields[out_.field_count++];
    n.assign(name.data(), name.size());
    v.assign(value.data(), value.size());
  }
  void on_header_impl(error_code&) override {}
  // The parser has already held the length against body_limit().
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) out_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(string_view body, error_code&) override {
    out_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    out_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  RawRequest& out_;
};

}  // namespace spotter::cloud
