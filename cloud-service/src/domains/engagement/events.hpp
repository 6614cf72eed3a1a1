// What engagement publishes (platform/events.hpp).
#pragma once

namespace spotter::cloud::engagement::events {

// A member earned an achievement (once). {"user_id", "achievement_id", "at_ms"}
inline constexpr const char* kAchievementEarned = "engagement.achievement_earned";

// Points entered the ledger. {"user_id", "points", "reason", "source_id", "balance"}
inline constexpr const char* kPointsAwarded = "engagement.points_awarded";

}  // namespace spotter::cloud::engagement::events
