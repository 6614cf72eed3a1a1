#pragma once
#include <string_view>

namespace spotter {
// The project version from CMakeLists.txt, printed by every program's --version.
inline constexpr std::string_view kVersion = SPOTTER_VERSION;
}  // namespace spotter
