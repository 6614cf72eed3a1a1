// The gateway <-> cloud sync contract (docs/sync.md), shared by spotter-edge and
// spotter-cloud so neither includes the other. All routes take a gateway token
// (POST kGatewayToken with the gateway's id and secret).
#pragma once
#include <array>
#include <cstddef>
#include <string_view>

namespace spotter::sync_api {

inline constexpr std::string_view kGatewayToken = "/api/gateways/token";
// GET ?since=VERSION -> {"changed": false, "version"} or {"changed": true, "version",
// "replica": <the import format of docs/edge-agent.md>}
inline constexpr std::string_view kReplica = "/api/sync/replica";
// POST {"events": [{"seq", "event_id", "kind", "at_ms", "body"}...]} in outbox order ->
// {"results": [{"event_id", "status": "applied"|"duplicate"|"quarantined", "reason"?}],
//  "last_seq"}
inline constexpr std::string_view kEvents = "/api/sync/events";
// GET ?after=ID -> {"commands": [{"id", "machine_id", "kind", "body"}], "last_id"}
inline constexpr std::string_view kCommands = "/api/sync/commands";

// POST {"items": [{"machine_id", "link_id", "ts", "metrics"}...]}: the live telemetry of
// linked machines (docs/sync.md, "Live progress"), at most kMaxProgressItems per request ->
// {"delivered", "dropped"}. Never retried: it is live or nothing.
inline constexpr std::string_view kProgress = "/api/sync/progress";
inline constexpr std::size_t kMaxProgressItems = 200;

inline constexpr std::size_t kMaxBatchEvents = 1000;
// The largest body the cloud takes (its HTTP server's default --max-body too); the agent
// fills a batch with at most half of it in stored bodies, and halves its batches when a
// cloud configured smaller answers 413.
inline constexpr std::size_t kMaxBatchBytes = 1 << 20;

// Outbox event kinds the cloud applies; anything else is quarantined ("unknown kind").
inline constexpr std::array<std::string_view, 9> kEventKinds = {
    "door_event", "session_started", "session_ended", "link_started", "link_ended",
    "machine_status", "maintenance", "workout", "eviction"};

// Two lanes, each in order and exactly once on its own, so a catch-up of machine status
// and telemetry-derived events never holds back a member at a door: door, session, link and
// maintenance events are `live`; everything else is `bulk`.
enum class Lane { live, bulk };
inline constexpr std::array<std::string_view, 6> kLiveKinds = {"door_event", "session_started", "session_ended",
                                                               "link_started", "link_ended", "maintenance"};
inline Lane lane_of(std::string_view kind) {
  for (auto k : kLiveKinds)
    if (k == kind) return Lane::live;
  return Lane::bulk;
}
inline std::string_view to_string(Lane lane) { return lane == Lane::live ? "live" : "bulk"; }

}  // namespace spotter::sync_api
