#include <doctest/doctest.h>

#include "spotter/protocol/topic.hpp"

using namespace spotter::protocol;

TEST_CASE("every message type's topic round-trips") {
  for (int i = 0; i < kMessageTypeCount; ++i) {
    auto t = static_cast<MessageType>(i);
    std::string topic = build_topic("br-1", "dev_9", t);
    auto parsed = parse_topic(topic);
    REQUIRE(parsed.ok());
    CHECK(*parsed == Topic{"br-1", "dev_9", t});
    CHECK(message_type_from_name(name(t)).value() == t);
  }
  CHECK(build_topic("b", "m1", MessageType::auth_reply) == "spotter/v1/b/machines/m1/auth/reply");
  CHECK(build_topic("b", "front", MessageType::door_status) == "spotter/v1/b/doors/front/status");
  CHECK(branch_filter("b") == "spotter/v1/b/#");
}

TEST_CASE("bad topics are refused") {
  for (const char* bad : {"", "spotter/v2/b/machines/m/status", "spotter/v1/b/machines/m", "spotter/v1/b/machines/m/",
                          "spotter/v1/b/machines/m/status/extra", "spotter/v1/b/doors/d/telemetry",
                          "spotter/v1/b/machines/m/scan", "spotter/v1/b/robots/m/status", "spotter/v1//machines/m/status",
                          "spotter/v1/b/machines//status", "spotter/v1/b+/machines/m/status", "spotter/v1/b/machines/m#/status",
                          "spotter/v1/b/machines/m/auth/reply/x", "Spotter/v1/b/machines/m/status"}) {
    CAPTURE(bad);
    auto r = parse_topic(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_topic");
  }
}
