// Machines (seed 000 stories 3.2, 3.3): availability, link/unlink, queue, maintenance,
// offline, workouts from devices; gateway credentials and branch isolation.
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
Json workout(std::int64_t msg_id, std::int64_t start_ms) {
  return {{"machine_id", "tm-1"}, {"msg_id", msg_id}, {"ts_start", start_ms}, {"ts_end", start_ms + 600000}, {"category", "cardio"},
          {"boot_id", "b7f3a9"}, {"duration_s", 600}, {"distance_m", 1500.0}, {"calories_kcal", 120}};
}
Json find_machine(const Reply& availability, const std::string& id) {
  for (const auto& m : availability.json["items"])
    if (m["machine_id"] == id) return m;
  return nullptr;
}
}  // namespace

TEST_CASE("link, busy machine, queue with position and wait, unlink hands over, availability shows it all") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto plan = cloud.plan({centro});
  cloud.machine(centro, "tm-1");
  cloud.machine(centro, "tm-2");
  auto gw = cloud.gateway_token(centro);
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, gw).status == 200);
  auto ana = cloud.member("ana@gym.test", centro, plan);
  auto bea = cloud.member("bea@gym.test", centro, plan);

  auto avail = http.get("/api/machines/availability?branch_id=" + centro, ana.token);
  REQUIRE(avail.status == 200);
  CHECK(find_machine(avail, "tm-1")["state"] == "idle");
  CHECK(find_machine(avail, "tm-2")["state"] == "offline");  // never heard from
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-2"}}, ana.token).status == 409);  // offline
  auto not_inside = http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token);
  CHECK(not_inside.status == 409);
  CHECK(not_inside.json["type"].get<std::string>().ends_with("not-inside"));

  for (const auto* m : {&ana, &bea}) REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, m->token).status == 201);
  auto link = http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token);
  REQUIRE(link.status == 201);
  auto taken = http.post("/api/machines/link", {{"machine_id", "tm-1"}}, bea.token);
  CHECK(taken.status == 409);
  CHECK(taken.json["type"].get<std::string>().ends_with("machine-taken"));
  auto joined = http.post("/api/machines/queue/join", {{"machine_id", "tm-1"}}, bea.token);
  REQUIRE(joined.status == 201);
  CHECK(joined.json["position"] == 1);
  CHECK(joined.json["estimated_wait_s"] == 20 * 60);  // no history yet: 20 minutes a turn
  CHECK(http.post("/api/machines/queue/join", {{"machine_id", "tm-1"}}, bea.token).status == 409);
  CHECK(http.post("/api/machines/queue/join", {{"machine_id", "tm-1"}}, ana.token).status == 409);  // she is using it
  avail = http.get("/api/machines/availability?branch_id=" + centro, bea.token);
  CHECK(find_machine(avail, "tm-1")["state"] == "in_use");
  CHECK(find_machine(avail, "tm-1")["linked"] == true);
  CHECK(find_machine(avail, "tm-1")["queue_length"] == 1);

  cloud.clock.advance(std::chrono::minutes(5));
  CHECK(http.get("/api/machines/queue?machine_id=tm-1", bea.token).json["estimated_wait_s"] == 15 * 60);
  CHECK(http.post("/api/machines/unlink", {{"machine_id", "tm-1"}}, bea.token).status == 404);  // not hers
  auto unlink = http.post("/api/machines/unlink", {{"machine_id", "tm-1"}}, ana.token);
  REQUIRE(unlink.status == 200);
  CHECK_FALSE(unlink.json["ended_at"].is_null());
  CHECK(http.get("/api/notifications?kind=machine_free", cloud.admin()).json["items"][0]["user_id"] == bea.id);
  // Someone else cannot jump the queue; the first in line links and leaves the queue.
  auto cleo = cloud.member("cleo@gym.test", centro, plan);
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, cleo.token).status == 201);
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, cleo.token).status == 409);
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, bea.token).status == 201);
  CHECK(find_machine(http.get("/api/machines/availability?branch_id=" + centro, bea.token), "tm-1")["queue_length"] == 0);
  // Leaving the gym ends the member's link.
  auto ended = http.post("/api/sessions/end", Json::object(), bea.token);
  CHECK(ended.json["machines"][0]["machine_id"] == "tm-1");
  CHECK(ended.json["machines"][0]["ended_by"] == "session_end");
  CHECK(find_machine(http.get("/api/machines/availability?branch_id=" + centro, ana.token), "tm-1")["linked"] == false);
  CHECK(http.post("/api/machines/queue/leave", {{"machine_id", "tm-1"}}, cleo.token).status == 404);
}

