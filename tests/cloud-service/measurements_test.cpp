// Body measurements (cloud-api-2.md "Chain operations"): bounds, latest, progress, and who
// may see them (trainers only while the member shares). Both engines.
#include <set>

#include "domains/measurements/rules.hpp"
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

TEST_CASE("measurement rules: bounds per metric, progress from the first to the last value measured") {
  using namespace spotter::cloud::measurements;
  CHECK_FALSE(bound_problem(0, 80));
  CHECK(*bound_problem(0, 19.9) == "must be between 20 and 400");
  CHECK(bound_problem(0, 1.0 / 0.0));
  MetricValues a{}, b{}, c{};
  a[0] = 80, b[0] = 78, c[0] = 76;
  a[2] = 20;  // body fat measured once
  auto p = progress({a, b, c});
  REQUIRE(p.size() == 2);
  CHECK(p[0].metric == 0);
  CHECK(p[0].first == 80);
  CHECK(p[0].last == 76);
  CHECK(p[0].change == -4);
  CHECK(*p[0].change_pct == -5.0);  // the contract's example
  CHECK(p[1].change == 0);
  CHECK(progress({}).empty());
}

TEST_CASE("measurements: recorded by the member or their staff, within bounds; latest, list and progress") {
  TestCloud cloud;
  const auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto bo = cloud.member("bo@gym.test", centro, cloud.plan({centro}));
  auto coach = cloud.trainer("coach@gym.test", {centro}), other = cloud.trainer("other@gym.test", {norte});
  const std::string mine = "/api/users/" + ana.id + "/measurements";
  auto first = cloud.http.post(mine, {{"measured_at", "2026-02-01T08:00:00Z"}, {"weight_kg", 80}, {"waist_cm", 90}}, ana.token);
  REQUIRE_MESSAGE(first.status == 201, first.body);
  CHECK(first.json["weight_kg"] == 80);
  CHECK(first.json["height_cm"].is_null());
  CHECK(first.json["recorded_by"] == ana.id);
  auto second = cloud.http.post("/api/users/me/measurements", {{"measured_at", "2026-02-15T08:00:00Z"}, {"weight_kg", 78.5}}, ana.token);
  REQUIRE(second.status == 201);
  auto by_coach = cloud.http.post(mine, {{"weight_kg", 76}, {"body_fat_pct", 18.5}, {"notes", "after the holidays"}}, coach.token);
  REQUIRE(by_coach.status == 201);
  CHECK(by_coach.json["recorded_by"] == coach.id);

  // Bad input names each field; nothing is written.
  auto bad = cloud.http.post(mine, {{"weight_kg", 4000}, {"height_cm", "tall"}, {"measured_at", "2027-01-01T00:00:00Z"}}, ana.token);
  REQUIRE(bad.status == 400);
  std::set<std::string> fields;
  for (const auto& e : bad.json["errors"]) fields.insert(e["field"]);
  CHECK((fields == std::set<std::string>{"weight_kg", "height_cm", "measured_at"}));
  CHECK(cloud.http.post(mine, {{"notes", "nothing measured"}}, ana.token).status == 400);
  CHECK(cloud.http.post(mine, {{"weight_kg", 70}}, bo.token).status == 403);
  CHECK(cloud.http.post(mine, {{"weight_kg", 70}}, other.token).status == 403);
  CHECK(cloud.count("measurements") == 3);

  auto latest = cloud.http.get(mine + "/latest", ana.token);
  REQUIRE(latest.status == 200);
  CHECK(latest.json["id"] == by_coach.json["id"]);
  auto list = cloud.http.get(mine + "?limit=2", ana.token);
  REQUIRE(list.json["items"].size() == 2);
  CHECK(list.json["items"][0]["id"] == by_coach.json["id"]);
  auto rest = cloud.http.get(mine + "?limit=2&cursor=" + list.json["next_cursor"].get<std::string>(), ana.token);
  REQUIRE(rest.json["items"].size() == 1);
  CHECK(rest.json["items"][0]["id"] == first.json["id"]);
  CHECK(cloud.http.get(mine + "?from=2026-02-10&to=2026-02-20", ana.token).json["items"].size() == 1);
  auto prog = cloud.http.get(mine + "/progress", ana.token);
  REQUIRE(prog.status == 200);
  CHECK(prog.json["metrics"]["weight_kg"]["first"] == 80);
  CHECK(prog.json["metrics"]["weight_kg"]["last"] == 76);
  CHECK(prog.json["metrics"]["weight_kg"]["change_pct"] == -5.0);
  CHECK(prog.json["metrics"]["waist_cm"]["change"] == 0);
  CHECK_FALSE(prog.json["metrics"].contains("height_cm"));
  CHECK(cloud.http.get(mine + "?from=soon", ana.token).json["errors"][0]["field"] == "from");
  CHECK(cloud.http.get("/api/users/" + bo.id + "/measurements/latest", bo.token).status == 404);

  // Corrections: null clears a value, a measurement keeps at least one; others' are not found.
  const std::string one = "/api/measurements/" + by_coach.json["id"].get<std::string>();
  auto changed = cloud.http.patch(one, {{"body_fat_pct", nullptr}, {"weight_kg", 76.4}}, ana.token);
  REQUIRE_MESSAGE(changed.status == 200, changed.body);
  CHECK(changed.json["body_fat_pct"].is_null());
  CHECK(cloud.http.patch(one, {{"weight_kg", nullptr}}, ana.token).status == 400);
  CHECK(cloud.http.patch(one, {{"weight_kg", 1}}, ana.token).json["errors"][0]["field"] == "weight_kg");
  CHECK(cloud.http.patch(one, {{"weight_kg", 70}}, bo.token).status == 404);
  CHECK(cloud.http.del(one, other.token).status == 404);
  CHECK(cloud.http.del(one, coach.token).status == 204);
  CHECK(cloud.http.get(mine + "/latest", ana.token).json["id"] == second.json["id"]);
}

TEST_CASE("measurements: trainers see them only while the member shares; the member and admins always") {
  TestCloud cloud;
  const auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto coach = cloud.trainer("coach@gym.test", {centro});
  const std::string mine = "/api/users/" + ana.id + "/measurements";
  REQUIRE(cloud.http.post(mine, {{"weight_kg", 80}}, ana.token).status == 201);
  CHECK(cloud.http.get(mine, coach.token).status == 200);
  REQUIRE(cloud.http.patch("/api/users/me/privacy", {{"share_measurements_with_trainers", false}}, ana.token).status == 200);
  for (const std::string& path : {mine, mine + "/latest", mine + "/progress"}) {
    auto r = cloud.http.get(path, coach.token);
    CHECK(r.status == 403);
    CHECK(r.json["type"].get<std::string>().find("not-shared") != std::string::npos);
    CHECK(cloud.http.get(path, ana.token).status == 200);
    CHECK(cloud.http.get(path, cloud.admin()).status == 200);
  }
  // Recording at the gym stays possible; the answer is what the trainer just entered.
  CHECK(cloud.http.post(mine, {{"weight_kg", 79}}, coach.token).status == 201);
  REQUIRE(cloud.http.patch("/api/users/me/privacy", {{"share_measurements_with_trainers", true}}, ana.token).status == 200);
  CHECK(cloud.http.get(mine, coach.token).json["items"].size() == 2);
}
