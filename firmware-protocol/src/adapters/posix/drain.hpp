#pragma once
// `spotter-sim drain`: a subscriber that is not the bottleneck, to measure how fast the
// broker can deliver (the ceiling for ingest benchmarks). QoS 1, acknowledged in batches,
// over RawMqtt: mosquitto_sub (libmosquitto) is CPU-bound near 25,000 messages/s here.
#include <cstdint>
#include <string>

namespace spotter::sim {

struct DrainResult {
  std::uint64_t received = 0;
  std::uint64_t malformed = 0;  // payloads the protocol codec rejects
  double seconds = 0;           // first to last message
};

// Stops after `count` messages, or after `idle_ms` without one once traffic has started
// (or `idle_ms` * 10 before it starts). `decode` also runs the codec on each payload.
DrainResult run_drain(const std::string& uri, const std::string& filter, std::uint64_t count, int idle_ms, bool decode);

}  // namespace spotter::sim
