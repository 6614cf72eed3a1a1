// What sessions publishes (platform/events.hpp).
#pragma once
#include <string>

#include "../../platform/events.hpp"

namespace spotter::cloud::sessions::events {

// A gym visit started (app, front desk, or a door entry that opened a new visit; a door entry
// joining an open visit starts none). {"session_id", "user_id", "branch_id", "started_at_ms",
// "source"}
inline constexpr const char* kVisitStarted = "sessions.visit_started";

// A gym visit ended (member, staff, door, or the auto-end job). {"session_id", "user_id",
// "branch_id", "started_at_ms", "ended_at_ms", "ended_by"}
inline constexpr const char* kVisitEnded = "sessions.visit_ended";

}  // namespace spotter::cloud::sessions::events
