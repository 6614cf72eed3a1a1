#pragma once
// Whose machine data it is (docs/sync.md, "Attribution"), decided by what the device says,
// never by which connection delivered first: the gateway takes status and taps on one MQTT
// connection and telemetry and workouts on another, so a machine's last workout can arrive
// after the `idle` that ended its link.
// - A message naming a `link_id` belongs to that link's member and visit: current, ended a
//   moment ago, or ended hours ago.
// - A message without one belongs to the link of that machine whose time covers the
//   device's timestamp (ts, or a workout's ts_end), give or take kGrace, with the device's
//   clock corrected by its offset from the gateway's (estimated from its recent messages).
// - Nothing matches: unattributed (counted per machine).
// Pure; one thread (the store thread) owns it.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "spotter/edge/machine_floor.hpp"

namespace spotter::edge {

struct AttributionRules {
  // Slack at both ends of a link for a message without a link_id: a device clock read
  // against ours through a LAN and the estimate below is good to well under a second; a
  // set finished at the moment of the unlink still counts. Short enough that the next
  // member's first minute is not the previous member's.
  std::chrono::milliseconds grace{5'000};
  // Ended links kept in memory per machine: a day's, at most `max_per_machine` (the store
  // has the rest, for data buffered longer: see SqliteEdgeStore::link_by_id).
  std::chrono::milliseconds keep{std::chrono::hours(24)};
  std::size_t max_per_machine = 512;
  // The device-clock offset is the smallest (received - device time) over this window: a
  // message that waited in a buffer only makes that difference larger, never smaller.
  std::chrono::milliseconds offset_window{std::chrono::minutes(5)};
};

struct PastLink {
  MachineLink link;
  std::optional<std::int64_t> ended_at_ms;  // nullopt: current
};

class Attribution {
 public:
  explicit Attribution(AttributionRules rules = {}) : rules_(rules) {}

  void link_started(const MachineLink& link);
  void link_ended(const MachineLink& link, std::int64_t ended_at_ms);
  // Any message with a device time: keeps the machine's clock offset current.
  void heard(const std::string& machine, std::int64_t device_ms, std::int64_t received_ms);

  enum class How { link_id, time, unknown_link, none };
  struct Verdict {
    std::optional<MachineLink> link;
    How how = How::none;
  };
  // `link_id` as the message names it; `device_ms` its ts (telemetry) or ts_end (workout).
  // unknown_link: it names a link this memory does not hold (ask the store).
  Verdict attribute(const std::string& machine, const std::optional<std::string>& link_id, std::int64_t device_ms) const;
  // The device time `device_ms` of `machine` on the gateway's clock.
  std::int64_t gateway_time(const std::string& machine, std::int64_t device_ms) const;
  // Drops ended links older than `keep` (call now and then).
  void forget_before(std::int64_t now_ms);
  std::chrono::milliseconds grace() const { return rules_.grace; }

 private:
  struct Offset {
    std::int64_t current = INT64_MAX, previous = INT64_MAX;  // minima of two windows
    std::int64_t window_start = 0;
  };
  AttributionRules rules_;
  std::map<std::string, std::deque<PastLink>> links_;  // per machine, oldest first
  std::map<std::string, Offset> offsets_;
};

}  // namespace spotter::edge
