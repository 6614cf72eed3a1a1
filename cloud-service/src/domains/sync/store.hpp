// Every SQL statement of the sync domain: gateway identities, the upload inbox with its
// per-lane positions, door events, commands for machines, and the log of replica changes
// whose newest number is the replica version. Thread-safe.
#pragma once
#include <set>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"
#include "spotter/common/json.hpp"

namespace spotter::cloud::sync {

struct GatewaySecret {
  std::string secret_hash, branch_id;
  bool revoked = false;
  std::int64_t secret_version = 0;  // when the secret was last rotated (ms), 0 if never
};

// What a gateway token is checked against: its branch, and the secret it was issued for.
struct GatewayAuth {
  std::string branch_id;
  std::int64_t secret_version = 0;
};

struct InboxRow {
  std::string gateway_id, event_id, kind, status;
  std::int64_t seq = 0, at = 0, received_at = 0;
  std::optional<std::string> reason, body;
};

class SyncStore {
 public:
  explicit SyncStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  // Gateways
  Status insert_gateway(const std::string& id, const std::string& branch_id, const std::string& name, const std::string& secret_hash, std::int64_t now);
  Result<bool> rotate_secret(const std::string& id, const std::string& secret_hash, std::int64_t now);
  Result<bool> revoke(const std::string& id, std::int64_t now);
  Result<std::optional<GatewaySecret>> secret_of(const std::string& id);
  Result<std::optional<GatewayAuth>> active_gateway(const std::string& id);
  Status touch(const std::string& id, std::int64_t now);
  Result<Json> gateways_status();

  // Uploads: inside the batch's transaction, which first locks the gateway's row (touch).
  Result<std::map<std::string, std::int64_t>> lane_positions(const std::string& gateway_id);
  Result<std::int64_t> last_seq(const std::string& gateway_id);
  // Which of these event ids the gateway has uploaded before (applied or quarantined).
  Result<std::set<std::string>> seen_events(const std::string& gateway_id, const std::vector<std::string>& event_ids);
  Status record(const InboxRow& row);
  Status set_lane_positions(const std::string& gateway_id, const std::map<std::string, std::int64_t>& lanes, std::int64_t last_seq, std::int64_t now);
  Result<Json> quarantined(std::int64_t limit);
  Status insert_door_event(const std::string& id, const std::string& gateway_id, const std::string& branch_id, const Json& body, std::int64_t at);

  // Replica changes and commands, numbered in commit order (inside a transaction).
  Status replica_changed(const std::string& entity, const std::string& entity_id);
  Result<std::int64_t> replica_version();
  // Distinct (entity, id) changed after `since`; more than `limit` gives nullopt.
  Result<std::optional<std::vector<std::pair<std::string, std::string>>>> replica_changes_since(std::int64_t since, std::size_t limit);
  Status insert_command(const std::string& branch_id, const std::string& machine_id, const std::string& kind, const Json& body, std::int64_t now);
  Result<Json> commands_after(const std::string& branch_id, std::int64_t after, std::int64_t limit);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::sync
