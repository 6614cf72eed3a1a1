#include "spotter/protocol/topic.hpp"

#include <array>

#include "spotter/common/ids.hpp"

namespace spotter::protocol {
namespace {
constexpr std::string_view kRoot = "spotter/v1/";
constexpr std::array<std::string_view, kMessageTypeCount> kSuffixes = {
    "status", "heartbeat", "telemetry", "workout", "auth", "auth/reply", "cmd", "maintenance", "scan", "decision", "status"};
constexpr std::array<std::string_view, kMessageTypeCount> kNames = {
    "status", "heartbeat", "telemetry", "workout", "auth", "auth_reply", "cmd", "maintenance", "scan", "decision", "door_status"};
}  // namespace

DeviceKind device_kind(MessageType type) noexcept {
  return type >= MessageType::door_scan ? DeviceKind::door : DeviceKind::machine;
}

std::string_view suffix(MessageType type) noexcept { return kSuffixes[static_cast<int>(type)]; }
std::string_view name(MessageType type) noexcept { return kNames[static_cast<int>(type)]; }

Result<MessageType> message_type_from_name(std::string_view n) {
  for (int i = 0; i < kMessageTypeCount; ++i) {
    if (kNames[static_cast<std::size_t>(i)] == n) return static_cast<MessageType>(i);
  }
  return fail("bad_topic", "unknown message type");
}

Result<Topic> parse_topic(std::string_view topic) {
  if (topic.substr(0, kRoot.size()) != kRoot) return fail("bad_topic", "topic is not under spotter/v1/");
  std::string_view rest = topic.substr(kRoot.size());
  auto next = [&rest]() -> std::string_view {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    return seg;
  };
  std::string_view branch = next();
  std::string_view kind = next();
  std::string_view device = next();
  if (!is_valid_id(branch)) return fail("bad_topic", "branch segment is not a valid id");
  if (!is_valid_id(device)) return fail("bad_topic", "device segment is not a valid id");
  DeviceKind dk;
  if (kind == "machines") {
    dk = DeviceKind::machine;
  } else if (kind == "doors") {
    dk = DeviceKind::door;
  } else {
    return fail("bad_topic", "expected machines/ or doors/ after the branch");
  }
  for (int i = 0; i < kMessageTypeCount; ++i) {
    auto t = static_cast<MessageType>(i);
    if (device_kind(t) == dk && suffix(t) == rest) return Topic{std::string(branch), std::string(device), t};
  }
  return fail("bad_topic", "unknown message kind for this device type");
}

std::string build_topic(std::string_view branch, std::string_view device, MessageType type) {
  std::string t(kRoot);
  t += branch;
  t += device_kind(type) == DeviceKind::machine ? "/machines/" : "/doors/";
  t += device;
  t += '/';
  t += suffix(type);
  return t;
}

std::string branch_filter(std::string_view branch) {
  return std::string(kRoot) + std::string(branch) + "/#";
}

}  // namespace spotter::protocol
