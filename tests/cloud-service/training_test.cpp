// Training (cloud-api-2.md "Training"; seed 004): the catalogue and custom exercises, plans,
// training sessions with their snapshot and one in progress per member, sets the machines
// report joining the session, and the analytics kept as they happen. Both engines.
#include <set>
#include <thread>

#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {

Json leg_day() {
  return {{"name", "Legs"},
          {"exercises", {{{"exercise_id", "back_squat"}, {"sets", {{{"reps", 5}, {"weight_kg", 100}}, {{"reps", 5}, {"weight_kg", 100}}}}},
                         {{"exercise_id", "leg_press"}, {"sets", {{{"reps", 10}, {"weight_kg", 140}}, {{"reps", 10}, {"weight_kg", 140}}}}}}}};
}
Json plan_body() { return {{"name", "Strength A"}, {"days", {leg_day(), {{"name", "Run"}, {"exercises", {{{"exercise_id", "treadmill_run"}, {"sets", {{{"duration_s", 1200}}}}}}}}}}}; }

std::string field_of(const Reply& r, std::size_t i = 0) { return r.json["errors"][i]["field"].get<std::string>(); }

struct Gym {
  TestCloud& cloud;
  std::string centro, norte;
  Person ana;
  explicit Gym(TestCloud& c) : cloud(c) {
    centro = c.branch("Centro");
    norte = c.branch("Norte");
    ana = c.member("ana@gym.test", centro, c.plan({centro}));
  }
  std::string plan(const Person& who) {
    auto r = cloud.http.post("/api/workout-plans", plan_body(), who.token);
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return r.json["id"];
  }
  std::string start(const Person& who, const std::string& plan_id, int day = 0) {
    auto r = cloud.http.post("/api/training-sessions", {{"plan_id", plan_id}, {"day", day}}, who.token);
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return r.json["id"];
  }
};

}  // namespace

TEST_CASE("exercises: the shipped catalogue, filters, and staff's own exercises seen in their branches only") {
  TestCloud cloud;
  auto& http = cloud.http;
  Gym g(cloud);
  auto all = http.get("/api/exercises", g.ana.token);
  REQUIRE(all.status == 200);
  CHECK(all.json["items"].size() >= 50);
  for (const auto& e : all.json["items"]) {
    CHECK(e["muscles"].size() >= 1);
    CHECK(e.contains("equipment"));
  }
  auto cardio = http.get("/api/exercises?category=cardio&q=tread", g.ana.token);
  REQUIRE(cardio.json["items"].size() >= 2);
  for (const auto& e : cardio.json["items"]) CHECK(e["machine_type"] == "treadmill");
  CHECK(http.get("/api/exercises?equipment=kettlebell", g.ana.token).json["items"].size() >= 2);

  auto coach = cloud.trainer("coach@gym.test", {g.centro});
  auto outsider = cloud.trainer("out@gym.test", {g.norte});
  Json sled = {{"branch_id", g.centro}, {"name", "Prowler sprint"}, {"category", "functional"}, {"muscles", {"legs"}}, {"equipment", "sled"}};
  auto created = http.post("/api/exercises", sled, coach.token);
  REQUIRE(created.status == 201);
  CHECK(created.json["custom"] == true);
  CHECK(http.post("/api/exercises", sled, outsider.token).status == 403);
  CHECK(http.post("/api/exercises", sled, g.ana.token).status == 403);
  auto bad = http.post("/api/exercises", {{"branch_id", g.centro}, {"name", "X"}, {"category", "yoga"}, {"muscles", Json::array()}, {"equipment", "mat"}},
                       coach.token);
  CHECK(bad.status == 400);
  CHECK(bad.json["errors"].size() == 2);  // category and muscles
  auto mine = http.get("/api/exercises?q=prowler", g.ana.token);
  REQUIRE(mine.json["items"].size() == 1);
  auto nora = cloud.member("nora@gym.test", g.norte, cloud.plan({g.norte}));
  CHECK(http.get("/api/exercises?q=prowler", nora.token).json["items"].empty());
}

