#pragma once
#include <string>
#include <vector>

namespace spotter::sim {
// spotter-sim's whole program; `args` excludes the program name. Returns the exit code.
int Main(const std::vector<std::string>& args);
}  // namespace spotter::sim
