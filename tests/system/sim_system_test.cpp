// spotter-sim against a real mosquitto: what firmware authors and gateways will see.
#include <doctest/doctest.h>

#include <signal.h>

#include <map>
#include <set>

#include "spotter/common/json.hpp"
#include "spotter/protocol/codec.hpp"
#include "spotter/testing/broker.hpp"
#include "spotter/testing/mqtt_probe.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace spotter::protocol;
using namespace std::chrono_literals;

namespace {
std::vector<std::string> sim_args(const Broker& b, std::vector<std::string> extra) {
  std::vector<std::string> a = {bin("spotter-sim"), "--mqtt", b.uri(), "--branch", "b1", "--machines", "8", "--doors", "2",
                                "--idle-time", "300ms", "--activity-time", "2s", "--scan-interval", "300ms",
                                "--telemetry-interval", "200ms", "--heartbeat-interval", "1s", "--stats-interval", "0s"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}
}  // namespace

TEST_CASE("spotter-sim traffic on a real broker is protocol-conformant and complete") {
  TempDir dir;
  Broker broker(dir.path() / "broker");
  MqttProbe gateway(broker.uri(), "test-gateway");
  gateway.subscribe("spotter/v1/#", 1);
  ChildProcess sim(sim_args(broker, {"--duration", "6s"}), dir.path());
  // Act as a minimal gateway: answer every scan and tap, so both reply paths are exercised.
  std::set<std::string> answered;
  auto deadline = std::chrono::steady_clock::now() + 12s;
  while (sim.running() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& m : gateway.messages()) {
      auto topic = parse_topic(m.topic);
      if (!topic || answered.count(m.payload)) continue;
      if (topic->type == MessageType::door_scan) {
        auto scan = decode_door_scan(m.payload);
        REQUIRE(scan.ok());
        answered.insert(m.payload);
        DoorDecision d{scan->req_id, true, Reason::ok, "ses_" + scan->req_id.substr(0, 40), "Sim Member"};
        gateway.publish(build_topic("b1", topic->device, MessageType::door_decision), encode(d));
      } else if (topic->type == MessageType::machine_auth) {
        auto auth = decode_machine_auth(m.payload);
        REQUIRE(auth.ok());
        answered.insert(m.payload);
        AuthReply r{auth->req_id, AuthResult::linked, Reason::ok, "lnk_" + topic->device.substr(0, 40), "Sim Member"};
        gateway.publish(build_topic("b1", topic->device, MessageType::auth_reply), encode(r));
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(sim.wait(10s) == 0);
  INFO(sim.stderr_text());

  std::map<MessageType, int> counts;
  std::map<std::string, std::int64_t> last_msg_id;
  bool linked_telemetry = false;
  for (const auto& m : gateway.messages()) {
    auto topic = parse_topic(m.topic);
    REQUIRE(topic.ok());
    CHECK(topic->branch == "b1");
    if (topic->type == MessageType::door_decision || topic->type == MessageType::auth_reply) continue;  // ours
    auto msg = decode(topic->type, m.payload);
    if (!msg) FAIL("non-conformant: ", m.topic, " ", m.payload, " -> ", to_string(msg.error().reason), " ", msg.error().field);
    ++counts[topic->type];
    CHECK(m.qos == (topic->type == MessageType::heartbeat ? 0 : 1));
    if (auto* t = std::get_if<Telemetry>(&*msg)) {
      CHECK(t->msg_id > last_msg_id[topic->device]);
      last_msg_id[topic->device] = t->msg_id;
      linked_telemetry = linked_telemetry || t->link_id.has_value();
    }
  }
  for (auto t : {MessageType::machine_status, MessageType::heartbeat, MessageType::telemetry, MessageType::workout,
                 MessageType::machine_auth, MessageType::door_scan, MessageType::door_status}) {
    CAPTURE(name(t));
    CHECK(counts[t] > 0);
  }
  CHECK(linked_telemetry);
  // The sim's closing stats line counts the decisions it got back.
  auto err = sim.stderr_text();
  auto stopped = err.find("\"msg\":\"stopped\"");
  REQUIRE(stopped != std::string::npos);
  auto line = err.substr(err.rfind('\n', stopped) + 1);
  line = line.substr(0, line.find('\n'));
  auto stats = parse_json_strict(line);
  REQUIRE(stats.ok());
  CHECK((*stats)["stats"]["decisions"]["ok"].get<int>() > 0);
  CHECK((*stats)["stats"]["auth_replies"]["ok"].get<int>() > 0);

  // A clean stop leaves every device's retained status at offline, with a ts.
  MqttProbe late(broker.uri(), "late-subscriber");
  late.subscribe("spotter/v1/b1/+/+/status", 1);
  REQUIRE(late.wait_for([](const Received& r) { return r.retained; }, 10, 5s));
  for (const auto& r : late.messages()) {
    auto topic = parse_topic(r.topic);
    REQUIRE(topic.ok());
    auto msg = decode(topic->type, r.payload);
    REQUIRE(msg.ok());
    if (auto* s = std::get_if<MachineStatus>(&*msg)) {
      CHECK(s->state == MachineState::offline);
      CHECK(s->ts.has_value());
    }
  }
}

TEST_CASE("a killed simulator's machines and readers go offline through their last wills") {
  TempDir dir;
  Broker broker(dir.path() / "broker");
  MqttProbe watcher(broker.uri(), "watcher");
  watcher.subscribe("spotter/v1/b1/+/+/status", 1);
  ChildProcess sim(sim_args(broker, {}), dir.path());
  auto online = [](const Received& r) { return r.payload.find("offline") == std::string::npos; };
  REQUIRE(watcher.wait_for(online, 10, 15s));
  watcher.clear();
  sim.signal(SIGKILL);
  auto will = [](const Received& r) { return r.payload == R"({"state":"offline"})"; };
  REQUIRE(watcher.wait_for(will, 10, 10s));
  std::set<std::string> devices;
  for (const auto& r : watcher.messages()) {
    if (will(r)) devices.insert(parse_topic(r.topic)->device);
  }
  CHECK(devices.size() == 10);
}

TEST_CASE("a machine answers poll with its status, and obeys maintenance commands") {
  TempDir dir;
  Broker broker(dir.path() / "broker");
  MqttProbe gw(broker.uri(), "gw");
  gw.subscribe("spotter/v1/b1/machines/+/status", 1);
  ChildProcess sim(sim_args(broker, {"--machines", "2", "--doors", "0", "--idle-time", "1h", "--faults-per-hour", "0"}), dir.path());
  REQUIRE(gw.wait_for([](const Received& r) { return r.payload.find("\"idle\"") != std::string::npos; }, 2, 15s));
  std::string topic = gw.messages().front().topic;
  std::string cmd_topic = topic.substr(0, topic.rfind('/')) + "/cmd";
  gw.clear();
  gw.publish(cmd_topic, R"({"req_id":"p1","cmd":"poll"})");
  REQUIRE(gw.wait_for([&](const Received& r) { return r.topic == topic && !r.retained; }, 1, 5s));
  gw.publish(cmd_topic, R"({"req_id":"m1","cmd":"set_maintenance"})");
  REQUIRE(gw.wait_for([&](const Received& r) { return r.topic == topic && r.payload.find("maintenance") != std::string::npos; }, 1, 5s));
  gw.publish(cmd_topic, R"({"req_id":"m2","cmd":"clear_maintenance"})");
  gw.clear();
  REQUIRE(gw.wait_for([&](const Received& r) { return r.topic == topic && r.payload.find("\"idle\"") != std::string::npos; }, 1, 5s));
  gw.publish(cmd_topic, "this is not json");  // a bad command is counted, not fatal
  gw.publish(cmd_topic, R"({"req_id":"p2","cmd":"poll"})");
  gw.clear();
  REQUIRE(gw.wait_for([&](const Received& r) { return r.topic == topic; }, 1, 5s));
  sim.signal(SIGTERM);
  CHECK(sim.wait(10s) == 0);
  CHECK(sim.stderr_text().find("\"inbound_rejected\":1") != std::string::npos);
}

TEST_CASE("flood mode delivers every message, acknowledged, with increasing msg_id per machine") {
  TempDir dir;
  Broker broker(dir.path() / "broker");
  MqttProbe sub(broker.uri(), "sub");
  sub.subscribe("spotter/v1/b1/machines/+/telemetry", 1);
  ChildProcess sim({bin("spotter-sim"), "--mqtt", broker.uri(), "--branch", "b1", "--mode", "flood", "--machines", "50",
                    "--publishers", "2", "--count", "20000"},
                   dir.path());
  REQUIRE(sim.wait(30s) == 0);
  auto result = parse_json_strict(sim.stdout_text().substr(0, sim.stdout_text().find('\n')));
  REQUIRE(result.ok());
  CHECK((*result)["acknowledged"] == 20000);
  REQUIRE(sub.wait_for([](const Received&) { return true; }, 20000, 30s));
  std::map<std::string, std::int64_t> last;
  for (const auto& m : sub.messages()) {
    auto t = decode_telemetry(m.payload);
    REQUIRE(t.ok());
    auto device = parse_topic(m.topic)->device;
    CHECK(t->msg_id > last[device]);
    last[device] = t->msg_id;
  }
  CHECK(last.size() == 50);
}

TEST_CASE("bad settings stop spotter-sim with exit code 2 and one clear line") {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string mentions;
  };
  const Case cases[] = {
      {{"--machines", "-3"}, {}, "--machines"},
      {{"--branch", "no/slashes"}, {}, "--branch"},
      {{"--mode", "chaos"}, {}, "--mode"},
      {{}, {{"SPOTTER_TELEMETRY_INTERVAL", "fast"}}, "SPOTTER_TELEMETRY_INTERVAL"},
      {{"--cardio-pct", "80", "--strength-pct", "30"}, {}, "--strength-pct"},
      {{"--config", (dir.path() / "missing.conf").string()}, {}, "--config"},
      {{"--trainee", "04de30"}, {}, "--trainee"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {bin("spotter-sim")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ChildProcess p(argv, dir.path(), c.env);
    CAPTURE(c.mentions);
    CHECK(p.wait(10s) == 2);
    auto err = p.stderr_text();
    CHECK(err.find(c.mentions) != std::string::npos);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  }
  ChildProcess help({bin("spotter-sim"), "--help"}, dir.path());
  CHECK(help.wait(10s) == 0);
  CHECK(help.stdout_text().find("--telemetry-interval") != std::string::npos);
  ChildProcess members({bin("spotter-sim"), "members", "--members", "3", "--seed", "9"}, dir.path());
  CHECK(members.wait(10s) == 0);
  auto uids = parse_json_strict(members.stdout_text());
  REQUIRE(uids.ok());
  CHECK(uids->size() == 3);
}
