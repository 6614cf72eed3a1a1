// What the SQLite store adds to the DoorStore contract: durability across reopen,
// migrations, atomic imports, all-or-nothing door records, and the outbox.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <random>

#include "spotter/edge/sqlite_store.hpp"

using namespace spotter;
using namespace spotter::edge;

namespace {
struct TempDb {
  std::filesystem::path file = std::filesystem::temp_directory_path() / ("spotter-store-" + std::to_string(std::random_device{}()) + ".db");
  std::filesystem::path telemetry_file() const {
    auto t = file;
    return t.replace_extension(".telemetry.db");
  }
  ~TempDb() {
    for (const char* ext : {"", "-wal", "-shm"}) {
      std::filesystem::remove(file.string() + ext);
      std::filesystem::remove(telemetry_file().string() + ext);
    }
  }
};

ReplicaSnapshot one_member(const char* id) {
  ReplicaSnapshot s;
  s.branch = {"b1", "Downtown", "Europe/Madrid", OpeningHours::always_open()};
  s.members = {{id, "Name", false}};
  s.memberships = {{"ms", id, 0, 4'000'000'000'000, false, {"b1", "b2"}}};
  s.cards = {{"04A1B2C3", id, false}};
  return s;
}

DoorOutcome entry(const std::string& member, const std::string& session_id) {
  DoorOutcome o;
  o.reply = {"s-1", true, protocol::Reason::ok, session_id, std::nullopt};
  o.member_id = member;
  o.session_started = SessionRecord{session_id, member, "b1", 1000, "front"};
  return o;
}
}  // namespace

