// Applying one gateway outbox event to the cloud's tables (docs/sync.md has the rules).
// Runs inside the batch's transaction; touches nothing outside the database, and returns the
// machines whose availability changed so the caller can push them after the commit.
#pragma once
#include <set>

#include "app.hpp"

namespace spotter::cloud {

struct GatewayInfo {
  std::string id;
  std::string branch_id;
};

struct ApplyResult {
  bool quarantined = false;
  std::string reason;  // why quarantined, or a note ("merged into ses_…")
};

// A storage failure is an Error (the batch rolls back and the gateway retries); bad or
// unknown data is a quarantined ApplyResult (the batch goes on).
Result<ApplyResult> apply_sync_event(App& app, const GatewayInfo& gateway, const std::string& kind, std::int64_t at_ms,
                                     const Json& body, std::set<std::string>& touched_machines);

}  // namespace spotter::cloud

namespace spotter::cloud {
// Gateways poll the replica by version; every change to what a replica holds is logged as
// (entity, id) — "user" (a member, their memberships and cards), "machine", or "all" (the
// branch, keys: a full snapshot) — and the log's newest id is the version.
void replica_changed(App& app, std::string_view entity, const std::string& id);
// A command for the branch's gateway to pass to a machine (unlink, set_maintenance,
// clear_maintenance); gateways poll for them.
void queue_gateway_command(App& app, const std::string& machine_id, const std::string& kind, const Json& body);
}  // namespace spotter::cloud
