#include "assembly.hpp"

#include "../adapters/zlib/gzip.hpp"
#include "keys.hpp"
#include "migrator.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace {

DatabaseUrl checked_url(const std::string& url) {
  auto parsed = parse_database_url(url);
  if (!parsed) throw std::runtime_error("bad setting db: " + parsed.error().message);
  return *parsed;
}

}  // namespace

Assembly::Assembly(const AssemblyOptions& o, const Clock& c, Logger l, Metrics& m, LiveUpdates& live, ops::Health health)
    : clock(c),
      log(std::move(l)),
      url(checked_url(o.db_url)),
      storage(open_storage(url, o.db_connections, log)),
      instance_id(new_id(o.instance_prefix, clock.now_ms())),
      metrics(m),
      hasher(o.argon2_memory_kib, o.argon2_passes),
      bus(*storage.db, *storage.feed, instance_id, log.with({{"part", "events"}})),
      audit(*storage.db, clock, log),
      outbox(*storage.db, clock, log, o.settings.secrets_key),
      attempts(*storage.db, clock, AttemptRule{}),
      // 10 an hour per address (a gym's Wi-Fi is one address for everyone registering at
      // the desk) and per account (reset mails).
      requests(*storage.db, clock, AttemptRule{.limit = 10, .window = std::chrono::hours(1)}),
      platform{.db = *storage.db, .clock = clock, .log = log, .metrics = metrics, .events = bus, .audit = audit, .outbox = outbox,
               .attempts = attempts, .requests = requests, .hasher = hasher, .live = live, .gzip = &gzip_compress, .settings = o.settings,
               .instance_id = instance_id, .key_ring = nullptr},
      domains(platform, std::move(health)) {}

int Assembly::migrate_only() {
  auto migrated = migrate(*storage.db, domains.migrations());
  if (!migrated) throw std::runtime_error("database " + display(url) + ": " + migrated.error().message);
  return *migrated;
}

int Assembly::migrate_and_load_keys() {
  const int migrated = migrate_only();
  if (platform.settings.secrets_key.empty())
    log.warn("signing keys and outbox secrets are stored in clear: start with --secrets-key (docs/cloud-service.md)");
  platform.key_ring = std::make_unique<const KeyRing>(load_or_create_keys(*storage.db, clock, platform.settings.secrets_key));
  return migrated;
}

}  // namespace spotter::cloud
