// Branch isolation, route by route: staff and a gateway of one branch against every route
// that reaches another branch's members, machines, memberships, sessions and gateways. Each
// is refused (403, or 404 where even the existence of the thing is not theirs to learn) and
// nothing of the other branch changes; lists leave the other branch out.
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
struct Call {
  std::string method, target;
  Json body;
  int status = 403;  // 404 where the route does not say whether the thing exists
};

// What the refused calls could have changed, as one comparable value.
Json snapshot(TestCloud& cloud) {
  Json s = Json::object();
  for (const char* t : {"users", "credentials", "subscriptions", "gym_sessions", "machine_links", "machine_queue", "workouts", "gateways",
                        "plans", "plan_branches", "branches", "user_branches", "machines", "gateway_commands", "workout_plans",
                        "training_sessions", "custom_exercises"})
    s[t] = cloud.count(t);
  return s;
}
}  // namespace

TEST_CASE("branch isolation: a trainer and a gateway of another branch are refused on every route that reaches this one") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto plan = cloud.plan({centro});
  auto gw = cloud.heard_machine(centro, "tm-1");
  auto ana = cloud.member("ana@gym.test", centro, plan);
  auto session = http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token);
  REQUIRE(session.status == 201);
  const std::string session_id = session.json["id"];
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  auto subs = http.get("/api/users/" + ana.id + "/subscriptions", cloud.admin());
  REQUIRE(subs.status == 200);
  const std::string sub_id = subs.json["items"][0]["id"];
  auto card = http.post("/api/users/" + ana.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3D4E5F6"}}, cloud.admin());
  REQUIRE(card.status == 201);
  const std::string card_id = card.json["id"];
  auto gw_row = http.post("/api/gateways", {{"branch_id", centro}, {"name", "second"}}, cloud.admin());
  REQUIRE(gw_row.status == 201);
  const std::string gw_id = gw_row.json["gateway_id"];

  auto ana_plan = http.post("/api/workout-plans", {{"name", "P"}, {"days", {{{"name", "A"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", {Json::object()}}}}}}}}},
                            ana.token).json["id"].get<std::string>();
  auto ana_training = http.post("/api/training-sessions", {{"plan_id", ana_plan}, {"day", 0}}, ana.token).json["id"].get<std::string>();
  auto outsider = cloud.trainer("out@gym.test", {norte});
  auto gw_north = cloud.gateway_token(norte);
  const Json before = snapshot(cloud);

  const std::vector<Call> trainer_calls = {
      {"GET", "/api/users/" + ana.id, {}},
      {"GET", "/api/users/" + ana.id + "/subscriptions", {}},
      {"GET", "/api/users/" + ana.id + "/credentials", {}},
      {"POST", "/api/users/" + ana.id + "/credentials", {{"kind", "nfc"}, {"uid", "04FFEEDDCCBBAA"}}},
      {"DELETE", "/api/users/" + ana.id + "/credentials/" + card_id, {}},
      {"POST", "/api/users", {{"email", "new@gym.test"}, {"full_name", "New"}, {"role", "member"}, {"home_branch_id", centro}}},
      {"POST", "/api/subscriptions", {{"user_id", ana.id}, {"plan_id", plan}}},
      {"POST", "/api/subscriptions/" + sub_id + "/suspend", Json::object()},
      {"POST", "/api/subscriptions/" + sub_id + "/resume", Json::object()},
      {"POST", "/api/sessions/start", {{"branch_id", centro}, {"user_id", ana.id}}},
      {"POST", "/api/sessions/start", {{"branch_id", centro}, {"credential", "04A1B2C3D4E5F6"}}},
      {"POST", "/api/sessions/end", {{"session_id", session_id}}},
      {"GET", "/api/sessions/current?user_id=" + ana.id, {}},
      {"GET", "/api/sessions/history?user_id=" + ana.id, {}},
      {"GET", "/api/analytics/sessions?branch_id=" + centro, {}},
      {"GET", "/api/machines/availability?branch_id=" + centro, {}},
      {"GET", "/api/machines/usage?branch_id=" + centro, {}},
      {"GET", "/api/machines/queue?machine_id=tm-1", {}, 404},
      {"POST", "/api/machines/unlink", {{"machine_id", "tm-1"}}, 404},
      {"POST", "/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}}},
      {"POST", "/api/machines/maintenance/clear", {{"machine_id", "tm-1"}}},
      {"POST", "/api/machines/heartbeat", {{"machine_id", "tm-1"}, {"state", "error"}}},
      {"POST", "/api/machines", {{"branch_id", centro}, {"machine_id", "tm-9"}, {"name", "T"}, {"category", "cardio"}, {"type", "t"}}},
      {"POST", "/api/gateways", {{"branch_id", centro}, {"name", "rogue"}}},
      {"POST", "/api/gateways/" + gw_id + "/rotate-secret", Json::object()},
      {"POST", "/api/gateways/" + gw_id + "/revoke", Json::object()},
      {"POST", "/api/membership-plans", {{"name", "P"}, {"branch_ids", {centro}}, {"price_cents", 100}, {"duration_days", 30}}},
      {"GET", "/api/sync/quarantine?branch_id=" + centro, {}},
      {"GET", "/api/sync/gateways", {}},
      {"GET", "/api/audit", {}},
      {"POST", "/api/exercises", {{"branch_id", centro}, {"name", "X"}, {"category", "strength"}, {"muscles", {"legs"}}, {"equipment", "machine"}}},
      {"POST", "/api/workout-plans", {{"user_id", ana.id}, {"name", "P"}, {"days", {{{"name", "A"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", {Json::object()}}}}}}}}}},
      {"GET", "/api/workout-plans?user_id=" + ana.id, {}},
      {"GET", "/api/workout-plans/" + ana_plan, {}, 404},
      {"GET", "/api/training-sessions?user_id=" + ana.id, {}},
      {"GET", "/api/training-sessions/" + ana_training, {}, 404},
      {"GET", "/api/analytics/workouts?user_id=" + ana.id, {}},
      {"GET", "/api/analytics/records?user_id=" + ana.id, {}},
      {"GET", "/api/analytics/streaks?user_id=" + ana.id, {}},
  };
  for (const auto& c : trainer_calls) {
    auto r = http.raw(c.method, c.target, c.body.is_null() ? "" : c.body.dump(), outsider.token);
    CHECK_MESSAGE(r.status == c.status, "trainer: ", c.method, " ", c.target, " -> ", r.status);
    CHECK(r.header("content-type") == "application/problem+json");
  }
  const std::vector<Call> gateway_calls = {
      {"POST", "/api/machines/heartbeat", {{"machine_id", "tm-1"}, {"state", "error"}}},
      {"POST", "/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}}},
      {"POST", "/api/machines/maintenance/clear", {{"machine_id", "tm-1"}}},
      {"POST", "/api/machines/unlink", {{"machine_id", "tm-1"}}, 404},
      {"POST", "/api/machines/link", {{"machine_id", "tm-1"}, {"credential", "04A1B2C3D4E5F6"}}, 404},
      {"POST", "/api/machines/workout-data", {{"machine_id", "tm-1"}, {"msg_id", 1}, {"ts_start", cloud.clock.now_ms() - 60000}, {"ts_end", cloud.clock.now_ms()}}},
      {"GET", "/api/machines/availability?branch_id=" + centro, {}},
      {"POST", "/api/sessions/start", {{"branch_id", centro}, {"credential", "04A1B2C3D4E5F6"}}},
      {"GET", "/api/users/" + ana.id, {}},
  };
  for (const auto& c : gateway_calls) {
    auto r = http.raw(c.method, c.target, c.body.is_null() ? "" : c.body.dump(), gw_north);
    CHECK_MESSAGE(r.status == c.status, "gateway: ", c.method, " ", c.target, " -> ", r.status);
  }
  CHECK(snapshot(cloud) == before);
  // Nothing of Centro's moved: the link, the card, the membership, the session, the machine.
  auto current = http.get("/api/sessions/current", ana.token);
  CHECK(current.json["id"] == session_id);
  CHECK(current.json["machines"][0]["ended_at"].is_null());
  CHECK(http.get("/api/users/" + ana.id + "/credentials", cloud.admin()).json["items"][0]["revoked_at"].is_null());
  CHECK(http.get("/api/users/" + ana.id + "/subscriptions", cloud.admin()).json["items"][0]["status"] == "active");
  auto avail = http.get("/api/machines/availability?branch_id=" + centro, cloud.admin());
  CHECK(avail.json["items"][0]["state"] == "in_use");
  CHECK(avail.json["items"][0]["maintenance_code"].is_null());

  // Searches and lists leave Centro out rather than refuse.
  auto search = http.get("/api/users?email=ana@gym.test", outsider.token);
  REQUIRE(search.status == 200);
  CHECK(search.json["items"].empty());
  CHECK(http.get("/api/users?email=ana@gym.test", cloud.trainer("in@gym.test", {centro}).token).json["items"].size() == 1);
}
