#include "spotter/testing/broker.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace spotter::testing {
namespace {
bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

Broker::Broker(const std::filesystem::path& dir, bool persistent) : dir_(dir), persistent_(persistent), port_(free_port()) {
  std::filesystem::create_directories(dir_);
  start();
}

Broker::Broker(const std::filesystem::path& dir, BrokerOptions options)
    : dir_(dir), persistent_(false), options_(std::move(options)), port_(free_port()) {
  if (!options_.tls_certificate.empty()) tls_port_ = free_port();
  std::filesystem::create_directories(dir_);
  start();
}

Broker::~Broker() {
  if (proc_) kill();
}

void Broker::start() {
  auto conf = dir_ / "mosquitto.conf";
  for (int attempt = 0; attempt < 5; ++attempt) {
    {
      std::ofstream c(conf, std::ios::trunc);
      c << "listener " << port_ << " 127.0.0.1\n"
        << "allow_anonymous " << (options_.password_file.empty() ? "true" : "false") << "\n"
        << "max_queued_messages 1000000\n"
        << "max_inflight_messages 0\n"
        << "set_tcp_nodelay true\n";
      // `user root`: as root, mosquitto would otherwise read the files as its own user, and
      // they (accounts, TLS key) are 0600 (no effect when not root: then they are the test's own).
      if (!options_.password_file.empty() || tls_port_ != 0) c << "user root\n";
      if (!options_.password_file.empty())
        c << "password_file " << options_.password_file.string() << "\nacl_file " << options_.acl_file.string() << "\n";
      if (tls_port_ != 0)
        c << "listener " << tls_port_ << " 127.0.0.1\ncertfile " << options_.tls_certificate.string() << "\nkeyfile " << options_.tls_key.string() << "\n";
      if (persistent_) {
        c << "persistence true\npersistence_location " << dir_.string() << "/\nautosave_interval 1\n";
      } else {
        c << "persistence false\n";
      }
    }
    proc_ = std::make_unique<ChildProcess>(std::vector<std::string>{"mosquitto", "-c", conf.string()}, dir_);
    if (eventually([&] { return (accepts(port_) && (tls_port_ == 0 || accepts(tls_port_))) || !proc_->running(); }, std::chrono::seconds(5)) && proc_->running()) return;
    // Someone took the port between free_port() and mosquitto's bind: try another one.
    proc_.reset();
    port_ = free_port();
    if (tls_port_ != 0) tls_port_ = free_port();
  }
  throw std::runtime_error("mosquitto did not start");
}

void Broker::stop() {
  if (!proc_) return;
  proc_->signal(SIGTERM);
  proc_->wait(std::chrono::seconds(10));
  proc_.reset();
}

void Broker::kill() {
  if (!proc_) return;
  proc_->signal(SIGKILL);
  proc_->wait(std::chrono::seconds(10));
  proc_.reset();
}

}  // namespace spotter::testing
