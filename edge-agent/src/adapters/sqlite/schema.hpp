#pragma once
// Versioned migrations, applied in order at start; each runs in its own transaction and
// bumps PRAGMA user_version, so a crash mid-migration leaves the previous version intact.
#include <array>

namespace spotter::edge::schema {

inline constexpr std::array<const char*, 9> kMigrations = {
    // 1: replica, sessions, door events, used QR codes, outbox.
    R"sql(
CREATE TABLE branch (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, time_zone TEXT NOT NULL, opening_hours TEXT NOT NULL);
CREATE TABLE members (
  id TEXT PRIMARY KEY, display_name TEXT NOT NULL, suspended INTEGER NOT NULL);
CREATE TABLE memberships (
  id TEXT PRIMARY KEY, member_id TEXT NOT NULL, starts_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL, suspended INTEGER NOT NULL, branch_ids TEXT NOT NULL);
CREATE INDEX memberships_by_member ON memberships(member_id);
CREATE TABLE cards (
  uid TEXT PRIMARY KEY, member_id TEXT NOT NULL, blocked INTEGER NOT NULL);
CREATE TABLE machines (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT, type TEXT NOT NULL);
CREATE TABLE qr_keys (kid TEXT PRIMARY KEY, public_key TEXT NOT NULL);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, member_id TEXT NOT NULL, branch_id TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL, entry_door TEXT NOT NULL,
  ended_at_ms INTEGER, ended_by TEXT, exit_door TEXT);
-- One open session per member, whatever the code above does.
CREATE UNIQUE INDEX one_open_session ON sessions(member_id) WHERE ended_at_ms IS NULL;
CREATE TABLE qr_used (jti TEXT PRIMARY KEY, expires_at_ms INTEGER NOT NULL);
CREATE TABLE door_events (
  event_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, door_id TEXT NOT NULL, req_id TEXT NOT NULL,
  direction TEXT NOT NULL, credential_kind TEXT NOT NULL, member_id TEXT, granted INTEGER NOT NULL,
  reason TEXT NOT NULL, session_id TEXT);
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
  at_ms INTEGER NOT NULL, body TEXT NOT NULL, bytes INTEGER NOT NULL,
  evictable INTEGER NOT NULL);  -- 0: door, session and audit events are never evicted
)sql",
    // 2: machine links and the machines' last known state.
    R"sql(
CREATE TABLE machine_links (
  id TEXT PRIMARY KEY, machine_id TEXT NOT NULL, member_id TEXT NOT NULL, session_id TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL, ended_at_ms INTEGER, ended_by TEXT);
CREATE UNIQUE INDEX one_open_link_per_machine ON machine_links(machine_id) WHERE ended_at_ms IS NULL;
CREATE TABLE machine_states (
  id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
)sql",
    // 3: telemetry and workouts, each (machine, boot_id, msg_id) once; how far the inbound
    // journal has been applied.
    R"sql(
CREATE TABLE telemetry (
  machine_id TEXT NOT NULL, boot_id TEXT NOT NULL, msg_id INTEGER NOT NULL, workout INTEGER NOT NULL,
  device_ts_ms INTEGER NOT NULL, received_at_ms INTEGER NOT NULL,
  link_id TEXT, session_id TEXT, member_id TEXT, body TEXT NOT NULL,
  PRIMARY KEY (machine_id, boot_id, msg_id)) WITHOUT ROWID;
CREATE INDEX telemetry_by_link ON telemetry(link_id) WHERE link_id IS NOT NULL;
CREATE TABLE ingest_state (id INTEGER PRIMARY KEY CHECK (id = 1), segment INTEGER NOT NULL, offset INTEGER NOT NULL);
INSERT INTO ingest_state VALUES (1, 0, 0);
)sql",
    // 4: a running byte count of raw telemetry, for the storage budget.
    R"sql(
ALTER TABLE ingest_state ADD COLUMN telemetry_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE ingest_state SET telemetry_bytes = (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM telemetry);
)sql",
    // 5: cloud sync: what the cloud refused (kept for technicians), and the sync positions.
    R"sql(
CREATE TABLE outbox_quarantine (
  seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, kind TEXT NOT NULL, at_ms INTEGER NOT NULL, body TEXT NOT NULL,
  reason TEXT NOT NULL, quarantined_at_ms INTEGER NOT NULL);
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql",
    // 6: the live upload lane is found without scanning a bulk backlog.
    R"sql(
CREATE INDEX outbox_by_kind ON outbox(kind, seq);
)sql",
    // 7: machines staff hold out of service (the cloud's set_maintenance) until a clear.
    R"sql(
CREATE TABLE machine_holds (machine_id TEXT PRIMARY KEY, since_ms INTEGER NOT NULL);
)sql",
    // 8: machine data is attributed to a link by the time the device gives (attribution.hpp),
    // also for a link ended long ago; ended links go after 30 days (prune_links).
    R"sql(
CREATE INDEX machine_links_by_time ON machine_links(machine_id, started_at_ms);
CREATE INDEX machine_links_ended ON machine_links(ended_at_ms) WHERE ended_at_ms IS NOT NULL;
)sql",
    // 9: enrolled fingerprints (PROTOCOL.md 4.4), replaced per member like cards.
    R"sql(
CREATE TABLE fingerprints (
  credential_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, finger TEXT NOT NULL, template BLOB NOT NULL);
CREATE INDEX fingerprints_by_member ON fingerprints(member_id);
)sql",
};
// Since version 6, telemetry lives in its own file (sqlite_store.hpp says why); the tables
// of migrations 3 and 4 in the main file stay empty once their rows were moved across.

// The telemetry file's own migrations.
inline constexpr std::array<const char*, 1> kTelemetryMigrations = {
    // 1: telemetry and workouts, each (machine, boot_id, msg_id) once; how far the inbound
    // journal has been applied; a running byte count of raw telemetry for the budget.
    R"sql(
CREATE TABLE telemetry (
  machine_id TEXT NOT NULL, boot_id TEXT NOT NULL, msg_id INTEGER NOT NULL, workout INTEGER NOT NULL,
  device_ts_ms INTEGER NOT NULL, received_at_ms INTEGER NOT NULL,
  link_id TEXT, session_id TEXT, member_id TEXT, body TEXT NOT NULL,
  PRIMARY KEY (machine_id, boot_id, msg_id)) WITHOUT ROWID;
CREATE INDEX telemetry_by_link ON telemetry(link_id) WHERE link_id IS NOT NULL;
CREATE TABLE ingest_state (
  id INTEGER PRIMARY KEY CHECK (id = 1), segment INTEGER NOT NULL, offset INTEGER NOT NULL, telemetry_bytes INTEGER NOT NULL);
INSERT INTO ingest_state VALUES (1, 0, 0, 0);
)sql",
};

}  // namespace spotter::edge::schema
