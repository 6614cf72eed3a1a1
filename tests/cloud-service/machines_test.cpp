// Machines (seed 000 stories 3.2, 3.3): availability, link/unlink, queue, maintenance,
// offline, workouts from devices; gateway credentials and branch isolation.
#include <zlib.h>

#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
// zlib's own reader, so the test does not trust the code under test to undo its gzip.
std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  CHECK(rc == Z_STREAM_END);
  return out;
}

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

TEST_CASE("the queue: the wait is the machine's real average turn; a member who leaves the gym leaves its queues") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto plan = cloud.plan({centro});
  cloud.heard_machine(centro, "tm-1");
  auto ana = cloud.member("ana@gym.test", centro, plan);
  auto bea = cloud.member("bea@gym.test", centro, plan);
  auto cleo = cloud.member("cleo@gym.test", centro, plan);
  for (const auto* m : {&ana, &bea, &cleo}) REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, m->token).status == 201);
  // Two turns of 3.5 and 4 minutes: 3.75 minutes on average, not a whole number of minutes.
  for (auto turn : {std::chrono::seconds(210), std::chrono::seconds(240)}) {
    REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
    cloud.clock.advance(turn);
    REQUIRE(http.post("/api/machines/unlink", {{"machine_id", "tm-1"}}, ana.token).status == 200);
  }
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  auto joined = http.post("/api/machines/queue/join", {{"machine_id", "tm-1"}}, bea.token);
  REQUIRE(joined.status == 201);
  CHECK(joined.json["estimated_wait_s"] == 225);
  CHECK(http.get("/api/machines/queue?machine_id=tm-1", cleo.token).json["estimated_wait_s"] == 225 + 225);  // behind Bea
  // Bea goes home: she no longer holds the machine for anyone.
  REQUIRE(http.post("/api/sessions/end", Json::object(), bea.token).status == 200);
  CHECK(find_machine(http.get("/api/machines/availability?branch_id=" + centro, cleo.token), "tm-1")["queue_length"] == 0);
  REQUIRE(http.post("/api/machines/unlink", {{"machine_id", "tm-1"}}, ana.token).status == 200);
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, cleo.token).status == 201);
}

