// The SQLite store, telemetry and the outbox: ingest batches with the journal position,
// storage use and eviction under the budget, and the outbox summary.
#include "store_impl.hpp"

#include <algorithm>

#include "spotter/common/log.hpp"
#include "spotter/common/sync_api.hpp"
#include "spotter/edge/workout_aggregate.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {
using store_detail::outbox_add;
using store_detail::session_json;

Result<IngestResult> SqliteEdgeStore::record_telemetry(const std::vector<TelemetryRow>& rows, JournalPosition applied) {
  auto& db = impl_->tdb;
  try {
    db.exec("PRAGMA synchronous=NORMAL");
    SQLite::Transaction t(db);
    SQLite::Statement q(db, "INSERT OR IGNORE INTO telemetry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    IngestResult r;
    std::int64_t stored_bytes = 0;
    for (const auto& row : rows) {
      q.bind(1, row.machine_id);
      q.bind(2, row.boot_id);
      q.bind(3, row.msg_id);
      q.bind(4, row.workout ? 1 : 0);
      q.bind(5, row.device_ts_ms);
      q.bind(6, row.received_at_ms);
      if (row.link_id) q.bind(7, *row.link_id); else q.bind(7);
      if (row.session_id) q.bind(8, *row.session_id); else q.bind(8);
      if (row.member_id) q.bind(9, *row.member_id); else q.bind(9);
      q.bindNoCopy(10, row.body);
      int changed = q.exec();
      q.reset();
      if (changed == 0) {
        ++r.duplicates;
        continue;
      }
      ++r.stored;
      stored_bytes += static_cast<std::int64_t>(row.body.size());
    }
    SQLite::Statement pos(db, "UPDATE ingest_state SET segment = ?, offset = ?, telemetry_bytes = telemetry_bytes + ? "
                              "WHERE id = 1 AND (segment < ? OR (segment = ? AND offset <= ?))");
    pos.bind(1, static_cast<std::int64_t>(applied.segment));
    pos.bind(2, static_cast<std::int64_t>(applied.offset));
    pos.bind(3, stored_bytes);
    pos.bind(4, static_cast<std::int64_t>(applied.segment));
    pos.bind(5, static_cast<std::int64_t>(applied.segment));
    pos.bind(6, static_cast<std::int64_t>(applied.offset));
    if (pos.exec() == 0 && stored_bytes > 0) {
      // A position behind the stored one (a replay): count the bytes, keep the position.
      SQLite::Statement bytes(db, "UPDATE ingest_state SET telemetry_bytes = telemetry_bytes + ? WHERE id = 1");
      bytes.bind(1, stored_bytes);
      bytes.exec();
    }
    t.commit();
    db.exec("PRAGMA synchronous=FULL");
    return r;
  } catch (const SQLite::Exception& ex) {
    try {
      db.exec("PRAGMA synchronous=FULL");
    } catch (const SQLite::Exception&) {
    }
    return fail("storage", std::string("telemetry not stored: ") + ex.what());
  }
}

Status SqliteEdgeStore::record_workout_events(const std::vector<TelemetryRow>& rows) {
  // Called for every hand-over of telemetry; most hold no workout and cost nothing here.
  if (std::none_of(rows.begin(), rows.end(), [](const TelemetryRow& r) { return r.workout; })) return {};
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    for (const auto& row : rows) {
      if (!row.workout) continue;
      Json body = {{"machine_id", row.machine_id}, {"boot_id", row.boot_id}, {"msg_id", row.msg_id},
                   {"received_at_ms", row.received_at_ms}, {"workout", parse_json_strict(row.body).value_or(Json::object())}};
      if (row.link_id) body["link_id"] = *row.link_id;
      if (row.session_id) body["session_id"] = *row.session_id;
      if (row.member_id) body["member_id"] = *row.member_id;
      outbox_add(db, "wo." + row.machine_id + "." + row.boot_id + "." + std::to_string(row.msg_id), "workout", row.received_at_ms, body,
                 /*if_new=*/true);
    }
    t.commit();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("workouts not stored: ") + ex.what());
  }
}

Status SqliteEdgeStore::set_applied(JournalPosition applied) {
  try {
    SQLite::Statement pos(impl_->tdb, "UPDATE ingest_state SET segment = ?, offset = ? WHERE id = 1 AND (segment < ? OR (segment = ? AND offset < ?))");
    pos.bind(1, static_cast<std::int64_t>(applied.segment));
    pos.bind(2, static_cast<std::int64_t>(applied.offset));
    pos.bind(3, static_cast<std::int64_t>(applied.segment));
    pos.bind(4, static_cast<std::int64_t>(applied.segment));
    pos.bind(5, static_cast<std::int64_t>(applied.offset));
    pos.exec();  // autocommit, synchronous=FULL
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", ex.what());
  }
}

