// Machine data belongs to the member of the link it names, whatever order it arrives in
// (docs/sync.md, "Attribution"). A strength machine publishes its sets (workouts, on the
// gateway's ingest connection) and then `idle` (on the other connection) back to back, as
// real firmware does; the idle ends the link, often before the last set is read. Every set
// must reach the member's workouts once, on her visit, with the cloud up and through an
// outage; a machine used without a tap stays unattributed and is counted.
#include <set>

#include "sync_world.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace spotter::protocol;
using namespace std::chrono_literals;

namespace {

constexpr int kSetsPerLink = 5;
#if defined(__SANITIZE_ADDRESS__)
constexpr int kLinksPerPhase = 10;
#else
constexpr int kLinksPerPhase = 25;
#endif

Json edge_machines(SyncWorld& w) {
  ChildProcess cli({bin("spotter-edge"), "machines", "--data-dir", (w.dir.path() / "edge").string(), "--json"}, w.dir.path());
  if (cli.wait(10s) != 0) return Json::object();
  return parse_json_strict(cli.stdout_text()).value_or(Json::object())["machines"];
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Rack {
  SyncWorld& w;
  std::string machine;
  int taps = 0;
  std::int64_t msg_id = 0;
  std::string last_link;

  // A tap that links the rack: a new link each time (the idle before it ended the last).
  std::string tap() {
    std::string link;
    REQUIRE(eventually([&] {
      const std::string req = machine + "-a" + std::to_string(++taps);
      w.devices.publish(w.topic(machine, MessageType::machine_auth), encode(MachineAuth{req, {Credential::Kind::nfc, "04A1B2C3"}, std::nullopt}));
      auto mine = [&](const Received& r) { return r.topic == w.topic(machine, MessageType::auth_reply) && r.payload.find("\"" + req + "\"") != std::string::npos; };
      if (!w.devices.wait_for(mine, 1, 10s)) return false;
      for (const auto& r : w.devices.messages())
        if (mine(r)) {
          auto reply = decode_auth_reply(r.payload);
          if (reply && reply->result == AuthResult::linked && reply->link_id && *reply->link_id != last_link) link = *reply->link_id;
        }
      return !link.empty();
    }, 20s, 50ms));
    last_link = link;
    return link;
  }
  void status(MachineState state, const std::optional<std::string>& link) {
    w.devices.publish(w.topic(machine, MessageType::machine_status), encode(MachineStatus{state, now_ms(), Category::strength, "rack", "1.0", link}), 1, true);
  }
  // Five sets, the last without a link id (older firmware): that one goes by its time.
  void sets_then_idle(const std::string& link) {
    status(MachineState::in_use, link);
    for (int i = 0; i < kSetsPerLink; ++i) {
      const std::int64_t end = now_ms();
      Workout set{++msg_id, end - 30'000, end, StrengthSummary{"squat", {{10, 60.0}}}, std::string("boot-" + machine),
                  i + 1 < kSetsPerLink ? std::optional<std::string>(link) : std::nullopt};
      w.devices.publish(w.topic(machine, MessageType::workout), encode(set));
    }
    status(MachineState::idle, link);
  }
};

// The member's workouts: total, distinct by (machine, msg_id), and how many lack her visit.
struct Seen {
  std::size_t total = 0, distinct = 0, without_visit = 0;
};
Seen workouts_of(SyncWorld& w, const std::string& session_id) {
  Seen seen;
  std::set<std::string> keys;
  std::string cursor;
  for (;;) {
    auto page = w.http->get("/api/workouts?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor), w.member_token);
    REQUIRE(page.status == 200);
    for (const auto& item : page.json["items"]) {
      ++seen.total;
      keys.insert(item["machine_id"].get<std::string>() + "/" + std::to_string(item["data"]["msg_id"].get<std::int64_t>()));
      if (item["session_id"] != session_id) ++seen.without_visit;
    }
    if (page.json["next_cursor"].is_null()) break;
    cursor = page.json["next_cursor"].get<std::string>();
  }
  seen.distinct = keys.size();
  return seen;
}

}  // namespace

TEST_CASE("the last set and the idle back to back: every set is the member's once, cloud up and through an outage") {
  SyncWorld w;
  w.post("/api/machines", {{"branch_id", w.branch}, {"machine_id", "rack-1"}, {"name", "Rack 1"}, {"category", "strength"}, {"type", "rack"}});
  w.post("/api/machines", {{"branch_id", w.branch}, {"machine_id", "rack-2"}, {"name", "Rack 2"}, {"category", "strength"}, {"type", "rack"}});
  REQUIRE(eventually([&] { return edge_machines(w).size() >= 3; }, 15s, 200ms));
  auto in = w.scan("04A1B2C3", "in");
  REQUIRE(in.granted);
  Rack rack{w, "rack-1"};
  rack.status(MachineState::idle, std::nullopt);

  for (int i = 0; i < kLinksPerPhase; ++i) rack.sets_then_idle(rack.tap());
  const std::size_t online = static_cast<std::size_t>(kLinksPerPhase * kSetsPerLink);
  CHECK(eventually([&] { return workouts_of(w, *in.session_id).total >= online; }, 30s, 100ms));

  // The cloud goes down; the member carries on; the gateway keeps it all.
  w.cloud->signal(SIGTERM);
  REQUIRE(w.cloud->wait(15s) == 0);
  for (int i = 0; i < kLinksPerPhase; ++i) rack.sets_then_idle(rack.tap());
  // Someone uses the other rack without tapping: nobody's sets.
  Workout untapped{1, now_ms() - 30'000, now_ms(), StrengthSummary{"bench", {{8, 40.0}}}, std::string("boot-rack-2"), std::nullopt};
  w.devices.publish(w.topic("rack-2", MessageType::workout), encode(untapped));
  w.start_cloud();
  w.admin = w.login("admin@gym.test");
  REQUIRE(eventually([&] { return w.edge_status()["outbox"]["depth"] == 0; }, 60s, 250ms));

  const std::size_t all = 2 * online;
  Seen seen;
  CHECK(eventually([&] { return (seen = workouts_of(w, *in.session_id)).total >= all; }, 30s, 100ms));
  CHECK(seen.total == all);
  CHECK(seen.distinct == all);
  CHECK(seen.without_visit == 0);
  MESSAGE(all, " sets in ", 2 * kLinksPerPhase, " links, each set's idle published right behind it: ", seen.total, " in the member's list, ",
          seen.distinct, " distinct");

  // The visit shows each link with its sets; the usage report counts the untapped one.
  auto visit = w.http->get("/api/sessions/current", w.member_token);
  REQUIRE(visit.status == 200);
  std::int64_t on_visit = 0;
  for (const auto& m : visit.json["machines"]) on_visit += m["workouts"].get<std::int64_t>();
  CHECK(on_visit == static_cast<std::int64_t>(all));
  auto usage = w.http->get("/api/machines/usage?branch_id=" + w.branch, w.admin);
  REQUIRE(usage.status == 200);
  for (const auto& m : usage.json["items"]) {
    if (m["machine_id"] == "rack-1") CHECK(m["unattributed"] == 0);
    if (m["machine_id"] == "rack-2") CHECK(m["unattributed"] == 1);
  }
  std::int64_t edge_unattributed = -1;
  for (const auto& m : edge_machines(w))
    if (m["machine"] == "rack-2") edge_unattributed = m["unattributed"].get<std::int64_t>();
  CHECK(edge_unattributed == 1);
  CHECK(w.http->get("/api/sync/quarantine", w.admin).json["items"].empty());
}
