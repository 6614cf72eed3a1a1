#pragma once
// Shared by the store's source files (not a public header): the connection with its cached
// statements, and the helpers every write path uses.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <stdexcept>
#include <string>

#include "schema.hpp"
#include "spotter/edge/sqlite_store.hpp"

namespace spotter::edge {

struct SqliteEdgeStore::Impl {
  // The telemetry writer's connection to the telemetry file (sqlite_store.hpp). Opened
  // first: the main connection attaches that file as `t` for reads.
  SQLite::Database tdb;
  SQLite::Database db;
  // Prepared once: door decisions are the hot path.
  SQLite::Statement by_card, by_id, memberships, open_session, qr_used;

  static std::filesystem::path telemetry_file(const std::filesystem::path& file) {
    auto t = file;
    t.replace_extension(".telemetry.db");
    return t;
  }

  // Members, cards, fingerprints and what they did are nobody else's to read: the file is
  // created 0600 before SQLite opens it (SQLite gives -wal and -shm the database's mode), and
  // one left broader by an older version is narrowed.
  static std::string private_file(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string f = file.string() + suffix;
      struct stat st{};
      if (::stat(f.c_str(), &st) == 0 && (st.st_mode & 077) != 0) ::chmod(f.c_str(), st.st_mode & 0700);
    }
    return file.string();
  }

  explicit Impl(const std::filesystem::path& file)
      : tdb(migrate(telemetry_file(file), schema::kTelemetryMigrations, "telemetry database")),
        db(private_file(file), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000),
        by_card(prepare_after_migration(db, file),
                "SELECT m.id, m.display_name, m.suspended FROM cards c JOIN members m ON m.id = c.member_id "
                "WHERE c.uid = ? AND c.blocked = 0"),
        by_id(db, "SELECT id, display_name, suspended FROM members WHERE id = ?"),
        memberships(db, "SELECT id, member_id, starts_at_ms, expires_at_ms, suspended, branch_ids FROM memberships WHERE member_id = ?"),
        open_session(db, "SELECT id, member_id, branch_id, started_at_ms, entry_door FROM sessions WHERE member_id = ? AND ended_at_ms IS NULL"),
        qr_used(db, "SELECT 1 FROM qr_used WHERE jti = ?") {}

  // Versioned migrations, each in its own transaction with PRAGMA user_version; a schema
  // newer than this program knows is a start-up error.
  template <std::size_t N>
  static void apply_migrations(SQLite::Database& d, const std::array<const char*, N>& migrations, const char* what) {
    int version = d.execAndGet("PRAGMA user_version").getInt();
    if (version > static_cast<int>(N)) {
      throw std::runtime_error(std::string(what) + " schema is newer (" + std::to_string(version) + ") than this spotter-edge knows");
    }
    for (int v = version; v < static_cast<int>(N); ++v) {
      SQLite::Transaction t(d);
      d.exec(migrations[static_cast<std::size_t>(v)]);
      d.exec("PRAGMA user_version = " + std::to_string(v + 1));
      t.commit();
    }
  }

  template <std::size_t N>
  static SQLite::Database migrate(const std::filesystem::path& file, const std::array<const char*, N>& migrations, const char* what) {
    SQLite::Database d(private_file(file), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000);
    d.exec("PRAGMA journal_mode=WAL");
    d.exec("PRAGMA synchronous=FULL");
    d.exec("PRAGMA cache_size=-16384");  // a telemetry batch must not spill pages mid-transaction
    apply_migrations(d, migrations, what);
    return d;
  }

  // Runs before the statements are prepared, so they see the current schema.
  static SQLite::Database& prepare_after_migration(SQLite::Database& db, const std::filesystem::path& file) {
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA foreign_keys=ON");
    db.exec("PRAGMA cache_size=-16384");  // 16 MiB at most
    apply_migrations(db, schema::kMigrations, "database");
    SQLite::Statement attach(db, "ATTACH DATABASE ? AS t");
    attach.bind(1, telemetry_file(file).string());
    attach.exec();
    move_legacy_telemetry(db);
    return db;
  }

  // A database from before the split keeps its telemetry and journal position in the main
  // file: copied across, then removed, in two steps that can each be repeated after a crash.
  static void move_legacy_telemetry(SQLite::Database& db) {
    SQLite::Statement pos(db, "SELECT segment, offset FROM main.ingest_state WHERE id = 1");
    std::int64_t segment = 0, offset = 0;
    if (pos.executeStep()) {
      segment = pos.getColumn(0).getInt64();
      offset = pos.getColumn(1).getInt64();
    }
    pos.reset();
    if (segment == 0 && offset == 0 && db.execAndGet("SELECT EXISTS (SELECT 1 FROM main.telemetry)").getInt() == 0) return;
    {
      SQLite::Transaction t(db);
      db.exec("INSERT OR IGNORE INTO t.telemetry SELECT * FROM main.telemetry");
      SQLite::Statement up(db, "UPDATE t.ingest_state SET segment = ?, offset = ? WHERE id = 1 AND (segment < ? OR (segment = ? AND offset < ?))");
      up.bind(1, segment);
      up.bind(2, offset);
      up.bind(3, segment);
      up.bind(4, segment);
      up.bind(5, offset);
      up.exec();
      db.exec("UPDATE t.ingest_state SET telemetry_bytes = (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM t.telemetry)");
      t.commit();
    }
    SQLite::Transaction t(db);
    db.exec("DELETE FROM main.telemetry");
    db.exec("UPDATE main.ingest_state SET segment = 0, offset = 0, telemetry_bytes = 0");
    t.commit();
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
