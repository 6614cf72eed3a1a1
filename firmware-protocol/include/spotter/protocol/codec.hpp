#pragma once
// Parse + validate every protocol v1 payload into its typed message, or say precisely why
// not; and encode typed messages. Pure functions: no I/O, no state, never throw on input.
#include <optional>
#include <string>
#include <string_view>

#include "spotter/common/result.hpp"
#include "spotter/protocol/messages.hpp"
#include "spotter/protocol/topic.hpp"

namespace spotter::protocol {

enum class RejectReason {
  bad_topic,
  too_large,
  bad_utf8,
  not_json,
  too_deep,
  duplicate_key,
  not_object,
  missing_field,
  wrong_type,
  out_of_range,
  bad_value,
  inconsistent,
};
inline constexpr int kRejectReasonCount = 12;

std::string_view to_string(RejectReason reason) noexcept;

struct Rejection {
  RejectReason reason = RejectReason::not_json;
  std::string field;   // e.g. "metrics.speed_kmh", "sets[1].reps"; empty for the whole payload
  std::string detail;  // for logs; never echoes more than a short, sanitized excerpt
  friend bool operator==(const Rejection&, const Rejection&) = default;
};

template <class T>
using Decoded = Result<T, Rejection>;

Decoded<MachineStatus> decode_machine_status(std::string_view payload);
Decoded<Heartbeat> decode_heartbeat(std::string_view payload);
// `known` is the machine's category from the registry or its last status; the payload's
// own `category` wins. With neither, every metric is read and checked.
Decoded<Telemetry> decode_telemetry(std::string_view payload, std::optional<Category> known = std::nullopt);
Decoded<Workout> decode_workout(std::string_view payload);
Decoded<MachineAuth> decode_machine_auth(std::string_view payload);
Decoded<AuthReply> decode_auth_reply(std::string_view payload);
Decoded<Command> decode_command(std::string_view payload);
Decoded<Maintenance> decode_maintenance(std::string_view payload);
Decoded<DoorScan> decode_door_scan(std::string_view payload);
Decoded<DoorDecision> decode_door_decision(std::string_view payload);
Decoded<DoorStatus> decode_door_status(std::string_view payload);

Decoded<Message> decode(MessageType type, std::string_view payload, std::optional<Category> known = std::nullopt);

// Best effort: the `req_id` of a payload that failed to decode, so a malformed scan or auth
// can still be answered with reason `malformed`. Empty when none can be read safely.
std::optional<std::string> salvage_req_id(std::string_view payload);

// Compact JSON in the field order of PROTOCOL.md. Encoding a decoded message and decoding
// it again gives the same message.
std::string encode(const MachineStatus& m);
std::string encode(const Heartbeat& m);
std::string encode(const Telemetry& m);
std::string encode(const Workout& m);
std::string encode(const MachineAuth& m);
std::string encode(const AuthReply& m);
std::string encode(const Command& m);
std::string encode(const Maintenance& m);
std::string encode(const DoorScan& m);
std::string encode(const DoorDecision& m);
std::string encode(const DoorStatus& m);
std::string encode(const Message& m);
MessageType type_of(const Message& m) noexcept;

// Enum names as on the wire.
std::string_view to_string(MachineState v) noexcept;
std::string_view to_string(Category v) noexcept;
std::string_view to_string(Severity v) noexcept;
std::string_view to_string(Direction v) noexcept;
std::string_view to_string(CommandKind v) noexcept;
std::string_view to_string(AuthResult v) noexcept;
std::string_view to_string(ReaderState v) noexcept;
std::string_view to_string(Reason v) noexcept;
bool is_door_reason(Reason r) noexcept;
bool is_machine_reason(Reason r) noexcept;

}  // namespace spotter::protocol
