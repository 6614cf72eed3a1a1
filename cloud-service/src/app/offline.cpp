#include "offline.hpp"

#include "../adapters/argon2/argon2_hasher.hpp"
#include "bus.hpp"
#include "database.hpp"
#include "domains.hpp"
#include "migrator.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace {

// Nobody is connected to a command-line tool.
class NoSockets final : public LiveUpdates {
 public:
  void to_branch(const std::string&, const std::string&, const Json&) override {}
};

DatabaseUrl checked_url(const std::string& url) {
  auto parsed = parse_database_url(url);
  if (!parsed) throw std::runtime_error("bad setting db: " + parsed.error().message);
  return *parsed;
}

}  // namespace

struct Offline::Impl {
  Impl(const std::string& db_url, const Clock& c, Logger l)
      : clock(c), log(std::move(l)), url(checked_url(db_url)), storage(open_storage(url, 2, log)), instance_id(new_id("tool", clock.now_ms())),
        bus(*storage.db, *storage.feed, instance_id, log), audit(*storage.db, clock, log), outbox(*storage.db, clock, log),
        attempts(*storage.db, clock, AttemptRule{}),
        platform{.db = *storage.db, .clock = clock, .log = log, .metrics = metrics, .events = bus, .audit = audit, .outbox = outbox,
                 .attempts = attempts, .hasher = hasher, .live = sockets, .gzip = nullptr, .settings = {}, .instance_id = instance_id, .key_ring = nullptr},
        domains(platform, ops::Health{}) {
    auto migrated = migrate(*storage.db, domains.migrations());
    if (!migrated) throw std::runtime_error("database " + display(url) + ": " + migrated.error().message);
    applied = *migrated;
  }
  const Clock& clock;
  Logger log;
  DatabaseUrl url;
  Storage storage;
  std::string instance_id;
  Metrics metrics;
  Argon2Hasher hasher;
  NoSockets sockets;
  Bus bus;
  Audit audit;
  Outbox outbox;
  AttemptLimiter attempts;
  Platform platform;
  Domains domains;
  int applied = 0;
};

Offline::Offline(const std::string& db_url, const Clock& clock, Logger log) : impl_(std::make_unique<Impl>(db_url, clock, std::move(log))) {}
Offline::~Offline() = default;
Domains& Offline::domains() { return impl_->domains; }
Platform& Offline::platform() { return impl_->platform; }
int Offline::migrations_applied() const { return impl_->applied; }

}  // namespace spotter::cloud
