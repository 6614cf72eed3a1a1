#include "serial_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spotter::edge {
namespace {
speed_t speed_for(int baud) {
  switch (baud) {
    case 115200: return B115200;
    case 57600: return B57600;
    case 38400: return B38400;
    case 19200: return B19200;
    default: return B9600;
  }
}
constexpr std::size_t kMaxLine = 2048;  // a QR payload is at most 1024 characters
}  // namespace

SerialReader::SerialReader(std::string path, std::string door, int baud) : path_(std::move(path)), door_(std::move(door)), baud_(baud) {}

void SerialReader::run(const Sink& sink) {
  while (!stopping()) {
    int fd = ::open(path_.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      set_state(std::string("error: cannot open: ") + std::strerror(errno));
      pause(2000);
      continue;
    }
    termios t{};
    if (::tcgetattr(fd, &t) == 0) {
      ::cfmakeraw(&t);
      ::cfsetispeed(&t, speed_for(baud_));
      ::tcsetattr(fd, TCSANOW, &t);
    }
    set_state("reading");
    std::string line;
    bool discarding = false;  // inside a line longer than any credential: dropped to its end
    char buf[256];
    while (!stopping()) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 200);
      if (r == 0) continue;
      if (r < 0 && errno == EINTR) continue;
      ssize_t n = r > 0 ? ::read(fd, buf, sizeof buf) : -1;
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0 || (p.revents & (POLLHUP | POLLERR))) {
        set_state("error: device went away; reopening");
        break;
      }
      for (ssize_t i = 0; i < n; ++i) {
        char c = buf[i];
        if (c == '\n' || c == '\r') {
          if (!line.empty() && !discarding) sink(ReaderEvent{door_, credential_from_text(line), protocol::Direction::in});
          line.clear();
          discarding = false;
        } else if (discarding) {
          continue;
        } else if (line.size() < kMaxLine) {
          line += c;
        } else {
          // Noise longer than any credential: the whole line goes (before, only its first
          // 2 KiB did, and its tail was sent as a scan).
          line.clear();
          discarding = true;
        }
      }
    }
    ::close(fd);
  }
}

}  // namespace spotter::edge
