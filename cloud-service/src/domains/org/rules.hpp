// The chain's organisation rules, without I/O: who a membership lets in where, what a
// subscription shows, what a phone number or card UID must look like.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotter::cloud::org {

// A plan opens the branches it lists; a plan that lists none opens every branch of the
// chain. The one statement of that rule: SQL that needs it uses OrgStore's kOpensBranch*,
// which say the same, and the edge's replica carries the list as it is.
bool plan_opens(const std::vector<std::string>& plan_branch_ids, std::string_view branch_id);
bool plan_opens_every_branch(const std::vector<std::string>& plan_branch_ids);

// Whether a member may enter a branch now, from their current subscriptions there.
enum class Entry { allowed, no_membership, suspended, branch_not_allowed };

struct MembershipAtBranch {
  bool suspended = false;
  bool opens_branch = false;
};
// `current` are the member's subscriptions that have started and not expired.
Entry entry_decision(const std::vector<MembershipAtBranch>& current);

// Expiry is a fact of time: a subscription past its end shows `expired` at once, before
// the job marks the row.
std::string shown_subscription_status(std::string_view stored, std::int64_t expires_at_ms, std::int64_t now_ms);

// ISO 4217's form: three capital letters ("EUR").
bool valid_currency(std::string_view code);

// 6-20 digits, optionally starting with +.
bool valid_phone(std::string_view phone);
// ISO 14443A UIDs are 4, 7 or 10 bytes of hex; upper-cased.
std::optional<std::string> normalized_uid(std::string_view uid);

}  // namespace spotter::cloud::org
