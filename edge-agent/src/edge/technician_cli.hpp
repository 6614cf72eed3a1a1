#pragma once
// The technicians' commands (processes.md): they talk to a running agent through its
// control socket and print a readable table, or the agent's JSON with --json.
#include <string>
#include <vector>

namespace spotter::edge {

bool is_technician_command(const std::string& command);
int run_technician_command(const std::string& command, const std::vector<std::string>& args);

}  // namespace spotter::edge
