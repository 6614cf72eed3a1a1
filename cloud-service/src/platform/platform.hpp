// What every domain is given: the database, the clock, logs and metrics, the event bus, the
// audit log, the notification outbox, the signing keys, password hashing and the
// WebSocket pushes of this instance. Owned by the service (src/app/service.cpp); outlives
// every domain. Each member is thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "../core/live_updates.hpp"
#include "../core/metrics.hpp"
#include "../core/password_hasher.hpp"
#include "domain.hpp"
#include "events.hpp"
#include "limits.hpp"
#include "spotter/cloud/storage.hpp"
#include "spotter/common/clock.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/jwt.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

struct SigningKeys {
  jwt::Key access;  // newest HS256 key: signs access and gateway tokens
  std::vector<jwt::Key> access_all;
  jwt::Key qr;  // ES256: signs access QR payloads; gateways get the public half
  std::vector<jwt::Key> qr_public;
  std::vector<std::pair<std::string, crypto::Bytes>> qr_public_sec1;  // what gateways verify QR codes with
};

// The keys and their verifiers, loaded from the database once its migrations have run.
struct KeyRing {
  explicit KeyRing(SigningKeys k) : signing(std::move(k)), access(signing.access_all), qr(signing.qr_public) {}
  SigningKeys signing;
  jwt::Verifier access;  // access and gateway tokens
  jwt::Verifier qr;      // access QR payloads
};

struct Settings {
  std::chrono::milliseconds machine_offline_after{60'000};
  // AES-256 key that fingerprint templates are sealed with at rest (--fingerprint-key);
  // empty: fingerprint enrolment is off.
  std::vector<std::uint8_t> fingerprint_key;
  // AES-256 key sealing the signing keys and the outbox's secrets (--secrets-key); empty:
  // those are stored in clear.
  std::vector<std::uint8_t> secrets_key;
};

// Who did what, from where: auth events and staff actions (table audit_log).
class Audit {
 public:
  Audit(SqlDatabase& db, const Clock& clock, Logger log) : db_(db), clock_(clock), log_(std::move(log)) {}
  // Best effort: a failed write is logged, never fails the action it records. Inside a
  // transaction it is part of it.
  void record(const RequestContext& ctx, std::string_view action, std::string_view target, const Json& detail = Json::object());
  // Newest first: items {id, at, actor_id, actor_role, action, target, ip, detail}.
  Result<Json> list(std::optional<std::int64_t> before_id, std::string_view action, std::int64_t limit);
  // An erased person: entries that named them by email (login attempts) no longer do, and
  // their details are dropped. Entries by or about their id stay: the id names nobody now.
  Status forget(std::string_view email);

 private:
  SqlDatabase& db_;
  const Clock& clock_;
  Logger log_;
};

// Messages for people (mail, push), written where they arise and delivered by a worker
// (table notifications). A null user is staff of the whole chain.
class Outbox {
 public:
  // `secrets_key` (--secrets-key; may be empty) seals a payload's "token", which only the
  // delivery may read (a reset link): stored as "token_sealed", AES-256-GCM with the kind and
  // the user as additional data, so the database alone does not hold a usable token.
  Outbox(SqlDatabase& db, const Clock& clock, Logger log, std::vector<std::uint8_t> secrets_key = {})
      : db_(db), clock_(clock), log_(std::move(log)), secrets_key_(std::move(secrets_key)) {}
  // Best effort, like Audit::record.
  void notify(const std::optional<std::string>& user_id, std::string_view kind, const Json& payload);
  Result<Json> list(std::optional<std::int64_t> before_id, std::string_view kind, std::int64_t limit);
  // An erased person's messages, sent or not (a reset mail holds their address).
  Status forget(const std::string& user_id);

 private:
  SqlDatabase& db_;
  const Clock& clock_;
  Logger log_;
  std::vector<std::uint8_t> secrets_key_;
};

struct Platform {
  SqlDatabase& db;
  const Clock& clock;
  Logger log;
  Metrics& metrics;
  EventBus& events;
  Audit& audit;
  Outbox& outbox;
  AttemptLimiter& attempts;  // failed logins and gateway secrets, per key, across instances
  // Requests that cost the service or someone else whether they succeed or not (accounts
  // registered, reset mails asked for): each one counted, per key, across instances.
  AttemptLimiter& requests;
  PasswordHasher& hasher;
  LiveUpdates& live;
  // gzip (the zlib adapter): nullopt when it cannot allocate; the plain body goes then.
  std::optional<std::string> (*gzip)(std::string_view) = nullptr;
  Settings settings;
  std::string instance_id;  // job leases and cross-instance messages name their origin by it
  // Set once the migrations ran, before the first request or job: domains read it while
  // serving, never while being built.
  std::unique_ptr<const KeyRing> key_ring;

  std::int64_t now_ms() const { return clock.now_ms(); }
  const KeyRing& keys() const { return *key_ring; }
};

// The migrations of what the platform itself keeps (jobs, keys, audit, outbox, sequences).
std::vector<Migration> platform_migrations();

// The next number of the sequence `name` (a row of commit_sequences), inside a transaction.
// Numbers are handed out in the order the transactions commit: a reader following a log by
// "rows numbered after the last one I saw" never skips one that committed late, which an
// auto-numbered column cannot promise once several writers run at once. Costs a row lock
// held to the commit: use it for logs that readers follow, not for hot writes.
Result<std::int64_t> next_in_commit_order(SqlDatabase& db, std::string_view name);

}  // namespace spotter::cloud
