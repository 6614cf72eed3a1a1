// A week offline on a manual clock: the gateway stays within its byte budget and keeps
// every door and session event; what it gave up is itself recorded.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <random>

#include "spotter/common/clock.hpp"
#include "spotter/edge/sqlite_store.hpp"
#include "spotter/edge/storage_budget.hpp"

using namespace spotter;
using namespace spotter::edge;

namespace {
// A member comes in at the front door at `at_ms` and leaves 1 ms later: two door events and
// the session's start and end in the outbox (none of them evictable).
void record_visit(SqliteEdgeStore& s, const std::string& member, const std::string& session, std::int64_t at_ms) {
  DoorOutcome in;
  in.reply = {"r", true, protocol::Reason::ok, session, std::nullopt};
  in.member_id = member;
  in.session_started = SessionRecord{session, member, "b1", at_ms, "front"};
  REQUIRE(s.record_door({"in-" + session, "front", "r", protocol::Direction::in, protocol::Credential::Kind::nfc, at_ms}, in).ok());
  DoorOutcome out = in;
  out.session_started.reset();
  out.session_ended = in.session_started;
  REQUIRE(s.record_door({"out-" + session, "front", "r", protocol::Direction::out, protocol::Credential::Kind::nfc, at_ms + 1}, out).ok());
}
}  // namespace

