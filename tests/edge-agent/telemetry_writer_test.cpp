// The telemetry writer: rows wait for their window, a call() or a checkpoint commits them
// first, the journal is released only once the position is durable, and stopping commits
// what is left.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "../../edge-agent/src/edge/telemetry_writer.hpp"

using namespace spotter;
using namespace spotter::edge;

namespace {
struct TempStore {
  std::filesystem::path file = std::filesystem::temp_directory_path() / ("spotter-writer-" + std::to_string(std::random_device{}()) + ".db");
  ~TempStore() {
    for (const char* ext : {"", "-wal", "-shm"}) {
      std::filesystem::remove(file.string() + ext);
      std::filesystem::remove(std::filesystem::path(file).replace_extension(".telemetry.db").string() + ext);
    }
  }
};

std::vector<TelemetryRow> rows(std::int64_t from, std::int64_t to) {
  std::vector<TelemetryRow> out;
  for (auto id = from; id <= to; ++id) out.push_back({"tm-1", "b", id, false, id, id, std::nullopt, std::nullopt, std::nullopt, "{}"});
  return out;
}
}  // namespace

TEST_CASE("the telemetry writer commits in windows, before a call, and when it stops") {
  TempStore tmp;
  SqliteEdgeStore store(tmp.file);
  ManualClock clock(0);
  auto sink = std::make_shared<MemoryLogSink>();
  std::vector<JournalPosition> released;
  std::mutex mu;
  {
    TelemetryWriter writer(store, Logger("test", sink, clock), [&](JournalPosition p) {
      std::lock_guard lock(mu);
      released.push_back(p);
    }, std::chrono::hours(1), 1000, std::chrono::hours(1));
    writer.add(rows(1, 3), {1, 30});
    CHECK(writer.backlog() == 3);
    // A window of an hour, far from 1,000 rows: nothing is committed yet, nothing released...
    CHECK(writer.call([&] { return store.telemetry_count(); }) == 3);  // ...until a call, which commits first
    CHECK(writer.backlog() == 0);
    CHECK(store.applied_position() == JournalPosition{1, 30});
    {
      std::lock_guard lock(mu);
      CHECK(released.empty());  // NORMAL commits only: the journal is kept
    }
    writer.add(rows(4, 5), {1, 50});
    writer.checkpoint({1, 50});
    writer.call([] {});
    {
      std::lock_guard lock(mu);
      REQUIRE(released.size() == 1);
      CHECK(released[0] == JournalPosition{1, 50});
    }
    CHECK(store.telemetry_count() == 5);
    // 1,000 rows fill a window: committed without waiting for the hour.
    writer.add(rows(6, 1005), {1, 2000});
    for (int i = 0; i < 500 && writer.backlog() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(writer.backlog() == 0);
    writer.add(rows(3, 4), {1, 2100});  // repeats: stored once
    writer.stop();
    CHECK(writer.totals().stored == 1005);
    CHECK(writer.totals().duplicates == 2);
  }
  CHECK(store.telemetry_count() == 1005);
  CHECK(store.applied_position() == JournalPosition{1, 2100});
}

TEST_CASE("the telemetry writer commits soon after the flow stops, without waiting out its window") {
  TempStore tmp;
  SqliteEdgeStore store(tmp.file);
  ManualClock clock(0);
  TelemetryWriter writer(store, Logger("test", std::make_shared<MemoryLogSink>(), clock), [](JournalPosition) {}, std::chrono::hours(1), 1000,
                         std::chrono::milliseconds(20));
  writer.add(rows(1, 3), {1, 30});
  for (int i = 0; i < 500 && writer.backlog() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(writer.backlog() == 0);
  CHECK(store.telemetry_count() == 3);
}
