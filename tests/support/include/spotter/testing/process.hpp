#pragma once
// Child processes for system tests. Output goes to files in the test's directory so a
// failing test can print what the program said.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>
#include <optional>
#include <string>
#include <vector>

namespace spotter::testing {

// A fresh directory under $TMPDIR, removed at destruction unless SPOTTER_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (for programs that cannot bind port 0).
int free_port();

std::string bin(const std::string& program);  // build/bin/<program>

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& log_dir,
               std::map<std::string, std::string> extra_env = {});
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // The exit code, or 128 + signal; nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path out_, err_;
};

// The port a spotter program logged with "listening on 127.0.0.1:PORT" (it was given port 0),
// or 0 when it did not within `timeout` or exited first.
int logged_port(ChildProcess& p, std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Polls `pred` until it is true or `timeout` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

}  // namespace spotter::testing
