// Training through the whole chain (cloud-api-2.md "Training"; docs/sync.md "Live
// progress"): real mosquitto, spotter-edge and spotter-cloud. A member starts a training
// session in the app, taps a leg press and does her sets: each set the machine reports
// appears in her session; while she is on it, the machine's telemetry reaches her app's
// WebSocket as workout_progress, and nothing of a machine nobody is linked to does.
#include <algorithm>
#include <atomic>
#include <thread>

#include "sync_world.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace spotter::protocol;
using namespace std::chrono_literals;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("a training session fills itself from the leg press; the member's app sees the machine live") {
  SyncWorld w;
  w.post("/api/machines", {{"branch_id", w.branch}, {"machine_id", "press-1"}, {"name", "Leg press"}, {"category", "strength"}, {"type", "leg_press"}});
  w.post("/api/machines", {{"branch_id", w.branch}, {"machine_id", "press-2"}, {"name", "Leg press 2"}, {"category", "strength"}, {"type", "leg_press"}});
  Json day = {{"name", "Legs"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", {{{"reps", 10}, {"weight_kg", 120}}, {{"reps", 10}, {"weight_kg", 120}}, {{"reps", 8}, {"weight_kg", 130}}}}}}}};
  auto plan = w.http->post("/api/workout-plans", {{"name", "Legs"}, {"days", {day}}}, w.member_token);
  REQUIRE(plan.status == 201);
  auto session = w.http->post("/api/training-sessions", {{"plan_id", plan.json["id"]}, {"day", 0}}, w.member_token);
  REQUIRE(session.status == 201);
  const std::string session_id = session.json["id"];
  WsTestClient app(w.cloud_port, "/api/ws/machines?access_token=" + w.member_token);
  REQUIRE(app.next_of_type("welcome", 5s));

  REQUIRE(w.scan("04A1B2C3", "in").granted);
  for (const char* m : {"press-1", "press-2"})
    w.devices.publish(w.topic(m, MessageType::machine_status), encode(MachineStatus{MachineState::idle, now_ms(), Category::strength, "leg_press", "1.0", std::nullopt}), 1, true);
  // The machines reach the gateway's replica, then Ana taps the first one.
  std::string link;
  REQUIRE(eventually([&] {
    w.devices.clear();
    w.devices.publish(w.topic("press-1", MessageType::machine_auth), encode(MachineAuth{"a-" + std::to_string(now_ms()), {Credential::Kind::nfc, "04A1B2C3"}, std::nullopt}));
    if (!w.devices.wait_for([&](const Received& r) { return r.topic == w.topic("press-1", MessageType::auth_reply); }, 1, 5s)) return false;
    for (const auto& r : w.devices.messages())
      if (r.topic == w.topic("press-1", MessageType::auth_reply))
        if (auto reply = decode_auth_reply(r.payload); reply && reply->link_id) link = *reply->link_id;
    return !link.empty();
  }, 20s, 200ms));
  w.devices.publish(w.topic("press-1", MessageType::machine_status), encode(MachineStatus{MachineState::in_use, now_ms(), Category::strength, "leg_press", "1.0", link}), 1, true);

  // Reps at 4 Hz on press-1 (linked) and press-2 (nobody): Ana's app sees press-1 only.
  std::int64_t msg = 0;
  auto rep = [&](const char* machine, std::int64_t n, const std::optional<std::string>& link_id) {
    Telemetry t{++msg, now_ms(), {}, std::string("boot-") + machine, link_id, Category::strength};
    t.metrics.rep = n;
    t.metrics.weight_kg = 120;
    t.metrics.set_index = 1;
    w.devices.publish(w.topic(machine, MessageType::telemetry), encode(t), 0);
  };
  // The machine samples at 4 Hz until the app has seen it once (live or nothing: a sample
  // that meets the link at a bad moment is dropped, the next one goes).
  const auto first_rep = std::chrono::steady_clock::now();
  std::atomic<bool> seen_first{false};
  std::thread sampler([&] {
    for (int i = 0; i < 120 && !seen_first; ++i) {
      rep("press-1", 1, link);
      std::this_thread::sleep_for(250ms);  // the machine's pace
    }
  });
  auto progress = app.next_of_type("workout_progress", 30s);
  seen_first = true;
  sampler.join();
  if (!progress) FAIL("no workout_progress for the linked machine; gateway status: ", w.edge_status().dump());
  MESSAGE("telemetry at the machine -> workout_progress on the member's WebSocket: ",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - first_rep).count(), " ms");
  CHECK((*progress)["machine_id"] == "press-1");
  CHECK((*progress)["metrics"]["rep"] == 1);
  // The machines sample at 4 Hz (the sleep is the machines' pace, not a wait for the
  // system). The last sample must arrive (the latest is always sent); before it, at most two
  // a second, and never press-2's. A read that times out closes the test client, so every
  // read waits for something that must come.
  const auto started = std::chrono::steady_clock::now();
  for (std::int64_t n = 2; n <= 12; ++n) {
    std::this_thread::sleep_for(250ms);
    rep("press-1", n, link);
    rep("press-2", n, std::nullopt);
  }
  int seen = 0, others = 0;
  for (;;) {
    auto m = app.next_of_type("workout_progress", 5s);
    REQUIRE_MESSAGE(m, "the last sample never reached the app");
    if ((*m)["machine_id"] != "press-1") ++others;
    else if ((*m)["metrics"]["rep"] != 1) ++seen;  // rep 1: the first phase's, still on its way
    if ((*m)["metrics"]["rep"] == 12) break;
  }
  const auto span_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("11 samples over ", span_ms, " ms -> ", seen, " workout_progress messages");
  CHECK(seen >= 3);                      // at least one a second
  CHECK(seen <= 2 * span_ms / 1000 + 2);  // at most two a second
  CHECK(others == 0);

  // Three sets, each reported by the machine: each is in the training session, in order.
  std::vector<std::pair<int, double>> sets = {{10, 120}, {10, 120}, {8, 130}};
  std::vector<std::int64_t> latency_ms;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const std::int64_t end = now_ms();
    Workout set{++msg, end - 40'000, end, StrengthSummary{"leg_press", {{sets[i].first, sets[i].second}}}, std::string("boot-press-1"), link};
    const auto published = std::chrono::steady_clock::now();
    w.devices.publish(w.topic("press-1", MessageType::workout), encode(set));
    REQUIRE(eventually([&] {
      auto s = w.http->get("/api/training-sessions/" + session_id, w.member_token);
      return s.status == 200 && s.json["entries"].size() == i + 1;
    }, 10s, 20ms));
    latency_ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - published).count());
  }
  MESSAGE("machine set -> entry in the training session: ", latency_ms[0], ", ", latency_ms[1], ", ", latency_ms[2], " ms");
  auto s = w.http->get("/api/training-sessions/" + session_id, w.member_token);
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const auto& e = s.json["entries"][i];
    CHECK(e["source"] == "machine");
    CHECK(e["machine_id"] == "press-1");
    CHECK(e["exercise_id"] == "leg_press");
    CHECK(e["set_index"] == static_cast<int>(i) + 1);
    CHECK(e["reps"] == sets[i].first);
  }
  auto done = w.http->post("/api/training-sessions/" + session_id + "/complete", Json::object(), w.member_token);
  REQUIRE(done.status == 200);
  CHECK(done.json["summary"]["sets"] == 3);
  CHECK(done.json["summary"]["volume_kg"] == 10 * 120 + 10 * 120 + 8 * 130);
  CHECK(w.http->get("/api/sync/quarantine", w.admin).json["items"].empty());
}
