#pragma once
// The branch's machines as the gateway sees them (seed 000, story 3.2; PROTOCOL.md 3): state
// from retained status, last wills, heartbeats and polls; links between a machine and a
// member's gym session, made by an `auth` tap and ended by an unlink, the member leaving,
// a maintenance report, idleness, or the member tapping another machine. Pure: events in, changes and messages to send out.
// One thread (the store thread) owns it.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spotter/edge/door_decision.hpp"
#include "spotter/protocol/messages.hpp"

namespace spotter::edge {

struct MachineLink {
  std::string id;
  std::string machine_id;
  std::string member_id;
  std::string session_id;
  std::int64_t started_at_ms = 0;
  std::int64_t last_activity_ms = 0;
  friend bool operator==(const MachineLink&, const MachineLink&) = default;
};

struct MachineTimings {
  std::chrono::milliseconds offline_after{60'000};  // silence before a machine counts as offline
  std::chrono::milliseconds poll_after{30'000};     // silence before the gateway polls it
  std::chrono::milliseconds link_idle{600'000};     // a link with no activity this long ends
};

struct MachineInfo {
  std::string id;
  std::optional<protocol::Category> category;
  std::string type;
  protocol::MachineState reported = protocol::MachineState::offline;  // what the machine said last
  bool heard = false;
  std::int64_t last_heard_ms = 0;
  std::int64_t last_poll_ms = 0;
  bool silent = false;  // heard nothing for offline_after: shown offline whatever it said
  // Staff took it out of service in the cloud (set_maintenance) and have not cleared it:
  // unavailable whatever the machine reports, as in the cloud. The machine's own fault
  // report is no hold; the machine says when it is back.
  bool held = false;
  std::optional<MachineLink> link;

  // What members and staff see.
  protocol::MachineState effective_state() const {
    if (held) return protocol::MachineState::maintenance;
    if (silent || !heard) return protocol::MachineState::offline;
    if (link && reported == protocol::MachineState::idle) return protocol::MachineState::in_use;
    return reported;
  }
};

struct LinkEnd {
  MachineLink link;
  std::int64_t ended_at_ms = 0;
  std::string ended_by;  // "unlink", "member_left", "member_moved", "maintenance", "idle", "machine" (in use, then idle), "machine_offline"
  std::optional<protocol::Category> category;  // the machine's, for summarising the link
};

// What a handler asks the caller to do, in order: record durably, then send.
struct FloorChanges {
  std::vector<MachineLink> links_started;
  std::vector<LinkEnd> links_ended;
  std::vector<std::pair<std::string, protocol::MachineState>> state_changes;  // machine, new effective state
  std::vector<std::pair<std::string, protocol::Command>> commands;           // machine, command to publish
  std::optional<std::pair<std::string, protocol::AuthReply>> auth_reply;     // machine, reply
  std::optional<QrIdentity> qr_to_mark_used;
  std::vector<std::pair<std::string, bool>> holds;  // machine, held from now on
  bool empty() const {
    return links_started.empty() && links_ended.empty() && state_changes.empty() && commands.empty() && !auth_reply && !qr_to_mark_used &&
           holds.empty();
  }
};

class MachineFloor {
 public:
  MachineFloor(std::string branch_id, MachineTimings timings) : branch_id_(std::move(branch_id)), timings_(timings) {}

  // The registry's machines (known before they speak) and the links that were open when
  // the agent last stopped.
  void add_machine(std::string id, std::optional<protocol::Category> category, std::string type);
  void restore_link(const MachineLink& link);
  void restore_hold(const std::string& machine);

  FloorChanges on_status(const std::string& machine, const protocol::MachineStatus& status, WallTime now);
  // Heartbeat, telemetry or workout: the machine is alive; telemetry and workouts also keep
  // its link from going idle.
  FloorChanges on_activity(const std::string& machine, bool is_workout_or_telemetry, WallTime now);
  FloorChanges on_auth(const std::string& machine, const protocol::MachineAuth& auth, WallTime now, std::string new_link_id,
                       const DoorView& view, const QrCheck& qr);
  FloorChanges on_maintenance(const std::string& machine, const protocol::Maintenance& report, WallTime now);
  // A member's gym session ended (door, auto-end): their links end and the machines are told.
  FloorChanges on_member_left(const std::string& member_id, WallTime now);
  // Silence, polls and idle links. Call every few seconds.
  FloorChanges tick(WallTime now, const std::string& poll_req_prefix);
  // A command from the cloud (a member unlinked in the app, staff set maintenance): the
  // link ends here too where it applies, and the machine is told.
  FloorChanges on_cloud_command(const std::string& machine, protocol::CommandKind kind, WallTime now);

  const std::map<std::string, MachineInfo>& machines() const { return machines_; }
  std::optional<protocol::Category> category_of(const std::string& machine) const;

 private:
  MachineInfo& machine(const std::string& id);
  void end_link(MachineInfo& m, WallTime now, const char* by, FloorChanges& out, bool tell_machine);
  void note_state(MachineInfo& m, protocol::MachineState before, FloorChanges& out);

  std::string branch_id_;
  MachineTimings timings_;
  std::map<std::string, MachineInfo> machines_;
  std::uint64_t command_counter_ = 0;
};

}  // namespace spotter::edge
