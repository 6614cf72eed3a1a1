// What training publishes (platform/events.hpp).
#pragma once
#include "../../platform/events.hpp"

namespace spotter::cloud::training::events {

// A member completed a training session. {"training_session_id", "user_id", "plan_id",
// "date" (YYYY-MM-DD, the member's), "completed_at_ms", "summary": {sets, reps, volume_kg,
// duration_s, distance_m, calories_kcal}}
inline constexpr const char* kSessionCompleted = "training.session_completed";

// A personal record improved. {"user_id", "exercise_id", "kind", "value", "at_ms"}
inline constexpr const char* kRecordImproved = "training.record_improved";

}  // namespace spotter::cloud::training::events
