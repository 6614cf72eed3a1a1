#pragma once
// High-rate mode for benchmarks: K connections publish QoS 1 telemetry for N machines
// as fast as the broker acknowledges (or at a set rate), keeping a bounded number of
// messages in flight per connection. Device-per-connection realism is traded for load:
// it speaks MQTT through RawMqtt (see raw_mqtt.hpp for why not Paho);
// these clients are named sim-flood-K, and there are no wills.
#include <cstdint>
#include <string>

#include "spotter/common/log.hpp"
#include "spotter/protocol/raw_mqtt.hpp"

namespace spotter::sim {

struct FloodConfig {
  std::string uri;
  std::string branch;
  int machines = 200;
  int publishers = 4;
  std::int64_t rate = 0;       // messages per second in total; 0 = as fast as possible
  std::int64_t count = 0;      // stop after this many in total; 0 = run for duration_ms
  std::int64_t duration_ms = 10'000;
  std::uint64_t boot_nonce = 0;
  int window = 2'000;          // unacknowledged messages per connection
  MqttLogin login;             // the load generator's broker account, if the broker has accounts
};

struct FloodResult {
  std::uint64_t sent = 0;
  std::uint64_t acknowledged = 0;
  double seconds = 0;
};

// Blocks until done or `stop` becomes true. Throws std::runtime_error if it can't connect.
FloodResult run_flood(const FloodConfig& config, const std::atomic<bool>& stop, const Logger& log);

}  // namespace spotter::sim
