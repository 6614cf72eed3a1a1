#include "cloud_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace spotter::edge {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct CloudClient::Impl {
  std::string host, port;
  std::chrono::milliseconds timeout;
  net::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  beast::error_code connect() {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return ec;
    stream.emplace(io);
    stream->expires_after(timeout);
    stream->async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
      ec = e;
      if (!e) stream->socket().set_option(tcp::no_delay(true), ec);
    });
    io.restart();
    io.run();
    return ec;
  }

  Result<CloudResponse> once(const std::string& method, const std::string& target, const std::string& body, const std::string& bearer) {
    if (!stream)
      if (auto ec = connect()) return fail("unreachable", ec.message());
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "spotter-edge");
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty() || method == "POST") {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);  // a replica of a large branch
    beast::error_code ec;
    stream->expires_after(timeout);
    http::async_write(*stream, req, [&](beast::error_code e, std::size_t) {
      if (e) {
        ec = e;
        return;
      }
      http::async_read(*stream, buffer, parser, [&](beast::error_code e2, std::size_t) { ec = e2; });
    });
    io.restart();
    io.run();
    if (ec) {
      stream.reset();
      buffer.clear();
      return fail("unreachable", ec.message());
    }
    auto res = parser.release();
    CloudResponse out{static_cast<int>(res.result_int()), std::move(res.body()), std::nullopt};
    if (auto ra = res.find(http::field::retry_after); ra != res.end()) {
      try {
        out.retry_after = std::chrono::seconds(std::stoll(std::string(ra->value())));
      } catch (const std::exception&) {
      }
    }
    if (!res.keep_alive()) stream.reset();
    return out;
  }
};

CloudClient::CloudClient(const std::string& base_url, std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()), base_url_(base_url) {
  const std::string scheme = "http://";
  if (base_url.rfind(scheme, 0) != 0) throw std::invalid_argument("--cloud must be http://HOST:PORT (TLS: see docs/sync.md)");
  std::string rest = base_url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  const auto colon = rest.rfind(':');
  impl_->host = colon == std::string::npos ? rest : rest.substr(0, colon);
  impl_->port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  if (impl_->host.empty()) throw std::invalid_argument("--cloud has no host");
  impl_->timeout = timeout;
}

CloudClient::~CloudClient() = default;

Result<CloudResponse> CloudClient::request(const std::string& method, const std::string& target, const std::string& body, const std::string& bearer) {
  auto r = impl_->once(method, target, body, bearer);
  // A kept-alive connection the cloud closed meanwhile: once more on a fresh one.
  if (!r) r = impl_->once(method, target, body, bearer);
  return r;
}

}  // namespace spotter::edge
