#pragma once
// Shared by the store's source files (not a public header): the connection with its cached
// statements, and the helpers every write path uses.
#include <SQLiteCpp/SQLiteCpp.h>

#include <stdexcept>

#include "schema.hpp"
#include "spotter/edge/sqlite_store.hpp"

namespace spotter::edge {

struct SqliteEdgeStore::Impl {
  SQLite::Database db;
  // Prepared once: door decisions are the hot path.
  SQLite::Statement by_card, by_id, memberships, open_session, qr_used;

  explicit Impl(const std::filesystem::path& file)
      : db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000),
        by_card(prepare_after_migration(db, file),
                "SELECT m.id, m.display_name, m.suspended FROM cards c JOIN members m ON m.id = c.member_id "
                "WHERE c.uid = ? AND c.blocked = 0"),
        by_id(db, "SELECT id, display_name, suspended FROM members WHERE id = ?"),
        memberships(db, "SELECT id, member_id, starts_at_ms, expires_at_ms, suspended, branch_ids FROM memberships WHERE member_id = ?"),
        open_session(db, "SELECT id, member_id, branch_id, started_at_ms, entry_door FROM sessions WHERE member_id = ? AND ended_at_ms IS NULL"),
        qr_used(db, "SELECT 1 FROM qr_used WHERE jti = ?") {}

  // Runs before the statements are prepared, so they see the current schema.
  static SQLite::Database& prepare_after_migration(SQLite::Database& db, const std::filesystem::path&) {
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA foreign_keys=ON");
    // Telemetry batches of thousands of rows must not spill pages to the WAL mid-transaction
    // (measured: spills made the store thread the ingest bottleneck). 16 MiB at most.
    db.exec("PRAGMA cache_size=-16384");
    int version = db.execAndGet("PRAGMA user_version").getInt();
    if (version > static_cast<int>(schema::kMigrations.size())) {
      throw std::runtime_error("database schema is newer (" + std::to_string(version) + ") than this spotter-edge knows");
    }
    for (int v = version; v < static_cast<int>(schema::kMigrations.size()); ++v) {
      SQLite::Transaction t(db);
      db.exec(schema::kMigrations[static_cast<std::size_t>(v)]);
      db.exec("PRAGMA user_version = " + std::to_string(v + 1));
      t.commit();
    }
    return db;
  }
};

namespace store_detail {

// `if_new`: an event already queued (a journal replay) is left as it is.
inline void outbox_add(SQLite::Database& db, const std::string& event_id, const char* kind, std::int64_t at_ms, const Json& body,
                bool if_new = false) {
  SQLite::Statement q(db, if_new ? "INSERT OR IGNORE INTO outbox (event_id, kind, at_ms, body, bytes, evictable) VALUES (?, ?, ?, ?, ?, 0)"
                                 : "INSERT INTO outbox (event_id, kind, at_ms, body, bytes, evictable) VALUES (?, ?, ?, ?, ?, 0)");
  std::string text = dump_json(body);
  q.bind(1, event_id);
  q.bind(2, kind);
  q.bind(3, at_ms);
  q.bind(4, text);
  q.bind(5, static_cast<std::int64_t>(text.size()));
  q.exec();
}

inline Json session_json(const SessionRecord& s) {
  return {{"session_id", s.id}, {"member_id", s.member_id}, {"branch_id", s.branch_id}, {"started_at_ms", s.started_at_ms},
          {"entry_door", s.entry_door}};
}

}  // namespace store_detail
}  // namespace spotter::edge
