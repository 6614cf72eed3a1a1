#pragma once
// SIGINT and SIGTERM become a process-wide flag that programs' main loops poll, so a stop
// finishes in-flight work instead of killing it. Install once, early in Main().
#include <atomic>

namespace spotter {

void install_stop_signals();
const std::atomic<bool>& stop_requested() noexcept;

}  // namespace spotter