TEST_CASE("maintenance takes a machine out of use and ends its link; silence marks it offline") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch(), norte = cloud.branch("Norte");
  cloud.machine(centro, "tm-1");
  auto gw = cloud.gateway_token(centro);
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}, {"state", "idle"}}, gw).status == 200);
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  auto trainer = cloud.trainer("t@gym.test", {centro});
  auto outsider = cloud.trainer("o@gym.test", {norte});
  CHECK(http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}}, outsider.token).status == 403);
  CHECK(http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}}, ana.token).status == 403);
  CHECK(http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "bad"}}, trainer.token).status == 400);
  auto m = http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}}, trainer.token);
  REQUIRE(m.status == 200);
  CHECK(m.json["state"] == "maintenance");
  auto current = http.get("/api/sessions/current", ana.token);
  CHECK(current.json["machines"][0]["ended_by"] == "maintenance");
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).json["type"].get<std::string>().ends_with("machine-unavailable"));
  CHECK(http.post("/api/machines/maintenance/clear", {{"machine_id", "tm-1"}}, trainer.token).json["state"] == "idle");
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);

  cloud.clock.advance(std::chrono::seconds(61));
  cloud.service->run_jobs_once();
  auto token = cloud.login("ana@gym.test", TestCloud::kPassword);
  auto avail = http.get("/api/machines/availability?branch_id=" + centro, token);
  CHECK(find_machine(avail, "tm-1")["state"] == "offline");
  CHECK(find_machine(avail, "tm-1")["linked"] == false);
}

TEST_CASE("workout data from a device lands once on the member's session; GET /api/workouts newest first") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  cloud.machine(centro, "tm-1");
  auto gw = cloud.gateway_token(centro);
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, gw).status == 200);
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto session = http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token);
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  const std::int64_t now = cloud.clock.now_ms();
  auto w = http.post("/api/machines/workout-data", workout(1, now), gw);
  REQUIRE(w.status == 201);
  CHECK(w.json["user_id"] == ana.id);
  CHECK(w.json["session_id"] == session.json["id"]);
  CHECK(http.post("/api/machines/workout-data", workout(1, now), gw).json["duplicate"] == true);
  Json bad = workout(2, now);
  bad["distance_m"] = -5;
  auto rejected = http.post("/api/machines/workout-data", bad, gw);
  CHECK(rejected.status == 400);
  CHECK(rejected.json["errors"][0]["field"] == "distance_m");
  CHECK(http.post("/api/machines/workout-data", workout(3, now + 1000), gw).status == 201);
  CHECK(http.post("/api/machines/workout-data", workout(4, now), ana.token).status == 403);  // members are not devices
  auto mine = http.get("/api/workouts", ana.token);
  REQUIRE(mine.json["items"].size() == 2);
  CHECK(mine.json["items"][0]["data"]["msg_id"] == 3);
  CHECK(mine.json["items"][0]["machine_id"] == "tm-1");
  CHECK(mine.json["items"][0]["session_id"] == session.json["id"]);
}

TEST_CASE("gateways: branch isolation, user routes closed to them, revocation, rotation, bad secrets") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch(), norte = cloud.branch("Norte");
  cloud.machine(centro, "tm-1");
  auto north_gw = cloud.gateway_token(norte);
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, north_gw).status == 403);
  CHECK(http.get("/api/branches", north_gw).status == 403);
  CHECK(http.get("/api/machines/availability?branch_id=" + centro, north_gw).status == 403);
  auto g = http.post("/api/gateways", {{"branch_id", centro}, {"name", "front"}}, cloud.admin());
  REQUIRE(g.status == 201);
  const std::string id = g.json["gateway_id"], secret = g.json["secret"];
  CHECK(http.post("/api/gateways/token", {{"gateway_id", id}, {"secret", secret + "x"}}).status == 401);
  auto token = http.post("/api/gateways/token", {{"gateway_id", id}, {"secret", secret}}).json["access_token"].get<std::string>();
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, token).status == 200);
  auto rotated = http.post("/api/gateways/" + id + "/rotate-secret", Json::object(), cloud.admin());
  REQUIRE(rotated.status == 200);
  CHECK(http.post("/api/gateways/token", {{"gateway_id", id}, {"secret", secret}}).status == 401);
  CHECK(http.post("/api/gateways/token", {{"gateway_id", id}, {"secret", rotated.json["secret"]}}).status == 200);
  CHECK(http.post("/api/gateways/" + id + "/revoke", Json::object(), cloud.admin()).status == 204);
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, token).status == 401);  // at once
  CHECK(http.post("/api/gateways/token", {{"gateway_id", id}, {"secret", rotated.json["secret"]}}).status == 401);
  auto member = cloud.member("m@gym.test", centro);
  CHECK(http.post("/api/gateways", {{"branch_id", centro}, {"name", "x"}}, member.token).status == 403);
}
