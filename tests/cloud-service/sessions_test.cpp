// Gym sessions (seed 000 story 3.1): one active per member, branch and membership checks,
// credentials, auto-end at 4 hours and at closing time in the branch's zone (across DST).
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
Json hours_until_noon() {
  Json h = Json::object();
  for (const char* d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) h[d] = Json::array({Json::array({"06:00", "12:00"})});
  return h;
}
}  // namespace

TEST_CASE("start, one active session per member, live duration, end, current, history") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto start = http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token);
  REQUIRE(start.status == 201);
  CHECK(start.json["status"] == "active");
  CHECK(start.json["user_id"] == ana.id);
  CHECK(start.json["started_at"] == "2026-03-02T09:00:00.000Z");
  // The answer is built from what was inserted, not read back: it must equal the stored row.
  CHECK(start.json == http.get("/api/sessions/current", ana.token).json);
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 409);
  cloud.clock.advance(std::chrono::minutes(10));
  auto current = http.get("/api/sessions/current", ana.token);
  CHECK(current.status == 200);
  CHECK(current.json["duration_s"] == 600);
  auto end = http.post("/api/sessions/end", Json::object(), ana.token);
  REQUIRE(end.status == 200);
  CHECK(end.json["ended_by"] == "member");
  CHECK(end.json["duration_s"] == 600);
  CHECK(end.json["machines"].is_array());
  CHECK(http.get("/api/sessions/current", ana.token).status == 404);
  CHECK(http.post("/api/sessions/end", Json::object(), ana.token).status == 404);
  CHECK(http.post("/api/sessions/end", {{"session_id", end.json["id"]}}, ana.token).status == 409);
  auto history = http.get("/api/sessions/history", ana.token);
  CHECK(history.json["items"].size() == 1);
  Json answered = end.json, stored = history.json["items"][0];
  answered.erase("machines");
  stored.erase("machines");
  CHECK(answered == stored);
  CHECK(http.get("/api/sessions/history?from=2026-03-03T00:00:00Z", ana.token).json["items"].empty());
  CHECK(http.get("/api/sessions/history?from=tomorrow", ana.token).status == 400);
}

TEST_CASE("entry is refused with a reason: no membership, branch not allowed, suspended, closed, unknown branch") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  Json closed_hours = {{"mon", Json::array({Json::array({"06:00", "09:00"})})}};
  auto closed = cloud.branch("Closed", closed_hours);
  auto any_branch = cloud.plan({});
  auto nobody = cloud.member("none@gym.test", centro);
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}}, nobody.token).json["type"].get<std::string>().ends_with("no-membership"));
  auto northerner = cloud.member("n@gym.test", norte, cloud.plan({norte}));
  auto r = http.post("/api/sessions/start", {{"branch_id", centro}}, northerner.token);
  CHECK(r.status == 403);
  CHECK(r.json["type"].get<std::string>().ends_with("branch-not-allowed"));
  auto everywhere = cloud.member("e@gym.test", centro, any_branch);
  auto c = http.post("/api/sessions/start", {{"branch_id", closed}}, everywhere.token);
  CHECK(c.status == 403);
  CHECK(c.json["type"].get<std::string>().ends_with("branch-closed"));
  CHECK(http.post("/api/sessions/start", {{"branch_id", "br_missing"}}, everywhere.token).status == 404);
  CHECK(http.post("/api/sessions/start", {{"branch_id", "bad id!"}}, everywhere.token).status == 400);
  auto subs = http.get("/api/users/" + everywhere.id + "/subscriptions", cloud.admin());
  http.post("/api/subscriptions/" + subs.json["items"][0]["id"].get<std::string>() + "/suspend", Json::object(), cloud.admin());
  auto s = http.post("/api/sessions/start", {{"branch_id", norte}}, everywhere.token);
  CHECK(s.status == 403);
  CHECK(s.json["type"].get<std::string>().ends_with("suspended"));
}

