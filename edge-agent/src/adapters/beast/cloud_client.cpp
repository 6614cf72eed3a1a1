#include "cloud_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <stdexcept>

namespace spotter::edge {
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

Result<CloudEndpoint> parse_cloud_url(const std::string& url) {
  CloudEndpoint e;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    e.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return fail("bad_url", "must be https://HOST[:PORT] (or http:// to this machine)");
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    auto close = rest.find(']');
    if (close == std::string::npos) return fail("bad_url", "unclosed [ in the host");
    e.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return fail("bad_url", "expected :PORT after ]");
      port_text = rest.substr(close + 2);
    }
  } else {
    auto colon = rest.rfind(':');
    e.host = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
  }
  if (e.host.empty()) return fail("bad_url", "has no host");
  if (port_text.empty()) port_text = e.tls ? "443" : "80";
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos || std::stoi(port_text) < 1 || std::stoi(port_text) > 65535)
    return fail("bad_url", "the port must be 1-65535");
  e.port = port_text;
  return e;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  beast::error_code ec;
  auto a = net::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

namespace {
// SSL_set_tlsext_host_name without its macro's C cast.
bool set_sni(SSL* s, const std::string& host) {
  return SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) == 1;
}
}  // namespace

struct CloudClient::Impl {
  CloudEndpoint at;
  std::chrono::milliseconds timeout{10'000};
  net::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  bool connected() const { return at.tls ? secure.has_value() : plain.has_value(); }
  void drop() {
    plain.reset();
    secure.reset();
    buffer.clear();
  }
  beast::tcp_stream& lowest() { return at.tls ? beast::get_lowest_layer(*secure) : *plain; }

  template <class Op>
  void run(Op&& op) {
    op();
    io.restart();
    io.run();
  }

  Status connect() {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(at.host, at.port, ec);
    if (ec) return fail("unreachable", ec.message());
    if (at.tls) secure.emplace(io, tls);
    else plain.emplace(io);
    lowest().expires_after(timeout);
    run([&] {
      lowest().async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
        ec = e;
        if (!e) lowest().socket().set_option(tcp::no_delay(true), ec);
      });
    });
    if (ec) {
      drop();
      return fail("unreachable", ec.message());
    }
    if (!at.tls) return {};
    // The certificate must name this host (an IP address as an IP SAN), checked by OpenSSL
    // during the handshake; SNI tells a proxy which certificate to show.
    SSL* s = secure->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(s);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    beast::error_code ip_ec;
    (void)net::ip::make_address(at.host, ip_ec);
    const bool named = ip_ec ? X509_VERIFY_PARAM_set1_host(param, at.host.c_str(), 0) == 1 && set_sni(s, at.host)
                             : X509_VERIFY_PARAM_set1_ip_asc(param, at.host.c_str()) == 1;
    if (!named) {
      drop();
      return fail("certificate", "cannot check certificates for host " + at.host);
    }
    run([&] { secure->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; }); });
    if (ec) {
      const long verdict = SSL_get_verify_result(s);
      drop();
      if (verdict != X509_V_OK) return fail("certificate", std::string("the cloud's certificate was refused: ") + X509_verify_cert_error_string(verdict));
      return fail("unreachable", "TLS handshake: " + ec.message());
    }
    return {};
  }

  template <class Stream>
  beast::error_code exchange(Stream& stream, http::request<http::string_body>& req, http::response_parser<http::string_body>& parser) {
    beast::error_code ec;
    lowest().expires_after(timeout);
    run([&] {
      http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
        if (e) {
          ec = e;
          return;
        }
        http::async_read(stream, buffer, parser, [&](beast::error_code e2, std::size_t) { ec = e2; });
      });
    });
    return ec;
  }

  Result<CloudResponse> once(const std::string& method, const std::string& target, const std::string& body, const std::string& bearer) {
    if (!connected())
      if (auto c = connect(); !c) return Unexpected<Error>{c.error()};
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, at.host);
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
    auto ec = at.tls ? exchange(*secure, req, parser) : exchange(*plain, req, parser);
    if (ec) {
      drop();
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
    if (!res.keep_alive()) drop();
    return out;
  }
};

CloudClient::CloudClient(const std::string& base_url, std::chrono::milliseconds timeout, const std::string& ca_file)
    : impl_(std::make_unique<Impl>()), base_url_(base_url) {
  auto at = parse_cloud_url(base_url);
  if (!at) throw std::invalid_argument("--cloud " + at.error().message);
  impl_->at = *at;
  impl_->timeout = timeout;
  if (!at->tls) return;
  impl_->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  impl_->tls.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty()) impl_->tls.set_default_verify_paths(ec);
  else impl_->tls.load_verify_file(ca_file, ec);
  if (ec) throw std::invalid_argument("--cloud-ca: cannot load " + (ca_file.empty() ? std::string("the system's CA store") : ca_file) + ": " + ec.message());
}

CloudClient::~CloudClient() = default;

Result<CloudResponse> CloudClient::request(const std::string& method, const std::string& target, const std::string& body, const std::string& bearer) {
  auto r = impl_->once(method, target, body, bearer);
  // A kept-alive connection the cloud closed meanwhile: once more on a fresh one. A refused
  // certificate is not retried: it will be refused again.
  if (!r && r.error().code != "certificate") r = impl_->once(method, target, body, bearer);
  return r;
}

}  // namespace spotter::edge
