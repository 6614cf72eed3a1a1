// What every run of the cloud shares, serving or not: storage, the platform's services and
// the domains, migrated. The service adds HTTP, WebSockets and the job thread around it;
// the administrative commands (offline.hpp) use it as it is.
#pragma once
#include <memory>
#include <string>

#include "../adapters/argon2/argon2_hasher.hpp"
#include "bus.hpp"
#include "database.hpp"
#include "domains.hpp"

namespace spotter::cloud {

struct AssemblyOptions {
  std::string db_url;
  std::size_t db_connections = 8;
  std::uint32_t argon2_memory_kib = 19 * 1024;
  std::uint32_t argon2_passes = 2;
  Settings settings;
  std::string instance_prefix = "inst";  // the instance id's prefix ("tool" for commands)
};

// Members are built in declaration order; the constructor opens the database (throwing
// like Service::start) but runs no migration: migrate_and_load_keys() does, once the
// owner has everything it hands the domains in place.
struct Assembly {
  Assembly(const AssemblyOptions& options, const Clock& clock, Logger log, Metrics& metrics, LiveUpdates& live, ops::Health health);
  // Applies pending migrations (how many ran) and loads the signing keys.
  int migrate_and_load_keys();
  // Only the migrations: the command-line tools that sign nothing never need the keys (and
  // so not the secrets key either).
  int migrate_only();

  const Clock& clock;
  Logger log;
  DatabaseUrl url;
  Storage storage;
  std::string instance_id;
  Metrics& metrics;
  Argon2Hasher hasher;
  Bus bus;
  Audit audit;
  Outbox outbox;
  AttemptLimiter attempts;
  AttemptLimiter requests;
  Platform platform;
  Domains domains;
};

}  // namespace spotter::cloud
