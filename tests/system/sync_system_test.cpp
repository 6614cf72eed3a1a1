// Edge and cloud in sync (docs/sync.md): real mosquitto, spotter-cloud, spotter-edge as
// separate processes. Online live paths, revocation at the door, commands from the app, an
// outage, and SIGKILL of either side in the middle of a catch-up.
#include <SQLiteCpp/SQLiteCpp.h>

#include <set>

#include "sync_world.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace spotter::protocol;
using namespace std::chrono_literals;

TEST_CASE("online: door scan, machine tap, status change and workout reach the cloud within the live bounds; app commands reach the machine") {
  SyncWorld w;
  WsTestClient ws(w.cloud_port, "/api/ws/machines?access_token=" + w.member_token);
  REQUIRE((*ws.next())["type"] == "welcome");

  auto in = w.scan("04A1B2C3", "in");
  REQUIRE(in.granted);
  auto seen = time_until([&] { return w.http->get("/api/sessions/current", w.member_token).status == 200; }, 5s);
  MESSAGE("door scan -> GET /api/sessions/current: ", seen.count(), " ms");
  CHECK(seen <= kLive);
  CHECK(w.http->get("/api/sessions/current", w.member_token).json["id"] == *in.session_id);

  // The machine comes online: every subscribed WebSocket client hears it.
  const auto published = std::chrono::steady_clock::now();
  w.devices.publish(w.topic("tm-1", MessageType::machine_status), encode(MachineStatus{MachineState::idle, std::int64_t{1}, Category::cardio, "treadmill", "1.0", std::nullopt}), 1, true);
  std::optional<Json> pushed;
  do pushed = ws.next(5000ms);
  while (pushed && ((*pushed)["type"] != "machine_status" || (*pushed)["state"] != "idle"));
  REQUIRE(pushed);
  const auto ws_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - published);
  MESSAGE("machine status -> WebSocket client: ", ws_ms.count(), " ms");
  CHECK(ws_ms <= kLive);

  // A tap at the machine links it: visible in availability.
  w.devices.publish(w.topic("tm-1", MessageType::machine_auth), encode(MachineAuth{"a-1", {Credential::Kind::nfc, "04A1B2C3"}, std::nullopt}));
  auto linked = time_until([&] {
    auto a = w.http->get("/api/machines/availability?branch_id=" + w.branch, w.member_token);
    return a.status == 200 && !a.json["items"].empty() && a.json["items"][0]["linked"] == true;
  }, 5s);
  MESSAGE("machine tap -> availability linked: ", linked.count(), " ms");
  CHECK(linked <= kLive);

  // A workout from the machine lands on the member's workouts.
  Workout wo{7, 1'700'000'000'000, 1'700'000'600'000, CardioSummary{}, std::string("boot1"), std::nullopt};
  std::get<CardioSummary>(wo.summary).duration_s = 600;
  w.devices.publish(w.topic("tm-1", MessageType::workout), encode(wo));
  CHECK(eventually([&] { return w.http->get("/api/workouts", w.member_token).json["items"].size() == 1; }, 5s));

  // The member unlinks in the app: the machine gets `cmd` unlink through the gateway.
  w.devices.clear();
  const auto unlinked = std::chrono::steady_clock::now();
  REQUIRE(w.http->post("/api/machines/unlink", {{"machine_id", "tm-1"}}, w.member_token).status == 200);
  REQUIRE(w.devices.wait_for([&](const Received& r) { return r.topic == w.topic("tm-1", MessageType::command) && r.payload.find("unlink") != std::string::npos; }, 1, 5s));
  const auto cmd_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - unlinked);
  MESSAGE("app unlink -> machine cmd: ", cmd_ms.count(), " ms");
  CHECK(cmd_ms <= kLive);

  // Staff take the machine out of service in the app: the gateway holds it even when the
  // machine, rebooted, says it is idle; members tapping it are refused until a clear.
  w.devices.clear();
  auto on_topic = [&](MessageType type, const char* text) {
    return [&w, type, text](const Received& r) { return r.topic == w.topic("tm-1", type) && r.payload.find(text) != std::string::npos; };
  };
  REQUIRE(w.http->post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}}, w.admin).status == 200);
  REQUIRE(w.devices.wait_for(on_topic(MessageType::command, "set_maintenance"), 1, 5s));
  w.devices.publish(w.topic("tm-1", MessageType::machine_status), encode(MachineStatus{MachineState::idle, std::int64_t{2}, Category::cardio, "treadmill", "1.0", std::nullopt}), 1, true);
  w.devices.publish(w.topic("tm-1", MessageType::machine_auth), encode(MachineAuth{"a-2", {Credential::Kind::nfc, "04A1B2C3"}, std::nullopt}));
  REQUIRE(w.devices.wait_for(on_topic(MessageType::auth_reply, "\"a-2\""), 1, 5s));
  CHECK(w.devices.count(on_topic(MessageType::auth_reply, "machine_unavailable")) == 1);
  CHECK(w.http->get("/api/machines/availability?branch_id=" + w.branch, w.member_token).json["items"][0]["state"] == "maintenance");
  REQUIRE(w.http->post("/api/machines/maintenance/clear", {{"machine_id", "tm-1"}}, w.admin).status == 200);
  REQUIRE(w.devices.wait_for(on_topic(MessageType::command, "clear_maintenance"), 1, 5s));
  w.devices.publish(w.topic("tm-1", MessageType::machine_auth), encode(MachineAuth{"a-3", {Credential::Kind::nfc, "04A1B2C3"}, std::nullopt}));
  REQUIRE(w.devices.wait_for(on_topic(MessageType::auth_reply, "\"a-3\""), 1, 5s));
  CHECK(w.devices.count(on_topic(MessageType::auth_reply, "linked")) == 1);

  // A card revoked in the cloud stops opening the door within 10 seconds.
  REQUIRE(w.scan("04A1B2C3", "out").granted);
  auto creds = w.http->get("/api/users/" + w.member_id + "/credentials", w.admin);
  REQUIRE(w.http->del("/api/users/" + w.member_id + "/credentials/" + creds.json["items"][0]["id"].get<std::string>(), w.admin).status == 204);
  DoorDecision last;
  auto refused = time_until([&] {
    last = w.scan("04A1B2C3", "in");
    if (last.granted) (void)w.scan("04A1B2C3", "out");  // still in the replica: leave and try again
    return !last.granted;
  }, 15s);
  MESSAGE("card revoked -> refused at the door: ", refused.count(), " ms (", to_string(last.reason), ")");
  CHECK(last.reason == Reason::unknown_credential);  // a blocked card is not a credential
  CHECK(refused <= 10s);
  CHECK(w.http->get("/api/sync/quarantine", w.admin).json["items"].empty());
}

