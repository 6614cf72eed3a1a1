// The SQLite store, machines: the registry, links (with a workout summarised from a link's
// telemetry when the machine sent none), machine states and maintenance reports.
#include "store_impl.hpp"

#include "spotter/edge/workout_aggregate.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {
using store_detail::outbox_add;
using store_detail::session_json;

std::vector<MachineRecord> SqliteEdgeStore::machine_registry() const {
  SQLite::Statement q(impl_->db, "SELECT id, name, category, type FROM machines");
  std::vector<MachineRecord> out;
  while (q.executeStep()) {
    MachineRecord m{q.getColumn(0).getString(), q.getColumn(1).getString(), std::nullopt, q.getColumn(3).getString()};
    auto cat = q.getColumn(2).isNull() ? std::string() : q.getColumn(2).getString();
    for (auto c : {protocol::Category::cardio, protocol::Category::strength, protocol::Category::functional}) {
      if (cat == protocol::to_string(c)) m.category = c;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<MachineLink> SqliteEdgeStore::open_links() const {
  SQLite::Statement q(impl_->db,
                      "SELECT id, machine_id, member_id, session_id, started_at_ms FROM machine_links WHERE ended_at_ms IS NULL");
  std::vector<MachineLink> out;
  while (q.executeStep()) {
    auto started = q.getColumn(4).getInt64();
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getString(),
                   started, started});
  }
  return out;
}

std::vector<std::string> SqliteEdgeStore::held_machines() const {
  SQLite::Statement q(impl_->db, "SELECT machine_id FROM machine_holds ORDER BY machine_id");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

namespace {
constexpr const char* kPastLinkColumns = "id, machine_id, member_id, session_id, started_at_ms, ended_at_ms";

PastLink past_link_of(SQLite::Statement& q) {
  const auto started = q.getColumn(4).getInt64();
  PastLink p{{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getString(), started, started},
             std::nullopt};
  if (!q.getColumn(5).isNull()) p.ended_at_ms = q.getColumn(5).getInt64();
  return p;
}
}  // namespace

std::vector<PastLink> SqliteEdgeStore::recent_links(std::int64_t since_ms) const {
  SQLite::Statement q(impl_->db, std::string("SELECT ") + kPastLinkColumns +
                                     " FROM machine_links WHERE ended_at_ms IS NULL OR ended_at_ms >= ? ORDER BY started_at_ms");
  q.bind(1, since_ms);
  std::vector<PastLink> out;
  while (q.executeStep()) out.push_back(past_link_of(q));
  return out;
}

// The two lookups below run while ingesting: a read that fails (a disk error) is a link not
// found, so the message keeps the link id it names (the cloud attributes by it) and ingest
// goes on.
std::optional<PastLink> SqliteEdgeStore::link_by_id(const std::string& id) const {
  try {
    SQLite::Statement q(impl_->db, std::string("SELECT ") + kPastLinkColumns + " FROM machine_links WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return past_link_of(q);
  } catch (const SQLite::Exception&) {
    return std::nullopt;
  }
}

std::optional<PastLink> SqliteEdgeStore::link_at(const std::string& machine_id, std::int64_t at_ms, std::int64_t grace_ms) const try {
  // The latest link started by then (and its predecessor: `at` may sit just past its end).
  SQLite::Statement q(impl_->db, std::string("SELECT ") + kPastLinkColumns +
                                     " FROM machine_links WHERE machine_id = ? AND started_at_ms <= ? ORDER BY started_at_ms DESC LIMIT 2");
  q.bind(1, machine_id);
  q.bind(2, at_ms + grace_ms);
  std::optional<PastLink> best;
  std::int64_t best_distance = grace_ms + 1;
  while (q.executeStep()) {
    auto p = past_link_of(q);
    const std::int64_t end = p.ended_at_ms.value_or(INT64_MAX);
    const std::int64_t distance = at_ms < p.link.started_at_ms ? p.link.started_at_ms - at_ms : (at_ms > end ? at_ms - end : 0);
    if (distance < best_distance) best = std::move(p), best_distance = distance;
  }
  return best;
} catch (const SQLite::Exception&) {
  return std::nullopt;
}

Result<int> SqliteEdgeStore::prune_links(std::int64_t before_ms) {
  try {
    SQLite::Statement q(impl_->db, "DELETE FROM machine_links WHERE ended_at_ms IS NOT NULL AND ended_at_ms < ?");
    q.bind(1, before_ms);
    return q.exec();
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("old links not pruned: ") + ex.what());
  }
}

namespace {
Json link_json(const MachineLink& l) {
  return {{"link_id", l.id}, {"machine_id", l.machine_id}, {"member_id", l.member_id}, {"session_id", l.session_id},
          {"started_at_ms", l.started_at_ms}};
}
}  // namespace

namespace {
// When a link ends without the machine having sent a `workout`, its telemetry is summarised
// into one (marked `aggregated`), so the member's activity reaches the cloud either way.
void summarise_link(SQLite::Database& db, const LinkEnd& end) {
  SQLite::Statement has(db, "SELECT COUNT(*) FROM t.telemetry WHERE link_id = ? AND workout = 1");
  has.bind(1, end.link.id);
  if (has.executeStep() && has.getColumn(0).getInt64() > 0) return;
  SQLite::Statement q(db, "SELECT body FROM t.telemetry WHERE link_id = ? AND workout = 0 ORDER BY device_ts_ms LIMIT 100000");
  q.bind(1, end.link.id);
  std::vector<protocol::Telemetry> samples;
  while (q.executeStep()) {
    if (auto t = protocol::decode_telemetry(q.getColumn(0).getString(), end.category)) samples.push_back(std::move(*t));
  }
  auto workout = aggregate_workout(samples, end.category);
  if (!workout) return;
  Json body = {{"machine_id", end.link.machine_id}, {"link_id", end.link.id}, {"session_id", end.link.session_id},
               {"member_id", end.link.member_id}, {"workout", *workout}};
  outbox_add(db, "wo." + end.link.id + ".aggregated", "workout", end.ended_at_ms, body, true);
}
}  // namespace

Status SqliteEdgeStore::record_floor(const FloorChanges& c, std::int64_t now_ms) {
  if (c.links_started.empty() && c.links_ended.empty() && c.state_changes.empty() && !c.qr_to_mark_used && c.holds.empty()) return {};
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    for (const auto& l : c.links_ended) {
      SQLite::Statement q(db, "UPDATE machine_links SET ended_at_ms = ?, ended_by = ? WHERE id = ? AND ended_at_ms IS NULL");
      q.bind(1, l.ended_at_ms);
      q.bind(2, l.ended_by);
      q.bind(3, l.link.id);
      q.exec();
      Json body = link_json(l.link);
      body["ended_at_ms"] = l.ended_at_ms;
      body["ended_by"] = l.ended_by;
      outbox_add(db, l.link.id + ".end", "link_ended", l.ended_at_ms, body);
      summarise_link(db, l);
    }
    for (const auto& l : c.links_started) {
      SQLite::Statement q(db, "INSERT INTO machine_links (id, machine_id, member_id, session_id, started_at_ms) VALUES (?, ?, ?, ?, ?)");
      q.bind(1, l.id);
      q.bind(2, l.machine_id);
      q.bind(3, l.member_id);
      q.bind(4, l.session_id);
      q.bind(5, l.started_at_ms);
      q.exec();
      outbox_add(db, l.id + ".start", "link_started", l.started_at_ms, link_json(l));
    }
    for (const auto& [machine, state] : c.state_changes) {
      std::string st(protocol::to_string(state));
      SQLite::Statement q(db, "INSERT INTO machine_states VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at_ms = excluded.updated_at_ms");
      q.bind(1, machine);
      q.bind(2, st);
      q.bind(3, now_ms);
      q.exec();
      // Status changes are many and small: evictable under pressure, unlike sessions.
      SQLite::Statement o(db, "INSERT INTO outbox (event_id, kind, at_ms, body, bytes, evictable) VALUES (?, 'machine_status', ?, ?, ?, 1)");
      std::string body = dump_json(Json{{"machine_id", machine}, {"state", st}, {"at_ms", now_ms}});
      o.bind(1, machine + "." + std::to_string(now_ms) + "." + st);
      o.bind(2, now_ms);
      o.bind(3, body);
      o.bind(4, static_cast<std::int64_t>(body.size()));
      o.exec();
    }
    for (const auto& [machine, held] : c.holds) {
      SQLite::Statement q(db, held ? "INSERT INTO machine_holds VALUES (?, ?) ON CONFLICT(machine_id) DO NOTHING"
                                   : "DELETE FROM machine_holds WHERE machine_id = ?");
      q.bind(1, machine);
      if (held) q.bind(2, now_ms);
      q.exec();
    }
    if (c.qr_to_mark_used) {
      SQLite::Statement q(db, "INSERT INTO qr_used VALUES (?, ?)");
      q.bind(1, c.qr_to_mark_used->jti);
      q.bind(2, c.qr_to_mark_used->expires_at_ms);
      q.exec();
    }
    t.commit();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("machine changes not recorded: ") + ex.what());
  }
}

Status SqliteEdgeStore::record_maintenance(const std::string& machine_id, const protocol::Maintenance& r, std::int64_t now_ms) {
  try {
    Json body = {{"machine_id", machine_id}, {"code", r.code}, {"severity", protocol::to_string(r.severity)}, {"at_ms", now_ms}};
    if (r.detail) body["detail"] = *r.detail;
    outbox_add(impl_->db, machine_id + ".maint." + std::to_string(r.ts.value_or(now_ms)) + "." + r.code, "maintenance", now_ms, body, true);
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("maintenance report not recorded: ") + ex.what());
  }
}

}  // namespace spotter::edge
