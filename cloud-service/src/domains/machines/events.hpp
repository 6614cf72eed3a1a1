// What machines publishes (platform/events.hpp).
#pragma once
#include <string>

#include "../../platform/events.hpp"

namespace spotter::cloud::machines::events {

// What members see of a machine changed: state, link, queue, maintenance, last seen.
// {"machine_id", "branch_id"}. Live: each instance refreshes its availability answer and
// pushes the machine to its WebSocket clients.
inline constexpr const char* kChanged = "machines.changed";

// A machine joined the registry or its description changed (gateways' replicas hold it).
// {"machine_id", "branch_id"}
inline constexpr const char* kRegistered = "machines.registered";

// Something the branch's gateway must tell a machine: "unlink", "set_maintenance",
// "clear_maintenance". {"machine_id", "branch_id", "kind", "body"}
inline constexpr const char* kCommand = "machines.command";

}  // namespace spotter::cloud::machines::events
