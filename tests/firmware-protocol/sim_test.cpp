// The simulator's core against an in-memory transport with a manual clock: every message
// it sends must be protocol-conformant, and it must behave as firmware does.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "spotter/protocol/codec.hpp"
#include "spotter/protocol/fingerprint.hpp"
#include "spotter/protocol/sim/simulator.hpp"

using namespace spotter::sim;
using namespace spotter::protocol;

namespace {
struct Sent {
  std::string client;
  OutMessage msg;
};

class FakeTransport : public Transport {
 public:
  struct Conn : DeviceConnection {
    FakeTransport* t;
    std::string id;
    void publish(const OutMessage& m) override { t->sent.push_back({id, m}); }
    void close() override { t->closed.insert(id); }
  };
  std::unique_ptr<DeviceConnection> open(const std::string& id, const OutMessage& will, const std::vector<std::string>& subs) override {
    wills[id] = will;
    for (const auto& s : subs) subscriptions[s] = id;
    auto c = std::make_unique<Conn>();
    c->t = this;
    c->id = id;
    return c;
  }
  std::vector<Sent> sent;
  std::map<std::string, OutMessage> wills;
  std::map<std::string, std::string> subscriptions;
  std::set<std::string> closed;
};

SimConfig small_config() {
  SimConfig c;
  c.branch = "b1";
  c.machines = 9;
  c.doors = 2;
  c.seed = 42;
  c.boot_nonce = 7;
  c.idle_mean_ms = 2000;
  c.activity_mean_ms = 10'000;
  c.scan_mean_ms = 1000;
  c.faults_per_hour = 60;
  c.telemetry_hz = 2;
  return c;
}

void run(Simulator& sim, std::int64_t from, std::int64_t to, std::int64_t step = 50) {
  for (std::int64_t t = from; t <= to; t += step) sim.step(t);
}
}  // namespace

TEST_CASE("every simulated message is protocol-conformant, on the right topic with the right QoS and retain") {
  FakeTransport tr;
  Simulator sim(small_config(), tr);
  sim.start(1'000'000);
  run(sim, 1'000'000, 1'120'000);
  sim.stop(1'120'050);
  REQUIRE(tr.sent.size() > 300);
  std::map<MessageType, int> counts;
  std::map<std::string, std::int64_t> last_msg_id;
  for (const auto& s : tr.sent) {
    auto topic = parse_topic(s.msg.topic);
    REQUIRE(topic.ok());
    CHECK(topic->branch == "b1");
    CHECK(topic->device == s.client);  // a device publishes only under its own id
    auto msg = decode(topic->type, s.msg.payload);
    if (!msg) FAIL("sim sent a rejected message: ", s.msg.payload, " reason ", to_string(msg.error().reason));
    ++counts[topic->type];
    bool retained = topic->type == MessageType::machine_status || topic->type == MessageType::door_status;
    CHECK(s.msg.retained == retained);
    CHECK(s.msg.qos == (topic->type == MessageType::heartbeat ? 0 : 1));
    // telemetry and workouts share one strictly increasing msg_id per machine.
    std::int64_t id = -1;
    if (auto* t = std::get_if<Telemetry>(&*msg)) id = t->msg_id;
    if (auto* w = std::get_if<Workout>(&*msg)) id = w->msg_id;
    if (id >= 0) {
      CHECK(id > last_msg_id[s.client]);
      last_msg_id[s.client] = id;
    }
  }
  for (auto t : {MessageType::machine_status, MessageType::heartbeat, MessageType::telemetry, MessageType::workout,
                 MessageType::machine_auth, MessageType::maintenance, MessageType::door_scan, MessageType::door_status}) {
    CAPTURE(name(t));
    CHECK(counts[t] > 0);
  }
  CHECK(tr.closed.size() == 11);
}

TEST_CASE("wills and subscriptions are what firmware sets up") {
  FakeTransport tr;
  Simulator sim(small_config(), tr);
  sim.start(0);
  REQUIRE(tr.wills.size() == 11);
  for (const auto& [id, will] : tr.wills) {
    CHECK(will.payload == R"({"state":"offline"})");
    CHECK(will.retained);
    CHECK(will.qos == 1);
    CHECK(parse_topic(will.topic)->device == id);
  }
  for (const auto& id : sim.machine_ids()) {
    CHECK(tr.subscriptions.count("spotter/v1/b1/machines/" + id + "/cmd") == 1);
    CHECK(tr.subscriptions.count("spotter/v1/b1/machines/" + id + "/auth/reply") == 1);
  }
  for (const auto& id : sim.door_ids()) CHECK(tr.subscriptions.count("spotter/v1/b1/doors/" + id + "/decision") == 1);
}