TEST_CASE("bytes_to_free: over budget, under the disk watermark, or nothing") {
  StorageLimits limits{1000, 500};
  CHECK(bytes_to_free({0, 600, 0, 300, 0, 0}, limits, 10'000) == 0);
  CHECK(bytes_to_free({0, 900, 0, 300, 0, 0}, limits, 10'000) == 200 + 100);
  CHECK(bytes_to_free({0, 100, 0, 100, 0, 0}, limits, 300) == 200 + 100);
}

TEST_CASE("a week offline stays within the budget and keeps every door and session event") {
  auto file = std::filesystem::temp_directory_path() / ("spotter-week-" + std::to_string(std::random_device{}()) + ".db");
  auto telemetry_file = std::filesystem::path(file).replace_extension(".telemetry.db");
  {
    SqliteEdgeStore s(file);
    ReplicaSnapshot r;
    r.branch = {"b1", "B", "UTC", OpeningHours::always_open()};
    for (int i = 0; i < 30; ++i) r.members.push_back({"m" + std::to_string(i), "M", false});
    REQUIRE(s.import_replica(r).ok());
    ManualClock clock(1'763'000'000'000);
    const StorageLimits limits{2 << 20, 0};  // 2 MiB: a week of this traffic is ~20 MiB
    std::int64_t msg = 0, door_events = 0, evictions = 0;
    for (int hour = 0; hour < 7 * 24; ++hour) {
      // Ten members come and go.
      for (int k = 0; k < 10; ++k) {
        std::string m = "m" + std::to_string((hour * 10 + k) % 30), ses = "ses-" + std::to_string(hour) + "-" + std::to_string(k);
        if (s.open_session(m)) continue;
        record_visit(s, m, ses, clock.now_ms());
        door_events += 2;
      }
      // An hour of telemetry and machine status changes.
      std::vector<TelemetryRow> rows;
      for (int i = 0; i < 1000; ++i) {
        ++msg;
        rows.push_back({"tm-" + std::to_string(i % 20), "b", msg, false, clock.now_ms(), clock.now_ms() + i,
                        std::nullopt, std::nullopt, std::nullopt,
                        R"({"msg_id":)" + std::to_string(msg) + R"(,"ts":1,"metrics":{"speed_kmh":10.5,"heart_rate_bpm":140,"distance_m":1234.5}})"});
      }
      REQUIRE(s.record_telemetry(rows, {1, static_cast<std::uint64_t>(msg)}).ok());
      FloorChanges states;
      for (int i = 0; i < 20; ++i) states.state_changes.emplace_back("tm-" + std::to_string(i), i % 2 ? protocol::MachineState::idle : protocol::MachineState::in_use);
      REQUIRE(s.record_floor(states, clock.now_ms()).ok());
      // The agent's budget check.
      if (auto need = bytes_to_free(s.storage_use(), limits, 1LL << 40); need > 0) {
        auto telemetry = s.evict_telemetry(need);
        REQUIRE(telemetry.ok());
        REQUIRE(s.evict(need, clock.now_ms(), *telemetry).ok());
        ++evictions;
      }
      clock.advance(std::chrono::hours(1));
      auto use = s.storage_use();
      CHECK(use.telemetry_bytes + use.outbox_bytes <= limits.budget_bytes + (1 << 20));  // at most an hour's worth over
    }
    auto use = s.storage_use();
    CHECK(use.telemetry_bytes + use.outbox_bytes <= limits.budget_bytes);
    CHECK(evictions > 10);
    SQLite::Database raw(file.string(), SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM outbox WHERE kind = 'door_event'").getInt64() == door_events);
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM outbox WHERE kind = 'session_started'").getInt64() == door_events / 2);
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM outbox WHERE kind = 'session_ended'").getInt64() == door_events / 2);
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM outbox WHERE kind = 'eviction'").getInt64() == evictions);
    // The newest telemetry is what is kept.
    SQLite::Database raw_telemetry(telemetry_file.string(), SQLite::OPEN_READONLY);
    CHECK(raw_telemetry.execAndGet("SELECT MAX(msg_id) FROM telemetry").getInt64() == msg);
  }
  for (const char* ext : {"", "-wal", "-shm"}) {
    std::filesystem::remove(file.string() + ext);
    std::filesystem::remove(telemetry_file.string() + ext);
  }
}

// The outbox part of an eviction on its own: no telemetry to give up, so what goes is chosen
// among the outbox events. Mutation tried: picking victims without `evictable = 1` (door and
// session events then go too) fails this test; the week above passes with it, because
// evicting telemetry always freed enough there.
TEST_CASE("outbox eviction: with no telemetry left, machine status changes go oldest first; door and session events never") {
  auto file = std::filesystem::temp_directory_path() / ("spotter-evict-" + std::to_string(std::random_device{}()) + ".db");
  {
    SqliteEdgeStore s(file);
    ReplicaSnapshot r;
    r.branch = {"b1", "B", "UTC", OpeningHours::always_open()};
    for (int i = 0; i < 5; ++i) r.members.push_back({"m" + std::to_string(i), "M", false});
    REQUIRE(s.import_replica(r).ok());
    ManualClock clock(1'763'000'000'000);
    for (int k = 0; k < 5; ++k) {
      record_visit(s, "m" + std::to_string(k), "ses-" + std::to_string(k), clock.now_ms());
    }
    const std::int64_t first_round_ms = clock.now_ms();
    for (int round = 0; round < 3; ++round) {
      FloorChanges states;
      for (int i = 0; i < 20; ++i) states.state_changes.emplace_back("tm-" + std::to_string(i), round % 2 ? protocol::MachineState::idle : protocol::MachineState::in_use);
      REQUIRE(s.record_floor(states, clock.now_ms()).ok());
      clock.advance(std::chrono::minutes(1));
    }
    SQLite::Database raw(file.string(), SQLite::OPEN_READONLY);
    auto count = [&](const std::string& kind) { return raw.execAndGet("SELECT COUNT(*) FROM outbox WHERE kind = '" + kind + "'").getInt64(); };
    REQUIRE(count("machine_status") == 60);
    const auto use = s.storage_use();
    REQUIRE(use.evictable_outbox_bytes > 0);

    // Half of what may go: the oldest status changes go, the newest stay.
    const auto freed = s.evict(use.evictable_outbox_bytes / 2, clock.now_ms(), SqliteEdgeStore::TelemetryEviction{});
    REQUIRE(freed.ok());
    CHECK(*freed >= use.evictable_outbox_bytes / 2);
    const auto left = count("machine_status");
    CHECK(left > 0);
    CHECK(left < 60);
    CHECK(raw.execAndGet("SELECT MIN(at_ms) FROM outbox WHERE kind = 'machine_status'").getInt64() > first_round_ms);
    CHECK(count("eviction") == 1);

    // More than everything: every evictable event goes, and nothing else.
    REQUIRE(s.evict(use.outbox_bytes * 10, clock.now_ms() + 1, SqliteEdgeStore::TelemetryEviction{}).ok());
    CHECK(count("machine_status") == 0);
    CHECK(count("door_event") == 10);
    CHECK(count("session_started") == 5);
    CHECK(count("session_ended") == 5);
  }
  for (const char* ext : {"", "-wal", "-shm"}) {
    std::filesystem::remove(file.string() + ext);
    std::filesystem::remove(std::filesystem::path(file).replace_extension(".telemetry.db").string() + ext);
  }
}
