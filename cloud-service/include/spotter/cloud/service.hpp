// The running cloud service: storage, API, WebSocket hub, background jobs, HTTP server.
// `spotter-cloud serve` runs one; tests start one in-process on port 0 with a manual clock.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "spotter/common/clock.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

struct ServiceConfig {
  // sqlite:PATH (one instance) or postgresql://… (any number of instances on one database).
  std::string db_url = "sqlite:spotter-cloud.db";
  std::size_t db_connections = 8;  // PostgreSQL: the pool's size (workers + jobs + WebSocket checks)
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
  // WebSockets: authenticate within this; tokens checked again this often; at most this many.
  std::chrono::milliseconds ws_auth_deadline{10'000};
  std::chrono::milliseconds ws_recheck{15'000};
  std::size_t ws_max_connections = 20'000;
  // Peers whose X-Forwarded-For names the client ("CIDR,CIDR"); empty: none.
  std::string trusted_proxies;
  // 32 bytes that seal fingerprint templates at rest; empty: no fingerprint enrolment.
  std::vector<std::uint8_t> fingerprint_key;
  // 32 bytes that seal the signing keys in the database and the secrets waiting in the
  // notification outbox (--secrets-key); empty: they are stored in clear (a warning at start).
  std::vector<std::uint8_t> secrets_key;
  std::uint32_t argon2_memory_kib = 19 * 1024;
  std::uint32_t argon2_passes = 2;
  std::shared_ptr<LogSink> log_sink;  // stderr when null
  LogLevel log_level = LogLevel::info;
  const Clock* clock = nullptr;  // the system clock when null; must outlive the service
};

// The database could not be reached (it may come up later). One line, no password.
struct DatabaseUnreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RouteInfo {
  std::string method, pattern;
  bool needs_token = true;
};

class Service {
 public:
  // Opens and migrates the database, loads keys, binds, starts threads. Throws
  // std::runtime_error (one line for the operator) when it cannot start; a database that
  // cannot be reached (yet) throws DatabaseUnreachable, which `serve` retries.
  static std::unique_ptr<Service> start(ServiceConfig config);
  ~Service();
  std::uint16_t port() const;
  void run_jobs_once();
  const std::string& instance_id() const;
  // The route table as served (tests hold it against the OpenAPI document and the authz rules).
  std::vector<RouteInfo> routes() const;
  // Stops accepting, lets in-flight requests finish (at most `grace`), closes WebSockets.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

int Main(const std::vector<std::string>& args);

}  // namespace spotter::cloud
