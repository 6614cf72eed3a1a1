// The service's wiring: storage, the platform, the domains, the router, the HTTP server and
// the job thread, started and stopped in order.
#include "spotter/cloud/service.hpp"

#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <thread>

#include "../adapters/argon2/argon2_hasher.hpp"
#include "../adapters/beast/server.hpp"
#include "../adapters/zlib/gzip.hpp"
#include "bus.hpp"
#include "database.hpp"
#include "domains.hpp"
#include "job_runner.hpp"
#include "keys.hpp"
#include "migrator.hpp"
#include "router.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace {

DatabaseUrl database_url(const std::string& url) {
  auto parsed = parse_database_url(url);
  if (!parsed) throw std::runtime_error("bad setting db: " + parsed.error().message);
  return *parsed;
}

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
        log("cloud", config.log_sink ? config.log_sink : stderr_log_sink(), clock, config.log_level),
        url(database_url(config.db_url)),
        storage(open_storage(url, config.db_connections, log)),
        hasher(config.argon2_memory_kib, config.argon2_passes),
        instance_id(new_id("inst", clock.now_ms())),
        bus(*storage.db, *storage.feed, instance_id, log.with({{"part", "events"}})),
        audit(*storage.db, clock, log),
        outbox(*storage.db, clock, log),
        attempts(*storage.db, clock, AttemptRule{}),
        hub(metrics),
        platform{.db = *storage.db, .clock = clock, .log = log, .metrics = metrics, .events = bus, .audit = audit, .outbox = outbox,
                 .attempts = attempts, .hasher = hasher, .live = hub, .gzip = &gzip_compress,
                 .settings = Settings{.machine_offline_after = config.machine_offline_after}, .instance_id = instance_id, .key_ring = nullptr},
        domains(platform, ops::Health{.jobs = [this] { return jobs.status(); }, .cluster = [this] { return Json{{"state", storage.feed->state()}}; }}),
        jobs(platform, domains.jobs(), std::chrono::milliseconds(30'000)),
        router(platform, domains.routes(), domains.auth()),
        io(config.io_threads),
        workers(static_cast<std::size_t>(config.worker_threads)),
        server(io, workers, router, metrics, hub, ServerLimits{.read_timeout = config.read_timeout, .proxies = proxies(config.trusted_proxies)}) {}

  ServiceConfig config;
  SystemClock system_clock;
  const Clock& clock;
  Logger log;
  DatabaseUrl url;
  Storage storage;
  Argon2Hasher hasher;
  std::string instance_id;
  Metrics metrics;
  Bus bus;
  Audit audit;
  Outbox outbox;
  AttemptLimiter attempts;
  WsHub hub;
  Platform platform;
  Domains domains;
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
  auto migrated = migrate(*s.storage.db, s.domains.migrations());
  if (!migrated) throw std::runtime_error("database " + display(s.url) + ": " + migrated.error().message);
  s.platform.key_ring = std::make_unique<const KeyRing>(load_or_create_keys(*s.storage.db, s.clock));
  // The QR keys may have been rotated while stopped: gateways fetch the replica again.
  if (auto r = s.domains.sync().everything_changed("keys"); !r) throw std::runtime_error("database: " + r.error().message);
  // Listening to the other instances before serving: nothing cached from here on misses a change.
  s.bus.start();
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
  s.log.info("listening on " + s.config.host + ":" + std::to_string(s.server.port()),
             {{"port", s.server.port()}, {"db", display(s.url)}, {"migrations_applied", *migrated}, {"instance_id", s.instance_id}});
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

std::uint16_t Service::port() const { return impl_->server.port(); }

void Service::run_jobs_once() { impl_->jobs.run_once(); }

const std::string& Service::instance_id() const { return impl_->instance_id; }

std::vector<RouteInfo> Service::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : impl_->domains.routes().routes()) out.push_back({r.method, r.pattern, r.access != Access::open});
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
  s.bus.stop();
  s.log.info("stopped", {{"in_flight_at_stop", s.server.in_flight()}});
}

Service::~Service() { stop(std::chrono::milliseconds(2000)); }

}  // namespace spotter::cloud