TEST_CASE("plans: written by the member or their trainer, checked field by field, archived once used") {
  TestCloud cloud;
  auto& http = cloud.http;
  Gym g(cloud);
  const auto plan_id = g.plan(g.ana);
  auto got = http.get("/api/workout-plans/" + plan_id, g.ana.token);
  REQUIRE(got.status == 200);
  CHECK(got.json["days"][0]["exercises"][1]["exercise_id"] == "leg_press");
  CHECK(got.json["author_id"] == g.ana.id);

  // Bad input: named by path, nothing stored.
  Json unknown = plan_body();
  unknown["days"][0]["exercises"][1]["exercise_id"] = "moon_walk";
  auto r = http.post("/api/workout-plans", unknown, g.ana.token);
  CHECK(r.status == 400);
  CHECK(field_of(r) == "days[0].exercises[1].exercise_id");
  Json negative = plan_body();
  negative["days"][1]["exercises"][0]["sets"][0]["duration_s"] = -5;
  r = http.post("/api/workout-plans", negative, g.ana.token);
  CHECK(r.status == 400);
  CHECK(field_of(r) == "days[1].exercises[0].sets[0].duration_s");
  CHECK(http.post("/api/workout-plans", {{"name", "Empty"}, {"days", Json::array()}}, g.ana.token).status == 400);
  CHECK(cloud.count("workout_plans") == 1);

  // A trainer writes one for a member of their branch, not for someone else's.
  auto coach = cloud.trainer("coach@gym.test", {g.centro});
  auto outsider = cloud.trainer("out@gym.test", {g.norte});
  Json for_ana = plan_body();
  for_ana["user_id"] = g.ana.id;
  auto written = http.post("/api/workout-plans", for_ana, coach.token);
  REQUIRE(written.status == 201);
  CHECK(written.json["user_id"] == g.ana.id);
  CHECK(written.json["author_id"] == coach.id);
  CHECK(http.post("/api/workout-plans", for_ana, outsider.token).status == 403);
  auto bo = cloud.member("bo@gym.test", g.centro, cloud.plan({g.centro}));
  CHECK(http.post("/api/workout-plans", for_ana, bo.token).status == 403);
  // Who sees which: the owner all, the author theirs, anyone else nothing.
  CHECK(http.get("/api/workout-plans", g.ana.token).json["items"].size() == 2);
  CHECK(http.get("/api/workout-plans?user_id=" + g.ana.id, coach.token).json["items"].size() == 1);
  CHECK(http.get("/api/workout-plans/" + plan_id, bo.token).status == 404);
  CHECK(http.get("/api/workout-plans/" + plan_id, coach.token).status == 404);  // Ana's own: not the coach's to read
  CHECK(http.get("/api/workout-plans/" + written.json["id"].get<std::string>(), coach.token).status == 200);
  CHECK(http.patch("/api/workout-plans/" + plan_id, {{"name", "Mine"}}, bo.token).status == 404);

  // PATCH changes what is sent; a plan never used is removed, one used is archived.
  auto renamed = http.patch("/api/workout-plans/" + plan_id, {{"name", "Strength B"}}, g.ana.token);
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json["name"] == "Strength B");
  CHECK(renamed.json["days"].size() == 2);
  CHECK(http.del("/api/workout-plans/" + written.json["id"].get<std::string>(), g.ana.token).status == 204);
  CHECK(http.get("/api/workout-plans/" + written.json["id"].get<std::string>(), g.ana.token).status == 404);
  g.start(g.ana, plan_id);
  CHECK(http.del("/api/workout-plans/" + plan_id, g.ana.token).status == 204);
  auto archived = http.get("/api/workout-plans/" + plan_id, g.ana.token);
  REQUIRE(archived.status == 200);
  CHECK(archived.json["archived"] == true);
  CHECK(http.get("/api/workout-plans", g.ana.token).json["items"].empty());
  CHECK(http.get("/api/workout-plans?archived=true", g.ana.token).json["items"].size() == 1);
}

