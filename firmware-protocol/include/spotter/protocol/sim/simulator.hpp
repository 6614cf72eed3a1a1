#pragma once
// spotter-sim's behaviour, free of I/O: machines and door readers that act as firmware
// does per PROTOCOL.md, driven by explicit time (step(now_ms)) and a seeded generator,
// so the same seed and the same clock give the same traffic.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spotter/protocol/sim/transport.hpp"

namespace spotter::sim {

struct SimConfig {
  std::string branch = "demo";
  int machines = 6;
  int doors = 1;
  std::uint64_t seed = 1;
  std::uint64_t boot_nonce = 0;  // varies boot_ids between runs; the seed varies behaviour
  double cardio_share = 0.5;     // the rest split strength 60% / functional 40%
  double strength_share = 0.3;
  int members = 50;
  double unknown_card_ratio = 0.05;  // scans and taps with a card the branch doesn't know
  double malformed_ratio = 0.0;      // telemetry deliberately broken, to exercise gateways
  std::int64_t heartbeat_ms = 10'000;
  double telemetry_hz = 1.0;
  std::int64_t scan_mean_ms = 5'000;      // per door
  std::int64_t idle_mean_ms = 15'000;     // machine idle before the next member taps
  std::int64_t activity_mean_ms = 60'000; // a cardio bout or a functional bout
  double faults_per_hour = 0.5;           // per machine
  std::int64_t auth_timeout_ms = 5'000;
  // A member who follows a plan on the strength machines (empty: none): enters through the
  // first door, does `trainee_sets` sets on each strength machine type in turn (the first
  // machine of each: leg press, chest press, lat pulldown, kept for her), resting between
  // sets, and leaves.
  std::string trainee_card;
  // Doors whose readers have a fingerprint sensor (the last this many): they say so in their
  // status, keep the templates the gateway sends them (PROTOCOL.md 4.4) once `open_template`
  // opens them with the door's key, and let the fingerprints they hold in and out.
  int fingerprint_doors = 0;
  // Opens a sealed template for `door` on `topic` (the program passes the crypto; none: every
  // template is refused).
  std::function<bool(const std::string& door, const std::string& topic, const std::string& sealed)> open_template;
  int trainee_sets = 3;
  int trainee_reps = 10;
  std::int64_t trainee_rest_ms = 8'000;
};

struct SimStats {
  std::map<std::string, std::uint64_t> published;  // by message type name
  std::map<std::string, std::uint64_t> decisions;  // by reason
  std::map<std::string, std::uint64_t> auth_replies;
  std::uint64_t auth_timeouts = 0;
  std::uint64_t commands = 0;
  std::uint64_t malformed_sent = 0;
  std::uint64_t inbound_rejected = 0;  // replies the simulator could not decode
  std::uint64_t trainee_sets_done = 0;
  std::uint64_t templates_held = 0;     // fingerprint templates the readers hold now
  std::uint64_t templates_refused = 0;  // sealed templates a reader could not open
};

class MachineSim;
class DoorSim;
class TraineeSim;
struct SimWorld;

// Thread-safety: deliver() may be called from any thread; everything else from one.
class Simulator {
 public:
  Simulator(SimConfig config, Transport& transport);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  void start(std::int64_t now_ms);
  void step(std::int64_t now_ms);
  // Every device says it goes offline (retained status), then disconnects cleanly.
  void stop(std::int64_t now_ms);
  void deliver(InMessage message);

  SimStats stats() const;
  std::vector<std::string> machine_ids() const;
  std::vector<std::string> door_ids() const;

 private:
  SimConfig config_;
  Transport& transport_;
  SimStats stats_;
  std::unique_ptr<SimWorld> world_;
  std::vector<std::unique_ptr<MachineSim>> machines_;
  std::vector<std::unique_ptr<DoorSim>> doors_;
  std::unique_ptr<TraineeSim> trainee_;
  std::mutex inbox_mu_;
  std::vector<InMessage> inbox_;
};

// The NFC UIDs of the simulated members (7-byte, upper-case hex), a pure function of
// count and seed, so an edge replica can be seeded with the same cards.
std::vector<std::string> member_uids(int count, std::uint64_t seed);

// A tiny deterministic generator whose output is the same on every platform
// (std distributions are not).
class SimRandom {
 public:
  explicit SimRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                                  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  std::int64_t range(std::int64_t lo, std::int64_t hi);  // [lo, hi]
  double exponential(double mean);
  bool chance(double p) { return uniform() < p; }

 private:
  std::uint64_t state_;
};

}  // namespace spotter::sim
