// Fingerprints end to end (PROTOCOL.md 4.4): enrolled in the cloud, sealed for each reader
// with a sensor by the real agent, decided at the door offline too, and taken back when
// deleted, also while the agent was down.
#include "spotter/common/encoding.hpp"
#include "spotter/protocol/fingerprint.hpp"
#include "sync_world.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
crypto::Bytes door_key(SyncWorld& w, const std::string& door) {
  ChildProcess cli({bin("spotter-edge"), "door-key", "--door", door, "--data-dir", (w.dir.path() / "edge").string()}, w.dir.path());
  REQUIRE(cli.wait(10s) == 0);
  std::string hex = cli.stdout_text();
  while (!hex.empty() && hex.back() == '\n') hex.pop_back();
  auto key = hex_decode(hex);
  REQUIRE(key.ok());
  return *key;
}
}  // namespace

TEST_CASE("a fingerprint reaches only readers with a sensor, sealed for each; it opens the door offline too; deleted, it stops within 10 s and is taken back") {
  SyncWorld w;
  auto reader_status = [&](const std::string& door, bool sensor) {
    w.devices.publish(w.topic(door, MessageType::door_status), encode(DoorStatus{ReaderState::online, 1763737840123, std::string("2.1.0"), sensor}), 1, true);
  };
  reader_status("fp-door", true);
  reader_status("main", false);
  crypto::Bytes tmpl(700);
  for (std::size_t i = 0; i < tmpl.size(); ++i) tmpl[i] = static_cast<std::uint8_t>(i * 13 + 1);
  auto enrol = [&](const char* finger) {
    return w.post("/api/users/" + w.member_id + "/credentials",
                  {{"kind", "fingerprint"}, {"finger", finger}, {"template", base64_encode(tmpl)}})["id"].get<std::string>();
  };
  const std::string first = enrol("right_index"), second = enrol("left_index");
  const auto at_door = [&](const std::string& id) { return fingerprint_topic(w.branch, "fp-door", id); };
  auto arrived = [&](const std::string& topic, bool empty) {
    return [topic, empty](const Received& r) { return r.topic == topic && r.payload.empty() == empty; };
  };
  REQUIRE(w.devices.wait_for(arrived(at_door(first), false), 1, 15s));
  REQUIRE(w.devices.wait_for(arrived(at_door(second), false), 1, 15s));

  // Sealed for this door: its key opens it; another door's key does not.
  const auto key = door_key(w, "fp-door");
  for (const auto& r : w.devices.messages()) {
    if (r.topic != at_door(first) || r.payload.empty()) continue;
    auto msg = decode_fingerprint_template(r.payload);
    REQUIRE(msg.ok());
    CHECK(msg->credential_id == first);
    CHECK(msg->finger == "right_index");
    auto opened = open_template(key, r.topic, msg->sealed);
    REQUIRE(opened.ok());
    CHECK(*opened == tmpl);
    CHECK_FALSE(open_template(door_key(w, "main"), r.topic, msg->sealed).ok());
    CHECK(r.payload.find(base64_encode(tmpl).substr(0, 40)) == std::string::npos);
  }
  // The reader without a sensor is sent nothing.
  CHECK(w.devices.count([&](const Received& r) { return r.topic.find("/doors/main/fingerprints/") != std::string::npos; }) == 0);

  // The reader's match opens the door like a card, also with the cloud down.
  const Credential finger{Credential::Kind::fingerprint, first};
  CHECK(w.scan(finger, "in", "fp-door").granted);
  CHECK(w.scan(finger, "out", "fp-door").granted);
  w.cloud->signal(SIGTERM);
  REQUIRE(w.cloud->wait(15s) == 0);
  auto offline = w.scan(finger, "in", "fp-door");
  CHECK(offline.granted);
  CHECK(offline.display_name == "Ana");
  CHECK(w.scan(finger, "out", "fp-door").granted);
  w.start_cloud();
  w.admin = w.login("admin@gym.test");

  // Deleted: refused at the door within 10 s, and the reader told to drop it.
  REQUIRE(w.http->del("/api/users/" + w.member_id + "/credentials/" + first, w.admin).status == 204);
  DoorDecision last;
  auto refused = time_until([&] {
    last = w.scan(finger, "in", "fp-door");
    if (last.granted) (void)w.scan(finger, "out", "fp-door");
    return !last.granted;
  }, 15s);
  MESSAGE("fingerprint deleted -> refused at the door: ", refused.count(), " ms");
  CHECK(last.reason == Reason::unknown_credential);
  CHECK(refused <= 10s);
  CHECK(w.devices.wait_for(arrived(at_door(first), true), 1, 10s));

  // Deleted while the agent is down: the restarted agent learns from the broker what the
  // reader holds and takes it back.
  w.edge->signal(SIGTERM);
  REQUIRE(w.edge->wait(15s) == 0);
  REQUIRE(w.http->del("/api/users/" + w.member_id + "/credentials/" + second, w.admin).status == 204);
  w.start_edge();
  CHECK(w.devices.wait_for(arrived(at_door(second), true), 1, 20s));
  CHECK(w.scan(Credential{Credential::Kind::fingerprint, second}, "in", "fp-door").reason == Reason::unknown_credential);
  // The broker holds nothing more for the reader: a new subscriber gets no template. (The
  // broker answers subscriptions in order, so once the retained statuses of the second one
  // are in, any retained template of the first would have been too.)
  MqttProbe fresh(w.broker.uri(), "fresh-reader");
  fresh.subscribe(fingerprint_filter(w.branch), 1);
  fresh.subscribe(w.topic("+", MessageType::door_status), 1);
  REQUIRE(fresh.wait_for([](const Received& r) { return r.topic.ends_with("/status"); }, 2, 10s));
  CHECK(fresh.count([](const Received& r) { return r.topic.find("/fingerprints/") != std::string::npos; }) == 0);
  CHECK(w.http->get("/api/sync/quarantine", w.admin).json["items"].empty());
}