TEST_CASE("training sessions: a snapshot of the day, one in progress, entries replaced, immutable once completed") {
  TestCloud cloud;
  auto& http = cloud.http;
  Gym g(cloud);
  const auto plan_id = g.plan(g.ana);
  auto bo = cloud.member("bo@gym.test", g.centro, cloud.plan({g.centro}));
  const auto bo_plan = g.plan(bo);

  CHECK(field_of(http.post("/api/training-sessions", {{"plan_id", bo_plan}, {"day", 0}}, g.ana.token)) == "plan_id");
  CHECK(field_of(http.post("/api/training-sessions", {{"plan_id", plan_id}, {"day", 5}}, g.ana.token)) == "day");
  CHECK(field_of(http.post("/api/training-sessions", {{"plan_id", plan_id}, {"day", 0}, {"date", "2026-02-30"}}, g.ana.token)) == "date");
  auto started = http.post("/api/training-sessions", {{"plan_id", plan_id}, {"day", 0}}, g.ana.token);
  REQUIRE(started.status == 201);
  const std::string id = started.json["id"];
  CHECK(started.json["status"] == "in_progress");
  CHECK(started.json["snapshot"] == leg_day());
  CHECK(started.json["entries"].empty());
  CHECK(started.json["date"] == "2026-03-02");  // Monday 09:00 UTC is Monday in Madrid
  CHECK(http.post("/api/training-sessions", {{"plan_id", plan_id}, {"day", 1}}, g.ana.token).status == 409);

  // The plan changes; the session keeps its snapshot.
  Json changed = plan_body();
  changed["days"][0]["exercises"][0]["exercise_id"] = "front_squat";
  REQUIRE(http.patch("/api/workout-plans/" + plan_id, {{"days", changed["days"]}}, g.ana.token).status == 200);
  CHECK(http.get("/api/training-sessions/" + id, g.ana.token).json["snapshot"] == leg_day());

  Json entries = {{{"exercise_id", "back_squat"}, {"set_index", 1}, {"reps", 5}, {"weight_kg", 100}, {"done", true}},
                  {{"exercise_id", "back_squat"}, {"set_index", 2}, {"reps", 4}, {"weight_kg", 100}, {"done", true}}};
  auto patched = http.patch("/api/training-sessions/" + id, {{"entries", entries}}, g.ana.token);
  REQUIRE(patched.status == 200);
  CHECK(patched.json["entries"].size() == 2);
  CHECK(patched.json["entries"][1]["source"] == "member");
  // Bad entries: named, nothing changed.
  Json bad = entries;
  bad[1]["reps"] = -1;
  auto refused = http.patch("/api/training-sessions/" + id, {{"entries", bad}}, g.ana.token);
  CHECK(refused.status == 400);
  CHECK(field_of(refused) == "entries[1].reps");
  bad = entries;
  bad[0]["exercise_id"] = "moon_walk";
  CHECK(field_of(http.patch("/api/training-sessions/" + id, {{"entries", bad}}, g.ana.token)) == "entries[0].exercise_id");
  CHECK(http.get("/api/training-sessions/" + id, g.ana.token).json["entries"] == patched.json["entries"]);
  // Another member's session is not theirs to see or touch.
  CHECK(http.patch("/api/training-sessions/" + id, {{"entries", entries}}, bo.token).status == 404);
  CHECK(http.get("/api/training-sessions/" + id, bo.token).status == 404);
  CHECK(http.post("/api/training-sessions/" + id + "/complete", Json::object(), bo.token).status == 404);

  entries.push_back({{"exercise_id", "leg_press"}, {"set_index", 1}, {"reps", 10}, {"weight_kg", 140}, {"done", true}});
  entries.push_back({{"exercise_id", "leg_press"}, {"set_index", 2}, {"reps", 10}, {"weight_kg", 140}, {"done", false}});
  cloud.clock.advance(std::chrono::minutes(50));
  g.ana.token = cloud.login("ana@gym.test", TestCloud::kPassword);  // the access token lasts 15 minutes
  auto done = http.post("/api/training-sessions/" + id + "/complete", {{"entries", entries}}, g.ana.token);
  REQUIRE(done.status == 200);
  CHECK(done.json["status"] == "completed");
  CHECK(done.json["completed_at"] == "2026-03-02T09:50:00.000Z");
  CHECK(done.json["summary"]["sets"] == 3);
  CHECK(done.json["summary"]["reps"] == 19);
  CHECK(done.json["summary"]["volume_kg"] == 100 * 5 + 100 * 4 + 140 * 10);
  CHECK(http.patch("/api/training-sessions/" + id, {{"entries", entries}}, g.ana.token).status == 409);
  CHECK(http.post("/api/training-sessions/" + id + "/complete", Json::object(), g.ana.token).status == 409);

  // Lists: summaries only; filters; the member's trainer reads them, others do not.
  auto list = http.get("/api/training-sessions?status=completed&from=2026-03-01&to=2026-03-02", g.ana.token);
  REQUIRE(list.json["items"].size() == 1);
  CHECK_FALSE(list.json["items"][0].contains("snapshot"));
  CHECK_FALSE(list.json["items"][0].contains("entries"));
  CHECK(list.json["items"][0]["summary"]["sets"] == 3);
  CHECK(http.get("/api/training-sessions?from=2026-03-03", g.ana.token).json["items"].empty());
  CHECK(field_of(http.get("/api/training-sessions?status=paused", g.ana.token)) == "status");
  auto coach = cloud.trainer("coach@gym.test", {g.centro});
  auto outsider = cloud.trainer("out@gym.test", {g.norte});
  CHECK(http.get("/api/training-sessions?user_id=" + g.ana.id, coach.token).json["items"].size() == 1);
  CHECK(http.get("/api/training-sessions/" + id, coach.token).status == 200);
  CHECK(http.get("/api/training-sessions?user_id=" + g.ana.id, outsider.token).status == 403);
  CHECK(http.get("/api/training-sessions/" + id, outsider.token).status == 404);
  bo.token = cloud.login("bo@gym.test", TestCloud::kPassword);
  CHECK(http.get("/api/training-sessions?user_id=" + g.ana.id, bo.token).status == 403);
  // A new one may start now.
  CHECK(http.post("/api/training-sessions", {{"plan_id", plan_id}, {"day", 1}}, g.ana.token).status == 201);
}

