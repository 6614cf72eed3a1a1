#pragma once
// A real mosquitto for one test, on a free loopback port, optionally persistent so tests
// can restart it and keep sessions and queued messages.
#include <memory>
#include <string>

#include "spotter/testing/process.hpp"

namespace spotter::testing {

struct BrokerOptions {
  // Accounts: mosquitto's password_file and acl_file, and no anonymous clients.
  std::filesystem::path password_file, acl_file;
  // A second listener with TLS on tls_port() (certificate chain and key, PEM).
  std::filesystem::path tls_certificate, tls_key;
};

class Broker {
 public:
  explicit Broker(const std::filesystem::path& dir, bool persistent = false);
  Broker(const std::filesystem::path& dir, BrokerOptions options);
  ~Broker();
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  std::string tls_uri() const { return "mqtts://127.0.0.1:" + std::to_string(tls_port_); }
  void stop();   // SIGTERM and wait (mosquitto saves its state)
  void kill();   // SIGKILL
  void start();  // on the same port

 private:
  std::filesystem::path dir_;
  bool persistent_;
  BrokerOptions options_;
  int port_;
  int tls_port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

}  // namespace spotter::testing
