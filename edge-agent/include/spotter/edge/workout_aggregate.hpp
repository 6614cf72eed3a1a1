#pragma once
// A workout record made from a link's telemetry when the machine sent no `workout` message
// (seed 000, story 3.3 AC8): what the member did is not lost because the firmware skipped
// the summary.
#include <optional>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/protocol/messages.hpp"

namespace spotter::edge {

// nullopt when there is nothing to summarise. The result has `aggregated: true`, `samples`,
// `ts_start`, `ts_end`, `duration_s`, and what the metrics allow: distance, calories,
// average and maximum heart rate, average power (cardio); sets with reps and weight
// (strength); reps (functional).
std::optional<Json> aggregate_workout(const std::vector<protocol::Telemetry>& samples, std::optional<protocol::Category> category);

}  // namespace spotter::edge