TEST_CASE("training sessions under concurrency: one in progress per member; one completion") {
  TestCloud cloud;
  Gym g(cloud);
  const auto plan_id = g.plan(g.ana);
  constexpr int kClients = 12;
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&] {
      HttpClient c(cloud.port());
      auto r = c.post("/api/training-sessions", {{"plan_id", plan_id}, {"day", 0}}, g.ana.token);
      (r.status == 201 ? created : r.status == 409 ? conflicts : other)++;
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(conflicts == kClients - 1);
  CHECK(other == 0);
  auto list = cloud.http.get("/api/training-sessions?status=in_progress", g.ana.token);
  REQUIRE(list.json["items"].size() == 1);
  const std::string id = list.json["items"][0]["id"];
  threads.clear();
  std::atomic<int> completed{0}, refused{0};
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&] {
      HttpClient c(cloud.port());
      Json entries = {{{"exercise_id", "back_squat"}, {"set_index", 1}, {"reps", 5}, {"weight_kg", 100}, {"done", true}}};
      auto r = c.post("/api/training-sessions/" + id + "/complete", {{"entries", entries}}, g.ana.token);
      (r.status == 200 ? completed : r.status == 409 ? refused : other)++;
    });
  for (auto& t : threads) t.join();
  CHECK(completed == 1);
  CHECK(refused == kClients - 1);
  CHECK(other == 0);
  // Counted once in the analytics.
  auto week = cloud.http.get("/api/analytics/workouts?from=2026-03-02&to=2026-03-02", g.ana.token);
  REQUIRE(week.json["items"].size() == 1);
  CHECK(week.json["items"][0]["training_sessions"] == 1);
  CHECK(week.json["items"][0]["sets"] == 1);
}

namespace {
Json strength(std::int64_t msg_id, std::int64_t end_ms, const char* exercise, std::vector<std::pair<int, double>> sets) {
  Json s = Json::array();
  for (auto [reps, kg] : sets) s.push_back({{"reps", reps}, {"weight_kg", kg}});
  return {{"machine_id", "press-1"}, {"msg_id", msg_id}, {"ts_start", end_ms - 60000}, {"ts_end", end_ms}, {"category", "strength"},
          {"boot_id", "b1"}, {"exercise", exercise}, {"sets", s}};
}
}  // namespace