TEST_CASE("staff start sessions with a member's card or QR code; QR codes are single use and expire") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto plan = cloud.plan({centro});
  auto ana = cloud.member("ana@gym.test", centro, plan);
  auto bea = cloud.member("bea@gym.test", centro, plan);
  auto desk = cloud.trainer("desk@gym.test", {centro});
  REQUIRE(http.post("/api/users/" + ana.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3"}}, cloud.admin()).status == 201);
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}}, desk.token).status == 400);  // staff name the member
  CHECK(http.post("/api/sessions/start", {{"branch_id", norte}, {"credential", "04a1b2c3"}}, desk.token).status == 403);
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", "04FFFFFF"}}, desk.token).status == 404);
  auto by_card = http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", "04a1b2c3"}}, desk.token);
  REQUIRE(by_card.status == 201);
  CHECK(by_card.json["user_id"] == ana.id);
  CHECK(by_card.json["source"] == "front_desk");
  // A member cannot start someone else's session with their credential.
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", "04a1b2c3"}}, bea.token).status == 403);

  const std::string qr = http.get("/api/users/me/access-qr", bea.token).json["payload"];
  auto by_qr = http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", qr}}, desk.token);
  REQUIRE(by_qr.status == 201);
  CHECK(by_qr.json["user_id"] == bea.id);
  REQUIRE(http.post("/api/sessions/end", {{"session_id", by_qr.json["id"]}}, desk.token).status == 200);
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", qr}}, desk.token).status == 400);  // replayed
  const std::string late = http.get("/api/users/me/access-qr", bea.token).json["payload"];
  cloud.clock.advance(std::chrono::seconds(66));  // 60 s lifetime + 5 s leeway for clock skew
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", late}}, desk.token).status == 400);  // expired
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", late + "x"}}, desk.token).status == 400);

  // Staff history by branch; a trainer of another branch sees nothing of this one.
  auto other = cloud.trainer("other@gym.test", {norte});
  CHECK(http.get("/api/sessions/history?branch_id=" + centro, desk.token).json["items"].size() == 2);
  CHECK(http.get("/api/sessions/history?branch_id=" + centro, other.token).status == 403);
  CHECK(http.get("/api/sessions/history?user_id=" + ana.id, other.token).status == 403);
  CHECK(http.post("/api/sessions/end", {{"session_id", by_card.json["id"]}}, other.token).status == 403);
}

TEST_CASE("sessions still active after 4 hours are ended by the job with ended_by timeout") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  cloud.clock.advance(std::chrono::minutes(239));
  cloud.service->run_jobs_once();
  auto token = cloud.login("ana@gym.test", TestCloud::kPassword);
  CHECK(http.get("/api/sessions/current", token).status == 200);
  cloud.clock.advance(std::chrono::minutes(2));
  cloud.service->run_jobs_once();
  CHECK(http.get("/api/sessions/current", token).status == 404);
  auto last = http.get("/api/sessions/history", token).json["items"][0];
  CHECK(last["ended_by"] == "timeout");
  CHECK(last["ended_at"] == "2026-03-02T13:00:00.000Z");
  CHECK(last["duration_s"] == 4 * 3600);
}

TEST_CASE("sessions end at the branch's closing time in its own zone, also on the day DST starts") {
  // Sunday 2026-03-29: Madrid moves from UTC+1 to UTC+2 at 02:00. Closing at 12:00 local is
  // 10:00 UTC that day (11:00 UTC the day before).
  TestCloud cloud(1774771200000);  // 2026-03-29T08:00:00Z = 10:00 CEST
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro", hours_until_noon());
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  cloud.clock.advance(std::chrono::minutes(119));
  cloud.service->run_jobs_once();
  auto token = cloud.login("ana@gym.test", TestCloud::kPassword);
  CHECK(http.get("/api/sessions/current", token).status == 200);
  cloud.clock.advance(std::chrono::minutes(2));
  cloud.service->run_jobs_once();
  auto last = http.get("/api/sessions/history", token).json["items"][0];
  CHECK(last["status"] == "ended");
  CHECK(last["ended_by"] == "closing");
  CHECK(last["ended_at"] == "2026-03-29T10:00:00.000Z");
  // The member is told (notification outbox).
  CHECK(http.get("/api/notifications?kind=session_auto_ended", cloud.login("admin@gym.test", TestCloud::kPassword)).json["items"].size() == 1);
}

