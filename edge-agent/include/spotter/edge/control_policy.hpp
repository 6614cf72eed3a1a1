// Who may do what through the control socket (docs/edge-agent.md, "Technician commands").
// The socket's group (technicians) reads; what changes the gateway's state (a replica or a
// delta applied, a machine commanded, a scan decided at a door, which starts or ends a
// visit) comes only from the agent's own user or root. The sync thread talks to the store
// thread directly, not through the socket.
#pragma once
#include <string_view>

namespace spotter::edge {

inline bool control_command_reads_only(std::string_view cmd) {
  for (std::string_view reads : {"status", "machines", "doors", "outbox", "sync", "readers", "doctor", "tail"})
    if (cmd == reads) return true;
  return false;
}

}  // namespace spotter::edge