TEST_CASE("availability from memory: gzip when asked, the same list, and still every check of the normal path") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto north = cloud.branch("North");
  for (int i = 0; i < 30; ++i) cloud.machine(centro, "tm-" + std::to_string(i));
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));

  // The first answer builds the branch's snapshot; the second comes from memory.
  auto built = http.get("/api/machines/availability?branch_id=" + centro, ana.token);
  auto cached = http.get("/api/machines/availability?branch_id=" + centro, ana.token);
  REQUIRE(built.status == 200);
  CHECK(built.json["items"].size() == 30);
  CHECK(cached.body == built.body);
  CHECK(cached.header("vary") == "accept-encoding");
  CHECK(cached.header("content-encoding").empty());

  for (const char* accept : {"gzip", "deflate, gzip;q=0.5", "br, *", "GZIP"}) {
    CAPTURE(accept);
    http.set_header("Accept-Encoding", accept);
    auto zipped = http.get("/api/machines/availability?branch_id=" + centro, ana.token);
    REQUIRE(zipped.status == 200);
    CHECK(zipped.header("content-encoding") == "gzip");
    CHECK(zipped.body.size() < built.body.size() / 4);
    CHECK(gunzip(zipped.body) == built.body);
  }
  for (const char* refuse : {"gzip;q=0", "identity", "deflate", "*;q=0", "gzip;q=0.000, br", "gzip;q=abc"}) {
    CAPTURE(refuse);
    http.set_header("Accept-Encoding", refuse);
    auto plain = http.get("/api/machines/availability?branch_id=" + centro, ana.token);
    CHECK(plain.header("content-encoding").empty());
    CHECK(plain.body == built.body);
  }
  http.set_header("Accept-Encoding", "gzip");

  // A change is in the next answer, compressed or not.
  auto gw = cloud.gateway_token(centro);
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "tm-7"}}, gw).status == 200);
  CHECK(find_machine(Reply{.status = 200, .body = {}, .json = *parse_json_strict(gunzip(http.get("/api/machines/availability?branch_id=" + centro, ana.token).body)), .headers = {}},
                     "tm-7")["state"] == "idle");

  // Another branch, an expired token and a logged-out one are refused although the token
  // and the list are in memory.
  CHECK(http.get("/api/machines/availability?branch_id=" + north, ana.token).status == 403);
  cloud.clock.advance(std::chrono::minutes(16));
  CHECK(http.get("/api/machines/availability?branch_id=" + centro, ana.token).status == 401);
  auto login = http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}});
  const std::string access = login.json["access_token"];
  REQUIRE(http.get("/api/machines/availability?branch_id=" + centro, access).status == 200);
  REQUIRE(http.get("/api/machines/availability?branch_id=" + centro, access).status == 200);
  REQUIRE(http.post("/api/auth/logout", {{"refresh_token", login.json["refresh_token"]}}, access).status == 204);
  CHECK(http.get("/api/machines/availability?branch_id=" + centro, access).status == 401);
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
  // A warning tells staff and leaves the machine in use (the gateway applies the same rule).
  auto warn = http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "display"}, {"severity", "warn"}}, trainer.token);
  REQUIRE(warn.status == 200);
  CHECK(warn.json["state"] == "idle");
  CHECK(http.get("/api/sessions/current", ana.token).json["machines"][0]["ended_at"].is_null());
  auto told = http.get("/api/notifications?kind=maintenance", cloud.admin());
  REQUIRE(told.json["items"].size() == 1);
  CHECK(told.json["items"][0]["payload"]["severity"] == "warn");
  CHECK(http.get("/api/sync/commands?after=0", gw).json["commands"].empty());
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

TEST_CASE("a machine out of service stays so through silence, reboots and its own reports until cleared") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto gw = cloud.heard_machine(centro, "tm-1");
  auto trainer = cloud.trainer("t@gym.test", {centro});
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  auto shown = [&] {
    return find_machine(http.get("/api/machines/availability?branch_id=" + centro, trainer.token), "tm-1");
  };
  auto sync = [&](std::int64_t seq, const std::string& kind, const Json& body) {
    Json event = {{"seq", seq}, {"event_id", kind + "." + std::to_string(seq)}, {"kind", kind}, {"at_ms", cloud.clock.now_ms()}, {"body", body}};
    return http.post("/api/sync/events", {{"events", {event}}}, gw).json["results"][0]["status"];
  };
  // The machine's own warning, through the gateway, leaves it in use as the gateway did.
  REQUIRE(sync(1, "maintenance", {{"machine_id", "tm-1"}, {"code", "W3"}, {"severity", "warn"}}) == "applied");
  CHECK(shown()["state"] == "idle");
  CHECK(shown()["maintenance_code"].is_null());
  REQUIRE(http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}}, trainer.token).status == 200);

  // Unplugged for repair: silence does not turn it into an ordinary offline machine.
  cloud.clock.advance(std::chrono::seconds(61));
  cloud.service->run_jobs_once();
  trainer.token = cloud.login("t@gym.test", TestCloud::kPassword);
  CHECK(shown()["state"] == "maintenance");
  CHECK(shown()["maintenance_code"] == "belt");
  // Powered back on, it says it is idle, by heartbeat and through the gateway's sync.
  auto beat = http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, gw);
  CHECK(beat.json["state"] == "maintenance");
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}, {"state", "idle"}}, gw).json["state"] == "maintenance");
  REQUIRE(sync(2, "machine_status", {{"machine_id", "tm-1"}, {"state", "idle"}, {"at_ms", cloud.clock.now_ms()}}) == "applied");
  CHECK(shown()["state"] == "maintenance");
  CHECK(shown()["last_seen_at"] == format_rfc3339_ms(cloud.clock.now_ms()));  // heard, all the same
  ana.token = cloud.login("ana@gym.test", TestCloud::kPassword);
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 409);

  // Only a clear puts it back; from then on silence makes it offline again.
  REQUIRE(http.post("/api/machines/maintenance/clear", {{"machine_id", "tm-1"}}, trainer.token).json["state"] == "idle");
  CHECK(shown()["state"] == "idle");
  CHECK(shown()["maintenance_code"].is_null());
  CHECK(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  cloud.clock.advance(std::chrono::seconds(61));
  cloud.service->run_jobs_once();
  trainer.token = cloud.login("t@gym.test", TestCloud::kPassword);
  CHECK(shown()["state"] == "offline");
}

