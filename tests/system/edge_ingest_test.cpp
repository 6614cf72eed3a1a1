// Telemetry ingest over a real broker: stored once per (machine, boot_id, msg_id), and
// nothing lost when the agent is killed with SIGKILL in the middle of a flood.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>

#include <fstream>

#include "spotter/common/json.hpp"
#include "spotter/testing/broker.hpp"
#include "spotter/testing/mqtt_probe.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {
std::int64_t stored(const std::filesystem::path& db) {
  try {
    SQLite::Database d(db.string(), SQLite::OPEN_READONLY);
    return d.execAndGet("SELECT COUNT(*) FROM telemetry").getInt64();
  } catch (const SQLite::Exception&) {
    return -1;  // not created yet
  }
}

struct Gateway {
  TempDir dir;
  Broker broker{dir.path() / "broker"};
  std::filesystem::path data = dir.path() / "data";
  std::unique_ptr<ChildProcess> edge;

  Gateway() {
    std::ofstream(dir.path() / "replica.json") << R"({"branch":{"id":"b1","timezone":"UTC"}})";
    ChildProcess import({bin("spotter-edge"), "import", (dir.path() / "replica.json").string(), "--data-dir", data.string()}, dir.path());
    REQUIRE(import.wait(10s) == 0);
    start();
  }
  void start() {
    edge = std::make_unique<ChildProcess>(
        std::vector<std::string>{bin("spotter-edge"), "run", "--branch", "b1", "--mqtt", broker.uri(), "--data-dir", data.string()}, dir.path());
    REQUIRE(eventually([&] { return edge->stderr_text().find("\"running\"") != std::string::npos; }, 15s));
  }
};
}  // namespace

TEST_CASE("QoS 1 redeliveries and repeats are stored once; bad payloads are counted, not stored") {
  Gateway g;
  MqttProbe machine(g.broker.uri(), "tm-1");
  const std::string topic = "spotter/v1/b1/machines/tm-1/telemetry";
  for (int i = 1; i <= 5; ++i) {
    std::string p = R"({"msg_id":)" + std::to_string(i) + R"(,"ts":1,"boot_id":"bt1","metrics":{"speed_kmh":10}})";
    machine.publish(topic, p);
    machine.publish(topic, p);  // as a redelivery would arrive
  }
  machine.publish(topic, R"({"msg_id":1,"ts":1,"boot_id":"bt2","metrics":{}})");  // a new boot: a new message
  machine.publish(topic, R"({"msg_id":9,"ts":1,"metrics":{"speed_kmh":99}})");    // out of range
  machine.publish(topic, "garbage");
  machine.publish("spotter/v1/b1/machines/tm-1/workout",
                  R"({"msg_id":6,"ts_start":1,"ts_end":2,"boot_id":"bt1","category":"strength","exercise":"leg_press","sets":[{"reps":10,"weight_kg":50}]})");
  REQUIRE(eventually([&] { return stored(g.data / "edge.telemetry.db") == 7; }, 15s));
  g.edge->signal(SIGTERM);
  REQUIRE(g.edge->wait(10s) == 0);
  auto log = g.edge->stderr_text();
  CHECK(log.find("\"rejected\":2") != std::string::npos);
  CHECK(log.find("\"telemetry_duplicates\":5") != std::string::npos);
  CHECK(stored(g.data / "edge.telemetry.db") == 7);
}

TEST_CASE("SIGKILL under load, then restart: every message the broker delivered is stored, once") {
  Gateway g;
  constexpr int kMessages = 30000;
  ChildProcess flood({bin("spotter-sim"), "--mqtt", g.broker.uri(), "--branch", "b1", "--mode", "flood", "--machines", "50",
                      "--publishers", "2", "--count", std::to_string(kMessages), "--rate", "10000"},
                     g.dir.path());
  // Kill it while messages are flowing, twice.
  for (int kill = 0; kill < 2; ++kill) {
    REQUIRE(eventually([&] { return stored(g.data / "edge.telemetry.db") > (kill + 1) * 5000; }, 30s));
    g.edge->signal(SIGKILL);
    g.edge->wait(5s);
    g.start();
  }
  REQUIRE(flood.wait(60s) == 0);
  if (!eventually([&] { return stored(g.data / "edge.telemetry.db") >= kMessages; }, 60s)) {
    FAIL("stored ", stored(g.data / "edge.telemetry.db"), " of ", kMessages, "; edge log: ", g.edge->stderr_text().substr(0, 3000));
  }
  CHECK(stored(g.data / "edge.telemetry.db") == kMessages);
  g.edge->signal(SIGTERM);
  REQUIRE(g.edge->wait(10s) == 0);
}

TEST_CASE("a malformed-payload storm is counted and does not disturb valid traffic") {
  Gateway g;
  MqttProbe devices(g.broker.uri(), "storm");
  // Each is invalid for every message kind it may be sent as (a bad or missing ts, broken
  // JSON...), so every one of them must be rejected.
  const char* junk[] = {"", "{", "[]", "null", "\xFF\xFE\xFD", R"({"msg_id":"x","ts":"1","metrics":{}})", R"({"msg_id":1,"ts":-1,"metrics":{}})",
                        R"({"msg_id":1,"msg_id":2,"ts":1,"metrics":{}})", R"({"ts":1,"metrics":{"speed_kmh":1e309}})",
                        R"({"msg_id":1,"ts":true,"metrics":{"heart_rate_bpm":999}})", R"({"state":"exploded","ts":"1"})",
                        R"({"req_id":"a","ts":[],"credential":{"kind":"nfc","uid":"zz"}})"};
  const char* kinds[] = {"telemetry", "workout", "status", "heartbeat", "maintenance", "auth"};
  int valid = 0, bad = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string machine = "m" + std::to_string(i % 10);
    if (i % 2 == 0) {
      ++valid;
      devices.publish("spotter/v1/b1/machines/" + machine + "/telemetry",
                      R"({"msg_id":)" + std::to_string(i) + R"(,"ts":1,"boot_id":"s","metrics":{"speed_kmh":8}})", 1);
    } else {
      ++bad;
      devices.publish("spotter/v1/b1/machines/" + machine + "/" + kinds[i % 6], junk[i % 12], 1);
    }
  }
  REQUIRE(eventually([&] { return stored(g.data / "edge.telemetry.db") == valid; }, 30s));
  CHECK(g.edge->running());
  g.edge->signal(SIGTERM);
  REQUIRE(g.edge->wait(10s) == 0);
  CHECK(g.edge->stderr_text().find("\"rejected\":" + std::to_string(bad)) != std::string::npos);
}
