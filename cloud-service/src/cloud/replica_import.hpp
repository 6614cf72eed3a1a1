// `spotter-cloud import FILE.json`: loads a branch in the replica format of
// docs/edge-agent.md (what a standalone gateway was run with) into the cloud, so a branch can
// move from standalone to synced, and the demo can seed the simulated branch. Idempotent:
// importing the same file again updates in place.
#pragma once
#include "spotter/cloud/sql.hpp"
#include "spotter/common/json.hpp"

namespace spotter::cloud {

struct ImportCounts {
  std::size_t members = 0, subscriptions = 0, cards = 0, machines = 0;
};

Result<ImportCounts> import_branch_replica(SqlDatabase& db, const Json& doc, std::int64_t now_ms);

}  // namespace spotter::cloud
