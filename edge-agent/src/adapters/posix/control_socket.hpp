#pragma once
// The technicians' way in: a Unix socket (mode 0660, so the agent's user and group only)
// speaking one JSON object per line. Requests are answered one at a time on the server's
// own thread; a `tail` request turns its connection into a subscriber of the log stream.
// Each request comes with who sent it (the kernel's SO_PEERCRED, not anything the client
// says): the handler decides what the group may do and what only the agent's user or root.
#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/common/log.hpp"

namespace spotter::edge {

// Fans finished log lines out to `tail` subscribers; a subscriber that cannot keep up or
// has gone is dropped, so the agent never waits for a technician's terminal.
class TailHub final : public LogSink {
 public:
  explicit TailHub(std::shared_ptr<LogSink> next) : next_(std::move(next)) {}
  void write_line(std::string_view line) override;
  void subscribe(int fd);
  ~TailHub() override;

 private:
  std::shared_ptr<LogSink> next_;
  std::mutex mu_;
  std::vector<int> fds_;
};

// Who is on the other end of a control connection.
struct ControlPeer {
  long uid = -1;         // -1: unknown (then not trusted)
  bool trusted = false;  // root or the agent's own user
};

class ControlServer {
 public:
  using Handler = std::function<Json(const Json& request, const ControlPeer& peer)>;
  // Throws std::runtime_error if the socket cannot be created (a start-up error).
  ControlServer(std::filesystem::path path, Handler handler, std::shared_ptr<TailHub> tail);
  ~ControlServer();

 private:
  void serve();
  void handle(int fd);

  std::filesystem::path path_;
  Handler handler_;
  std::shared_ptr<TailHub> tail_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Client side: one request, one answer. Error "unreachable" when no agent listens.
Result<Json> control_request(const std::filesystem::path& path, const Json& request, int timeout_ms = 10'000);
// Streams lines from a `tail` request to `out` until the agent closes or `stop` is set.
Status control_tail(const std::filesystem::path& path, const std::function<void(const std::string&)>& out,
                    const std::atomic<bool>& stop);

}  // namespace spotter::edge
