#include "control_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spotter::edge {
namespace {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads one line (at most 64 KiB) or fails.
std::optional<std::string> read_line(int fd, int timeout_ms) {
  std::string line;
  char c;
  while (line.size() < 65536) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n <= 0) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
  return std::nullopt;
}

sockaddr_un address(const std::filesystem::path& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof(a.sun_path)) throw std::runtime_error("control socket path too long: " + path.string());
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  return a;
}

int connect_to(const std::filesystem::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a;
  try {
    a = address(path);
  } catch (const std::exception&) {
    ::close(fd);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

void TailHub::write_line(std::string_view line) {
  if (next_) next_->write_line(line);
  std::lock_guard lock(mu_);
  for (auto it = fds_.begin(); it != fds_.end();) {
    if (write_all(*it, line)) {
      ++it;
    } else {
      ::close(*it);
      it = fds_.erase(it);
    }
  }
}

void TailHub::subscribe(int fd) {
  std::lock_guard lock(mu_);
  fds_.push_back(fd);
}

TailHub::~TailHub() {
  for (int fd : fds_) ::close(fd);
}

ControlServer::ControlServer(std::filesystem::path path, Handler handler, std::shared_ptr<TailHub> tail)
    : path_(std::move(path)), handler_(std::move(handler)), tail_(std::move(tail)) {
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = address(path_);
  ::unlink(path_.c_str());  // a stale socket from a killed agent
  // Created with no permissions for others from the start, then opened to the group.
  mode_t old = ::umask(0117);
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::umask(old);
  if (rc != 0 || ::chmod(path_.c_str(), 0660) != 0 || ::listen(listen_fd_, 8) != 0) {
    int err = errno;
    ::close(listen_fd_);
    throw std::runtime_error("cannot create the control socket " + path_.string() + ": " + std::strerror(err));
  }
  thread_ = std::thread([this] { serve(); });
}

ControlServer::~ControlServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::unlink(path_.c_str());
}

void ControlServer::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
  }
}

namespace {
ControlPeer peer_of(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return {};
  return {static_cast<long>(cred.uid), cred.uid == 0 || cred.uid == ::geteuid()};
}
}  // namespace

void ControlServer::handle(int fd) {
  const ControlPeer peer = peer_of(fd);
  auto line = read_line(fd, 2000);
  Json reply;
  if (!line) {
    ::close(fd);
    return;
  }
  auto request = parse_json_strict(*line, JsonLimits{65536, 8});
  if (!request || !request->is_object() || !request->contains("cmd") || !(*request)["cmd"].is_string()) {
    reply = {{"ok", false}, {"error", "expected {\"cmd\": ...}"}};
  } else if ((*request)["cmd"] == "tail") {
    write_all(fd, dump_json(Json{{"ok", true}}) + "\n");
    tail_->subscribe(fd);  // the hub owns the connection now
    return;
  } else {
    try {
      reply = handler_(*request, peer);
    } catch (const std::exception& e) {
      reply = {{"ok", false}, {"error", e.what()}};
    }
  }
  write_all(fd, dump_json(reply) + "\n");
  ::close(fd);
}

Result<Json> control_request(const std::filesystem::path& path, const Json& request, int timeout_ms) {
  int fd = connect_to(path);
  if (fd < 0) return fail("unreachable", "no agent answers on " + path.string() + " (is spotter-edge running, and may you use its socket?)");
  bool sent = write_all(fd, dump_json(request) + "\n");
  auto line = sent ? read_line(fd, timeout_ms) : std::nullopt;
  ::close(fd);
  if (!line) return fail("unreachable", "the agent did not answer in time");
  auto reply = parse_json_strict(*line, JsonLimits{16u << 20, 16});
  if (!reply) return fail("bad_reply", "the agent's answer is not JSON");
  return std::move(reply).value();
}

Status control_tail(const std::filesystem::path& path, const std::function<void(const std::string&)>& out, const std::atomic<bool>& stop) {
  int fd = connect_to(path);
  if (fd < 0) return fail("unreachable", "no agent answers on " + path.string());
  write_all(fd, "{\"cmd\":\"tail\"}\n");
  if (!read_line(fd, 5000)) {
    ::close(fd);
    return fail("unreachable", "the agent did not answer");
  }
  while (!stop.load()) {
    auto line = read_line(fd, 200);
    if (line) {
      out(*line);
      continue;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) break;
  }
  ::close(fd);
  return {};
}

}  // namespace spotter::edge
