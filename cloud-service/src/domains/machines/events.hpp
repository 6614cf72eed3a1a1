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

// A workout (a machine's set or bout) is recorded for a member: stored with its member, or
// attributed when the link it waited for arrived. Once per workout; in the transaction only.
// {"workout_id", "user_id", "session_id" (the visit, or null), "machine_id", "branch_id",
// "machine_type", "workout" (the record, PROTOCOL.md 3.4), "started_at_ms", "ended_at_ms"}
inline constexpr const char* kWorkoutRecorded = "machines.workout_recorded";

// A workout recorded earlier is gone: a link's summary from telemetry that the machine's own
// set, arriving later, replaced. {"workout_id"}
inline constexpr const char* kWorkoutWithdrawn = "machines.workout_withdrawn";

// A linked machine's live telemetry for its member (live only, never stored).
// {"user_id", "machine_id", "metrics", "ts_ms"}
inline constexpr const char* kProgress = "machines.progress";

}  // namespace spotter::cloud::machines::events