TEST_CASE("machine-verified sets: a workout recorded for the member joins the session in progress as the plan's exercise") {
  TestCloud cloud;
  auto& http = cloud.http;
  Gym g(cloud);
  cloud.machine(g.centro, "press-1", "strength", "leg_press");
  cloud.machine(g.centro, "tm-1", "cardio", "treadmill");
  auto gw = cloud.gateway_token(g.centro);
  for (const char* m : {"press-1", "tm-1"}) REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", m}}, gw).status == 200);
  const auto plan_id = g.plan(g.ana);
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", g.centro}}, g.ana.token).status == 201);
  const std::int64_t t0 = cloud.clock.now_ms();
  // A set done before the training session began (it reached the cloud late): analytics only.
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "press-1"}}, g.ana.token).status == 201);
  cloud.clock.advance(std::chrono::minutes(5));
  REQUIRE(http.post("/api/machines/workout-data", strength(1, t0 + 60000, "leg_press", {{12, 80}}), gw).status == 201);
  cloud.clock.advance(std::chrono::minutes(1));
  const auto id = g.start(g.ana, plan_id);
  const std::int64_t t1 = cloud.clock.now_ms();
  // The machine names no exercise the plan has ("leg_press_machine_v2"): its type matches.
  REQUIRE(http.post("/api/machines/workout-data", strength(2, t1 + 60000, "leg_press_machine_v2", {{10, 140}, {8, 150}}), gw).status == 201);
  REQUIRE(http.post("/api/machines/workout-data", strength(3, t1 + 120000, "leg_press", {{6, 160}}), gw).status == 201);
  // Repeated by the machine: once.
  CHECK(http.post("/api/machines/workout-data", strength(3, t1 + 120000, "leg_press", {{6, 160}}), gw).json["duplicate"] == true);
  // Then the treadmill, which the plan day does not have: the catalogue's exercise for it.
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, g.ana.token).status == 201);
  Json run = {{"machine_id", "tm-1"}, {"msg_id", 9}, {"ts_start", t1 + 200000}, {"ts_end", t1 + 800000}, {"category", "cardio"}, {"boot_id", "b2"},
              {"duration_s", 600}, {"distance_m", 2000.0}, {"calories_kcal", 150}};
  REQUIRE(http.post("/api/machines/workout-data", run, gw).status == 201);

  auto s = http.get("/api/training-sessions/" + id, g.ana.token);
  REQUIRE(s.status == 200);
  const auto& entries = s.json["entries"];
  REQUIRE(entries.size() == 4);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(entries[i]["source"] == "machine");
    CHECK(entries[i]["machine_id"] == "press-1");
    CHECK(entries[i]["exercise_id"] == "leg_press");
    CHECK(entries[i]["set_index"] == static_cast<int>(i) + 1);
  }
  CHECK(entries[1]["weight_kg"] == 150.0);
  CHECK(entries[3]["exercise_id"] == "treadmill_run");
  CHECK(entries[3]["distance_m"] == 2000.0);
  // The member's own entries replace only their own.
  REQUIRE(http.patch("/api/training-sessions/" + id,
                     {{"entries", {{{"exercise_id", "back_squat"}, {"set_index", 1}, {"reps", 5}, {"weight_kg", 100}, {"done", true}}}}}, g.ana.token)
              .status == 200);
  CHECK(http.get("/api/training-sessions/" + id, g.ana.token).json["entries"].size() == 5);
  auto done = http.post("/api/training-sessions/" + id + "/complete", Json::object(), g.ana.token);
  REQUIRE(done.status == 200);
  CHECK(done.json["summary"]["sets"] == 5);
  CHECK(done.json["summary"]["volume_kg"] == 10 * 140 + 8 * 150 + 6 * 160 + 5 * 100);
  CHECK(done.json["summary"]["distance_m"] == 2000.0);
  // After completion a late set no longer joins it, but counts in the analytics.
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "press-1"}}, g.ana.token).status == 201);
  REQUIRE(http.post("/api/machines/workout-data", strength(4, cloud.clock.now_ms(), "leg_press", {{5, 100}}), gw).status == 201);
  CHECK(http.get("/api/training-sessions/" + id, g.ana.token).json["entries"].size() == 5);
  auto day = http.get("/api/analytics/workouts?from=2026-03-02&to=2026-03-02", g.ana.token);
  REQUIRE(day.json["items"].size() == 1);
  CHECK(day.json["items"][0]["sets"] == 1 + 5 + 1);  // before, during (4 machine + 1 own), after
  CHECK(day.json["items"][0]["training_sessions"] == 1);
  CHECK(day.json["items"][0]["distance_m"] == 2000.0);
}