JournalPosition SqliteEdgeStore::applied_position() const {
  SQLite::Statement q(impl_->db, "SELECT segment, offset FROM t.ingest_state WHERE id = 1");
  if (!q.executeStep()) return {};
  return {static_cast<std::uint64_t>(q.getColumn(0).getInt64()), static_cast<std::uint64_t>(q.getColumn(1).getInt64())};
}

std::int64_t SqliteEdgeStore::telemetry_count() const { return impl_->db.execAndGet("SELECT COUNT(*) FROM t.telemetry").getInt64(); }

StorageUse SqliteEdgeStore::storage_use() const {
  auto& db = impl_->db;
  StorageUse u;
  SQLite::Statement t(db, "SELECT telemetry_bytes FROM t.ingest_state WHERE id = 1");
  if (t.executeStep()) u.telemetry_bytes = t.getColumn(0).getInt64();
  SQLite::Statement o(db, "SELECT COUNT(*), COALESCE(SUM(bytes), 0), COALESCE(SUM(CASE WHEN evictable = 1 THEN bytes ELSE 0 END), 0), "
                          "COALESCE(MIN(at_ms), 0) FROM outbox");
  if (o.executeStep()) {
    u.outbox_rows = o.getColumn(0).getInt64();
    u.outbox_bytes = o.getColumn(1).getInt64();
    u.evictable_outbox_bytes = o.getColumn(2).getInt64();
    u.oldest_outbox_ms = o.getColumn(3).getInt64();
  }
  return u;
}

Result<SqliteEdgeStore::TelemetryEviction> SqliteEdgeStore::evict_telemetry(std::int64_t bytes) {
  try {
    auto& db = impl_->tdb;
    SQLite::Transaction t(db);
    TelemetryEviction e;
    // Oldest first, in chunks (no index on time: eviction is rare).
    while (e.bytes < bytes) {
      SQLite::Statement pick(db, "SELECT machine_id, boot_id, msg_id, LENGTH(body), received_at_ms FROM telemetry ORDER BY received_at_ms LIMIT 2000");
      SQLite::Statement del(db, "DELETE FROM telemetry WHERE machine_id = ? AND boot_id = ? AND msg_id = ?");
      int n = 0;
      std::vector<std::tuple<std::string, std::string, std::int64_t, std::int64_t, std::int64_t>> victims;
      while (pick.executeStep()) {
        victims.emplace_back(pick.getColumn(0).getString(), pick.getColumn(1).getString(), pick.getColumn(2).getInt64(),
                             pick.getColumn(3).getInt64(), pick.getColumn(4).getInt64());
      }
      for (const auto& [m, b, id, len, at] : victims) {
        if (e.bytes >= bytes) break;
        del.bind(1, m);
        del.bind(2, b);
        del.bind(3, id);
        del.exec();
        del.reset();
        e.bytes += len;
        ++e.rows;
        ++n;
        if (e.from_ms == 0) e.from_ms = at;
        e.to_ms = at;
      }
      if (n == 0) break;
    }
    SQLite::Statement upd(db, "UPDATE ingest_state SET telemetry_bytes = MAX(0, telemetry_bytes - ?) WHERE id = 1");
    upd.bind(1, e.bytes);
    upd.exec();
    t.commit();
    return e;
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("telemetry eviction failed: ") + ex.what());
  }
}

Result<std::int64_t> SqliteEdgeStore::evict(std::int64_t bytes, std::int64_t now_ms, const TelemetryEviction& telemetry) {
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    std::int64_t freed = telemetry.bytes, out_rows = 0, out_bytes = 0;
    // Then the evictable outbox events (machine status changes), oldest first.
    while (freed < bytes) {
      SQLite::Statement pick(db, "SELECT seq, bytes FROM outbox WHERE evictable = 1 ORDER BY seq LIMIT 2000");
      std::vector<std::pair<std::int64_t, std::int64_t>> victims;
      while (pick.executeStep()) victims.emplace_back(pick.getColumn(0).getInt64(), pick.getColumn(1).getInt64());
      if (victims.empty()) break;
      SQLite::Statement del(db, "DELETE FROM outbox WHERE seq = ?");
      for (const auto& [seq, len] : victims) {
        if (freed >= bytes) break;
        del.bind(1, seq);
        del.exec();
        del.reset();
        freed += len;
        out_bytes += len;
        ++out_rows;
      }
    }
    if (telemetry.rows > 0 || out_rows > 0) {
      Json body = {{"at_ms", now_ms}, {"telemetry_rows", telemetry.rows}, {"telemetry_bytes", telemetry.bytes},
                   {"telemetry_from_ms", telemetry.from_ms}, {"telemetry_to_ms", telemetry.to_ms}, {"status_events", out_rows},
                   {"status_event_bytes", out_bytes}};
      outbox_add(db, "evict." + std::to_string(now_ms), "eviction", now_ms, body, true);
    }
    t.commit();
    return freed;
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("eviction failed: ") + ex.what());
  }
}

