#include "client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <stdexcept>

namespace spotter::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  int port;
  net::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::map<std::string, std::string> extra_headers;

  void connect() {
    stream.emplace(io);
    stream->expires_after(std::chrono::seconds(10));
    stream->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }

  Reply once(const std::string& method, const std::string& target, const std::string& body, const std::string& token, const std::string& ctype) {
    if (!stream) connect();
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    for (const auto& [name, value] : extra_headers) req.set(name, value);
    if (!body.empty() || method == "POST") {
      req.set(http::field::content_type, ctype);
      req.body() = body;
    }
    req.prepare_payload();
    req.keep_alive(true);
    http::response<http::string_body> res;
    beast::error_code ec;
    stream->expires_after(std::chrono::seconds(30));
    http::async_write(*stream, req, [&](beast::error_code e, std::size_t) {
      if (e) { ec = e; return; }
      http::async_read(*stream, buffer, res, [&](beast::error_code e2, std::size_t) { ec = e2; });
    });
    io.restart();
    io.run();
    if (ec) throw beast::system_error(ec);
    Reply r;
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      r.headers[name] = std::string(f.value());
    }
    auto parsed = parse_json_strict(r.body);
    if (parsed) r.json = *parsed;
    if (!res.keep_alive()) stream.reset();
    return r;
  }

  Reply request(const std::string& method, const std::string& target, const std::string& body, const std::string& token, const std::string& ctype) {
    try {
      return once(method, target, body, token, ctype);
    } catch (const std::exception&) {
      // The server closed a kept-alive connection (or an earlier reply said close): once more.
      stream.reset();
      buffer.clear();
      return once(method, target, body, token, ctype);
    }
  }
};

HttpClient::HttpClient(int port) : impl_(std::make_unique<Impl>()) { impl_->port = port; }
HttpClient::~HttpClient() = default;
Reply HttpClient::get(const std::string& t, const std::string& token) { return impl_->request("GET", t, "", token, ""); }
Reply HttpClient::post(const std::string& t, const Json& body, const std::string& token) {
  return impl_->request("POST", t, dump_json(body), token, "application/json");
}
Reply HttpClient::patch(const std::string& t, const Json& body, const std::string& token) {
  return impl_->request("PATCH", t, dump_json(body), token, "application/json");
}
Reply HttpClient::del(const std::string& t, const std::string& token) { return impl_->request("DELETE", t, "", token, ""); }
Reply HttpClient::raw(const std::string& method, const std::string& t, const std::string& body, const std::string& token, const std::string& ctype) {
  return impl_->request(method, t, body, token, ctype);
}

void HttpClient::retarget(int port) {
  impl_->port = port;
  impl_->stream.reset();
  impl_->buffer.clear();
}

void HttpClient::set_header(const std::string& name, const std::string& value) {
  if (value.empty()) impl_->extra_headers.erase(name);
  else impl_->extra_headers[name] = value;
}

struct WsTestClient::Impl {
  net::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
  bool is_closed = false;
};

WsTestClient::WsTestClient(int port, const std::string& target, int receive_buffer) : impl_(std::make_unique<Impl>()) {
  auto& s = beast::get_lowest_layer(impl_->ws);
  if (receive_buffer > 0) {
    s.socket().open(tcp::v4());
    s.socket().set_option(net::socket_base::receive_buffer_size(receive_buffer));
  }
  s.expires_after(std::chrono::seconds(10));
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  s.expires_never();
  impl_->ws.handshake("127.0.0.1", target);
}

WsTestClient::~WsTestClient() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

void WsTestClient::send(const std::string& text) {
  impl_->ws.text(true);
  impl_->ws.write(net::buffer(text));
}

std::optional<Json> WsTestClient::next_of_type(const std::string& type, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!m) return std::nullopt;
    if (m->contains("type") && (*m)["type"] == type) return m;
  }
  return std::nullopt;
}

std::optional<Json> WsTestClient::next(std::chrono::milliseconds timeout) {
  if (impl_->is_closed) return std::nullopt;
  bool done = false;
  beast::error_code ec;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code e, std::size_t) { ec = e, done = true; });
  impl_->io.restart();
  impl_->io.run_for(timeout);
  if (!done) {
    // Timed out: cancel the read and let it finish so the stream stays usable... it does not:
    // Beast closes a stream whose read was cancelled, so the client counts as closed.
    beast::get_lowest_layer(impl_->ws).socket().cancel();
    impl_->io.restart();
    impl_->io.run();
    impl_->is_closed = true;
    return std::nullopt;
  }
  if (ec) {
    impl_->is_closed = true;
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  auto parsed = parse_json_strict(text);
  return parsed ? std::optional<Json>(*parsed) : std::optional<Json>(Json(text));
}

bool WsTestClient::closed() const { return impl_->is_closed; }

}  // namespace spotter::testing
