// The storage contract: every SqlDatabase behaves as these cases say. cloud_tests runs once
// per engine (SQLite, and PostgreSQL with SPOTTER_TEST_DB=postgresql), so each case holds
// for both; the few about one engine only say so.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "adapters/sqlite/round1_schema.hpp"
#include "adapters/sqlite/sqlite_database.hpp"
#include "app/migrator.hpp"
#include "domains/org/org.hpp"
#include "fixture.hpp"
#include "platform/platform.hpp"

using namespace spotter;
using namespace spotter::testing;
using cloud::SqlDatabase;
using cloud::SqlValue;

namespace {

// A fresh, empty database on the engine under test, with a small table of its own.
struct TestDb {
  TempDir dir;
  std::string url = fresh_database_url(dir);
  std::unique_ptr<SqlDatabase> db = open_database(url);
  TestDb() {
    REQUIRE(db->execute_script("CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0 CHECK (n >= 0), flag BOOLEAN, "
                               "score DOUBLE PRECISION, note TEXT, parent TEXT REFERENCES items(id))"));
  }
  ~TestDb() {
    db.reset();
    drop_database(url);
  }
  // Another connection to the same database: what a second instance sees.
  std::unique_ptr<SqlDatabase> other() const { return open_database(url); }
};

std::int64_t count_of(SqlDatabase& db, const std::string& sql, const std::vector<SqlValue>& params = {}) {
  auto rows = db.query(sql, params);
  REQUIRE_MESSAGE(rows, rows.error().message);
  REQUIRE(rows->size() == 1);
  return rows->front().integer(0);
}

Status add(SqlDatabase& db, const std::string& id, std::int64_t n = 0) {
  auto r = db.execute("INSERT INTO items (id, n) VALUES (?, ?)", {id, n});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

}  // namespace

TEST_CASE("storage: typed values go in and come back as their type") {
  TestDb t;
  auto& db = *t.db;
  REQUIRE(db.execute("INSERT INTO items (id, n, flag, score, note) VALUES (?, ?, ?, ?, ?)",
                     {"a", std::int64_t{9'007'199'254'740'993}, true, 0.1 + 0.2, "ñandú ✓"}));
  REQUIRE(db.execute("INSERT INTO items (id, flag, score, note) VALUES (?, ?, ?, ?)", {"b", false, SqlValue(nullptr), SqlValue(nullptr)}));
  auto rows = db.query("SELECT id, n, flag, score, note FROM items ORDER BY id");
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  const auto& a = (*rows)[0];
  CHECK(a.integer(1) == 9'007'199'254'740'993);  // past what a double holds exactly
  CHECK(a.boolean(2));
  CHECK(a.number(3) == 0.1 + 0.2);
  CHECK(a.text(4) == "ñandú ✓");
  const auto& b = (*rows)[1];
  CHECK_FALSE(b.boolean(2));
  CHECK(b.is_null(3));
  CHECK_FALSE(b.optional_text(4));
  // A boolean compares with a bound boolean on both engines.
  CHECK(count_of(db, "SELECT COUNT(*) FROM items WHERE flag = ?", {true}) == 1);
  // Aggregates: COUNT is an integer, AVG a number (not truncated).
  CHECK(count_of(db, "SELECT COUNT(*) FROM items") == 2);
  auto avg = db.query("SELECT AVG(n) FROM items WHERE id IN (?, ?)", {"b", "b"});
  REQUIRE(avg);
  CHECK(avg->front().number(0) == 0.0);
  REQUIRE(db.execute("UPDATE items SET n = ? WHERE id = ?", {std::int64_t{3}, "b"}));
  REQUIRE(db.execute("INSERT INTO items (id, n) VALUES (?, ?)", {"c", std::int64_t{4}}));
  auto avg2 = db.query("SELECT AVG(n) FROM items WHERE id IN (?, ?)", {"b", "c"});
  REQUIRE(avg2);
  CHECK(avg2->front().number(0) == 3.5);
}

TEST_CASE("storage: errors are classified by the engine's codes") {
  TestDb t;
  auto& db = *t.db;
  REQUIRE(add(db, "a"));
  auto dup = db.execute("INSERT INTO items (id) VALUES (?)", {"a"});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == cloud::sql_error::conflict);
  auto orphan = db.execute("INSERT INTO items (id, parent) VALUES (?, ?)", {"b", "nobody"});
  REQUIRE_FALSE(orphan);
  CHECK(orphan.error().code == cloud::sql_error::reference);
  auto negative = db.execute("INSERT INTO items (id, n) VALUES (?, ?)", {"c", std::int64_t{-1}});
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code == cloud::sql_error::constraint);
  auto bad = db.query("SELEKT 1");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == cloud::sql_error::sql);
  // No bound value in any message: they go to logs.
  auto secret = db.execute("INSERT INTO items (id, n) VALUES (?, ?)", {"a", std::int64_t{5}});
  REQUIRE_FALSE(secret);
  CHECK(secret.error().message.find("\"a\"") == std::string::npos);
  CHECK(count_of(db, "SELECT COUNT(*) FROM items") == 1);
}

TEST_CASE("storage: a transaction reads its own rows before commit; others see them only after") {
  TestDb t;
  auto& db = *t.db;
  std::atomic<int> seen_by_other_thread{-1};
  auto done = db.transaction([&]() -> Status {
    if (auto s = add(db, "inside"); !s) return s;
    CHECK(count_of(db, "SELECT COUNT(*) FROM items WHERE id = 'inside'") == 1);
    std::thread other([&] { seen_by_other_thread = static_cast<int>(count_of(db, "SELECT COUNT(*) FROM items WHERE id = 'inside'")); });
    other.join();
    return {};
  });
  REQUIRE(done);
  CHECK(seen_by_other_thread == 0);  // read the last committed state, unblocked
  std::thread after([&] { CHECK(count_of(db, "SELECT COUNT(*) FROM items WHERE id = 'inside'") == 1); });
  after.join();
  CHECK(count_of(*t.other(), "SELECT COUNT(*) FROM items WHERE id = 'inside'") == 1);
}

TEST_CASE("storage: a failure or an exception inside a transaction leaves nothing, and the database is usable after") {
  TestDb t;
  auto& db = *t.db;
  auto failed = db.transaction([&]() -> Status {
    if (auto s = add(db, "rolled_back"); !s) return s;
    return fail("invalid", "changed my mind");
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message == "changed my mind");
  // A constraint failure inside is reported, not thrown, and rolls the rest back too.
  auto conflict = db.transaction([&]() -> Status {
    if (auto s = add(db, "x"); !s) return s;
    return add(db, "x");
  });
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code == cloud::sql_error::conflict);
  // An exception (a programming error) rolls back and goes on up.
  CHECK_THROWS_AS(db.transaction([&]() -> Status {
    if (auto s = add(db, "thrown"); !s) return s;
    throw std::logic_error("bug");
  }),
                  std::logic_error);
  CHECK_FALSE(db.in_transaction());
  CHECK(count_of(db, "SELECT COUNT(*) FROM items") == 0);
  // Nothing is left open: the next transaction and plain writes work, from any thread.
  REQUIRE(db.transaction([&] { return add(db, "after"); }));
  std::thread other([&] { CHECK(add(db, "other_thread")); });
  other.join();
  CHECK(count_of(*t.other(), "SELECT COUNT(*) FROM items") == 2);
}

TEST_CASE("storage: a nested transaction is a savepoint; after-commit hooks run once the outer one commits") {
  TestDb t;
  auto& db = *t.db;
  std::vector<std::string> ran;
  auto outer = db.transaction([&]() -> Status {
    ran.clear();
    if (auto s = add(db, "outer"); !s) return s;
    db.after_commit([&] { ran.push_back("outer"); });
    auto inner = db.transaction([&]() -> Status {
      if (auto s = add(db, "inner"); !s) return s;
      db.after_commit([&] { ran.push_back("inner"); });
      return fail("invalid", "inner gives up");
    });
    CHECK_FALSE(inner);
    CHECK(db.after_commit_once("k", [&] { ran.push_back("once"); }));
    CHECK_FALSE(db.after_commit_once("k", [&] { ran.push_back("twice"); }));
    CHECK(ran.empty());  // nothing before the commit
    return db.atomically([&] { return add(db, "joined"); });
  });
  REQUIRE(outer);
  CHECK(ran == std::vector<std::string>{"outer", "once"});
  CHECK(count_of(db, "SELECT COUNT(*) FROM items WHERE id IN ('outer', 'joined')") == 2);
  CHECK(count_of(db, "SELECT COUNT(*) FROM items WHERE id = 'inner'") == 0);
  // A rolled-back transaction runs none of its hooks.
  bool rolled_back_hook = false;
  REQUIRE_FALSE(db.transaction([&]() -> Status {
    db.after_commit([&] { rolled_back_hook = true; });
    return fail("invalid", "no");
  }));
  CHECK_FALSE(rolled_back_hook);
  // Outside a transaction a hook runs at once.
  bool now = false;
  db.after_commit([&] { now = true; });
  CHECK(now);
}

TEST_CASE("storage: writes from many threads at once all land; readers never see half a transaction") {
  TestDb t;
  auto& db = *t.db;
  constexpr int kThreads = 6, kEach = 60;
  std::atomic<int> failures{0}, torn_reads{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = std::to_string(th) + "_" + std::to_string(i);
        if (i % 2 == 0) {
          // Two rows in one transaction: a reader sees both or neither.
          auto s = db.transaction([&]() -> Status {
            if (auto a = add(db, "pair_" + key + "_a"); !a) return a;
            return add(db, "pair_" + key + "_b");
          });
          if (!s) ++failures;
        } else if (!add(db, "single_" + key)) {
          ++failures;
        }
        auto rows = db.query("SELECT COUNT(*) FROM items WHERE id LIKE 'pair_%'");
        if (!rows) ++failures;
        else if (rows->front().integer(0) % 2 != 0) ++torn_reads;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(torn_reads == 0);
  CHECK(count_of(db, "SELECT COUNT(*) FROM items WHERE id LIKE 'pair_%'") == kThreads * kEach);
  CHECK(count_of(db, "SELECT COUNT(*) FROM items WHERE id LIKE 'single_%'") == kThreads * kEach / 2);
}

TEST_CASE("storage: a deadlock between two transactions is retried inside, and both land") {
  TestDb t;
  auto& db = *t.db;
  REQUIRE(add(db, "a"));
  REQUIRE(add(db, "b"));
  // Two writers lock the same two rows in opposite orders. PostgreSQL detects the deadlock
  // and fails one of them (40P01); transaction() runs that one again. SQLite's single
  // writer never deadlocks: both land either way.
  std::barrier both_locked_first(2);
  std::atomic<int> attempts{0};
  auto writer = [&](const char* first, const char* second) {
    bool waited = false;
    return db.transaction([&]() -> Status {
      ++attempts;
      SPOTTER_SQL(db.execute("UPDATE items SET n = n + 1 WHERE id = ?", {first}));
      if (!waited && db.engine() == cloud::Engine::postgresql) {
        waited = true;
        both_locked_first.arrive_and_wait();
      }
      SPOTTER_SQL(db.execute("UPDATE items SET n = n + 1 WHERE id = ?", {second}));
      return {};
    });
  };
  Status one, two;
  std::thread a([&] { one = writer("a", "b"); });
  std::thread b([&] { two = writer("b", "a"); });
  a.join();
  b.join();
  CHECK(one);
  CHECK(two);
  CHECK(count_of(db, "SELECT SUM(n) FROM items") == 4);
  if (db.engine() == cloud::Engine::postgresql) CHECK(attempts >= 3);  // one of them ran twice
}

TEST_CASE("storage: numbers handed out in commit order, so a reader following them never skips one") {
  TestDb t;
  auto& db = *t.db;
  REQUIRE(cloud::migrate(db, cloud::platform_migrations()));
  // The first transaction takes a number and commits late; the second must wait for it, so
  // no reader can see the second number committed without the first.
  std::atomic<bool> first_has_number{false};
  std::int64_t first = 0, second = 0;
  std::thread slow([&] {
    CHECK(db.transaction([&]() -> Status {
      auto n = cloud::next_in_commit_order(db, "log");
      if (!n) return Unexpected<Error>{n.error()};
      first = *n;
      first_has_number = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return add(db, "log_" + std::to_string(first));
    }));
  });
  REQUIRE(eventually([&] { return first_has_number.load(); }, std::chrono::seconds(5)));
  auto other = t.other();
  REQUIRE(other->transaction([&]() -> Status {
    auto n = cloud::next_in_commit_order(*other, "log");
    if (!n) return Unexpected<Error>{n.error()};
    second = *n;
    // By the time this one holds its number, the first one's row is committed.
    CHECK(count_of(*other, "SELECT COUNT(*) FROM items WHERE id = ?", {"log_" + std::to_string(first)}) == 1);
    return {};
  }));
  slow.join();
  CHECK(second == first + 1);
  CHECK_FALSE(cloud::next_in_commit_order(db, "log"));  // only inside a transaction
}

TEST_CASE("storage: migrations run once, in order, also when several instances start together") {
  TestDb t;
  const std::vector<cloud::Migration> list = {
      {"test/1", "CREATE TABLE m1 (id {{AUTO_ID}}, v TEXT)"},
      {"test/2", "INSERT INTO m1 (v) VALUES ('from 2'); CREATE INDEX m1_v ON m1(v)"},
  };
  std::vector<std::thread> starters;
  std::atomic<int> ran{0}, failed{0};
  for (int i = 0; i < 4; ++i)
    starters.emplace_back([&] {
      auto db = t.other();
      auto r = cloud::migrate(*db, list);
      if (!r) ++failed;
      else ran += *r;
    });
  for (auto& s : starters) s.join();
  CHECK(failed == 0);
  CHECK(ran == 2);  // each migration by exactly one of them
  CHECK(count_of(*t.db, "SELECT COUNT(*) FROM m1") == 1);
  CHECK(count_of(*t.db, "SELECT COUNT(*) FROM schema_migrations") == 2);
  // A failing migration leaves the ones before it applied and nothing of itself.
  auto broken = list;
  broken.push_back({"test/3", "INSERT INTO m1 (v) VALUES ('from 3'); CREATE TABLE m1 (id TEXT)"});
  auto r = cloud::migrate(*t.db, broken);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("test/3") != std::string::npos);
  CHECK(count_of(*t.db, "SELECT COUNT(*) FROM m1") == 1);
  // A database with a migration this program does not know is newer: refused, untouched.
  REQUIRE(t.db->execute("INSERT INTO schema_migrations (id, applied_at) VALUES ('future/1', 0)"));
  auto newer = cloud::migrate(*t.db, list);
  REQUIRE_FALSE(newer);
  CHECK(newer.error().code == "newer_schema");
}

TEST_CASE("storage (SQLite): a round-1 database is brought up to date and keeps its rows; files are private") {
  if (testing_on_postgres()) return;  // round 1 only ever ran on SQLite
  TempDir dir;
  const auto file = dir.path() / "cloud.db";
  {
    // A database as round 1's version 4 left it.
    SQLite::Database old(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int v = 0; v < 4; ++v) old.exec(cloud::round1::kMigrations[static_cast<std::size_t>(v)]);
    old.exec("PRAGMA user_version = 4");
    old.exec("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES ('br_old', 'Old', 'UTC', '{}', 0, 0)");
    for (const char* m : {"('m-fault', 'maintenance', 'E7')", "('m-idle', 'idle', NULL)"})
      old.exec(std::string("INSERT INTO machines (id, branch_id, name, category, type, state, maintenance_code, created_at, updated_at) "
                           "SELECT column1, 'br_old', column1, 'cardio', 'bike', column2, column3, 0, 0 FROM (VALUES ") + m + ")");
  }
  // What `spotter-cloud serve` does at start: open, then the domains' migrations.
  REQUIRE(cloud::Main({"migrate", "--db", "sqlite:" + file.string()}) == 0);
  auto db = cloud::SqliteDatabase::open(file);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM branches WHERE id = 'br_old'") == 1);
  // The auto-end job's look-up reads only the sessions in progress, through a partial index
  // (round 1's gym_sessions_active_since, then sessions/2's one-active index).
  auto plan = db->query("EXPLAIN QUERY PLAN SELECT id, user_id, branch_id, started_at FROM gym_sessions WHERE status = 'active'");
  REQUIRE(plan);
  REQUIRE_FALSE(plan->empty());
  CHECK(plan->front().text(3).find("gym_sessions_one_active") != std::string::npos);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'gym_sessions_active_since'") == 0);
  // Round 1's 6: a machine in maintenance with a code is held until staff clear it.
  CHECK(count_of(*db, "SELECT COUNT(*) FROM machines WHERE id = 'm-fault' AND staff_hold = 1") == 1);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM machines WHERE staff_hold = 1") == 1);
  // Recorded as holding the domains' first migrations, then given the later ones.
  CHECK(count_of(*db, "SELECT COUNT(*) FROM schema_migrations WHERE id = 'org/1'") == 1);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM schema_migrations WHERE id = 'sync/2'") == 1);
  CHECK(count_of(*db, "SELECT COUNT(*) FROM commit_sequences WHERE name = 'replica_changes'") == 1);
  // A new database file, and its write-ahead log, are the service's alone.
  const auto fresh = dir.path() / "fresh.db";
  {
    auto made = cloud::SqliteDatabase::open(fresh);
    REQUIRE(made->execute_script("CREATE TABLE t (x BIGINT)"));
    for (const auto& f : {fresh, std::filesystem::path(fresh.string() + "-wal")}) {
      struct stat st {};
      REQUIRE(::stat(f.c_str(), &st) == 0);
      CHECK_MESSAGE((st.st_mode & 0777) == 0600, f.string());
    }
  }
  // A commit is on disk when the service acknowledges it: a gateway deletes a batch once it
  // is acknowledged, so power loss must not take it (synchronous=FULL, 2; NORMAL is 1).
  CHECK(count_of(*db, "PRAGMA synchronous") == 2);
  REQUIRE(db->transaction([&]() -> Status {
    CHECK(count_of(*db, "PRAGMA synchronous") == 2);  // inside: the writer's connection
    return {};
  }));
  // A database newer than this build is refused at start, not written to.
  db.reset();
  { SQLite::Database newer(file.string(), SQLite::OPEN_READWRITE); newer.exec("PRAGMA user_version = 99"); }
  CHECK_THROWS(cloud::SqliteDatabase::open(file));
}

TEST_CASE("calendar cache: keyed by the stored text, so a branch whose hours change misses once") {
  cloud::org::CalendarCache cache;
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

TEST_CASE("sqlite: the WAL is checkpointed on a thread of its own, not inside the commit that fills it") {
  TempDir dir;
  const auto file = dir.path() / "wal.db";
  auto db = cloud::SqliteDatabase::open(file);
  REQUIRE(db->execute_script("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"));
  const std::string body(3000, 'x');
  // About 1,500 pages of 4 KiB: past the 1,000 that wake the checkpointer.
  for (int i = 0; i < 1500; ++i) REQUIRE(db->execute("INSERT INTO filler (body) VALUES (?)", {body}));
  // The first ~1,000 rows' pages reach the database file itself (about 4 MB; the WAL then
  // starts again and the last 500 stay in it, under the threshold).
  auto in_file = [&] { return db->checkpoints() >= 1 && std::filesystem::file_size(file) > 3'000'000; };
  for (int i = 0; i < 500 && !in_file(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(db->checkpoints() >= 1);
  CHECK(std::filesystem::file_size(file) > 3'000'000);
  auto rows = db->query("SELECT COUNT(*) FROM filler");
  REQUIRE(rows);
  CHECK(rows->front().integer(0) == 1500);
}