TEST_CASE("analytics: visits per local hour and weekday, average duration, peak hours; staff of the branch only") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto plan = cloud.plan({centro});
  std::vector<std::string> members;
  for (int i = 0; i < 3; ++i) members.push_back(cloud.member("m" + std::to_string(i) + "@gym.test", centro, plan).token);
  // Three visits starting at 10:00 local (09:00 UTC), 10 minutes each; then one at 12:00.
  for (const auto& t : members) REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, t).status == 201);
  cloud.clock.advance(std::chrono::minutes(10));
  for (const auto& t : members) REQUIRE(http.post("/api/sessions/end", Json::object(), t).status == 200);
  cloud.clock.advance(std::chrono::minutes(110));
  auto late = cloud.member("late@gym.test", centro, plan);
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, late.token).status == 201);
  auto trainer = cloud.trainer("t@gym.test", {centro});
  auto a = http.get("/api/analytics/sessions?branch_id=" + centro + "&from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z", trainer.token);
  REQUIRE(a.status == 200);
  CHECK(a.json["visits"] == 4);
  CHECK(a.json["visits_by_hour"][10] == 3);
  CHECK(a.json["visits_by_hour"][12] == 1);
  CHECK(a.json["visits_by_weekday"]["mon"] == 4);
  CHECK(a.json["average_duration_s"] == 600);
  CHECK(a.json["peak_hours"][0]["hour"] == 10);
  CHECK(http.get("/api/analytics/sessions?branch_id=" + centro, late.token).status == 403);
  auto norte = cloud.branch("Norte");
  CHECK(http.get("/api/analytics/sessions?branch_id=" + norte, trainer.token).status == 403);
  CHECK(http.get("/api/analytics/sessions", trainer.token).status == 400);
}

TEST_CASE("the credential object is taken wherever a credential is: nfc, qr, fingerprint; bad parts named") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto plan = cloud.plan({centro});
  auto ana = cloud.member("ana@gym.test", centro, plan);
  auto bea = cloud.member("bea@gym.test", centro, plan);
  auto desk = cloud.trainer("desk@gym.test", {centro});
  REQUIRE(http.post("/api/users/" + ana.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3"}}, cloud.admin()).status == 201);
  auto start = [&](const Json& credential) { return http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", credential}}, desk.token); };
  auto by_card = start({{"kind", "nfc"}, {"uid", "04a1b2c3"}});
  REQUIRE_MESSAGE(by_card.status == 201, by_card.body);
  CHECK(by_card.json["user_id"] == ana.id);
  REQUIRE(http.post("/api/sessions/end", {{"session_id", by_card.json["id"]}}, desk.token).status == 200);
  const std::string qr = http.get("/api/users/me/access-qr", bea.token).json["payload"];
  auto by_qr = start({{"kind", "qr"}, {"payload", qr}});
  REQUIRE(by_qr.status == 201);
  CHECK(by_qr.json["user_id"] == bea.id);
  // A fingerprint names its credential: an unknown one is no one.
  CHECK(start({{"kind", "fingerprint"}, {"credential_id", "cred_unknown"}}).status == 404);
  // Bad parts are named.
  CHECK(start({{"kind", "iris"}}).json["errors"][0]["field"] == "credential.kind");
  CHECK(start({{"kind", "nfc"}, {"uid", "zz"}}).json["errors"][0]["field"] == "credential.uid");
  CHECK(start({{"kind", "nfc"}}).json["errors"][0]["field"] == "credential.uid");
  CHECK(start({{"kind", "qr"}, {"payload", 5}}).json["errors"][0]["field"] == "credential.payload");
  CHECK(start({{"kind", "fingerprint"}, {"credential_id", "../x"}}).json["errors"][0]["field"] == "credential.credential_id");
  CHECK(start(42).json["errors"][0]["field"] == "credential");
  CHECK(start("not hex").json["errors"][0]["field"] == "credential");
  // The machine link takes it too: a member links themselves with their own card object.
  cloud.machine(centro, "m-1");
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "m-1"}}, cloud.gateway_token(centro)).status == 200);
  fresh(cloud, ana);
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  auto link = http.post("/api/machines/link", {{"machine_id", "m-1"}, {"credential", {{"kind", "nfc"}, {"uid", "04A1B2C3"}}}}, ana.token);
  CHECK_MESSAGE(link.status == 201, link.body);
  CHECK(http.post("/api/machines/link", {{"machine_id", "m-1"}, {"credential", {{"kind", "nfc"}, {"uid", "x"}}}}, ana.token).json["errors"][0]["field"] ==
        "credential.uid");
}