TEST_CASE("a machine's own fault is no hold: the machine says when it is back") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto gw = cloud.heard_machine(centro, "tm-1");
  auto shown = [&] { return find_machine(http.get("/api/machines/availability?branch_id=" + centro, cloud.admin()), "tm-1"); };
  auto state = [&] { return shown()["state"]; };
  // Reported by the device over HTTP, then by its gateway's sync: out of use until it says otherwise.
  REQUIRE(http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "E42"}, {"severity", "fault"}}, gw).status == 200);
  CHECK(state() == "maintenance");
  CHECK(shown()["maintenance_code"] == "E42");
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}, {"state", "idle"}}, gw).json["state"] == "idle");
  CHECK(shown()["maintenance_code"].is_null());  // its code went with the fault
  Json fault = {{"seq", 1}, {"event_id", "m.1"}, {"kind", "maintenance"}, {"at_ms", cloud.clock.now_ms()},
                {"body", {{"machine_id", "tm-1"}, {"code", "E43"}, {"severity", "fault"}}}};
  Json back = {{"seq", 2}, {"event_id", "s.2"}, {"kind", "machine_status"}, {"at_ms", cloud.clock.now_ms()},
               {"body", {{"machine_id", "tm-1"}, {"state", "idle"}}}};
  REQUIRE(http.post("/api/sync/events", {{"events", {fault}}}, gw).json["results"][0]["status"] == "applied");
  CHECK(state() == "maintenance");
  CHECK(shown()["maintenance_code"] == "E43");
  REQUIRE(http.post("/api/sync/events", {{"events", {back}}}, gw).json["results"][0]["status"] == "applied");
  CHECK(state() == "idle");
  CHECK(shown()["maintenance_code"].is_null());
  // And no command goes back to the branch: the machine reported it.
  CHECK(http.get("/api/sync/commands?after=0", gw).json["commands"].empty());
}

TEST_CASE("workout data from a device lands once on the member's session; GET /api/workouts newest first") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto gw = cloud.heard_machine(centro, "tm-1");
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
  // The old secret's token stops at once too, not when it expires 10 minutes later, also
  // after the new secret's token has been used (each secret's callers are kept apart).
  auto fresh_token = http.post("/api/gateways/token", {{"gateway_id", id}, {"secret", rotated.json["secret"]}});
  REQUIRE(fresh_token.status == 200);
  const std::string new_token = fresh_token.json["access_token"];
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, new_token).status == 200);
  auto old = http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, token);
  CHECK(old.status == 401);
  CHECK(old.body.find("rotated") != std::string::npos);
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, new_token).status == 200);
  CHECK(http.post("/api/gateways/" + id + "/revoke", Json::object(), cloud.admin()).status == 204);
  CHECK(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, new_token).status == 401);  // at once
  CHECK(http.post("/api/gateways/token", {{"gateway_id", id}, {"secret", rotated.json["secret"]}}).status == 401);
  auto member = cloud.member("m@gym.test", centro);
  CHECK(http.post("/api/gateways", {{"branch_id", centro}, {"name", "x"}}, member.token).status == 403);
}
