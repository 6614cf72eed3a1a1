// The process's real clock, stderr and environment: the only I/O in `common` besides crypto.
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "spotter/common/clock.hpp"
#include "spotter/common/config.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/id_format.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/log.hpp"
#include "spotter/common/stop_signal.hpp"
#include "spotter/common/tcp_nodelay.hpp"

namespace spotter {

WallTime SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

MonoTime SystemClock::monotonic() const {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now());
}

namespace {
class StderrSink final : public LogSink {
 public:
  void write_line(std::string_view line) override {
    // One write() per line under a lock, so lines from different threads never interleave.
    std::lock_guard lock(mu_);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(STDERR_FILENO, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // nowhere to report a failing stderr
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }

 private:
  std::mutex mu_;
};
}  // namespace

std::shared_ptr<LogSink> stderr_log_sink() {
  static auto sink = std::make_shared<StderrSink>();
  return sink;
}

std::string new_id(std::int64_t now_ms) {
  std::array<std::uint8_t, 10> r{};
  crypto::random_fill(r);
  return format_sortable_id(now_ms, r);
}

std::string new_id(std::string_view prefix, std::int64_t now_ms) {
  return std::string(prefix) + "_" + new_id(now_ms);
}

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }
}  // namespace

void install_stop_signals() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

const std::atomic<bool>& stop_requested() noexcept { return g_stop; }

int set_tcp_nodelay_on_open_sockets() noexcept {
  int set = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  while (dirent* e = ::readdir(dir)) {
    int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    if (addr.ss_family != AF_INET && addr.ss_family != AF_INET6) continue;
    int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) ++set;
  }
  ::closedir(dir);
  return set;
}

namespace config {
Environment process_environment() {
  Environment env;
  env.get = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  env.read_file = [](const std::string& path) -> Result<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("io", "no such file or not readable");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return env;
}
}  // namespace config

}  // namespace spotter
