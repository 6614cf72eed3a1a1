// What sync publishes (platform/events.hpp).
#pragma once
#include "../../platform/events.hpp"

namespace spotter::cloud::sync::events {

// A gateway's identity changed (secret rotated, revoked): who it is must be looked up
// again on every instance. {"gateway_id"}
inline constexpr const char* kGatewayChanged = "sync.gateway_changed";

}  // namespace spotter::cloud::sync::events
