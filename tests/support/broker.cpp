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

Broker::Broker(const std::filesystem::path& dir, const std::filesystem::path& password_file, const std::filesystem::path& acl_file)
    : dir_(dir), persistent_(false), password_file_(password_file), acl_file_(acl_file), port_(free_port()) {
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
        << "allow_anonymous " << (password_file_.empty() ? "true" : "false") << "\n"
        << "max_queued_messages 1000000\n"
        << "max_inflight_messages 0\n"
        << "set_tcp_nodelay true\n";
      // `user root`: as root, mosquitto would otherwise read the files as its own user, and
      // they are 0600 (no effect when not root: then the files are the test's own).
      if (!password_file_.empty()) c << "user root\npassword_file " << password_file_.string() << "\nacl_file " << acl_file_.string() << "\n";
      if (persistent_) {
        c << "persistence true\npersistence_location " << dir_.string() << "/\nautosave_interval 1\n";
      } else {
        c << "persistence false\n";
      }
    }
    proc_ = std::make_unique<ChildProcess>(std::vector<std::string>{"mosquitto", "-c", conf.string()}, dir_);
    if (eventually([&] { return accepts(port_) || !proc_->running(); }, std::chrono::seconds(5)) && proc_->running()) return;
    // Someone took the port between free_port() and mosquitto's bind: try another one.
    proc_.reset();
    port_ = free_port();
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
