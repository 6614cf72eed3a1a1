#include <doctest/doctest.h>

#include "spotter/edge/session_rules.hpp"

using namespace spotter;
using namespace spotter::edge;
using namespace std::chrono_literals;

namespace {
WallTime at(std::int64_t ms) { return WallTime(std::chrono::milliseconds(ms)); }
constexpr std::int64_t kHour = 3'600'000;
// Monday 2025-11-17 10:00 in New York is 15:00 UTC.
constexpr std::int64_t kMon10 = 1763391600000;

BranchCalendar new_york(const char* hours) {
  return BranchCalendar(load_time_zone("America/New_York").value(),
                        OpeningHours::from_json(parse_json_strict(hours).value()).value());
}
}  // namespace

TEST_CASE("a session ends 4 hours after it started, stamped with that moment") {
  auto cal = new_york(R"({"mon":[["06:00","23:00"]]})");
  SessionRecord s{"ses1", "ana", "b1", kMon10, "front"};
  CHECK_FALSE(auto_end(s, at(kMon10 + 4 * kHour - 1), cal).has_value());
  auto e = auto_end(s, at(kMon10 + 5 * kHour), cal);
  REQUIRE(e.has_value());
  CHECK(e->ended_by == "timeout");
  CHECK(e->ended_at_ms == kMon10 + 4 * kHour);
}

TEST_CASE("closing time comes first when it is sooner, in the branch's time zone") {
  auto cal = new_york(R"({"mon":[["06:00","12:00"]]})");
  SessionRecord s{"ses1", "ana", "b1", kMon10, "front"};  // 10:00 local, closes 12:00 local
  CHECK_FALSE(auto_end(s, at(kMon10 + 2 * kHour - 1), cal).has_value());
  auto e = auto_end(s, at(kMon10 + 2 * kHour), cal);
  REQUIRE(e.has_value());
  CHECK(e->ended_by == "closing");
  CHECK(e->ended_at_ms == kMon10 + 2 * kHour);
}

TEST_CASE("a branch open around the clock ends sessions by the 4 hours alone") {
  BranchCalendar cal(load_time_zone("UTC").value(), OpeningHours::always_open());
  SessionRecord s{"ses1", "ana", "b1", kMon10, "front"};
  CHECK(auto_end(s, at(kMon10 + 4 * kHour), cal)->ended_by == "timeout");
}

TEST_CASE("closing across a DST change is found in local time") {
  // Europe/Madrid, Sunday 2025-10-26: 03:00 CEST returns to 02:00 CET. From 01:00 CEST to a
  // 03:30 closing is 2.5 h on the wall clock but 3.5 h of real time, still under 4 h.
  BranchCalendar cal(load_time_zone("Europe/Madrid").value(),
                     OpeningHours::from_json(parse_json_strict(R"({"sun":[["00:00","03:30"]]})").value()).value());
  SessionRecord s{"ses1", "ana", "b1", 1761433200000 /* 01:00 CEST */, "front"};
  auto e = auto_end(s, at(1761433200000 + 5 * kHour), cal);
  REQUIRE(e.has_value());
  CHECK(e->ended_by == "closing");
  CHECK(e->ended_at_ms == 1761433200000 + 3 * kHour + 30 * 60'000);
  // Open only until 02:30: the first 02:30 (CEST) is 1.5 h later.
  BranchCalendar early(load_time_zone("Europe/Madrid").value(),
                       OpeningHours::from_json(parse_json_strict(R"({"sun":[["00:00","02:30"]]})").value()).value());
  auto e2 = auto_end(s, at(1761433200000 + 5 * kHour), early);
  REQUIRE(e2.has_value());
  CHECK(e2->ended_by == "closing");
  CHECK(e2->ended_at_ms == 1761433200000 + 90 * 60'000);
}
