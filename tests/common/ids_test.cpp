#include <doctest/doctest.h>

#include <array>
#include <set>

#include "spotter/common/clock.hpp"
#include "spotter/common/id_format.hpp"
#include "spotter/common/ids.hpp"

using namespace spotter;

TEST_CASE("id validation follows [A-Za-z0-9_-]{1,64}") {
  CHECK(is_valid_id("branch-01_A"));
  CHECK(is_valid_id(std::string(64, 'a')));
  CHECK_FALSE(is_valid_id(""));
  CHECK_FALSE(is_valid_id(std::string(65, 'a')));
  for (const char* bad : {"a/b", "a+b", "a#", "a b", "ä", "a.b"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_id(bad));
  }
  CHECK_FALSE(is_valid_id(std::string_view("a\0b", 3)));
}

TEST_CASE("sortable ids encode time first, in Crockford base32") {
  std::array<std::uint8_t, 10> zeros{};
  std::array<std::uint8_t, 10> ones;
  ones.fill(0xFF);
  CHECK(format_sortable_id(0, zeros) == "00000000000000000000000000");
  CHECK(format_sortable_id(0, ones) == "0000000000ZZZZZZZZZZZZZZZZ");
  // ULID spec example time 1469918176385 -> "01ARYZ6S41".
  CHECK(format_sortable_id(1469918176385, zeros).substr(0, 10) == "01ARYZ6S41");
  CHECK(format_sortable_id(1000, zeros) < format_sortable_id(1001, ones));
}

TEST_CASE("new ids are valid, unique and ordered by time") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto id = new_id(1'700'000'000'000 + i);
    CHECK(is_valid_id(id));
    CHECK(id.size() == 26);
    CHECK(seen.insert(id).second);
  }
  auto prefixed = new_id("ses", 5);
  CHECK(prefixed.rfind("ses_", 0) == 0);
  CHECK(is_valid_id(prefixed));
}

TEST_CASE("the manual clock moves only when told") {
  ManualClock c(1000);
  auto m0 = c.monotonic();
  CHECK(c.now_ms() == 1000);
  c.advance(std::chrono::milliseconds(250));
  CHECK(c.now_ms() == 1250);
  CHECK(c.monotonic() - m0 == std::chrono::milliseconds(250));
  c.set_wall(5);  // an NTP step moves wall time only
  CHECK(c.now_ms() == 5);
  CHECK(c.monotonic() - m0 == std::chrono::milliseconds(250));
}
