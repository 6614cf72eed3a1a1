// The running cloud service: storage, API, WebSocket hub, background jobs, HTTP server.
// `spotter-cloud serve` runs one; tests start one in-process on port 0 with a manual clock.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "spotter/common/clock.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

struct ServiceConfig {
  std::filesystem::path db_file = "spotter-cloud.db";
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port, see Service::port()
  int io_threads = 2;       // one io_context each (HTTP and WebSocket)
  int worker_threads = 4;   // run handlers (SQLite)
  bool run_job_thread = true;
  std::chrono::milliseconds job_interval{5000};
  std::chrono::milliseconds machine_offline_after{60'000};
  // A request must arrive whole, and an answer be taken, within this; idle keep-alive
  // connections close after it.
  std::chrono::milliseconds read_timeout{30'000};
  std::uint32_t argon2_memory_kib = 19 * 1024;
  std::uint32_t argon2_passes = 2;
  std::shared_ptr<LogSink> log_sink;  // stderr when null
  LogLevel log_level = LogLevel::info;
  const Clock* clock = nullptr;  // the system clock when null; must outlive the service
};

class Service {
 public:
  // Opens/migrates the database, loads keys, binds, starts threads. Throws std::runtime_error
  // (with a message for the operator) when it cannot start.
  static std::unique_ptr<Service> start(ServiceConfig config);
  ~Service();
  std::uint16_t port() const;
  void run_jobs_once();
  // Stops accepting, lets in-flight requests finish (at most `grace`), closes WebSockets.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

int Main(const std::vector<std::string>& args);

}  // namespace spotter::cloud