Json SqliteEdgeStore::outbox_summary(std::int64_t now_ms) const {
  auto use = storage_use();
  Json kinds = Json::object();
  SQLite::Statement q(impl_->db, "SELECT kind, COUNT(*) FROM outbox GROUP BY kind ORDER BY kind");
  while (q.executeStep()) kinds[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  Json quarantined = Json::array();
  SQLite::Statement qq(impl_->db, "SELECT event_id, kind, reason, quarantined_at_ms FROM outbox_quarantine ORDER BY seq DESC LIMIT 20");
  while (qq.executeStep())
    quarantined.push_back({{"event_id", qq.getColumn(0).getString()}, {"kind", qq.getColumn(1).getString()},
                           {"reason", qq.getColumn(2).getString()}, {"at", format_rfc3339_ms(qq.getColumn(3).getInt64())}});
  return {{"depth", use.outbox_rows}, {"bytes", use.outbox_bytes}, {"evictable_bytes", use.evictable_outbox_bytes},
          {"oldest_age_s", use.oldest_outbox_ms ? Json((now_ms - use.oldest_outbox_ms) / 1000) : Json(nullptr)},
          {"by_kind", kinds}, {"telemetry_rows", telemetry_count()}, {"telemetry_bytes", use.telemetry_bytes},
          {"quarantined", quarantine_count()}, {"quarantine_latest", quarantined}};
}

std::vector<SqliteEdgeStore::OutboxEvent> SqliteEdgeStore::outbox_batch(std::size_t max_events, std::size_t max_bytes, bool live) const {
  std::string kinds;
  for (auto k : sync_api::kLiveKinds) kinds += (kinds.empty() ? "'" : ", '") + std::string(k) + "'";
  SQLite::Statement q(impl_->db, std::string("SELECT seq, event_id, kind, at_ms, body FROM outbox WHERE kind ") + (live ? "IN (" : "NOT IN (") + kinds +
                                     ") ORDER BY seq LIMIT ?");
  q.bind(1, static_cast<std::int64_t>(max_events));
  std::vector<OutboxEvent> out;
  std::size_t bytes = 0;
  while (q.executeStep()) {
    OutboxEvent e{q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64(), q.getColumn(4).getString()};
    bytes += e.body.size() + e.event_id.size() + 64;
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(std::move(e));
  }
  return out;
}

Status SqliteEdgeStore::outbox_settle(const std::vector<std::int64_t>& done, const std::vector<std::pair<std::int64_t, std::string>>& quarantined,
                                      std::int64_t now_ms) {
  try {
    SQLite::Transaction t(impl_->db);
    SQLite::Statement move(impl_->db, "INSERT OR REPLACE INTO outbox_quarantine SELECT seq, event_id, kind, at_ms, body, ?, ? FROM outbox WHERE seq = ?");
    for (const auto& [seq, reason] : quarantined) {
      move.bind(1, reason);
      move.bind(2, now_ms);
      move.bind(3, seq);
      move.exec();
      move.reset();
    }
    SQLite::Statement del(impl_->db, "DELETE FROM outbox WHERE seq = ?");
    auto remove = [&](std::int64_t seq) {
      del.bind(1, seq);
      del.exec();
      del.reset();
    };
    for (auto seq : done) remove(seq);
    for (const auto& q : quarantined) remove(q.first);
    t.commit();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("outbox not settled: ") + ex.what());
  }
}

std::int64_t SqliteEdgeStore::quarantine_count() const {
  return impl_->db.execAndGet("SELECT COUNT(*) FROM outbox_quarantine").getInt64();
}

std::optional<std::string> SqliteEdgeStore::sync_value(const std::string& key) const {
  SQLite::Statement q(impl_->db, "SELECT value FROM sync_state WHERE key = ?");
  q.bind(1, key);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getString();
}

Status SqliteEdgeStore::set_sync_value(const std::string& key, const std::string& value) {
  try {
    SQLite::Statement q(impl_->db, "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q.bind(1, key);
    q.bind(2, value);
    q.exec();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("sync state not saved: ") + ex.what());
  }
}

std::int64_t SqliteEdgeStore::member_count() const { return impl_->db.execAndGet("SELECT COUNT(*) FROM members").getInt64(); }

std::int64_t SqliteEdgeStore::outbox_depth() const { return impl_->db.execAndGet("SELECT COUNT(*) FROM outbox").getInt64(); }

}  // namespace spotter::edge
