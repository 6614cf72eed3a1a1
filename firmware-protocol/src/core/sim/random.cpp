#include <cmath>
#include <cstdio>

#include "spotter/protocol/sim/simulator.hpp"

namespace spotter::sim {

// splitmix64: small, fast, well distributed, identical everywhere.
std::uint64_t SimRandom::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double SimRandom::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::int64_t SimRandom::range(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
}

double SimRandom::exponential(double mean) { return -std::log(1.0 - uniform()) * mean; }

std::vector<std::string> member_uids(int count, std::uint64_t seed) {
  SimRandom rng(seed ^ 0x6D656D62657273ULL);  // "members"
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    char buf[15];
    // 7-byte UIDs start with 04 (NXP), as most gym cards do.
    std::snprintf(buf, sizeof buf, "04%012llX", static_cast<unsigned long long>(rng.next() & 0xFFFFFFFFFFFFULL));
    out.emplace_back(buf);
  }
  return out;
}

std::string malformed_telemetry(std::uint64_t pick) {
  static const char* kBroken[] = {
      R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":99}})",        // out of range
      R"({"msg_id":"1","ts":1,"metrics":{}})",                      // wrong type
      R"({"ts":1,"metrics":{}})",                                   // missing field
      R"({"msg_id":1,"ts":1,"metrics":{"heart_rate_bpm":70)",       // truncated
      "{\"msg_id\":1,\"ts\":1,\"metrics\":{\"exercise\":\"\xC3\x28\"}}",  // bad UTF-8
      R"({"msg_id":1,"msg_id":2,"ts":1,"metrics":{}})",             // duplicate key
      "not json at all",
      R"([1,2,3])",
  };
  return kBroken[pick % (sizeof kBroken / sizeof kBroken[0])];
}

}  // namespace spotter::sim
