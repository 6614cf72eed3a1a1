#pragma once
// Broker accounts for the branch's devices (processes.md, "TLS and device authentication"):
// what each account may publish and read, written as mosquitto's acl_file, and its
// password_file lines. Pure: the passwords and salts come from the caller.
//
// A device publishes only its own device-to-gateway topics and reads only its own
// gateway-to-device ones; only the agent's account publishes decisions, replies, commands
// and fingerprint templates. The broker enforces it, so a machine on the branch network
// cannot open a door by publishing a scan in a reader's name, nor read who was let in.
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/result.hpp"
#include "spotter/protocol/topic.hpp"

namespace spotter::edge {

// The agent's broker account (both its connections use it).
inline constexpr std::string_view kAgentAccount = "spotter-edge";

struct BrokerDevice {
  std::string id;  // also its MQTT client id and its account name
  protocol::DeviceKind kind = protocol::DeviceKind::machine;
  friend bool operator==(const BrokerDevice&, const BrokerDevice&) = default;
};

// Whether a device sends this message type (false: the gateway sends it to the device).
bool sent_by_device(protocol::MessageType type) noexcept;

// Error "device" naming the id when an id is invalid, used twice (accounts are by id, and
// MQTT client ids are unique on a broker) or is the agent's own account name.
Status check_broker_devices(const std::vector<BrokerDevice>& devices);

// mosquitto's acl_file: the agent reads and writes everything under the branch; each device
// its own topics, nothing else. Devices in the order given.
std::string mosquitto_acl(std::string_view branch, const std::vector<BrokerDevice>& devices);

// A password_file line in mosquitto 2's PBKDF2-SHA512 form: user:$7$ITERATIONS$SALT$HASH
// (salt and hash in standard base64).
std::string mosquitto_password_line(std::string_view user, unsigned iterations, std::string_view salt_base64,
                                    std::string_view hash_base64);

}  // namespace spotter::edge
