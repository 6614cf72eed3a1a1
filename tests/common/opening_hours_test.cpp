#include <doctest/doctest.h>

#include "spotter/common/opening_hours.hpp"

using namespace spotter;

namespace {
WallTime at(std::int64_t ms) { return WallTime(std::chrono::milliseconds(ms)); }
std::int64_t ms(WallTime t) { return t.time_since_epoch().count(); }
OpeningHours hours(const char* json) { return OpeningHours::from_json(parse_json_strict(json).value()).value(); }
std::shared_ptr<const TimeZone> zone(const char* name) { return load_time_zone(name).value(); }
}  // namespace

TEST_CASE("opening hours parse, refuse what cannot be meant, and round-trip") {
  auto h = hours(R"({"mon":[["06:00","12:00"],["14:00","22:00"]],"sun":[["00:00","24:00"]]})");
  CHECK(h.day(0) == std::vector<OpenInterval>{{360, 720}, {840, 1320}});
  CHECK(h.day(1).empty());
  CHECK(h.day(6) == std::vector<OpenInterval>{{0, 1440}});
  CHECK(OpeningHours::from_json(h.to_json()).value() == h);
  for (const char* bad : {R"([])", R"({"monday":[]})", R"({"mon":[["06:00"]]})", R"({"mon":[["6:00","22:00"]]})",
                          R"({"mon":[["25:00","26:00"]]})", R"({"mon":[["22:00","24:30"]]})", R"({"mon":[["22:00","06:00"]]})",
                          R"({"mon":[["10:00","10:00"]]})", R"({"mon":[["06:00","12:00"],["11:00","13:00"]]})",
                          R"({"mon":[["24:00","24:00"]]})", R"({"mon":[[600,700]]})", R"({"mon":"06:00-22:00"})"}) {
    CAPTURE(bad);
    auto r = OpeningHours::from_json(parse_json_strict(bad).value());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalid");
  }
}

TEST_CASE("is_open and closes_at, including 24:00 running into the next day") {
  auto h = hours(R"({"fri":[["06:00","22:00"]],"sat":[["18:00","24:00"]],"sun":[["00:00","02:00"]]})");
  CHECK(h.is_open(4, 6 * 60));
  CHECK_FALSE(h.is_open(4, 22 * 60));  // closing minute is closed
  CHECK_FALSE(h.is_open(0, 12 * 60));  // Monday missing: closed
  CHECK(h.closes_at(4, 600) == std::pair{4, 1320});
  CHECK(h.closes_at(5, 23 * 60) == std::pair{6, 120});
  CHECK(h.closes_at(6, 60) == std::pair{6, 120});
  CHECK_FALSE(h.closes_at(4, 23 * 60).has_value());
  CHECK_FALSE(OpeningHours::always_open().closes_at(2, 100).has_value());
}

TEST_CASE("time zones come from the OS database; bad names are refused") {
  CHECK(load_time_zone("Europe/Madrid").ok());
  for (const char* bad : {"Mars/Olympus", "", "../../etc/passwd", "/etc/localtime", "Europe/../../etc"}) {
    CAPTURE(bad);
    CHECK(load_time_zone(bad).error().code == "unknown_time_zone");
  }
  auto ny = zone("America/New_York");
  auto l = ny->to_local(at(1763391600000));  // 2025-11-17 10:00 EST
  CHECK(l.year == 2025);
  CHECK(l.month == 11);
  CHECK(l.day == 17);
  CHECK(l.weekday == 0);
  CHECK(l.minute_of_day == 600);
}

TEST_CASE("a branch calendar answers in the branch's own time zone") {
  BranchCalendar cal(zone("America/New_York"), hours(R"({"mon":[["06:00","22:00"]],"sat":[["18:00","24:00"]],"sun":[["00:00","02:00"]]})"));
  CHECK(cal.is_open(at(1763391600000)));                              // Monday 10:00 local (15:00 UTC)
  CHECK(ms(*cal.closing_time(at(1763391600000))) == 1763434800000);   // Monday 22:00 local
  CHECK(ms(*cal.closing_time(at(1763870400000))) == 1763881200000);   // Saturday 23:00 -> Sunday 02:00
  CHECK_FALSE(cal.is_open(at(1763892000000)));                        // Sunday 05:00
  CHECK_FALSE(cal.closing_time(at(1763892000000)).has_value());
}

TEST_CASE("closing time across DST changes (Europe/Madrid, 2025)") {
  // Spring forward, Sunday 30 March: 02:00 jumps to 03:00. A branch closing at 02:30
  // closes when the gap ends, 03:00 CEST.
  BranchCalendar spring(zone("Europe/Madrid"), hours(R"({"sun":[["00:00","02:30"]]})"));
  CHECK(spring.is_open(at(1743294600000)));  // 01:30 CET
  CHECK(ms(*spring.closing_time(at(1743294600000))) == 1743296400000);
  // Fall back, Sunday 26 October: 03:00 returns to 02:00, so 02:30 happens twice; the
  // branch closes at the first.
  BranchCalendar fall(zone("Europe/Madrid"), hours(R"({"sun":[["00:00","02:30"]]})"));
  CHECK(ms(*fall.closing_time(at(1761433200000))) == 1761438600000);
}

// Away from the transition instants: a whole summer day and a whole winter day, both ways
// (to_local and to_instant) and through the calendar. Mutation tried: to_instant using the
// standard offset (without the summer saving) fails the summer to_instant and closing-time
// checks here; the DST test above, which looks only at the transition nights, passed with it.
TEST_CASE("summer and winter days away from the change use their own offset (Europe/Madrid, America/New_York)") {
  auto madrid = zone("Europe/Madrid");
  auto summer = madrid->to_local(at(1752651000000));  // 2025-07-16 09:30 CEST (07:30 UTC)
  CHECK(summer.month == 7);
  CHECK(summer.day == 16);
  CHECK(summer.weekday == 2);
  CHECK(summer.minute_of_day == 9 * 60 + 30);
  CHECK(ms(madrid->to_instant(2025, 7, 16, 9 * 60 + 30)) == 1752651000000);
  auto winter = madrid->to_local(at(1736929800000));  // 2025-01-15 09:30 CET (08:30 UTC)
  CHECK(winter.minute_of_day == 9 * 60 + 30);
  CHECK(ms(madrid->to_instant(2025, 1, 15, 9 * 60 + 30)) == 1736929800000);
  auto ny = zone("America/New_York")->to_local(at(1752674400000));  // 2025-07-16 10:00 EDT (14:00 UTC)
  CHECK(ny.minute_of_day == 600);

  BranchCalendar cal(madrid, hours(R"({"wed":[["09:00","21:00"]]})"));
  CHECK_FALSE(cal.is_open(at(1752647400000)));                        // 08:30 CEST: not yet
  CHECK(cal.is_open(at(1752651000000)));                              // 09:30 CEST
  CHECK(ms(*cal.closing_time(at(1752651000000))) == 1752692400000);   // 21:00 CEST = 19:00 UTC
  CHECK(cal.is_open(at(1736929800000)));                              // 09:30 CET
  CHECK(ms(*cal.closing_time(at(1736929800000))) == 1736971200000);   // 21:00 CET = 20:00 UTC
}
