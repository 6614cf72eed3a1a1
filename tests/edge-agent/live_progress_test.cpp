// Live progress on a manual clock: the latest per machine, at most twice a second each,
// nothing older than two seconds (live or nothing).
#include <doctest/doctest.h>

#include <thread>

#include "spotter/edge/live_progress.hpp"

using namespace spotter::edge;

namespace {
ProgressItem item(const std::string& machine, std::int64_t at, const std::string& text = "{}") { return {machine, "lnk-" + machine, "ana", text, at}; }
}  // namespace

TEST_CASE("live progress: the latest item per machine, throttled per machine, stale ones dropped") {
  LiveProgress p;  // every 500 ms, max age 2 s
  p.offer(item("tm-1", 1000, "a"));
  p.offer(item("tm-1", 1250, "b"));  // replaces a
  p.offer(item("bike-1", 1250));
  auto first = p.take(1300);
  REQUIRE(first.size() == 2);
  for (const auto& i : first)
    if (i.machine_id == "tm-1") CHECK(i.telemetry == "b");
  p.offer(item("tm-1", 1500, "c"));
  CHECK(p.take(1600).empty());  // 300 ms after the last one taken for tm-1
  auto second = p.take(1800);
  REQUIRE(second.size() == 1);
  CHECK(second[0].telemetry == "c");
  // The cloud was unreachable for a while: what waited is dropped, not replayed.
  p.offer(item("tm-1", 2000, "d"));
  CHECK(p.take(4500).empty());
  CHECK(p.counts().stale == 1);
  CHECK(p.counts().offered == 5);
  CHECK(p.counts().taken == 3);
  p.offer(item("tm-1", 5000, "e"));
  CHECK(p.take(5000).size() == 1);
}

TEST_CASE("live progress: the sender learns when a held item is due, and is woken by an offer") {
  LiveProgress p;
  CHECK_FALSE(p.next_due_in(1000).has_value());  // nothing waiting: sleep until an offer
  p.offer(item("tm-1", 1000, "a"));
  CHECK(p.next_due_in(1000) == std::chrono::milliseconds(0));  // never taken: due at once
  REQUIRE(p.take(1000).size() == 1);
  p.offer(item("tm-1", 1100, "b"));
  CHECK(p.next_due_in(1100) == std::chrono::milliseconds(400));  // its machine's throttle ends at 1500
  CHECK(p.next_due_in(1600) == std::chrono::milliseconds(0));
  // An offer ends the wait at once (the fresh one from above is still unseen), a second
  // wait without a new offer runs to its timeout, and interrupt() ends every wait after it.
  const auto t0 = std::chrono::steady_clock::now();
  p.wait_for_offer(std::chrono::seconds(30));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  std::thread offerer([&] { p.offer(item("bike-1", 1200)); });
  p.wait_for_offer(std::chrono::seconds(30));  // returns once the offer lands (or at once if it already has)
  offerer.join();
  p.interrupt();
  p.wait_for_offer(std::chrono::seconds(30));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}