TEST_CASE("machine-verified sets through the gateway: a set waiting for its link joins when the link comes; a link summary gives way") {
  TestCloud cloud;
  auto& http = cloud.http;
  Gym g(cloud);
  cloud.machine(g.centro, "press-1", "strength", "leg_press");
  auto gw = cloud.gateway_token(g.centro);
  const auto plan_id = g.plan(g.ana);
  const auto id = g.start(g.ana, plan_id);
  const std::int64_t t0 = cloud.clock.now_ms();
  auto event = [](std::int64_t seq, const std::string& kind, const Json& body) {
    return Json{{"seq", seq}, {"event_id", kind + "." + std::to_string(seq)}, {"kind", kind}, {"at_ms", 0}, {"body", body}};
  };
  Json set = strength(1, t0 + 30000, "leg_press", {{10, 120}});
  set.erase("machine_id");
  Json batch = {{"events", {
      event(1, "session_started", {{"session_id", "ses_1"}, {"member_id", g.ana.id}, {"branch_id", g.centro}, {"started_at_ms", t0}}),
      event(2, "workout", {{"machine_id", "press-1"}, {"boot_id", "b1"}, {"msg_id", 1}, {"link_id", "lnk_1"}, {"workout", set}}),
      event(3, "workout", {{"machine_id", "press-1"}, {"link_id", "lnk_2"}, {"member_id", g.ana.id}, {"session_id", "ses_1"},
                           {"workout", {{"ts_start", t0}, {"ts_end", t0 + 90000}, {"category", "strength"}, {"exercise", "leg_press"},
                                        {"sets", {{{"reps", 30}, {"weight_kg", 50}}}}}}}),
  }}};
  REQUIRE(http.post("/api/sync/events", batch, gw).status == 200);
  // The first waits for its link; the link summary (agg:lnk_2) is hers already.
  auto s = http.get("/api/training-sessions/" + id, g.ana.token);
  REQUIRE(s.json["entries"].size() == 1);
  CHECK(s.json["entries"][0]["reps"] == 30);
  Json later = {{"events", {
      event(4, "link_started", {{"link_id", "lnk_1"}, {"machine_id", "press-1"}, {"member_id", g.ana.id}, {"session_id", "ses_1"}, {"started_at_ms", t0}}),
      event(5, "workout", {{"machine_id", "press-1"}, {"boot_id", "b1"}, {"msg_id", 2}, {"link_id", "lnk_2"}, {"member_id", g.ana.id},
                           {"workout", strength(2, t0 + 80000, "leg_press", {{8, 130}})}}),
  }}};
  REQUIRE(http.post("/api/sync/events", later, gw).status == 200);
  s = http.get("/api/training-sessions/" + id, g.ana.token);
  REQUIRE(s.json["entries"].size() == 2);  // lnk_1's set, and lnk_2's own set in place of its summary
  std::set<std::int64_t> reps;
  for (const auto& e : s.json["entries"]) reps.insert(e["reps"].get<std::int64_t>());
  CHECK(reps == std::set<std::int64_t>{10, 8});
  auto day = http.get("/api/analytics/workouts?from=2026-03-02&to=2026-03-02", g.ana.token);
  CHECK(day.json["items"][0]["sets"] == 2);
  CHECK(day.json["items"][0]["reps"] == 18);
}