TEST_CASE("outage: doors keep deciding with the cloud down; afterwards every event arrives once, in order") {
  SyncWorld w;
  w.cloud->signal(SIGTERM);
  REQUIRE(w.cloud->wait(15s) == 0);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(w.scan("04A1B2C3", "in").granted);
    REQUIRE(w.scan("04A1B2C3", "out").granted);
  }
  CHECK(eventually([&] { return w.edge_status()["cloud"]["state"] == "offline"; }, 10s));
  w.start_cloud();
  w.admin = w.login("admin@gym.test");
  CHECK(eventually([&] { return w.sessions_in_cloud() == 10; }, 20s));
  CHECK(eventually([&] { return w.edge_status()["outbox"]["depth"] == 0; }, 10s));
  auto hist = w.http->get("/api/sessions/history?limit=200&branch_id=" + w.branch, w.admin);
  for (const auto& s : hist.json["items"]) {
    CHECK(s["status"] == "ended");
    CHECK(s["ended_by"] == "door");
  }
  CHECK(w.http->get("/api/sync/quarantine", w.admin).json["items"].empty());
}

TEST_CASE("SIGKILL of the agent mid-upload and of the cloud mid-batch: nothing lost, nothing doubled") {
  SyncWorld w;
  w.cloud->signal(SIGTERM);
  REQUIRE(w.cloud->wait(15s) == 0);
  constexpr int kSessions = 150;
  for (int i = 0; i < kSessions; ++i) {
    REQUIRE(w.scan("04A1B2C3", "in").granted);
    REQUIRE(w.scan("04A1B2C3", "out").granted);
  }
  // 600 events in batches of 10: the catch-up is 60 requests long. Kill the agent in it.
  w.edge->signal(SIGTERM);
  REQUIRE(w.edge->wait(15s) == 0);
  w.start_edge("10");
  w.start_cloud();
  w.admin = w.login("admin@gym.test");
  auto last_seq = [&]() -> std::int64_t {
    auto g = w.http->get("/api/sync/gateways", w.admin);
    return g.status == 200 && !g.json["items"].empty() ? g.json["items"][0]["last_seq"].get<std::int64_t>() : -1;
  };
  REQUIRE(eventually([&] { return last_seq() > 0; }, 20s, 1ms));
  w.edge->signal(SIGKILL);
  w.edge->wait(5s);
  const auto at_agent_kill = last_seq();
  MESSAGE("agent killed at cloud sequence ", at_agent_kill);
  // ... and the cloud too, while it applies what the restarted agent sends.
  w.start_edge("10");
  REQUIRE(eventually([&] { return last_seq() > at_agent_kill; }, 20s, 1ms));
  w.cloud->signal(SIGKILL);
  w.cloud->wait(5s);
  w.start_cloud();
  w.admin = w.login("admin@gym.test");
  CHECK(eventually([&] { return w.edge_status()["outbox"]["depth"] == 0; }, 60s));
  MESSAGE("final cloud sequence ", last_seq());
  CHECK(w.sessions_in_cloud() == kSessions);
  auto hist = w.http->get("/api/sessions/history?limit=200&branch_id=" + w.branch, w.admin);
  std::set<std::string> ids;
  for (const auto& s : hist.json["items"]) {
    ids.insert(s["id"].get<std::string>());
    CHECK(s["status"] == "ended");
  }
  CHECK(ids.size() == kSessions);
  CHECK(w.http->get("/api/sync/quarantine", w.admin).json["items"].empty());
}

