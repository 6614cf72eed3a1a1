#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "../../edge-agent/src/adapters/posix/inbound_journal.hpp"

using namespace spotter::edge;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("spotter-journal-" + std::to_string(std::random_device{}()));
  ~TempDir() { fs::remove_all(path); }
};
std::vector<JournalEntry> all(InboundJournal& j, JournalPosition from = {}) {
  std::vector<JournalEntry> out;
  REQUIRE(j.replay(from, [&](const JournalEntry& e) { out.push_back(e); }).ok());
  return out;
}
}  // namespace

TEST_CASE("appended records replay in order, from any applied position, after reopening") {
  TempDir d;
  JournalPosition third;
  {
    InboundJournal j(d.path);
    for (int i = 0; i < 5; ++i) {
      auto pos = j.append("spotter/v1/b/machines/m/telemetry", "{\"msg_id\":" + std::to_string(i) + "}", 1000 + i);
      REQUIRE(pos.ok());
      if (i == 2) third = *pos;
    }
    REQUIRE(j.sync().ok());
  }
  InboundJournal j(d.path);
  auto everything = all(j);
  REQUIRE(everything.size() == 5);
  CHECK(everything[0].topic == "spotter/v1/b/machines/m/telemetry");
  CHECK(everything[4].payload == "{\"msg_id\":4}");
  CHECK(everything[4].received_at_ms == 1004);
  auto rest = all(j, third);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].payload == "{\"msg_id\":3}");
}

TEST_CASE("a torn or corrupt tail is cut off and appends continue after the last good record") {
  TempDir d;
  {
    InboundJournal j(d.path);
    REQUIRE(j.append("t", "one", 1).ok());
    REQUIRE(j.append("t", "two", 2).ok());
  }
  auto seg = fs::directory_iterator(d.path)->path();
  auto good = fs::file_size(seg);
  {
    std::ofstream f(seg, std::ios::binary | std::ios::app);
    f << "\x20\x00\x00\x00garbage-half-record";  // a crash mid-write
  }
  InboundJournal j(d.path);
  CHECK(all(j).size() == 2);
  CHECK(fs::file_size(seg) == good);
  REQUIRE(j.append("t", "three", 3).ok());
  auto again = all(j);
  REQUIRE(again.size() == 3);
  CHECK(again[2].payload == "three");
  // A flipped byte inside the last record fails its CRC: that record and the rest go.
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(fs::file_size(seg) - 2));
    f.put('X');
  }
  InboundJournal k(d.path);
  CHECK(all(k).size() == 2);
}

TEST_CASE("segments roll over and are released once applied") {
  TempDir d;
  InboundJournal j(d.path, 200);
  JournalPosition last;
  for (int i = 0; i < 40; ++i) last = j.append("topic", std::string(50, 'x'), i).value();
  CHECK(last.segment > 5);
  CHECK(all(j).size() == 40);
  auto before = j.bytes_on_disk();
  j.release(last);
  CHECK(j.bytes_on_disk() < before);
  CHECK(all(j, last).empty());
  CHECK(all(j, {last.segment, 0}).size() >= 1);  // the current segment is kept
}
