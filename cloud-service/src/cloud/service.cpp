#include "spotter/cloud/service.hpp"

#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <thread>

#include "../adapters/argon2/argon2_hasher.hpp"
#include "../adapters/beast/server.hpp"
#include "../adapters/sqlite/sqlite_database.hpp"
#include "api.hpp"
#include "jobs.hpp"
#include "keys.hpp"

namespace spotter::cloud {

struct Service::Impl {
  explicit Impl(ServiceConfig c)
      : config(std::move(c)),
        clock(config.clock ? *config.clock : system_clock),
        db(SqliteDatabase::open(config.db_file)),
        hasher(config.argon2_memory_kib, config.argon2_passes),
        app(*db, clock, Logger("cloud", config.log_sink ? config.log_sink : stderr_log_sink(), clock, config.log_level), hasher, metrics,
            load_or_create_keys(*db, clock)),
        api(app),
        hub(metrics),
        jobs(app, JobSettings{.machine_offline_after = config.machine_offline_after, .lease = std::chrono::milliseconds(30'000)}),
        io(config.io_threads),
        workers(static_cast<std::size_t>(config.worker_threads)),
        server(io, workers, api, hub, ServerLimits{.read_timeout = config.read_timeout}) {
    app.events = &hub;
  }

  ServiceConfig config;
  SystemClock system_clock;
  const Clock& clock;
  std::unique_ptr<SqliteDatabase> db;
  Argon2Hasher hasher;
  Metrics metrics;
  App app;
  Api api;
  WsHub hub;
  Jobs jobs;
  IoPool io;
  boost::asio::thread_pool workers;
  HttpServer server;
  std::thread job_thread;
  std::mutex job_mu;
  std::condition_variable job_cv;
  bool stopping = false;
  bool stopped = false;
};

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<Service> Service::start(ServiceConfig config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  Impl& s = *impl;
  // The QR keys may have been rotated while stopped: gateways fetch the replica again.
  if (auto r = s.db->execute("INSERT INTO replica_changes (entity, entity_id) VALUES ('all', 'keys')", {}); !r)
    throw std::runtime_error("database: " + r.error().message);
  s.server.listen(s.config.host, s.config.port);
  s.io.start();
  if (s.config.run_job_thread) {
    s.job_thread = std::thread([&s] {
      std::unique_lock lock(s.job_mu);
      while (!s.stopping) {
        lock.unlock();
        s.jobs.run_once();
        lock.lock();
        s.job_cv.wait_for(lock, s.config.job_interval, [&s] { return s.stopping; });
      }
    });
  }
  s.app.log.info("listening on " + s.config.host + ":" + std::to_string(s.server.port()),
                 {{"port", s.server.port()}, {"db", s.config.db_file.string()}, {"schema_version", s.db->schema_version()}});
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

std::uint16_t Service::port() const { return impl_->server.port(); }

void Service::run_jobs_once() { impl_->jobs.run_once(); }

void Service::stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.server.stop_accepting();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (s.server.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  s.hub.close_all();
  {
    std::lock_guard lock(s.job_mu);
    s.stopping = true;
  }
  s.job_cv.notify_all();
  if (s.job_thread.joinable()) s.job_thread.join();
  // Close frames get a moment to leave before the loop stops.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  s.io.stop();
  s.workers.join();
  s.app.log.info("stopped", {{"in_flight_at_stop", s.server.in_flight()}});
}

Service::~Service() { stop(std::chrono::milliseconds(2000)); }

}  // namespace spotter::cloud
