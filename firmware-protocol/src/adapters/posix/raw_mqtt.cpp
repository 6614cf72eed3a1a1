#include "spotter/protocol/raw_mqtt.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <sys/time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace spotter::sim {

struct RawMqtt::Tls {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
  }
};

namespace {

std::string openssl_error() {
  char buf[256] = "unknown";
  if (unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

void put_u16(std::string& s, std::size_t v) {
  s += static_cast<char>((v >> 8) & 0xFF);
  s += static_cast<char>(v & 0xFF);
}

void put_str(std::string& s, std::string_view v) {
  put_u16(s, v.size());
  s.append(v);
}

void put_header(std::string& s, std::uint8_t first, std::size_t remaining) {
  s += static_cast<char>(first);
  do {
    std::uint8_t b = remaining % 128;
    remaining /= 128;
    if (remaining > 0) b |= 0x80;
    s += static_cast<char>(b);
  } while (remaining > 0);
}

}  // namespace

RawMqtt::RawMqtt() = default;

RawMqtt::~RawMqtt() {
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool RawMqtt::has_buffered_input() const { return in_pos_ < in_len_ || (tls_ && SSL_pending(tls_->ssl) > 0); }

Status RawMqtt::start_tls(const std::string& host, const std::string& ca_file) {
  tls_ = std::make_unique<Tls>();
  tls_->ctx = SSL_CTX_new(TLS_client_method());
  if (!tls_->ctx) return fail("tls", "cannot set up TLS: " + openssl_error());
  SSL_CTX_set_min_proto_version(tls_->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(tls_->ctx, SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(tls_->ctx) : SSL_CTX_load_verify_locations(tls_->ctx, ca_file.c_str(), nullptr);
  if (loaded != 1) return fail("tls", "cannot load the CA certificates " + (ca_file.empty() ? std::string("of the system") : ca_file));
  tls_->ssl = SSL_new(tls_->ctx);
  if (!tls_->ssl) return fail("tls", "cannot set up TLS: " + openssl_error());
  // SSL_set_tlsext_host_name, without its C cast.
  SSL_ctrl(tls_->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
  SSL_set1_host(tls_->ssl, host.c_str());  // the certificate must name the host
  SSL_set_fd(tls_->ssl, fd_);
  if (SSL_connect(tls_->ssl) != 1) {
    const long verify = SSL_get_verify_result(tls_->ssl);
    if (verify != X509_V_OK) return fail("certificate", std::string("broker certificate refused: ") + X509_verify_cert_error_string(verify));
    return fail("tls", "TLS handshake failed: " + openssl_error());
  }
  return {};
}

Status RawMqtt::connect(std::string_view uri, std::string_view client_id, bool clean_session, const MqttLogin& login,
                        const std::string& ca_file) {
  constexpr std::string_view kPlain = "tcp://", kTls = "mqtts://";
  const bool tls = uri.substr(0, kTls.size()) == kTls;
  if (!tls && uri.substr(0, kPlain.size()) != kPlain) return fail("bad_uri", "only tcp://HOST:PORT and mqtts://HOST:PORT are supported");
  auto hostport = uri.substr(tls ? kTls.size() : kPlain.size());
  auto colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return fail("bad_uri", "missing port");
  std::string host(hostport.substr(0, colon)), port(hostport.substr(colon + 1));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return fail("resolve", "cannot resolve " + host);
  for (addrinfo* a = res; a && fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(res);
  if (fd_ < 0) return fail("connect", "cannot connect to " + std::string(uri));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  in_.resize(64 * 1024);
  if (tls) {
    if (auto started = start_tls(host, ca_file); !started) return started;
  }

  std::string body;
  put_str(body, "MQTT");
  body += static_cast<char>(4);                       // protocol level 3.1.1
  const bool with_login = !login.username.empty();
  body += static_cast<char>((clean_session ? 0x02 : 0x00) | (with_login ? 0xC0 : 0x00));  // + user name, password
  put_u16(body, 60);                                  // keep-alive, seconds
  put_str(body, client_id);
  if (with_login) {
    put_str(body, login.username);
    put_str(body, login.password);
  }
  std::string pkt;
  put_header(pkt, 0x10, body.size());
  pkt += body;
  if (auto s = write_all(pkt); !s) return s;
  auto ack = read_packet();
  if (!ack) return Unexpected<Error>{ack.error()};
  if (ack->type != 2 || ack->body.size() < 2) return fail("refused", "broker answered CONNECT with something else");
  // 4: bad user name or password, 5: not authorised (MQTT 3.1.1, 3.2.2.3).
  if (ack->body[1] == 4 || ack->body[1] == 5) return fail("not_authorized", "broker refused the account");
  if (ack->body[1] != 0) return fail("refused", "broker refused the connection");
  return {};
}

void RawMqtt::add_publish(std::string_view topic, std::string_view payload, int qos, std::uint16_t packet_id) {
  std::size_t remaining = 2 + topic.size() + (qos > 0 ? 2 : 0) + payload.size();
  put_header(out_, static_cast<std::uint8_t>(0x30 | (qos << 1)), remaining);
  put_str(out_, topic);
  if (qos > 0) put_u16(out_, packet_id);
  out_.append(payload);
}

Status RawMqtt::flush() {
  auto s = write_all(out_);
  out_.clear();
  return s;
}

Status RawMqtt::subscribe(std::string_view filter, int qos, std::uint16_t packet_id) {
  std::string body;
  put_u16(body, packet_id);
  put_str(body, filter);
  body += static_cast<char>(qos);
  std::string pkt;
  put_header(pkt, 0x82, body.size());
  return write_all(pkt + body);
}

Status RawMqtt::send_puback(std::uint16_t packet_id) {
  std::string pkt = {static_cast<char>(0x40), static_cast<char>(2)};
  put_u16(pkt, packet_id);
  return write_all(pkt);
}

void RawMqtt::add_puback(std::uint16_t packet_id) {
  out_ += static_cast<char>(0x40);
  out_ += static_cast<char>(2);
  put_u16(out_, packet_id);
}

void RawMqtt::set_read_timeout_ms(int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

Status RawMqtt::disconnect() {
  return write_all(std::string{static_cast<char>(0xE0), static_cast<char>(0)});
}

Status RawMqtt::ping() { return write_all(std::string{static_cast<char>(0xC0), static_cast<char>(0)}); }

void RawMqtt::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Status RawMqtt::write_all(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    if (tls_) {
      const int n = SSL_write(tls_->ssl, bytes.data() + off, static_cast<int>(std::min<std::size_t>(bytes.size() - off, 1 << 30)));
      if (n <= 0) return fail("io", "TLS send failed: " + openssl_error());
      off += static_cast<std::size_t>(n);
      continue;
    }
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("io", std::string("send failed: ") + std::strerror(errno));
    off += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::size_t> RawMqtt::receive(char* into, std::size_t size) {
  if (tls_) {
    // SO_RCVTIMEO applies underneath: a timed-out read is WANT_READ or a syscall error with
    // EAGAIN, and TLS records in progress stay buffered for the next call.
    ERR_clear_error();
    const int n = SSL_read(tls_->ssl, into, static_cast<int>(size));
    if (n > 0) return static_cast<std::size_t>(n);
    const int why = SSL_get_error(tls_->ssl, n);
    if (why == SSL_ERROR_WANT_READ || (why == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)))
      return fail("timeout", "nothing received within the read timeout");
    return fail("closed", "connection closed");
  }
  ssize_t n;
  do {
    n = ::recv(fd_, into, size, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return fail("timeout", "nothing received within the read timeout");
  if (n <= 0) return fail("closed", "connection closed");
  return static_cast<std::size_t>(n);
}

Result<std::uint8_t> RawMqtt::read_byte() {
  if (in_pos_ == in_len_) {
    auto n = receive(in_.data(), in_.size());
    if (!n) return Unexpected<Error>{n.error()};
    in_pos_ = 0;
    in_len_ = *n;
  }
  return static_cast<std::uint8_t>(in_[in_pos_++]);
}

Result<MqttPacket> RawMqtt::read_packet() {
  auto first = read_byte();
  if (!first) return Unexpected<Error>{first.error()};  // "timeout" here leaves the stream intact
  // Past the first byte a packet must arrive whole; a timeout inside one breaks the stream.
  auto broken = [](const Error& e) { return Unexpected<Error>{Error{e.code == "timeout" ? "closed" : e.code, e.message}}; };
  std::size_t len = 0, mult = 1;
  for (int i = 0; i < 4; ++i) {
    auto b = read_byte();
    if (!b) return broken(b.error());
    len += (*b & 0x7Fu) * mult;
    mult *= 128;
    if ((*b & 0x80u) == 0) break;
    if (i == 3) return fail("protocol", "bad remaining length");
  }
  MqttPacket p;
  p.type = static_cast<std::uint8_t>(*first >> 4);
  p.flags = static_cast<std::uint8_t>(*first & 0x0F);
  p.body.resize(len);
  for (std::size_t i = 0; i < len;) {
    if (in_pos_ == in_len_) {
      auto b = read_byte();
      if (!b) return broken(b.error());
      p.body[i++] = static_cast<char>(*b);
      continue;
    }
    std::size_t take = std::min(len - i, in_len_ - in_pos_);
    std::memcpy(p.body.data() + i, in_.data() + in_pos_, take);
    in_pos_ += take;
    i += take;
  }
  return p;
}

}  // namespace spotter::sim