TEST_CASE("spotter-sim's fingerprint door opens the templates the real agent seals for it and lets the finger in and out") {
  SyncWorld w;
  const std::string id = w.post("/api/users/" + w.member_id + "/credentials",
                                {{"kind", "fingerprint"}, {"finger", "right_thumb"}, {"template", base64_encode(crypto::Bytes(300, 9))}})["id"];
  // No members of its own: every card it shows is unknown, so a granted decision is the finger.
  ChildProcess sim({bin("spotter-sim"), "--mqtt", w.broker.uri(), "--branch", w.branch, "--machines", "0", "--doors", "1", "--fingerprint-doors", "1",
                    "--members", "0", "--scan-interval", "150ms", "--stats-interval", "500ms",
                    "--gateway-key", (w.dir.path() / "edge" / "fingerprint.key").string()},
                   w.dir.path());
  auto finger_scan = [&](const char* direction) {
    return [&, direction](const Received& r) {
      return r.topic == w.topic("door-01", MessageType::door_scan) && r.payload.find(id) != std::string::npos &&
             r.payload.find(std::string("\"direction\":\"") + direction + "\"") != std::string::npos;
    };
  };
  CHECK(w.devices.wait_for(finger_scan("in"), 1, 20s));
  CHECK(w.devices.wait_for(finger_scan("out"), 1, 20s));
  CHECK(w.devices.wait_for([&](const Received& r) { return r.topic == w.topic("door-01", MessageType::door_decision) && r.payload.find("\"granted\":true") != std::string::npos; },
                           2, 20s));
  CHECK(eventually([&] { return sim.stderr_text().find("\"templates_held\":1") != std::string::npos; }, 10s));
  CHECK(sim.stderr_text().find("\"templates_refused\":0") != std::string::npos);
  sim.signal(SIGTERM);
  CHECK(sim.wait(15s) == 0);
}
