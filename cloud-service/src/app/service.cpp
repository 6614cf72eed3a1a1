// The service's wiring: storage, the platform, the domains, the router, the HTTP server and
// the job thread, started and stopped in order.
#include "spotter/cloud/service.hpp"

#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <thread>

#include "../adapters/beast/server.hpp"
#include "assembly.hpp"
#include "job_runner.hpp"
#include "router.hpp"

namespace spotter::cloud {
namespace {

TrustedProxies proxies(const std::string& list) {
  auto parsed = TrustedProxies::parse(list);
  if (!parsed) throw std::runtime_error("bad setting trusted-proxies: " + parsed.error().message);
  return *parsed;
}

}  // namespace

struct Service::Impl {
  explicit Impl(ServiceConfig c)
      : config(std::move(c)),
        clock(config.clock ? *config.clock : system_clock),
        hub(metrics),
        parts(AssemblyOptions{.db_url = config.db_url, .db_connections = config.db_connections, .argon2_memory_kib = config.argon2_memory_kib,
                              .argon2_passes = config.argon2_passes, .settings = Settings{.machine_offline_after = config.machine_offline_after,
                                                                      .fingerprint_key = config.fingerprint_key,
                                                                                    .secrets_key = config.secrets_key}},
              clock, Logger("cloud", config.log_sink ? config.log_sink : stderr_log_sink(), clock, config.log_level), metrics, hub,
              ops::Health{.jobs = [this] { return jobs.status(); }, .cluster = [this] { return Json{{"state", parts.storage.feed->state()}}; }}),
        jobs(parts.platform, parts.domains.jobs(), std::chrono::milliseconds(30'000)),
        router(parts.platform, parts.domains.routes(), parts.domains.auth()),
        io(config.io_threads),
        workers(static_cast<std::size_t>(config.worker_threads)),
        server(io, workers, router, metrics, hub, ServerLimits{.read_timeout = config.read_timeout,
                                                                      .ws_auth_deadline = config.ws_auth_deadline,
                                                                      .ws_recheck = config.ws_recheck,
                                                                      .ws_max_connections = config.ws_max_connections,
                                                                      .proxies = proxies(config.trusted_proxies)}) {}

  ServiceConfig config;
  SystemClock system_clock;
  const Clock& clock;
  Metrics metrics;
  WsHub hub;
  Assembly parts;
  JobRunner jobs;
  Router router;
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
  const int migrated = s.parts.migrate_and_load_keys();
  // The QR keys may have been rotated while stopped: gateways fetch the replica again.
  if (auto r = s.parts.domains.sync().everything_changed("keys"); !r) throw std::runtime_error("database: " + r.error().message);
  // Listening to the other instances before serving: nothing cached from here on misses a change.
  s.parts.bus.start();
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
  s.parts.log.info("listening on " + s.config.host + ":" + std::to_string(s.server.port()),
                   {{"port", s.server.port()}, {"db", display(s.parts.url)}, {"migrations_applied", migrated}, {"instance_id", s.parts.instance_id}});
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

std::uint16_t Service::port() const { return impl_->server.port(); }

void Service::run_jobs_once() { impl_->jobs.run_once(); }

const std::string& Service::instance_id() const { return impl_->parts.instance_id; }

std::vector<RouteInfo> Service::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : impl_->parts.domains.routes().routes()) out.push_back({r.method, r.pattern, r.access != Access::open});
  return out;
}

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
  s.parts.bus.stop();
  s.parts.log.info("stopped", {{"in_flight_at_stop", s.server.in_flight()}});
}

Service::~Service() { stop(std::chrono::milliseconds(2000)); }

}  // namespace spotter::cloud