TEST_CASE("the databases are the agent's alone (0600), whatever the umask; an older, broader file is narrowed") {
  TempDb db;
  const mode_t old = ::umask(0);
  { SqliteEdgeStore s(db.file); }
  ::umask(old);
  for (const auto& f : {db.file, db.telemetry_file()}) {
    struct stat st{};
    REQUIRE(::stat(f.c_str(), &st) == 0);
    CAPTURE(f.string());
    CHECK((st.st_mode & 0777) == 0600);
  }
  ::chmod(db.file.c_str(), 0644);
  { SqliteEdgeStore s(db.file); }
  struct stat st{};
  REQUIRE(::stat(db.file.c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);
}

TEST_CASE("the schema is created once and a newer one is refused") {
  TempDb db;
  { SqliteEdgeStore s(db.file); CHECK(s.schema_version() == 9); }
  { SqliteEdgeStore s(db.file); CHECK(s.schema_version() == 9); }
  {
    SQLite::Database raw(db.file.string(), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = 99");
  }
  CHECK_THROWS_AS(SqliteEdgeStore(db.file), std::runtime_error);
}

TEST_CASE("an import replaces the whole replica, and survives reopening") {
  TempDb db;
  {
    SqliteEdgeStore s(db.file);
    REQUIRE(s.import_replica(one_member("ana")).ok());
    REQUIRE(s.import_replica(one_member("bo")).ok());
    CHECK_FALSE(s.member("ana").has_value());
  }
  SqliteEdgeStore s(db.file);
  CHECK(s.member_by_card("04A1B2C3")->id == "bo");
  CHECK(s.memberships_of("bo").at(0).branch_ids == std::vector<std::string>{"b1", "b2"});
  CHECK(s.branch()->time_zone == "Europe/Madrid");
}

TEST_CASE("a door record is all or nothing, and one open session per member is enforced by the database") {
  TempDb db;
  SqliteEdgeStore s(db.file);
  REQUIRE(s.import_replica(one_member("ana")).ok());
  REQUIRE(s.record_door({"e1", "front", "s-1", protocol::Direction::in, protocol::Credential::Kind::nfc, 1000}, entry("ana", "ses1")).ok());
  CHECK(s.outbox_depth() == 2);  // door_event + session_started
  // A buggy caller starting a second session: refused, and the event is not half-recorded.
  auto again = s.record_door({"e2", "front", "s-2", protocol::Direction::in, protocol::Credential::Kind::nfc, 2000}, entry("ana", "ses2"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "storage");
  CHECK(s.outbox_depth() == 2);
  CHECK(s.open_session("ana")->id == "ses1");
  // The same event id twice (a retried write) is refused too: event ids are idempotency keys.
  DoorOutcome refusal;
  refusal.reply = {"s-3", false, protocol::Reason::already_inside, std::nullopt, std::nullopt};
  CHECK_FALSE(s.record_door({"e1", "front", "s-3", protocol::Direction::in, protocol::Credential::Kind::nfc, 3000}, refusal).ok());
}

TEST_CASE("sessions and used QR codes survive a reopen (the process restarting)") {
  TempDb db;
  {
    SqliteEdgeStore s(db.file);
    REQUIRE(s.import_replica(one_member("ana")).ok());
    auto o = entry("ana", "ses1");
    o.qr_to_mark_used = QrIdentity{"ana", "jti-1", 5000};
    REQUIRE(s.record_door({"e1", "front", "s-1", protocol::Direction::in, protocol::Credential::Kind::qr, 1000}, o).ok());
  }
  SqliteEdgeStore s(db.file);
  CHECK(s.open_session("ana")->started_at_ms == 1000);
  CHECK(s.qr_used("jti-1"));
  CHECK(s.outbox_depth() == 2);
}

TEST_CASE("the agent's own session end is recorded once, with the outbox told") {
  TempDb db;
  SqliteEdgeStore s(db.file);
  REQUIRE(s.import_replica(one_member("ana")).ok());
  REQUIRE(s.record_door({"e1", "front", "s-1", protocol::Direction::in, protocol::Credential::Kind::nfc, 1000}, entry("ana", "ses1")).ok());
  auto open = s.open_sessions();
  REQUIRE(open.size() == 1);
  REQUIRE(s.end_session(open[0], 1000 + 4 * 3'600'000, "timeout").ok());
  CHECK(s.open_sessions().empty());
  CHECK_FALSE(s.open_session("ana").has_value());
  CHECK(s.outbox_depth() == 3);
  CHECK(s.end_session(open[0], 5000, "closing").error().code == "storage");  // already ended
  CHECK(s.outbox_depth() == 3);
}

TEST_CASE("a version 1 database is migrated, keeping what it held") {
  TempDb db;
  {
    SqliteEdgeStore s(db.file);
    REQUIRE(s.import_replica(one_member("ana")).ok());
    REQUIRE(s.record_door({"e1", "front", "s-1", protocol::Direction::in, protocol::Credential::Kind::nfc, 1000}, entry("ana", "ses1")).ok());
  }
  {
    SQLite::Database raw(db.file.string(), SQLite::OPEN_READWRITE);
    raw.exec("DROP TABLE machine_links; DROP TABLE machine_states; DROP TABLE telemetry; DROP TABLE ingest_state; "
             "DROP TABLE outbox_quarantine; DROP TABLE sync_state; DROP INDEX outbox_by_kind; DROP TABLE machine_holds; DROP TABLE fingerprints; "
             "PRAGMA user_version = 1");
  }
  SqliteEdgeStore s(db.file);
  CHECK(s.schema_version() == 9);
  CHECK(s.held_machines().empty());
  CHECK(s.open_session("ana")->id == "ses1");
  CHECK(s.open_links().empty());
}

TEST_CASE("machine links and states are recorded with their outbox events, and open links survive a reopen") {
  TempDb db;
  MachineLink link{"lnk1", "tm-1", "ana", "ses1", 1000, 1000};
  {
    SqliteEdgeStore s(db.file);
    FloorChanges start;
    start.links_started.push_back(link);
    start.state_changes.emplace_back("tm-1", protocol::MachineState::in_use);
    REQUIRE(s.record_floor(start, 1000).ok());
    CHECK(s.outbox_depth() == 2);
    // A second open link on the same machine is refused by the database.
    FloorChanges twice;
    twice.links_started.push_back({"lnk2", "tm-1", "bo", "ses2", 2000, 2000});
    CHECK_FALSE(s.record_floor(twice, 2000).ok());
    CHECK(s.outbox_depth() == 2);
    REQUIRE(s.record_maintenance("tm-1", {"E42", protocol::Severity::fault, "belt", std::nullopt}, 2500).ok());
    CHECK(s.outbox_depth() == 3);
  }
  SqliteEdgeStore s(db.file);
  auto open = s.open_links();
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == "lnk1");
  CHECK(open[0].session_id == "ses1");
  FloorChanges end;
  end.links_ended.push_back({link, 3000, "member_left"});
  REQUIRE(s.record_floor(end, 3000).ok());
  CHECK(s.open_links().empty());
  CHECK(s.outbox_depth() == 4);
}

TEST_CASE("ended links are found again by id or by time for late machine data, for 30 days") {
  TempDb db;
  SqliteEdgeStore s(db.file);
  const MachineLink ana{"lnk1", "tm-1", "ana", "ses1", 1'000'000, 1'000'000}, bo{"lnk2", "tm-1", "bo", "ses2", 1'200'000, 1'200'000};
  FloorChanges c;
  c.links_started.push_back(ana);
  REQUIRE(s.record_floor(c, 1'000'000).ok());
  FloorChanges e;
  e.links_ended.push_back({ana, 1'060'000, "machine"});
  REQUIRE(s.record_floor(e, 1'060'000).ok());
  FloorChanges c2;
  c2.links_started.push_back(bo);
  REQUIRE(s.record_floor(c2, 1'200'000).ok());
  auto by_id = s.link_by_id("lnk1");
  REQUIRE(by_id);
  CHECK(by_id->link.member_id == "ana");
  CHECK(by_id->ended_at_ms == 1'060'000);
  CHECK_FALSE(s.link_by_id("lnk9"));
  CHECK(s.link_at("tm-1", 1'030'000, 5000)->link.id == "lnk1");
  CHECK(s.link_at("tm-1", 1'064'000, 5000)->link.id == "lnk1");  // within the grace after its end
  CHECK_FALSE(s.link_at("tm-1", 1'070'000, 5000));              // between the links, past the grace
  CHECK(s.link_at("tm-1", 1'196'000, 5000)->link.id == "lnk2");  // just before Bo's start
  CHECK(s.link_at("tm-1", 9'000'000, 5000)->link.id == "lnk2");  // Bo's is open
  CHECK_FALSE(s.link_at("bike-1", 1'030'000, 5000));
  CHECK(s.recent_links(1'050'000).size() == 2);
  CHECK(s.recent_links(1'070'000).size() == 1);  // only the open one
  // Pruning takes ended links only.
  CHECK(s.prune_links(1'070'000).value() == 1);
  CHECK_FALSE(s.link_by_id("lnk1"));
  CHECK(s.link_by_id("lnk2"));
}

TEST_CASE("staff holds on machines survive a reopen until cleared") {
  TempDb db;
  {
    SqliteEdgeStore s(db.file);
    FloorChanges hold;
    hold.holds = {{"tm-1", true}, {"tm-2", true}};
    REQUIRE(s.record_floor(hold, 1000).ok());
    REQUIRE(s.record_floor(hold, 2000).ok());  // held twice is still one hold
  }
  SqliteEdgeStore s(db.file);
  CHECK(s.held_machines() == std::vector<std::string>{"tm-1", "tm-2"});
  FloorChanges clear;
  clear.holds = {{"tm-1", false}};
  REQUIRE(s.record_floor(clear, 3000).ok());
  CHECK(s.held_machines() == std::vector<std::string>{"tm-2"});
}

TEST_CASE("telemetry is stored once per (machine, boot_id, msg_id), with the journal position") {
  TempDb db;
  SqliteEdgeStore s(db.file);
  auto row = [](const char* machine, const char* boot, std::int64_t id, bool workout = false) {
    return TelemetryRow{machine, boot, id, workout, 1000 + id, 2000 + id, std::string("lnk1"), std::string("ses1"), std::string("ana"),
                        R"({"msg_id":)" + std::to_string(id) + "}"};
  };
  auto first = s.record_telemetry({row("tm-1", "b1", 1), row("tm-1", "b1", 2), row("tm-1", "b2", 1), row("rw-1", "b1", 1)}, {1, 500});
  REQUIRE(first.ok());
  CHECK(first->stored == 4);
  auto again = s.record_telemetry({row("tm-1", "b1", 2), row("tm-1", "b1", 3, true)}, {1, 900});
  REQUIRE(again.ok());
  CHECK(again->stored == 1);
  CHECK(again->duplicates == 1);
  CHECK(s.telemetry_count() == 5);
  CHECK(s.outbox_depth() == 0);  // workouts reach the outbox from the store thread:
  REQUIRE(s.record_workout_events({row("tm-1", "b1", 2), row("tm-1", "b1", 3, true)}).ok());
  REQUIRE(s.record_workout_events({row("tm-1", "b1", 3, true)}).ok());  // a replay
  CHECK(s.outbox_depth() == 1);
  CHECK(s.applied_position() == JournalPosition{1, 900});
  // A replayed batch from before the position counts its rows but keeps the position.
  REQUIRE(s.record_telemetry({row("tm-2", "b1", 1)}, {1, 100}).ok());
  CHECK(s.applied_position() == JournalPosition{1, 900});
  REQUIRE(s.set_applied({1, 400}).ok());  // never moves back
  CHECK(s.applied_position() == JournalPosition{1, 900});
  REQUIRE(s.set_applied({2, 10}).ok());
  CHECK(s.applied_position() == JournalPosition{2, 10});
}

TEST_CASE("a link that ends without a workout message gets one aggregated from its telemetry") {
  TempDb db;
  SqliteEdgeStore s(db.file);
  MachineLink link{"lnk1", "tm-1", "ana", "ses1", 1000, 1000};
  FloorChanges start;
  start.links_started.push_back(link);
  REQUIRE(s.record_floor(start, 1000).ok());
  std::vector<TelemetryRow> rows;
  for (int i = 1; i <= 3; ++i) {
    rows.push_back({"tm-1", "b", i, false, 1000 + i * 1000, 1000 + i * 1000, std::string("lnk1"), std::string("ses1"), std::string("ana"),
                    R"({"msg_id":)" + std::to_string(i) + R"(,"ts":)" + std::to_string(1000 + i * 1000) +
                        R"(,"metrics":{"distance_m":)" + std::to_string(i * 100) + R"(,"heart_rate_bpm":120}})"});
  }
  REQUIRE(s.record_telemetry(rows, {1, 1}).ok());
  auto before = s.outbox_depth();
  FloorChanges end;
  end.links_ended.push_back({link, 9000, "member_left", protocol::Category::cardio});
  REQUIRE(s.record_floor(end, 9000).ok());
  CHECK(s.outbox_depth() == before + 2);  // link_ended + the aggregated workout
  SQLite::Database raw(db.file.string(), SQLite::OPEN_READONLY);
  auto body = parse_json_strict(raw.execAndGet("SELECT body FROM outbox WHERE kind = 'workout'").getString()).value();
  CHECK(body["workout"]["aggregated"] == true);
  CHECK(body["workout"]["distance_m"] == 300.0);
  CHECK(body["session_id"] == "ses1");
}

TEST_CASE("telemetry lives in its own file, and a database from before the split has its telemetry moved there") {
  TempDb db;
  {
    SqliteEdgeStore s(db.file);
    REQUIRE(s.record_telemetry({TelemetryRow{"tm-1", "b", 1, false, 1, 1, std::nullopt, std::nullopt, std::nullopt, "{}"}}, {1, 50}).ok());
  }
  {
    SQLite::Database t(db.telemetry_file().string(), SQLite::OPEN_READONLY);
    CHECK(t.execAndGet("SELECT COUNT(*) FROM telemetry").getInt64() == 1);
    // What an older agent left in the main file: rows and a journal position further on.
    SQLite::Database main(db.file.string(), SQLite::OPEN_READWRITE);
    main.exec("INSERT INTO telemetry VALUES ('tm-1', 'b', 2, 0, 2, 2, NULL, NULL, NULL, '{\"a\":1}'), "
              "('tm-1', 'b', 1, 0, 1, 1, NULL, NULL, NULL, '{}')");
    main.exec("UPDATE ingest_state SET segment = 3, offset = 70 WHERE id = 1");
  }
  SqliteEdgeStore s(db.file);
  CHECK(s.telemetry_count() == 2);  // (tm-1, b, 1) once
  CHECK(s.applied_position() == JournalPosition{3, 70});
  CHECK(s.storage_use().telemetry_bytes == 9);  // "{}" and {"a":1}
  SQLite::Database main(db.file.string(), SQLite::OPEN_READONLY);
  CHECK(main.execAndGet("SELECT COUNT(*) FROM telemetry").getInt64() == 0);
}
