#pragma once
// The simulated devices. Internal to the simulator: one thread calls everything.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/protocol/messages.hpp"
#include "spotter/protocol/sim/simulator.hpp"
#include "spotter/protocol/topic.hpp"

namespace spotter::sim {

// What devices share: configuration, counters, the member cards, and which members the
// doors have let in (so a machine tap or an `out` scan picks someone plausible).
struct SimWorld {
  const SimConfig& config;
  SimStats& stats;
  std::vector<std::string> members;
  std::set<int> inside;
  // The trainee's last door decision (SimConfig::trainee_card): granted, and which way.
  std::optional<std::pair<bool, protocol::Direction>> trainee_decision;
};

// A member using a machine the simulator does not pick at random (the trainee).
struct MachineVisit {
  std::string card;
  int sets = 3, reps = 10;
  double weight_kg = 60;
  std::int64_t rest_ms = 8'000;
  enum class State { tapping, training, done, refused } state = State::tapping;
};

class MachineSim {
 public:
  MachineSim(SimWorld& world, int index, protocol::Category category, std::string type);
  const std::string& id() const { return id_; }
  void start(Transport& transport, std::int64_t now);
  void step(std::int64_t now);
  void on_message(protocol::MessageType type, std::string_view payload, std::int64_t now);
  void stop(std::int64_t now);
  protocol::Category category() const { return category_; }
  const std::string& type() const { return type_; }
  // The trainee's turn: free when idle and nobody else's; a visit taps at once.
  bool free() const { return phase_ == Phase::idle && !visit_; }
  // Kept for the trainee: nobody else taps it.
  void reserve() { reserved_ = true; }
  void start_visit(MachineVisit visit, std::int64_t now);
  // Where the visit stands; done and refused visits are forgotten by forget_visit().
  std::optional<MachineVisit::State> visit_state() const { return visit_ ? std::optional(visit_->state) : std::nullopt; }
  void forget_visit() { visit_.reset(); }

 private:
  enum class Phase { idle, awaiting_auth, active, resting, maintenance };

  void send(protocol::MessageType type, std::string payload, int qos = 1, bool retained = false);
  void publish_status(std::int64_t now);
  void tap(std::int64_t now);
  void send_auth(const std::string& card, std::int64_t now);
  void begin_activity(std::int64_t now, std::optional<std::string> link_id);
  void emit_telemetry(std::int64_t now);
  void finish_set_or_bout(std::int64_t now);
  void end_activity(std::int64_t now);
  void enter_maintenance(std::int64_t now, std::optional<std::int64_t> until);
  std::string next_telemetry_payload(std::int64_t now);

  SimWorld& world_;
  SimRandom rng_;
  std::string id_;
  protocol::Category category_;
  std::string type_;
  std::string boot_id_;
  std::unique_ptr<DeviceConnection> conn_;
  bool stopped_ = false;
  std::int64_t msg_id_ = 0;
  std::int64_t req_counter_ = 0;
  Phase phase_ = Phase::idle;
  std::int64_t next_heartbeat_ = 0;
  std::int64_t phase_until_ = 0;  // when the current phase ends (0 = not timed)
  std::int64_t next_telemetry_ = 0;
  std::int64_t next_fault_check_ = 0;
  std::int64_t started_at_ = 0;
  std::optional<std::string> pending_req_;
  std::optional<std::string> link_id_;
  // The activity in progress.
  std::int64_t bout_start_ = 0;
  double distance_m_ = 0, calories_ = 0, speed_ = 0, weight_ = 0;
  std::int64_t heart_rate_ = 0, hr_sum_ = 0, hr_max_ = 0, samples_ = 0;
  std::int64_t rep_ = 0, set_index_ = 0, set_target_ = 0, sets_left_ = 0;
  std::string exercise_;
  std::optional<MachineVisit> visit_;
  bool reserved_ = false;
};

class DoorSim {
 public:
  DoorSim(SimWorld& world, int index, bool fingerprint_sensor = false);
  const std::string& id() const { return id_; }
  void start(Transport& transport, std::int64_t now);
  void step(std::int64_t now);
  void on_message(protocol::MessageType type, std::string_view payload, std::int64_t now);
  void stop(std::int64_t now);
  // A scan of this card (the trainee's); its decision lands in SimWorld::trainee_decision.
  void scan_card(const std::string& uid, protocol::Direction direction, std::int64_t now);
  // A template sent to (or, with an empty payload, taken back from) this reader.
  void on_template(const std::string& topic, const std::string& credential_id, std::string_view payload);
  std::size_t templates() const { return templates_.size(); }

 private:
  struct Pending {
    std::string req_id;
    int member;  // -1 for an unknown card, -2 for the trainee
    protocol::Direction direction;
  };
  void scan(std::int64_t now);
  bool scan_finger(Pending& p, protocol::Credential& credential);

  SimWorld& world_;
  SimRandom rng_;
  std::string id_;
  std::unique_ptr<DeviceConnection> conn_;
  bool stopped_ = false;
  std::int64_t next_scan_ = 0;
  std::int64_t counter_ = 0;
  std::vector<Pending> pending_;
  bool sensor_ = false;
  std::set<std::string> templates_;     // credential ids this reader can match
  std::set<std::string> fingers_in_;    // those it let in and not out yet
  std::map<std::string, std::string> finger_of_req_;  // req_id -> credential id
};

// The trainee (SimConfig::trainee_card): in through the first door, a plan's sets on each
// strength machine type in turn, out again.
class TraineeSim {
 public:
  TraineeSim(SimWorld& world, std::vector<MachineSim*> plan, DoorSim* door);
  void step(std::int64_t now);

 private:
  enum class Phase { entering, waiting_for_machine, on_machine, leaving, gone };
  SimWorld& world_;
  std::vector<MachineSim*> plan_;
  DoorSim* door_;
  Phase phase_ = Phase::entering;
  std::size_t next_ = 0;
  std::int64_t retry_at_ = 0;
};

// A payload that breaks one protocol rule, chosen by `pick`.
std::string malformed_telemetry(std::uint64_t pick);

}  // namespace spotter::sim
