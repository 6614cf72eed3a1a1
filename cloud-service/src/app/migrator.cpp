#include "migrator.hpp"

#include <set>

#include "spotter/common/clock.hpp"

namespace spotter::cloud {
namespace {

constexpr const char* kLedger = "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)";

Result<std::set<std::string>> applied(SqlDatabase& db) {
  auto rows = db.query("SELECT id FROM schema_migrations");
  if (!rows) return Unexpected<Error>{rows.error()};
  std::set<std::string> ids;
  for (const auto& r : *rows) ids.insert(r.text(0));
  return ids;
}

}  // namespace

Status lock_schema(SqlDatabase& db) {
  if (db.engine() != Engine::postgresql) return {};  // BEGIN IMMEDIATE already holds the write lock
  auto r = db.query("SELECT pg_advisory_xact_lock(?)", {std::int64_t{0x53706f74746572}});  // "Spotter"
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Result<int> migrate(SqlDatabase& db, const std::vector<Migration>& migrations) {
  SPOTTER_SQL(db.transaction([&]() -> Status {
    if (auto s = lock_schema(db); !s) return s;
    return db.execute_script(kLedger);
  }));
  auto done = applied(db);
  if (!done) return Unexpected<Error>{done.error()};
  std::set<std::string> known;
  for (const auto& m : migrations) known.insert(m.id);
  for (const auto& id : *done)
    if (!known.count(id)) return fail("newer_schema", "the database has migration " + id + ", which this spotter-cloud does not know: it is newer");
  int ran = 0;
  SystemClock clock;
  for (const auto& m : migrations) {
    if (done->count(m.id)) continue;
    bool applied_here = false;
    auto s = db.transaction([&]() -> Status {
      applied_here = false;
      if (auto locked = lock_schema(db); !locked) return locked;
      // Another instance may have applied it while this one waited for the lock.
      auto again = db.query("SELECT 1 FROM schema_migrations WHERE id = ?", {m.id});
      if (!again) return Unexpected<Error>{again.error()};
      if (!again->empty()) return {};
      if (auto r = db.execute_script(m.sql); !r) return Unexpected<Error>{Error{r.error().code, m.id + ": " + r.error().message}};
      SPOTTER_SQL(db.execute("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)", {m.id, clock.now_ms()}));
      applied_here = true;
      return {};
    });
    if (!s) return Unexpected<Error>{s.error()};
    if (applied_here) ++ran;
  }
  return ran;
}

}  // namespace spotter::cloud
