// What org publishes (platform/events.hpp).
#pragma once
#include <string>

#include "../../platform/events.hpp"

namespace spotter::cloud::org::events {

// A member's access changed: account, subscriptions, cards. {"user_id"}
inline constexpr const char* kMemberChanged = "org.member_changed";
inline Event member_changed(const std::string& user_id) { return {kMemberChanged, {{"user_id", user_id}}}; }

// A branch was loaded whole (`spotter-cloud import`). {"branch_id"}
inline constexpr const char* kBranchImported = "org.branch_imported";
inline Event branch_imported(const std::string& branch_id) { return {kBranchImported, {{"branch_id", branch_id}}}; }

// A branch changed (name, time zone, opening hours, currency, active): its gateway gets a
// whole replica, instances forget the row. {"branch_id"}
inline constexpr const char* kBranchChanged = "org.branch_changed";
inline Event branch_changed(const std::string& branch_id) { return {kBranchChanged, {{"branch_id", branch_id}}}; }

// The branches a plan opens changed: every subscription to it opens other doors now.
// {"plan_id"}
inline constexpr const char* kPlanChanged = "org.plan_changed";
inline Event plan_changed(const std::string& plan_id) { return {kPlanChanged, {{"plan_id", plan_id}}}; }

// A person is erased (cloud-api-2.md, DELETE /api/users/{id} and /me): every domain deletes
// or anonymises what it holds about them in its on() handler, inside the erasure's one
// transaction; sessions, sales and the like stay for the gym's books, under the id of a
// person who no longer has a name. {"user_id"}
inline constexpr const char* kMemberErased = "org.member_erased";
inline Event member_erased(const std::string& user_id) { return {kMemberErased, {{"user_id", user_id}}}; }

// A member changed their privacy switches. {"user_id", "share_measurements_with_trainers",
// "show_on_leaderboards", "allow_buddy_requests"}
inline constexpr const char* kPrivacyChanged = "org.privacy_changed";

}  // namespace spotter::cloud::org::events