TEST_CASE("analytics: totals by day and week, personal records, streaks of weeks and days; a trainer sees their members'") {
  TestCloud cloud;
  auto& http = cloud.http;
  Gym g(cloud);
  const auto plan_id = g.plan(g.ana);
  auto train = [&](std::vector<Json> entries) {
    g.ana.token = cloud.login("ana@gym.test", TestCloud::kPassword);  // days pass between these
    auto id = g.start(g.ana, plan_id);
    REQUIRE(http.post("/api/training-sessions/" + id + "/complete", {{"entries", entries}}, g.ana.token).status == 200);
  };
  auto squat = [](int set, int reps, double kg) {
    return Json{{"exercise_id", "back_squat"}, {"set_index", set}, {"reps", reps}, {"weight_kg", kg}, {"done", true}};
  };
  // Three weeks in a row with training, then a visit only, then nothing for a week.
  train({squat(1, 5, 100), squat(2, 3, 110)});                     // Mon 2 March
  cloud.clock.advance(std::chrono::hours(24));
  train({squat(1, 12, 60)});                                       // Tue 3 March
  cloud.clock.advance(std::chrono::hours(24 * 7));
  train({{{"exercise_id", "treadmill_run"}, {"set_index", 1}, {"duration_s", 1500}, {"distance_m", 5000}, {"done", true}}});  // Tue 10 March
  cloud.clock.advance(std::chrono::hours(24 * 7));
  g.ana.token = cloud.login("ana@gym.test", TestCloud::kPassword);
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", g.centro}}, g.ana.token).status == 201);  // Tue 17 March: a visit
  cloud.clock.advance(std::chrono::hours(24));                     // Wed 18 March
  g.ana.token = cloud.login("ana@gym.test", TestCloud::kPassword);

  auto records = http.get("/api/analytics/records", g.ana.token);
  REQUIRE(records.status == 200);
  Json by_exercise = Json::object();
  for (const auto& item : records.json["items"]) by_exercise[item["exercise_id"].get<std::string>()] = item["records"];
  CHECK(by_exercise["back_squat"]["heaviest_weight_kg"]["value"] == 110.0);
  CHECK(by_exercise["back_squat"]["most_reps"]["value"] == 12.0);
  // Epley: 100 x (1 + 5/30) = 116.7, 110 x (1 + 3/30) = 121, 60 x (1 + 12/30) = 84.
  CHECK(by_exercise["back_squat"]["best_1rm_kg"]["value"].get<double>() == doctest::Approx(110 * (1 + 3.0 / 30)));
  CHECK(by_exercise["back_squat"]["heaviest_weight_kg"]["at"] == "2026-03-02T09:00:00.000Z");
  CHECK(by_exercise["treadmill_run"]["longest_distance_m"]["value"] == 5000.0);
  CHECK(by_exercise["treadmill_run"]["fastest_pace_s_per_km"]["value"] == 300.0);

  auto days = http.get("/api/analytics/workouts?period=day&from=2026-03-02&to=2026-03-04", g.ana.token);
  REQUIRE(days.json["items"].size() == 3);
  CHECK(days.json["items"][0]["period_start"] == "2026-03-02");
  CHECK(days.json["items"][0]["sets"] == 2);
  CHECK(days.json["items"][0]["volume_kg"] == 5 * 100 + 3 * 110);
  CHECK(days.json["items"][1]["sets"] == 1);
  CHECK(days.json["items"][2]["sets"] == 0);
  auto weeks = http.get("/api/analytics/workouts?period=week&from=2026-03-01&to=2026-03-18", g.ana.token);
  REQUIRE(weeks.json["items"].size() == 4);  // weeks of 23 Feb, 2, 9 and 16 March
  CHECK(weeks.json["items"][1]["period_start"] == "2026-03-02");
  CHECK(weeks.json["items"][1]["training_sessions"] == 2);
  CHECK(weeks.json["items"][2]["distance_m"] == 5000.0);
  CHECK(field_of(http.get("/api/analytics/workouts?period=month", g.ana.token)) == "period");
  CHECK(field_of(http.get("/api/analytics/workouts?from=2020-01-01&to=2026-03-01", g.ana.token)) == "from");

  auto streaks = http.get("/api/analytics/streaks", g.ana.token);
  CHECK(streaks.json["longest_weeks"] == 3);
  CHECK(streaks.json["current_weeks"] == 3);  // 2, 9 and 16 March (the visit counts)
  CHECK(streaks.json["current_days"] == 1);   // the visit yesterday; today is not over
  auto coach = cloud.trainer("coach@gym.test", {g.centro});
  auto outsider = cloud.trainer("out@gym.test", {g.norte});
  CHECK(http.get("/api/analytics/records?user_id=" + g.ana.id, coach.token).json["items"].size() == 2);
  CHECK(http.get("/api/analytics/records?user_id=" + g.ana.id, outsider.token).status == 403);
  auto bo = cloud.member("bo@gym.test", g.centro, cloud.plan({g.centro}));
  CHECK(http.get("/api/analytics/streaks?user_id=" + g.ana.id, bo.token).status == 403);
}

