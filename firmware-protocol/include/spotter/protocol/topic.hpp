#pragma once
// MQTT topics of protocol v1: spotter/v1/{branch}/machines/{machine}/{kind} and
// spotter/v1/{branch}/doors/{door}/{kind}.
#include <string>
#include <string_view>

#include "spotter/common/result.hpp"

namespace spotter::protocol {

enum class MessageType {
  machine_status,
  heartbeat,
  telemetry,
  workout,
  machine_auth,
  auth_reply,
  command,
  maintenance,
  door_scan,
  door_decision,
  door_status,
};
inline constexpr int kMessageTypeCount = 11;

enum class DeviceKind { machine, door };

struct Topic {
  std::string branch;
  std::string device;
  MessageType type = MessageType::machine_status;
  friend bool operator==(const Topic&, const Topic&) = default;
};

DeviceKind device_kind(MessageType type) noexcept;
// The topic suffix after the device id, e.g. "auth/reply".
std::string_view suffix(MessageType type) noexcept;
// A short stable name, e.g. "auth_reply" (used in counters and PROTOCOL.md examples).
std::string_view name(MessageType type) noexcept;
Result<MessageType> message_type_from_name(std::string_view name);

// Error code "bad_topic" with what was wrong in the message.
Result<Topic> parse_topic(std::string_view topic);
// Ids must be valid ids (a programming error otherwise: callers validate configuration).
std::string build_topic(std::string_view branch, std::string_view device, MessageType type);
// "spotter/v1/{branch}/#"
std::string branch_filter(std::string_view branch);

}  // namespace spotter::protocol
