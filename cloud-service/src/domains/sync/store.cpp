#include "store.hpp"

#include "../../core/fields.hpp"
#include "../../platform/platform.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::sync {

std::vector<Migration> SyncStore::migrations() {
  return {
      {"sync/1", R"sql(
CREATE TABLE gateways (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL REFERENCES branches(id), name TEXT NOT NULL,
  secret_hash TEXT NOT NULL, created_at BIGINT NOT NULL, rotated_at BIGINT, revoked_at BIGINT,
  last_seq BIGINT NOT NULL DEFAULT 0, last_contact_at BIGINT);
CREATE TABLE sync_inbox (gateway_id TEXT NOT NULL, event_id TEXT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL,
  at BIGINT NOT NULL, status TEXT NOT NULL CHECK (status IN ('applied','quarantined')), reason TEXT, body TEXT,
  received_at BIGINT NOT NULL, PRIMARY KEY (gateway_id, event_id));
CREATE INDEX sync_inbox_quarantined ON sync_inbox(received_at) WHERE status = 'quarantined';
CREATE TABLE door_events (id TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, branch_id TEXT NOT NULL, door_id TEXT,
  at BIGINT NOT NULL, direction TEXT, member_id TEXT, granted BOOLEAN NOT NULL, reason TEXT);
CREATE INDEX door_events_branch ON door_events(branch_id, at);
CREATE TABLE gateway_commands (id {{AUTO_ID}}, branch_id TEXT NOT NULL, machine_id TEXT NOT NULL,
  kind TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX gateway_commands_branch ON gateway_commands(branch_id, id);
CREATE TABLE replica_version (id BIGINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO replica_version VALUES (1, 1);
CREATE TABLE gateway_lanes (gateway_id TEXT NOT NULL REFERENCES gateways(id), lane TEXT NOT NULL, last_seq BIGINT NOT NULL,
  PRIMARY KEY (gateway_id, lane));
CREATE TABLE replica_changes (id {{AUTO_ID}}, entity TEXT NOT NULL, entity_id TEXT NOT NULL);
INSERT INTO replica_changes (entity, entity_id) VALUES ('all', 'start');
)sql"},
      // Replica changes and commands are followed by "everything after the number I saw":
      // their numbers now come in commit order (next_in_commit_order), so one that commits
      // late is never skipped. replica_version was never read.
      {"sync/2", R"sql(
INSERT INTO commit_sequences (name, value) SELECT 'replica_changes', COALESCE(MAX(id), 0) FROM replica_changes;
INSERT INTO commit_sequences (name, value) SELECT 'gateway_commands', COALESCE(MAX(id), 0) FROM gateway_commands;
DROP TABLE replica_version;
)sql"},
  };
}

Status SyncStore::insert_gateway(const std::string& id, const std::string& branch_id, const std::string& name, const std::string& secret_hash,
                                 std::int64_t now) {
  SPOTTER_SQL(db_.execute("INSERT INTO gateways (id, branch_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                          {id, branch_id, name, secret_hash, now}));
  return {};
}

Result<bool> SyncStore::rotate_secret(const std::string& id, const std::string& secret_hash, std::int64_t now) {
  auto r = db_.execute("UPDATE gateways SET secret_hash = ?, rotated_at = ? WHERE id = ? AND revoked_at IS NULL", {secret_hash, now, id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<bool> SyncStore::revoke(const std::string& id, std::int64_t now) {
  auto r = db_.execute("UPDATE gateways SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", {now, id});
  if (!r) return Unexpected<Error>{r.error()};
  return *r > 0;
}

Result<std::optional<GatewaySecret>> SyncStore::secret_of(const std::string& id) {
  auto rows = db_.query("SELECT secret_hash, branch_id, revoked_at, COALESCE(rotated_at, 0) FROM gateways WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<GatewaySecret>{};
  const auto& r = rows->front();
  return std::optional<GatewaySecret>{GatewaySecret{r.text(0), r.text(1), !r.is_null(2), r.integer(3)}};
}

Result<std::optional<GatewayAuth>> SyncStore::active_gateway(const std::string& id) {
  auto rows = db_.query("SELECT branch_id, COALESCE(rotated_at, 0) FROM gateways WHERE id = ? AND revoked_at IS NULL", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<GatewayAuth>{};
  return std::optional<GatewayAuth>{GatewayAuth{rows->front().text(0), rows->front().integer(1)}};
}

Status SyncStore::touch(const std::string& id, std::int64_t now) {
  SPOTTER_SQL(db_.execute("UPDATE gateways SET last_contact_at = ? WHERE id = ?", {now, id}));
  return {};
}

Result<Json> SyncStore::gateways_status() {
  auto rows = db_.query("SELECT g.id, g.branch_id, g.name, g.last_seq, g.last_contact_at, g.revoked_at, "
                        "(SELECT COUNT(*) FROM sync_inbox q WHERE q.gateway_id = g.id AND q.status = 'quarantined') FROM gateways g ORDER BY g.id");
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"gateway_id", r.text(0)}, {"branch_id", r.text(1)}, {"name", r.text(2)}, {"last_seq", r.integer(3)},
                     {"last_contact_at", rfc3339_or_null(r.optional_integer(4))}, {"revoked", !r.is_null(5)}, {"quarantined", r.integer(6)}});
  return items;
}

Result<std::map<std::string, std::int64_t>> SyncStore::lane_positions(const std::string& gateway_id) {
  auto rows = db_.query("SELECT lane, last_seq FROM gateway_lanes WHERE gateway_id = ?", {gateway_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::map<std::string, std::int64_t> out;
  for (const auto& r : *rows) out[r.text(0)] = r.integer(1);
  return out;
}

Result<std::int64_t> SyncStore::last_seq(const std::string& gateway_id) {
  auto rows = db_.query("SELECT last_seq FROM gateways WHERE id = ?", {gateway_id});
  if (!rows) return Unexpected<Error>{rows.error()};
  return rows->empty() ? std::int64_t{0} : rows->front().integer(0);
}

Result<std::set<std::string>> SyncStore::seen_events(const std::string& gateway_id, const std::vector<std::string>& event_ids) {
  std::set<std::string> seen;
  constexpr std::size_t kChunk = 500;  // well under either engine's limit on parameters
  for (std::size_t from = 0; from < event_ids.size(); from += kChunk) {
    const std::size_t n = std::min(kChunk, event_ids.size() - from);
    std::vector<SqlValue> params{gateway_id};
    for (std::size_t i = 0; i < n; ++i) params.emplace_back(event_ids[from + i]);
    auto rows = db_.query("SELECT event_id FROM sync_inbox WHERE gateway_id = ? AND event_id IN (" + placeholders(n) + ")", params);
    if (!rows) return Unexpected<Error>{rows.error()};
    for (const auto& r : *rows) seen.insert(r.text(0));
  }
  return seen;
}

Status SyncStore::record(const InboxRow& row) {
  SPOTTER_SQL(db_.execute("INSERT INTO sync_inbox (gateway_id, event_id, seq, kind, at, status, reason, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (gateway_id, event_id) DO NOTHING",
                          {row.gateway_id, row.event_id, row.seq, row.kind, row.at, row.status, sql_opt(row.reason), sql_opt(row.body), row.received_at}));
  return {};
}

Status SyncStore::set_lane_positions(const std::string& gateway_id, const std::map<std::string, std::int64_t>& lanes, std::int64_t last_seq,
                                     std::int64_t now) {
  for (const auto& [lane, seq] : lanes)
    SPOTTER_SQL(db_.execute("INSERT INTO gateway_lanes (gateway_id, lane, last_seq) VALUES (?, ?, ?) "
                            "ON CONFLICT (gateway_id, lane) DO UPDATE SET last_seq = excluded.last_seq",
                            {gateway_id, lane, seq}));
  SPOTTER_SQL(db_.execute("UPDATE gateways SET last_seq = ?, last_contact_at = ? WHERE id = ?", {last_seq, now, gateway_id}));
  return {};
}

Result<Json> SyncStore::quarantined(std::int64_t limit) {
  auto rows = db_.query("SELECT q.gateway_id, g.branch_id, q.event_id, q.seq, q.kind, q.at, q.reason, q.body, q.received_at FROM sync_inbox q "
                        "JOIN gateways g ON g.id = q.gateway_id WHERE q.status = 'quarantined' ORDER BY q.received_at DESC, q.seq DESC LIMIT ?",
                        {limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"gateway_id", r.text(0)}, {"branch_id", r.text(1)}, {"event_id", r.text(2)}, {"seq", r.integer(3)}, {"kind", r.text(4)},
                     {"at", rfc3339(r.integer(5))}, {"reason", r.text(6)}, {"body", parse_json_strict(r.text(7)).value_or(Json::object())},
                     {"received_at", rfc3339(r.integer(8))}});
  return items;
}

Status SyncStore::insert_door_event(const std::string& id, const std::string& gateway_id, const std::string& branch_id, const Json& b, std::int64_t at) {
  auto text = [&](const char* k) { return b.contains(k) && b[k].is_string() ? SqlValue(b[k].get<std::string>().substr(0, 64)) : SqlValue(nullptr); };
  SPOTTER_SQL(db_.execute("INSERT INTO door_events (id, gateway_id, branch_id, door_id, at, direction, member_id, granted, reason) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                          {id, gateway_id, branch_id, text("door_id"), at, text("direction"), text("member_id"), b["granted"].get<bool>(), text("reason")}));
  return {};
}

Status SyncStore::replica_changed(const std::string& entity, const std::string& entity_id) {
  auto id = next_in_commit_order(db_, "replica_changes");
  if (!id) return Unexpected<Error>{id.error()};
  SPOTTER_SQL(db_.execute("INSERT INTO replica_changes (id, entity, entity_id) VALUES (?, ?, ?)", {*id, entity, entity_id}));
  return {};
}

Result<std::int64_t> SyncStore::replica_version() {
  auto rows = db_.query("SELECT COALESCE(MAX(id), 0) FROM replica_changes");
  if (!rows) return Unexpected<Error>{rows.error()};
  return rows->empty() ? std::int64_t{0} : rows->front().integer(0);
}

Result<std::optional<std::vector<std::pair<std::string, std::string>>>> SyncStore::replica_changes_since(std::int64_t since, std::size_t limit) {
  auto rows = db_.query("SELECT DISTINCT entity, entity_id FROM replica_changes WHERE id > ? LIMIT ?", {since, static_cast<std::int64_t>(limit + 1)});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->size() > limit) return std::optional<std::vector<std::pair<std::string, std::string>>>{};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : *rows) out.emplace_back(r.text(0), r.text(1));
  return std::optional<std::vector<std::pair<std::string, std::string>>>{std::move(out)};
}

Status SyncStore::insert_command(const std::string& branch_id, const std::string& machine_id, const std::string& kind, const Json& body, std::int64_t now) {
  auto id = next_in_commit_order(db_, "gateway_commands");
  if (!id) return Unexpected<Error>{id.error()};
  SPOTTER_SQL(db_.execute("INSERT INTO gateway_commands (id, branch_id, machine_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                          {*id, branch_id, machine_id, kind, dump_json(body), now}));
  return {};
}

Result<Json> SyncStore::commands_after(const std::string& branch_id, std::int64_t after, std::int64_t limit) {
  auto rows = db_.query("SELECT id, machine_id, kind, body FROM gateway_commands WHERE branch_id = ? AND id > ? ORDER BY id LIMIT ?", {branch_id, after, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  Json list = Json::array();
  for (const auto& r : *rows)
    list.push_back({{"id", r.integer(0)}, {"machine_id", r.text(1)}, {"kind", r.text(2)}, {"body", parse_json_strict(r.text(3)).value_or(Json::object())}});
  return list;
}

}  // namespace spotter::cloud::sync
