#pragma once
// `spotter-edge devices export|rotate` (processes.md, "TLS and device authentication"): the
// branch broker's accounts, from the machines and doors the agent knows.
//
// Passwords are not stored: each is an HMAC of the device id (and how often it was rotated)
// under DATA_DIR/mqtt-accounts.key, so an export gives every device the password it had until
// `rotate` changes it, and the broker's file holds only PBKDF2 hashes.
#include <string>
#include <vector>

#include "spotter/common/config.hpp"

namespace spotter::edge {

std::vector<config::Option> devices_options();
// positional: {"export"} or {"rotate"}. Exit 0, 1 (failed, said why) or 2 (bad setting).
int devices_command(const config::Settings& s, const std::vector<std::string>& positional);

}  // namespace spotter::edge
