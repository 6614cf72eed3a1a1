// The SQLite adapter under the handlers: one writer connection shared by every thread's
// writes, a reader connection per thread, transactions that read their own writes, and the
// migrations. Real files; threads as the worker pool uses them.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <thread>
#include <vector>

#include "../../cloud-service/src/adapters/sqlite/schema.hpp"
#include "../../cloud-service/src/adapters/sqlite/sqlite_database.hpp"
#include "../../cloud-service/src/cloud/caches.hpp"
#include "spotter/common/json.hpp"
#include "spotter/testing/process.hpp"

using namespace spotter;
using cloud::SqliteDatabase;

namespace {

std::int64_t count_of(cloud::SqlDatabase& db, const char* sql, const std::vector<cloud::SqlValue>& params = {}) {
  auto rows = db.query(sql, params);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  return rows->front().integer(0);
}

void add_branch(cloud::SqlDatabase& db, const std::string& id) {
  REQUIRE(db.execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES (?, ?, 'UTC', '{}', 0, 0)", {id, id}));
}

}  // namespace

TEST_CASE("storage: a transaction reads its own rows before commit; other threads see them only after") {
  testing::TempDir dir;
  auto db = SqliteDatabase::open(dir.path() / "cloud.db");
  std::atomic<int> seen_by_other_thread{-1};
  auto done = db->transaction([&]() -> Status {
    add_branch(*db, "br_inside");
    CHECK(count_of(*db, "SELECT COUNT(*) FROM branches WHERE id = 'br_inside'") == 1);
    std::thread other([&] { seen_by_other_thread = static_cast<int>(count_of(*db, "SELECT COUNT(*) FROM branches WHERE id = 'br_inside'")); });
    other.join();
    return {};
  });
  REQUIRE(done);
  CHECK(seen_by_other_thread == 0);  // WAL: the other thread read the last committed state, unblocked
  std::thread after([&] { CHECK(count_of(*db, "SELECT COUNT(*) FROM branches WHERE id = 'br_inside'") == 1); });
  after.join();
}

TEST_CASE("storage: a transaction whose work fails leaves nothing, and the writer is usable after") {
  testing::TempDir dir;
  auto db = SqliteDatabase::open(dir.path() / "cloud.db");
  auto failed = db->transaction([&]() -> Status {
    add_branch(*db, "br_rolled_back");
    return Unexpected<Error>{Error{"invalid", "changed my mind"}};
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message == "changed my mind");
  CHECK(count_of(*db, "SELECT COUNT(*) FROM branches") == 0);
  // A constraint failure inside is reported, not thrown, and rolls the rest back too.
  auto conflict = db->transaction([&]() -> Status {
    add_branch(*db, "br_a");
    auto again = db->execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES ('br_a', 'x', 'UTC', '{}', 0, 0)", {});
    if (!again) return Unexpected<Error>{again.error()};
    return {};
  });
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code == "conflict");
  CHECK(count_of(*db, "SELECT COUNT(*) FROM branches") == 0);
  add_branch(*db, "br_after");
  CHECK(count_of(*db, "SELECT COUNT(*) FROM branches") == 1);
}

TEST_CASE("storage: writes from many threads at once all land, readers never see half a transaction, the file stays sound") {
  testing::TempDir dir;
  auto db = SqliteDatabase::open(dir.path() / "cloud.db");
  constexpr int kThreads = 6, kEach = 150;
  std::atomic<int> failures{0}, torn_reads{0};
  auto insert = [&](const std::string& id, const std::string& name) {
    return db->execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES (?, ?, 'UTC', '{}', 0, 0)", {id, name});
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = std::to_string(t) + "_" + std::to_string(i);
        if (i % 2 == 0) {
          // Two rows named alike in one transaction: a reader sees both or neither.
          auto s = db->transaction([&]() -> Status {
            for (const char* half : {"_a", "_b"}) {
              auto r = insert("br_" + key + half, "pair " + key);
              if (!r) return Unexpected<Error>{r.error()};
            }
            return {};
          });
          if (!s) ++failures;
        } else if (!insert("br_" + key, "single " + key)) {
          ++failures;
        }
        auto torn = db->query("SELECT COUNT(*) FROM (SELECT name FROM branches WHERE name LIKE 'pair %' GROUP BY name HAVING COUNT(*) <> 2)", {});
        if (!torn) ++failures;
        else if (torn->front().integer(0) != 0) ++torn_reads;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(torn_reads == 0);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM branches WHERE name LIKE 'pair %'") == kThreads * kEach);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM branches WHERE name LIKE 'single %'") == kThreads * kEach / 2);
  SQLite::Database check((dir.path() / "cloud.db").string(), SQLite::OPEN_READONLY);
  CHECK(check.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("storage: migrations bring an older database to the current version and keep its rows") {
  testing::TempDir dir;
  const auto file = dir.path() / "cloud.db";
  {
    // A database as version 4 left it.
    SQLite::Database old(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int v = 0; v < 4; ++v) old.exec(cloud::schema::kMigrations[static_cast<std::size_t>(v)]);
    old.exec("PRAGMA user_version = 4");
    old.exec("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES ('br_old', 'Old', 'UTC', '{}', 0, 0)");
    for (const char* m : {"('m-fault', 'maintenance', 'E7')", "('m-idle', 'idle', NULL)"})
      old.exec(std::string("INSERT INTO machines (id, branch_id, name, category, type, state, maintenance_code, created_at, updated_at) "
                           "SELECT column1, 'br_old', column1, 'cardio', 'bike', column2, column3, 0, 0 FROM (VALUES ") + m + ")");
  }
  auto db = SqliteDatabase::open(file);
  CHECK(db->schema_version() == static_cast<int>(cloud::schema::kMigrations.size()));
  CHECK(count_of(*db, "SELECT COUNT(*) FROM branches WHERE id = 'br_old'") == 1);
  // 5: the auto-end job's look-up uses the partial index of sessions in progress.
  CHECK(count_of(*db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'gym_sessions_active'") == 0);
  auto plan = db->query("EXPLAIN QUERY PLAN SELECT id, user_id, branch_id, started_at FROM gym_sessions WHERE status = 'active' ORDER BY started_at", {});
  REQUIRE(plan);
  REQUIRE_FALSE(plan->empty());
  CHECK(plan->front().text(3).find("gym_sessions_active_since") != std::string::npos);
  // 6: a machine in maintenance with a code is held until staff clear it; others are not.
  CHECK(count_of(*db, "SELECT COUNT(*) FROM machines WHERE staff_hold = 1") == 1);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM machines WHERE id = 'm-fault' AND staff_hold = 1") == 1);
  // A database newer than this build is refused at start, not written to.
  db.reset();
  { SQLite::Database newer(file.string(), SQLite::OPEN_READWRITE); newer.exec("PRAGMA user_version = 99"); }
  CHECK_THROWS(SqliteDatabase::open(file));
}

TEST_CASE("calendar cache: keyed by the stored text, so a branch whose hours change misses once") {
  cloud::CalendarCache cache;
  auto zone = load_time_zone("Europe/Madrid");
  REQUIRE(zone);
  auto hours = OpeningHours::from_json(*parse_json_strict(R"({"mon":[["06:00","22:00"]]})"));
  REQUIRE(hours);
  auto calendar = std::make_shared<const BranchCalendar>(*zone, *hours);
  CHECK_FALSE(cache.get("Europe/Madrid", R"({"mon":[["06:00","22:00"]]})"));
  cache.put("Europe/Madrid", R"({"mon":[["06:00","22:00"]]})", calendar);
  CHECK(cache.get("Europe/Madrid", R"({"mon":[["06:00","22:00"]]})") == calendar);
  CHECK_FALSE(cache.get("Europe/Madrid", R"({"mon":[["07:00","22:00"]]})"));  // hours changed
  CHECK_FALSE(cache.get("Europe/Lisbon", R"({"mon":[["06:00","22:00"]]})"));  // zone changed
  // The pair is one key, not a concatenation that two different pairs could share.
  cache.put("A", "B{}", calendar);
  CHECK_FALSE(cache.get("AB", "{}"));
}
