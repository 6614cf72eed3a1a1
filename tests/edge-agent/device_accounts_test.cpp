#include <doctest/doctest.h>

#include "spotter/edge/device_accounts.hpp"

using namespace spotter;
using namespace spotter::edge;
using protocol::DeviceKind;

namespace {
std::vector<std::string> lines_of(const std::string& text, const std::string& user) {
  // The lines of one `user` block.
  std::vector<std::string> out;
  const auto at = text.find("\nuser " + user + "\n");
  if (at == std::string::npos) return out;
  std::size_t pos = at + 7 + user.size();
  while (pos < text.size() && text[pos] != '\n') {
    const auto end = text.find('\n', pos);
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}
}  // namespace

TEST_CASE("broker ACL: a device writes only what it sends and reads only what is sent to it; the agent everything of its branch") {
  const auto acl = mosquitto_acl("b1", {{"tm-1", DeviceKind::machine}, {"front", DeviceKind::door}});
  CHECK(lines_of(acl, "spotter-edge") == std::vector<std::string>{"topic readwrite spotter/v1/b1/#"});
  CHECK(lines_of(acl, "tm-1") == std::vector<std::string>{
                                     "topic write spotter/v1/b1/machines/tm-1/status",
                                     "topic write spotter/v1/b1/machines/tm-1/heartbeat",
                                     "topic write spotter/v1/b1/machines/tm-1/telemetry",
                                     "topic write spotter/v1/b1/machines/tm-1/workout",
                                     "topic write spotter/v1/b1/machines/tm-1/auth",
                                     "topic read spotter/v1/b1/machines/tm-1/auth/reply",
                                     "topic read spotter/v1/b1/machines/tm-1/cmd",
                                     "topic write spotter/v1/b1/machines/tm-1/maintenance",
                                 });
  CHECK(lines_of(acl, "front") == std::vector<std::string>{
                                      "topic write spotter/v1/b1/doors/front/scan",
                                      "topic read spotter/v1/b1/doors/front/decision",
                                      "topic write spotter/v1/b1/doors/front/status",
                                      "topic read spotter/v1/b1/doors/front/fingerprints/+",
                                  });
  // Nothing the gateway sends is ever writable by a device.
  for (auto type : {protocol::MessageType::door_decision, protocol::MessageType::auth_reply, protocol::MessageType::command})
    CHECK_FALSE(sent_by_device(type));
}

TEST_CASE("broker accounts: device ids that would clash or are not ids are refused, naming the device") {
  CHECK(check_broker_devices({{"tm-1", DeviceKind::machine}, {"front", DeviceKind::door}}));
  auto twice = check_broker_devices({{"x1", DeviceKind::machine}, {"x1", DeviceKind::door}});
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message.find("'x1'") != std::string::npos);
  CHECK_FALSE(check_broker_devices({{"spotter-edge", DeviceKind::door}}));
  CHECK_FALSE(check_broker_devices({{"bad id", DeviceKind::door}}));
  CHECK_FALSE(check_broker_devices({{"", DeviceKind::machine}}));
}

TEST_CASE("broker password line: mosquitto 2's PBKDF2-SHA512 form") {
  CHECK(mosquitto_password_line("tm-1", 101, "c2FsdA==", "aGFzaA==") == "tm-1:$7$101$c2FsdA==$aGFzaA==\n");
}
