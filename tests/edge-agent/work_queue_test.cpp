// The store thread's queue: urgent items first, and both lanes bounded by their writers
// waiting for room (the review's "a flood of well-formed scans exhausts memory").
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "../../edge-agent/src/edge/work_queue.hpp"

using namespace spotter::edge;
using namespace std::chrono_literals;

TEST_CASE("work queue: urgent items are taken first and in order") {
  WorkQueue<int> q;
  q.push(1);
  q.push_urgent(10);
  q.push(2);
  q.push_urgent(11);
  auto batch = q.pop_batch_until(10, std::chrono::steady_clock::now());
  REQUIRE(batch);
  CHECK(*batch == std::vector<int>{10, 11, 1, 2});
}

TEST_CASE("work queue: a writer waits while the urgent lane is full, and goes on once the store thread takes some") {
  // Mutation tried: wait_for_urgent_room returning at once (no bound) fails the first check;
  // pop not waking the writer fails the second.
  WorkQueue<int> q;
  for (int i = 0; i < 3; ++i) q.push_urgent(i);
  std::atomic<bool> added{false};
  std::thread writer([&] {
    q.wait_for_urgent_room(3);
    q.push_urgent(3);
    added = true;
  });
  // Still full: the writer is held (given time to run; it must not have added).
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(added.load());
  auto first = q.pop_urgent_until(1, std::chrono::steady_clock::now());
  REQUIRE(first);
  CHECK(*first == std::vector<int>{0});
  writer.join();  // woken by the pop: would hang here otherwise (ctest's timeout)
  CHECK(added.load());
  auto rest = q.pop_batch_until(10, std::chrono::steady_clock::now());
  REQUIRE(rest);
  CHECK(*rest == std::vector<int>{1, 2, 3});
  // Closing releases a waiting writer too (the agent stopping).
  for (int i = 0; i < 3; ++i) q.push_urgent(i);
  std::thread late([&] { q.wait_for_urgent_room(3); });
  q.close();
  late.join();
}
