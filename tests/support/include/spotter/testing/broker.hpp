#pragma once
// A real mosquitto for one test, on a free loopback port, optionally persistent so tests
// can restart it and keep sessions and queued messages.
#include <memory>
#include <string>

#include "spotter/testing/process.hpp"

namespace spotter::testing {

class Broker {
 public:
  explicit Broker(const std::filesystem::path& dir, bool persistent = false);
  // With accounts: mosquitto's password_file and acl_file, and no anonymous clients.
  Broker(const std::filesystem::path& dir, const std::filesystem::path& password_file, const std::filesystem::path& acl_file);
  ~Broker();
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  void stop();   // SIGTERM and wait (mosquitto saves its state)
  void kill();   // SIGKILL
  void start();  // on the same port

 private:
  std::filesystem::path dir_;
  bool persistent_;
  std::filesystem::path password_file_, acl_file_;
  int port_;
  std::unique_ptr<ChildProcess> proc_;
};

}  // namespace spotter::testing