TEST_CASE("the same seed gives the same traffic") {
  FakeTransport a, b;
  Simulator sa(small_config(), a), sb(small_config(), b);
  sa.start(0);
  sb.start(0);
  run(sa, 0, 60'000);
  run(sb, 0, 60'000);
  REQUIRE(a.sent.size() == b.sent.size());
  for (std::size_t i = 0; i < a.sent.size(); ++i) CHECK(a.sent[i].msg.payload == b.sent[i].msg.payload);
  auto other = small_config();
  other.seed = 43;
  FakeTransport c;
  Simulator sc(other, c);
  sc.start(0);
  run(sc, 0, 60'000);
  bool differs = c.sent.size() != a.sent.size();
  for (std::size_t i = 0; !differs && i < a.sent.size(); ++i) differs = a.sent[i].msg.payload != c.sent[i].msg.payload;
  CHECK(differs);
}

TEST_CASE("a poll is answered with the status, and maintenance commands change it") {
  FakeTransport tr;
  auto cfg = small_config();
  cfg.faults_per_hour = 0;
  Simulator sim(cfg, tr);
  sim.start(0);
  std::string m = sim.machine_ids().at(0);
  auto statuses = [&] {
    std::vector<MachineStatus> out;
    for (const auto& s : tr.sent) {
      if (s.client == m && s.msg.topic.ends_with("/status")) out.push_back(*decode_machine_status(s.msg.payload));
    }
    return out;
  };
  auto before = statuses().size();
  sim.deliver({"spotter/v1/b1/machines/" + m + "/cmd", R"({"req_id":"c1","cmd":"poll"})"});
  sim.step(10);
  CHECK(statuses().size() == before + 1);
  sim.deliver({"spotter/v1/b1/machines/" + m + "/cmd", R"({"req_id":"c2","cmd":"set_maintenance"})"});
  sim.step(20);
  CHECK(statuses().back().state == MachineState::maintenance);
  run(sim, 20, 30'000);  // stays in maintenance until cleared
  CHECK(statuses().back().state == MachineState::maintenance);
  sim.deliver({"spotter/v1/b1/machines/" + m + "/cmd", R"({"req_id":"c3","cmd":"clear_maintenance"})"});
  sim.step(30'050);
  CHECK(statuses().back().state == MachineState::idle);
  sim.deliver({"spotter/v1/b1/machines/" + m + "/cmd", R"({"req_id":"c4","cmd":"explode"})"});
  sim.step(30'100);
  CHECK(sim.stats().inbound_rejected == 1);
  CHECK(sim.stats().commands == 3);
}

TEST_CASE("a linked tap puts the link id into telemetry and status; unlink ends it with a workout") {
  FakeTransport tr;
  auto cfg = small_config();
  cfg.faults_per_hour = 0;
  cfg.machines = 1;
  cfg.doors = 0;
  cfg.cardio_share = 1.0;
  Simulator sim(cfg, tr);
  sim.start(0);
  std::string m = sim.machine_ids().at(0);
  std::optional<MachineAuth> auth;
  for (std::int64_t t = 0; t < 60'000 && !auth; t += 50) {
    sim.step(t);
    for (const auto& s : tr.sent) {
      if (s.msg.topic.ends_with("/auth")) auth = *decode_machine_auth(s.msg.payload);
    }
  }
  REQUIRE(auth.has_value());
  AuthReply reply{auth->req_id, AuthResult::linked, Reason::ok, "lnk_77", "Ana"};
  sim.deliver({"spotter/v1/b1/machines/" + m + "/auth/reply", encode(reply)});
  std::size_t mark = tr.sent.size();
  sim.step(61'000);
  sim.step(63'000);
  bool linked_status = false, linked_telemetry = false;
  for (std::size_t i = mark; i < tr.sent.size(); ++i) {
    const auto& s = tr.sent[i];
    if (s.msg.topic.ends_with("/status")) linked_status = decode_machine_status(s.msg.payload)->link_id == "lnk_77";
    if (s.msg.topic.ends_with("/telemetry")) linked_telemetry = decode_telemetry(s.msg.payload)->link_id == "lnk_77";
  }
  CHECK(linked_status);
  CHECK(linked_telemetry);
  sim.deliver({"spotter/v1/b1/machines/" + m + "/cmd", R"({"req_id":"u1","cmd":"unlink"})"});
  mark = tr.sent.size();
  sim.step(63'100);
  bool workout = false, idle = false;
  for (std::size_t i = mark; i < tr.sent.size(); ++i) {
    const auto& s = tr.sent[i];
    if (s.msg.topic.ends_with("/workout")) workout = decode_workout(s.msg.payload)->link_id == "lnk_77";
    if (s.msg.topic.ends_with("/status")) idle = decode_machine_status(s.msg.payload)->state == MachineState::idle;
  }
  CHECK(workout);
  CHECK(idle);
}

TEST_CASE("door readers track who is inside from the decisions they get") {
  FakeTransport tr;
  auto cfg = small_config();
  cfg.machines = 0;
  cfg.doors = 1;
  cfg.unknown_card_ratio = 0;
  Simulator sim(cfg, tr);
  sim.start(0);
  auto members = member_uids(cfg.members, cfg.seed);
  std::set<std::string> inside;
  for (std::int64_t t = 0; t < 120'000; t += 100) {
    std::size_t mark = tr.sent.size();
    sim.step(t);
    for (std::size_t i = mark; i < tr.sent.size(); ++i) {
      const auto& s = tr.sent[i];
      if (!s.msg.topic.ends_with("/scan")) continue;
      auto scan = decode_door_scan(s.msg.payload);
      REQUIRE(scan.ok());
      // A reader only sends `out` for someone it saw go in.
      if (scan->direction == Direction::out) CHECK(inside.count(scan->credential.value) == 1);
      bool granted = scan->direction == Direction::out || !inside.count(scan->credential.value);
      DoorDecision d{scan->req_id, granted, granted ? Reason::ok : Reason::already_inside, std::nullopt, std::nullopt};
      if (granted) {
        if (scan->direction == Direction::in) inside.insert(scan->credential.value);
        else inside.erase(scan->credential.value);
      }
      sim.deliver({"spotter/v1/b1/doors/door-01/decision", encode(d)});
    }
  }
  auto st = sim.stats();
  CHECK(st.decisions["ok"] > 20);
}

TEST_CASE("malformed injection sends broken telemetry that the codec rejects") {
  FakeTransport tr;
  auto cfg = small_config();
  cfg.malformed_ratio = 0.3;
  cfg.faults_per_hour = 0;
  Simulator sim(cfg, tr);
  sim.start(0);
  run(sim, 0, 120'000);
  int rejected = 0;
  for (const auto& s : tr.sent) {
    if (s.msg.topic.ends_with("/telemetry") && !decode_telemetry(s.msg.payload).ok()) ++rejected;
  }
  CHECK(rejected > 0);
  CHECK(static_cast<std::uint64_t>(rejected) == sim.stats().malformed_sent);
}

TEST_CASE("member cards are stable, valid 7-byte UIDs") {
  auto a = member_uids(100, 5), b = member_uids(100, 5);
  CHECK(a == b);
  std::set<std::string> unique(a.begin(), a.end());
  CHECK(unique.size() == 100);
  for (const auto& uid : a) {
    CHECK(uid.size() == 14);
    CHECK(decode_door_scan(R"({"req_id":"x","credential":{"kind":"nfc","uid":")" + uid + "\"}}").ok());
  }
}

TEST_CASE("the trainee enters, does the plan's sets on each strength machine type in turn, each set's workout before the idle, and leaves") {
  FakeTransport tr;
  auto cfg = small_config();
  cfg.faults_per_hour = 0;
  cfg.machines = 6;
  cfg.doors = 1;
  cfg.cardio_share = 0;
  cfg.strength_share = 1.0;
  cfg.trainee_card = "04DE3000000001";
  cfg.trainee_sets = 3;
  cfg.trainee_rest_ms = 2000;
  Simulator sim(cfg, tr);
  sim.start(0);
  // A gateway: the trainee's card is let in and links; everyone else's is refused.
  std::size_t seen = 0;
  int links = 0, refused_first = 0;
  std::vector<std::string> order;  // machine types the trainee linked, in order
  std::optional<Direction> last_trainee_scan;
  for (std::int64_t t = 0; t < 20 * 60'000 && !(last_trainee_scan == Direction::out); t += 50) {
    sim.step(t);
    for (; seen < tr.sent.size(); ++seen) {
      const auto& m = tr.sent[seen].msg;
      auto topic = parse_topic(m.topic);
      REQUIRE(topic);
      if (topic->type == MessageType::door_scan) {
        auto s = decode_door_scan(m.payload);
        REQUIRE(s);
        const bool trainee = s->credential.value == cfg.trainee_card;
        // The first entry is refused (the gateway's replica has not the card yet): retried.
        bool granted = trainee;
        if (trainee && s->direction == Direction::in && refused_first++ == 0) granted = false;
        if (trainee) last_trainee_scan = granted ? std::optional(s->direction) : std::nullopt;
        DoorDecision d{s->req_id, granted, granted ? Reason::ok : Reason::unknown_credential, std::nullopt, std::nullopt};
        sim.deliver({build_topic("b1", topic->device, MessageType::door_decision), encode(d)});
      } else if (topic->type == MessageType::machine_auth) {
        auto a = decode_machine_auth(m.payload);
        REQUIRE(a);
        const bool trainee = a->credential.value == cfg.trainee_card;
        std::optional<std::string> link;
        if (trainee) link = "lnk-" + std::to_string(++links);
        AuthReply r{a->req_id, trainee ? AuthResult::linked : AuthResult::denied, trainee ? Reason::ok : Reason::unknown_credential, link, std::nullopt};
        sim.deliver({build_topic("b1", topic->device, MessageType::auth_reply), encode(r)});
        if (trainee) order.push_back(topic->device.substr(0, topic->device.rfind('-')));
      }
    }
  }
  CHECK(last_trainee_scan == Direction::out);
  CHECK(order == std::vector<std::string>{"leg_press", "chest_press", "lat_pulldown"});
  CHECK(sim.stats().trainee_sets_done == 9);
  // Each linked machine: three sets of ten, each a workout with the link, then idle.
  std::map<std::string, int> sets_per_link;
  for (const auto& s : tr.sent) {
    if (!s.msg.topic.ends_with("/workout")) continue;
    auto w = decode_workout(s.msg.payload);
    REQUIRE(w);
    if (!w->link_id) continue;
    ++sets_per_link[*w->link_id];
    CHECK(std::get<StrengthSummary>(w->summary).sets.at(0).reps == 10);
  }
  CHECK(sets_per_link == std::map<std::string, int>{{"lnk-1", 3}, {"lnk-2", 3}, {"lnk-3", 3}});
}

TEST_CASE("a fingerprint door says it has a sensor, keeps the templates it can open, and lets those fingers in and out") {
  FakeTransport tr;
  auto cfg = small_config();
  cfg.machines = 0;
  cfg.doors = 2;
  cfg.fingerprint_doors = 1;  // door-02
  cfg.unknown_card_ratio = 0;
  // Stands in for the door key: a template "opens" when it was sealed for this door.
  cfg.open_template = [](const std::string& door, const std::string&, const std::string& sealed) { return sealed == "for-" + door; };
  Simulator sim(cfg, tr);
  sim.start(0);
  CHECK(tr.subscriptions.count("spotter/v1/b1/doors/door-02/fingerprints/+") == 1);
  CHECK(tr.subscriptions.count("spotter/v1/b1/doors/door-01/fingerprints/+") == 0);
  bool announced = false;
  for (const auto& s : tr.sent)
    if (s.client == "door-02" && s.msg.topic.ends_with("/status")) announced = decode_door_status(s.msg.payload)->fingerprint;
  CHECK(announced);
  auto send = [&](const std::string& id, const std::string& sealed) {
    sim.deliver({fingerprint_topic("b1", "door-02", id), encode(FingerprintTemplate{id, "right_index", sealed, 1})});
  };
  send("fp_1", "for-door-02");
  send("fp_2", "for-door-02");
  send("fp_bad", "for-door-01");  // sealed for another door: ignored
  sim.deliver({fingerprint_topic("b1", "door-02", "fp_junk"), "not json"});
  sim.step(0);
  CHECK(sim.stats().templates_held == 2);
  CHECK(sim.stats().templates_refused == 2);
  sim.deliver({fingerprint_topic("b1", "door-02", "fp_2"), ""});  // taken back
  sim.step(0);
  CHECK(sim.stats().templates_held == 1);

  std::set<std::string> inside;
  std::size_t fingers = 0;
  for (std::int64_t t = 0; t < 120'000; t += 100) {
    std::size_t mark = tr.sent.size();
    sim.step(t);
    for (std::size_t i = mark; i < tr.sent.size(); ++i) {
      const auto& s = tr.sent[i];
      if (!s.msg.topic.ends_with("/scan")) continue;
      auto scan = decode_door_scan(s.msg.payload);
      REQUIRE(scan.ok());
      if (scan->credential.kind == Credential::Kind::fingerprint) {
        ++fingers;
        CHECK(s.client == "door-02");
        CHECK(scan->credential.value == "fp_1");  // never one taken back or refused
        CHECK(scan->direction == (inside.count("fp_1") ? Direction::out : Direction::in));
        if (scan->direction == Direction::in) inside.insert("fp_1");
        else inside.erase("fp_1");
      }
      sim.deliver({"spotter/v1/b1/doors/" + s.client + "/decision", encode(DoorDecision{scan->req_id, true, Reason::ok, std::nullopt, std::nullopt})});
    }
  }
  CHECK(fingers > 5);
}
