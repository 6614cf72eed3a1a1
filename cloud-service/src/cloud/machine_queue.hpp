// A queue per busy machine: members join, leave, see their position and an estimated wait
// (position x the machine's recent average link length). The first in line may link next.
#pragma once
#include "app.hpp"

namespace spotter::cloud {

// True when nobody is queued for the machine or `user_id` is first in line.
Try<bool> queue_turn(App& app, const std::string& machine_id, const std::string& user_id);
std::vector<Route> queue_routes();

}  // namespace spotter::cloud
