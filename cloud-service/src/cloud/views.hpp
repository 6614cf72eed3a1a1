// Column lists and row-to-JSON conversions shared by handlers (one shape per resource).
#pragma once
#include "app.hpp"

namespace spotter::cloud {

inline constexpr const char* kUserColumns = "id, email, full_name, role, home_branch_id, phone, document_id, created_at";
Json user_json(const SqlRow& row);
// The user with `branch_ids` (trainer branches), or nullopt.
Try<std::optional<Json>> load_user(App& app, const std::string& id);

inline constexpr const char* kSessionColumns = "id, user_id, branch_id, started_at, ended_at, status, ended_by, source";
Json session_json(const SqlRow& row, std::int64_t now_ms);

inline constexpr const char* kMachineColumns = "id, branch_id, name, category, type, state, last_seen_at, maintenance_code";
Json machine_json(const SqlRow& row);

inline constexpr const char* kSubscriptionColumns = "id, user_id, plan_id, starts_at, expires_at, status, created_at";
Json subscription_json(const SqlRow& row, std::int64_t now_ms);

std::string sha256_hex(std::string_view text);
// The branches each of `plan_ids` opens (sorted), one portable query (no group_concat):
// plan id -> JSON array of branch ids; a plan that lists none is absent from the map.
Try<std::map<std::string, Json>> plan_branch_ids(App& app, const std::vector<std::string>& plan_ids);

}  // namespace spotter::cloud
