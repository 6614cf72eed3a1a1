// The schema of round 1, frozen: a SQLite database made then counts its migrations in
// PRAGMA user_version (1-6). Opening one brings it to version 6 with these and then records
// it as holding the domains' first migrations (kRound1Equivalents), which create exactly
// what version 6 has. Never edit these; new schema changes are domain migrations.
#pragma once
#include <array>
#include <string_view>

namespace spotter::cloud::round1 {

inline constexpr std::array<const char*, 6> kMigrations = {
    R"sql(
CREATE TABLE branches (id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL,
  opening_hours TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT,
  full_name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('admin','trainer','member')),
  home_branch_id TEXT REFERENCES branches(id), phone TEXT, document_id TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX users_phone ON users(phone);
CREATE INDEX users_document ON users(document_id);
CREATE INDEX users_home_branch ON users(home_branch_id, id);
CREATE TABLE user_branches (user_id TEXT NOT NULL REFERENCES users(id), branch_id TEXT NOT NULL REFERENCES branches(id),
  PRIMARY KEY (user_id, branch_id));
CREATE TABLE plans (id TEXT PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL,
  duration_days INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE plan_branches (plan_id TEXT NOT NULL REFERENCES plans(id), branch_id TEXT NOT NULL REFERENCES branches(id),
  PRIMARY KEY (plan_id, branch_id));
CREATE TABLE subscriptions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  plan_id TEXT NOT NULL REFERENCES plans(id), starts_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active','suspended','expired')), created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE INDEX subscriptions_user ON subscriptions(user_id, status);
-- Only what the expiry job still has to look at; member look-ups use subscriptions_user.
CREATE INDEX subscriptions_due ON subscriptions(expires_at) WHERE status <> 'expired';
CREATE TABLE credentials (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), kind TEXT NOT NULL,
  uid TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE UNIQUE INDEX credentials_active_uid ON credentials(uid) WHERE revoked_at IS NULL;
CREATE INDEX credentials_user ON credentials(user_id);
CREATE TABLE token_families (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL, revoked_at INTEGER, revoked_reason TEXT);
CREATE INDEX token_families_user ON token_families(user_id);
CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL REFERENCES token_families(id),
  user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, spent_at INTEGER);
CREATE TABLE password_resets (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE gym_sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  branch_id TEXT NOT NULL REFERENCES branches(id), started_at INTEGER NOT NULL, ended_at INTEGER,
  status TEXT NOT NULL CHECK (status IN ('active','ended')), ended_by TEXT, source TEXT NOT NULL);
CREATE UNIQUE INDEX gym_sessions_one_active ON gym_sessions(user_id) WHERE status = 'active';
CREATE INDEX gym_sessions_user ON gym_sessions(user_id, started_at);
CREATE INDEX gym_sessions_branch ON gym_sessions(branch_id, started_at);
CREATE INDEX gym_sessions_active ON gym_sessions(status, started_at);
CREATE TABLE machines (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL REFERENCES branches(id), name TEXT NOT NULL,
  category TEXT NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, last_seen_at INTEGER,
  maintenance_code TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX machines_branch ON machines(branch_id, id);
CREATE TABLE machine_links (id TEXT PRIMARY KEY, machine_id TEXT NOT NULL REFERENCES machines(id),
  user_id TEXT NOT NULL REFERENCES users(id), session_id TEXT, started_at INTEGER NOT NULL,
  ended_at INTEGER, ended_by TEXT);
CREATE UNIQUE INDEX machine_links_one_per_machine ON machine_links(machine_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX machine_links_one_per_user ON machine_links(user_id) WHERE ended_at IS NULL;
CREATE INDEX machine_links_session ON machine_links(session_id);
CREATE INDEX machine_links_machine ON machine_links(machine_id, started_at);
CREATE TABLE machine_queue (machine_id TEXT NOT NULL REFERENCES machines(id), user_id TEXT NOT NULL REFERENCES users(id),
  joined_at INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (machine_id, user_id));
CREATE INDEX machine_queue_user ON machine_queue(user_id);
CREATE TABLE workouts (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users(id), machine_id TEXT NOT NULL,
  session_id TEXT, link_id TEXT, dedup_key TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER NOT NULL, data TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX workouts_user ON workouts(user_id, id);
CREATE UNIQUE INDEX workouts_dedup ON workouts(machine_id, dedup_key);
CREATE TABLE qr_used (jti TEXT PRIMARY KEY, used_at INTEGER NOT NULL);
CREATE TABLE gateways (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL REFERENCES branches(id), name TEXT NOT NULL,
  secret_hash TEXT NOT NULL, created_at INTEGER NOT NULL, rotated_at INTEGER, revoked_at INTEGER);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor_id TEXT, actor_role TEXT,
  action TEXT NOT NULL, target TEXT, ip TEXT, detail TEXT);
CREATE TABLE notifications (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, kind TEXT NOT NULL,
  payload TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER);
CREATE TABLE job_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE job_runs (name TEXT PRIMARY KEY, last_run_at INTEGER NOT NULL, last_ok INTEGER NOT NULL,
  last_detail TEXT, runs INTEGER NOT NULL);
CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, purpose TEXT NOT NULL, material TEXT NOT NULL,
  created_at INTEGER NOT NULL, retired_at INTEGER);
)sql",
    // 2: gateway sync (docs/sync.md).
    R"sql(
ALTER TABLE gateways ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gateways ADD COLUMN last_contact_at INTEGER;
CREATE TABLE sync_inbox (gateway_id TEXT NOT NULL, event_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
  at INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('applied','quarantined')), reason TEXT, body TEXT,
  received_at INTEGER NOT NULL, PRIMARY KEY (gateway_id, event_id));
CREATE INDEX sync_inbox_quarantined ON sync_inbox(received_at) WHERE status = 'quarantined';
CREATE TABLE session_aliases (alias_id TEXT PRIMARY KEY, session_id TEXT NOT NULL);
CREATE TABLE door_events (id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, branch_id TEXT NOT NULL, door_id TEXT,
  at INTEGER NOT NULL, direction TEXT, member_id TEXT, granted INTEGER NOT NULL, reason TEXT);
CREATE INDEX door_events_branch ON door_events(branch_id, at);
CREATE TABLE gateway_commands (id INTEGER PRIMARY KEY AUTOINCREMENT, branch_id TEXT NOT NULL, machine_id TEXT NOT NULL,
  kind TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX gateway_commands_branch ON gateway_commands(branch_id, id);
CREATE TABLE replica_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO replica_version VALUES (1, 1);
)sql",
    // 3: a sequence per upload lane (live events never wait behind a bulk catch-up).
    R"sql(
CREATE TABLE gateway_lanes (gateway_id TEXT NOT NULL REFERENCES gateways(id), lane TEXT NOT NULL, last_seq INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, lane));
)sql",
    // 4: what changed in replicas, in order: the newest id is the replica version, and a
    // gateway at version V gets only what changed after V.
    R"sql(
CREATE TABLE replica_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL, entity_id TEXT NOT NULL);
INSERT INTO replica_changes (entity, entity_id) VALUES ('all', 'start');
)sql",
    // 5: only the auto-end job looks sessions up by status, and only for active ones: a
    // partial index holds just the sessions in progress, so ending one deletes an entry
    // instead of moving it, and the index stops growing with the history.
    R"sql(
DROP INDEX gym_sessions_active;
CREATE INDEX gym_sessions_active_since ON gym_sessions(started_at) WHERE status = 'active';
)sql",
    // 6: staff holding a machine out of service until a clear (shown_machine_state()). A
    // machine already in maintenance with a code is held: the safe reading of a row that
    // cannot say who reported it.
    R"sql(
ALTER TABLE machines ADD COLUMN staff_hold INTEGER NOT NULL DEFAULT 0;
UPDATE machines SET staff_hold = 1 WHERE state = 'maintenance' AND maintenance_code IS NOT NULL;
)sql",
};

// The domain migrations a version-6 database already holds.
inline constexpr std::array<std::string_view, 6> kEquivalents = {"platform/1", "org/1", "auth/1", "sessions/1", "machines/1", "sync/1"};

}  // namespace spotter::cloud::round1