TEST_CASE("a gateway of another branch cannot read or write this one; a revoked gateway is refused and says so") {
  SyncWorld w;
  // Branch B's gateway, through the same public routes the agent uses.
  auto other = w.post("/api/branches", {{"name", "Norte"}, {"timezone", "UTC"}, {"opening_hours", Json::object()}})["id"].get<std::string>();
  auto gw_b = w.post("/api/gateways", {{"branch_id", other}, {"name", "north"}});
  auto token_b = w.http->post("/api/gateways/token", {{"gateway_id", gw_b["gateway_id"]}, {"secret", gw_b["secret"]}}).json["access_token"].get<std::string>();
  auto replica_b = w.http->get("/api/sync/replica", token_b).json["replica"];
  CHECK(replica_b["branch"]["id"] == other);
  CHECK(replica_b["members"].empty());  // Ana belongs to this branch only
  CHECK(replica_b["machines"].empty());
  auto state = [&] { return w.http->get("/api/machines/availability?branch_id=" + w.branch, w.member_token).json["items"][0]["state"]; };
  const Json before = state();
  auto write = w.http->post("/api/sync/events", {{"events", {{{"seq", 1}, {"event_id", "x1"}, {"kind", "machine_status"},
                                                              {"body", {{"machine_id", "tm-1"}, {"state", "offline"}}}}}}}, token_b);
  CHECK(write.json["results"][0]["status"] == "quarantined");
  CHECK(write.json["results"][0]["reason"].get<std::string>().find("unknown machine") == 0);  // not a machine of branch B
  CHECK(state() == before);

  REQUIRE(w.http->post("/api/gateways/" + w.gateway_id + "/revoke", Json::object(), w.admin).status == 204);
  CHECK(eventually([&] { return w.edge_status()["cloud"]["state"] == "unauthorized"; }, 15s));
  ChildProcess cli({bin("spotter-edge"), "sync", "--data-dir", (w.dir.path() / "edge").string()}, w.dir.path());
  REQUIRE(cli.wait(10s) == 0);
  CHECK(cli.stdout_text().find("unauthorized") != std::string::npos);
  CHECK(w.scan("04A1B2C3", "in").granted);
}

TEST_CASE("a catch-up of bulk events does not hold back a member at the door (live lane)") {
  SyncWorld w;
  w.edge->signal(SIGTERM);
  REQUIRE(w.edge->wait(15s) == 0);
  {
    // kCatchUpEvents machine status changes buffered while offline.
    SQLite::Database db((w.dir.path() / "edge" / "edge.db").string(), SQLite::OPEN_READWRITE);
    db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " + std::to_string(kCatchUpEvents) + ") "
            "INSERT INTO outbox (event_id, kind, at_ms, body, bytes, evictable) SELECT 'ms.' || x, 'machine_status', 1763700000000 + x, "
            "json_object('machine_id', 'tm-1', 'state', CASE WHEN x % 2 THEN 'idle' ELSE 'error' END, 'at_ms', 1763700000000 + x), 80, 1 FROM c");
  }
  w.start_edge("200");
  REQUIRE(eventually([&] { return w.edge_status()["cloud"]["state"] == "online"; }, 15s));
  auto in = w.scan("04A1B2C3", "in");
  REQUIRE(in.granted);
  auto seen = time_until([&] { return w.http->get("/api/sessions/current", w.member_token).status == 200; }, 10s);
  const auto backlog = w.edge_status()["outbox"]["depth"].get<std::int64_t>();
  MESSAGE("door scan during a catch-up -> cloud: ", seen.count(), " ms, with ", backlog, " bulk events still queued");
  CHECK(seen <= 3s);
  CHECK(backlog > 0);
  // Each look is a `spotter-edge status` process: polled gently so it does not slow the drain.
  auto drained = time_until([&] { return w.edge_status()["outbox"]["depth"] == 0; }, 120s, 500ms);
  MESSAGE("catch-up of ", kCatchUpEvents, " events drained in ", drained.count(), " ms");
  CHECK(drained < 120s);
}

TEST_CASE("an erased member's card stops opening the door within 10 seconds") {
  SyncWorld w;
  REQUIRE(w.scan("04A1B2C3", "in").granted);
  REQUIRE(w.scan("04A1B2C3", "out").granted);
  auto erased = w.http->raw("DELETE", "/api/users/me", Json{{"password", kPassword}}.dump(), w.member_token);
  REQUIRE_MESSAGE(erased.status == 204, erased.body);
  DoorDecision last;
  auto refused = time_until([&] {
    last = w.scan("04A1B2C3", "in");
    if (last.granted) (void)w.scan("04A1B2C3", "out");
    return !last.granted;
  }, 15s);
  MESSAGE("member erased -> refused at the door: ", refused.count(), " ms (", to_string(last.reason), ")");
  CHECK(last.reason == Reason::unknown_credential);
  CHECK(refused <= 10s);
  CHECK(eventually([&] { return w.edge_status()["members"] == 0; }, 10s));
}
