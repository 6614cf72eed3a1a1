#include "spotter/edge/device_accounts.hpp"

#include <set>

#include "spotter/common/ids.hpp"

namespace spotter::edge {

using protocol::DeviceKind;
using protocol::MessageType;

bool sent_by_device(MessageType type) noexcept {
  switch (type) {
    case MessageType::auth_reply:
    case MessageType::command:
    case MessageType::door_decision:
      return false;
    default:
      return true;
  }
}

Status check_broker_devices(const std::vector<BrokerDevice>& devices) {
  std::set<std::string_view> seen;
  for (const auto& d : devices) {
    if (!is_valid_id(d.id)) return fail("device", "device id '" + d.id + "' is not a valid id");
    if (d.id == kAgentAccount) return fail("device", "device id '" + d.id + "' is the agent's own account name");
    if (!seen.insert(d.id).second) return fail("device", "device id '" + d.id + "' is used twice (machines and doors share one name space on the broker)");
  }
  return {};
}

std::string mosquitto_acl(std::string_view branch, const std::vector<BrokerDevice>& devices) {
  std::string out =
      "# Written by `spotter-edge devices export`: each device publishes only its own topics and\n"
      "# reads only its own inbound ones; only the agent publishes decisions and commands.\n"
      "# Export again after adding a device rather than editing this file.\n\n";
  out.append("user ").append(kAgentAccount).append("\n");
  out.append("topic readwrite spotter/v1/").append(branch).append("/#\n");
  for (const auto& d : devices) {
    out.append("\nuser ").append(d.id).append("\n");
    for (int i = 0; i < protocol::kMessageTypeCount; ++i) {
      const auto type = static_cast<MessageType>(i);
      if (protocol::device_kind(type) != d.kind) continue;
      out.append(sent_by_device(type) ? "topic write " : "topic read ").append(protocol::build_topic(branch, d.id, type)).append("\n");
    }
    // Fingerprint templates for this door's reader (PROTOCOL.md 4.4), one retained message
    // per credential.
    if (d.kind == DeviceKind::door)
      out.append("topic read spotter/v1/").append(branch).append("/doors/").append(d.id).append("/fingerprints/+\n");
  }
  return out;
}

std::string mosquitto_password_line(std::string_view user, unsigned iterations, std::string_view salt_base64,
                                    std::string_view hash_base64) {
  std::string line(user);
  line.append(":$7$").append(std::to_string(iterations)).append("$").append(salt_base64).append("$").append(hash_base64).append("\n");
  return line;
}

}  // namespace spotter::edge
