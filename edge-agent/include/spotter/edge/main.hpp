#pragma once
#include <string>
#include <vector>

namespace spotter::edge {
// spotter-edge's whole program; `args` excludes the program name. Returns the exit code.
int Main(const std::vector<std::string>& args);
}  // namespace spotter::edge