TEST_CASE("live progress: a linked machine's telemetry reaches its member's WebSockets only; the rest is dropped and counted") {
  TestCloud cloud;
  auto& http = cloud.http;
  Gym g(cloud);
  cloud.machine(g.centro, "tm-1", "cardio", "treadmill");
  cloud.machine(g.centro, "tm-2", "cardio", "treadmill");
  cloud.machine(g.norte, "nb-1", "cardio", "bike");
  auto gw = cloud.gateway_token(g.centro);
  auto gw_north = cloud.gateway_token(g.norte);
  auto bo = cloud.member("bo@gym.test", g.centro, cloud.plan({g.centro}));
  WsTestClient ana_ws(cloud.port(), "/api/ws/machines?access_token=" + g.ana.token);
  WsTestClient bo_ws(cloud.port(), "/api/ws/machines?access_token=" + bo.token);
  REQUIRE((*ana_ws.next())["type"] == "welcome");
  REQUIRE((*bo_ws.next())["type"] == "welcome");
  for (const char* m : {"tm-1", "tm-2"}) REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", m}}, gw).status == 200);
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", g.centro}}, g.ana.token).status == 201);
  auto link = http.post("/api/machines/link", {{"machine_id", "tm-1"}}, g.ana.token);
  REQUIRE(link.status == 201);
  const std::string link_id = link.json["id"];
  const std::int64_t ts = cloud.clock.now_ms();
  Json metrics = {{"speed_kmh", 10.5}, {"distance_m", 2450.0}, {"heart_rate_bpm", 142}};
  Json items = {{{"machine_id", "tm-1"}, {"link_id", link_id}, {"ts", ts}, {"metrics", metrics}},
                {{"machine_id", "tm-2"}, {"ts", ts}, {"metrics", metrics}},                              // nobody on it
                {{"machine_id", "tm-1"}, {"link_id", "lnk_old"}, {"ts", ts}, {"metrics", metrics}},      // a link that is not current
                {{"machine_id", "tm-1"}, {"ts", ts}, {"metrics", {{"Speed", "<script>"}}}},              // not a metric
                {{"machine_id", "tm-1"}, {"ts", "now"}, {"metrics", metrics}}};
  auto r = http.post("/api/sync/progress", {{"items", items}}, gw);
  REQUIRE(r.status == 200);
  CHECK(r.json["delivered"] == 1);
  CHECK(r.json["dropped"] == 4);
  std::optional<Json> pushed;
  do pushed = ana_ws.next(std::chrono::milliseconds(3000));
  while (pushed && (*pushed)["type"] != "workout_progress");
  REQUIRE(pushed);
  CHECK((*pushed)["machine_id"] == "tm-1");
  CHECK((*pushed)["metrics"] == metrics);
  CHECK((*pushed)["ts"] == "2026-03-02T09:00:00.000Z");
  // Bo is connected, watching the same branch: the progress he gets is his own machine's,
  // never Ana's, though hers was sent first.
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", g.centro}}, bo.token).status == 201);
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-2"}}, bo.token).status == 201);
  CHECK(http.post("/api/sync/progress", {{"items", {{{"machine_id", "tm-1"}, {"ts", ts + 1000}, {"metrics", metrics}}}}}, gw).json["delivered"] == 1);
  CHECK(http.post("/api/sync/progress", {{"items", {{{"machine_id", "tm-2"}, {"ts", ts + 1000}, {"metrics", metrics}}}}}, gw).json["delivered"] == 1);
  std::optional<Json> bo_got;
  do bo_got = bo_ws.next(std::chrono::milliseconds(3000));
  while (bo_got && (*bo_got)["type"] != "workout_progress");
  REQUIRE(bo_got);
  CHECK((*bo_got)["machine_id"] == "tm-2");
  // Another branch's gateway cannot push for this machine; members cannot push at all.
  CHECK(http.post("/api/sync/progress", {{"items", {{{"machine_id", "tm-1"}, {"ts", ts}, {"metrics", metrics}}}}}, gw_north).json["dropped"] == 1);
  CHECK(http.post("/api/sync/progress", {{"items", Json::array()}}, g.ana.token).status == 403);
  CHECK(http.post("/api/sync/progress", {{"items", "x"}}, gw).status == 400);
  auto m = http.get("/metrics", cloud.admin());
  CHECK(m.body.find("spotter_live_progress_total{outcome=\"dropped\"} 5") != std::string::npos);
  CHECK(m.body.find("spotter_live_progress_total{outcome=\"delivered\"} 3") != std::string::npos);
  // Nothing was stored.
  CHECK(cloud.count("workouts") == 0);
}
