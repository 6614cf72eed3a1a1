// Attendance and staff corrections (cloud-api-2.md "Chain operations"): the day's visits
// at a branch, a member's summary, a manual visit and a corrected end, audited. Both engines.
#include <atomic>
#include <barrier>
#include <set>
#include <thread>

#include "domains/sessions/rules_attendance.hpp"
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {
std::string visit(TestCloud& cloud, Person& who, const std::string& branch, std::chrono::minutes length) {
  auto s = cloud.http.post("/api/sessions/start", {{"branch_id", branch}}, fresh(cloud, who));
  REQUIRE_MESSAGE(s.status == 201, s.body);
  cloud.clock.advance(length);
  REQUIRE(cloud.http.post("/api/sessions/end", Json::object(), fresh(cloud, who)).status == 200);
  return s.json["id"];
}
}  // namespace

TEST_CASE("attendance rules: weekdays from days, durations with a visit in progress, plausible manual spans") {
  using namespace spotter::cloud::sessions;
  CHECK(weekday_of(0) == 3);       // 1970-01-01, a Thursday
  CHECK(weekday_of(20'514) == 0);  // 2026-03-02, a Monday
  CHECK(weekday_of(-1) == 2);
  auto s = summarize({{0, 3'600'000, 20'514}, {86'400'000, std::nullopt, 20'515}}, 86'400'000 + 1'800'000);
  CHECK(s.visits == 2);
  CHECK(s.total_duration_s == 3600 + 1800);
  CHECK(s.average_duration_s == 2700);
  CHECK(s.last_visit_at == 86'400'000);
  CHECK(s.by_weekday[0] == 1);
  CHECK(s.by_weekday[1] == 1);
  CHECK(summarize({}, 0).average_duration_s == 0);
  CHECK_FALSE(manual_span_problem(0, 3'600'000, 3'600'000));
  CHECK(manual_span_problem(10, 10, 100)->field == "ended_at");
  CHECK(manual_span_problem(0, 25 * 3'600'000LL, 30 * 3'600'000LL));
  CHECK(manual_span_problem(0, 3'600'000, 0));  // ends in the future
}

TEST_CASE("daily attendance: the branch's visits of a local date, unique members, staff of the branch only") {
  TestCloud cloud;  // Monday 2026-03-02 09:00 UTC, 10:00 in Madrid
  const auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  const auto plan = cloud.plan({centro, norte});
  auto ana = cloud.member("ana@gym.test", centro, plan), bo = cloud.member("bo@gym.test", centro, plan);
  auto coach = cloud.trainer("coach@gym.test", {centro}), other = cloud.trainer("other@gym.test", {norte});
  visit(cloud, ana, centro, 60min);
  visit(cloud, ana, centro, 30min);
  visit(cloud, bo, norte, 45min);
  REQUIRE(cloud.http.post("/api/sessions/start", {{"branch_id", centro}}, fresh(cloud, bo)).status == 201);  // in progress
  fresh(cloud, coach), fresh(cloud, other), fresh(cloud, ana);
  auto today = cloud.http.get("/api/attendance/daily?branch_id=" + centro, coach.token);
  REQUIRE_MESSAGE(today.status == 200, today.body);
  CHECK(today.json["date"] == "2026-03-02");
  CHECK(today.json["count"] == 3);
  CHECK(today.json["unique_members"] == 2);
  REQUIRE(today.json["visits"].size() == 3);
  CHECK(today.json["visits"][0]["user_id"] == ana.id);
  CHECK(today.json["visits"][0]["duration_s"] == 3600);
  CHECK(today.json["visits"][2]["ended_at"].is_null());
  // Another date; a date given as an instant is the branch's day of it.
  CHECK(cloud.http.get("/api/attendance/daily?branch_id=" + centro + "&date=2026-03-01", coach.token).json["count"] == 0);
  CHECK(cloud.http.get("/api/attendance/daily?branch_id=" + centro + "&date=2026-03-01T23:30:00Z", coach.token).json["count"] == 3);
  CHECK(cloud.http.get("/api/attendance/daily?branch_id=" + centro + "&date=yesterday", coach.token).json["errors"][0]["field"] == "date");
  CHECK(cloud.http.get("/api/attendance/daily", coach.token).json["errors"][0]["field"] == "branch_id");
  CHECK(cloud.http.get("/api/attendance/daily?branch_id=" + centro, other.token).status == 403);
  CHECK(cloud.http.get("/api/attendance/daily?branch_id=" + centro, ana.token).status == 403);
  CHECK(cloud.http.get("/api/attendance/daily?branch_id=" + norte, cloud.admin()).json["count"] == 1);
}

TEST_CASE("a member's attendance summary: visits, durations, weekdays in their time zone; own or their staff's") {
  TestCloud cloud;
  const auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto coach = cloud.trainer("coach@gym.test", {centro}), other = cloud.trainer("other@gym.test", {norte});
  visit(cloud, ana, centro, 60min);  // Monday
  cloud.clock.advance(24h);
  visit(cloud, ana, centro, 30min);  // Tuesday
  cloud.clock.advance(24h);
  fresh(cloud, ana), fresh(cloud, coach), fresh(cloud, other);
  const std::string path = "/api/users/" + ana.id + "/attendance/summary";
  auto mine = cloud.http.get(path, ana.token);
  REQUIRE_MESSAGE(mine.status == 200, mine.body);
  CHECK(mine.json["visits"] == 2);
  CHECK(mine.json["total_duration_s"] == 5400);
  CHECK(mine.json["average_duration_s"] == 2700);
  CHECK(mine.json["visits_by_weekday"]["mon"] == 1);
  CHECK(mine.json["visits_by_weekday"]["tue"] == 1);
  CHECK(mine.json["visits_by_weekday"]["wed"] == 0);
  CHECK(mine.json["last_visit_at"].get<std::string>().rfind("2026-03-03T10:", 0) == 0);
  CHECK(cloud.http.get(path + "?from=2026-03-03&to=2026-03-03", coach.token).json["visits"] == 1);
  CHECK(cloud.http.get("/api/users/me/attendance/summary", ana.token).json["visits"] == 2);
  CHECK(cloud.http.get(path, other.token).status == 403);
  auto someone = cloud.member("bo@gym.test", centro, "");
  CHECK(cloud.http.get(path, someone.token).status == 403);
  CHECK(cloud.http.get(path + "?from=2026-03-04&to=2026-03-01", ana.token).status == 400);
  CHECK(cloud.http.get(path + "?from=last-week", ana.token).json["errors"][0]["field"] == "from");
}

TEST_CASE("staff corrections: a manual visit and a corrected end, audited; overlaps and bad spans refused") {
  TestCloud cloud;
  const auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto coach = cloud.trainer("coach@gym.test", {centro}), other = cloud.trainer("other@gym.test", {norte});
  const Json manual = {{"user_id", ana.id}, {"branch_id", centro}, {"started_at", "2026-03-02T06:00:00Z"}, {"ended_at", "2026-03-02T07:15:00Z"},
                       {"reason", "came in with a broken card"}};
  auto made = cloud.http.post("/api/sessions/manual", manual, coach.token);
  REQUIRE_MESSAGE(made.status == 201, made.body);
  CHECK(made.json["source"] == "manual");
  CHECK(made.json["status"] == "ended");
  auto day = cloud.http.get("/api/attendance/daily?branch_id=" + centro, coach.token);
  CHECK(day.json["count"] == 1);
  CHECK(day.json["visits"][0]["duration_s"] == 4500);
  // Published like any visit: it counts for points (a visit of 20 minutes or more).
  CHECK(cloud.http.get("/api/users/me/points", ana.token).json["balance"] == 10);
  // Overlapping the first, or ending in the future, or backwards: refused, nothing written.
  auto overlap = manual;
  overlap["started_at"] = "2026-03-02T07:00:00Z", overlap["ended_at"] = "2026-03-02T08:00:00Z";
  CHECK(cloud.http.post("/api/sessions/manual", overlap, coach.token).status == 409);
  auto future = manual;
  future["started_at"] = "2026-03-02T08:00:00Z", future["ended_at"] = "2026-03-02T11:00:00Z";
  CHECK(cloud.http.post("/api/sessions/manual", future, coach.token).json["errors"][0]["field"] == "ended_at");
  auto bad = cloud.http.post("/api/sessions/manual", {{"user_id", ana.id}, {"branch_id", centro}, {"started_at", nullptr}, {"ended_at", "soon"}}, coach.token);
  REQUIRE(bad.status == 400);
  std::set<std::string> fields;
  for (const auto& e : bad.json["errors"]) fields.insert(e["field"]);
  CHECK((fields == std::set<std::string>{"started_at", "ended_at", "reason"}));
  CHECK(cloud.http.post("/api/sessions/manual", manual, other.token).status == 403);
  CHECK(cloud.http.post("/api/sessions/manual", manual, ana.token).status == 403);
  auto ghost = manual;
  ghost["user_id"] = "usr_nobody";
  CHECK(cloud.http.post("/api/sessions/manual", ghost, coach.token).json["errors"][0]["field"] == "user_id");
  CHECK(cloud.count("gym_sessions") == 1);

  // A corrected end: of an ended visit, and of one in progress (which ends it).
  const std::string id = made.json["id"];
  auto moved = cloud.http.patch("/api/sessions/" + id, {{"ended_at", "2026-03-02T06:45:00Z"}, {"reason", "left earlier"}}, coach.token);
  REQUIRE_MESSAGE(moved.status == 200, moved.body);
  CHECK(moved.json["ended_at"] == "2026-03-02T06:45:00.000Z");
  CHECK(cloud.http.patch("/api/sessions/" + id, {{"ended_at", "2026-03-02T05:00:00Z"}, {"reason", "x"}}, coach.token).status == 400);
  CHECK(cloud.http.patch("/api/sessions/" + id, {{"ended_at", "2026-03-02T06:50:00Z"}}, coach.token).json["errors"][0]["field"] == "reason");
  CHECK(cloud.http.patch("/api/sessions/" + id, {{"ended_at", "2026-03-02T06:50:00Z"}, {"reason", "x"}}, other.token).status == 404);
  auto live = cloud.http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token);
  REQUIRE(live.status == 201);
  cloud.clock.advance(2h);
  fresh(cloud, coach), fresh(cloud, ana);
  auto closed = cloud.http.patch("/api/sessions/" + live.json["id"].get<std::string>(), {{"ended_at", "2026-03-02T10:00:00Z"}, {"reason", "forgot to scan out"}},
                                 coach.token);
  REQUIRE_MESSAGE(closed.status == 200, closed.body);
  CHECK(closed.json["status"] == "ended");
  CHECK(cloud.http.get("/api/sessions/current", ana.token).status == 404);
  auto audit = cloud.http.get("/api/audit", cloud.admin());
  std::set<std::string> actions;
  for (const auto& e : audit.json["items"]) actions.insert(e["action"]);
  CHECK(actions.count("session.manual") == 1);
  CHECK(actions.count("session.correct_end") == 1);
}

TEST_CASE("staff corrections race: two desks adding overlapping manual visits for one member record one") {
  TestCloud cloud;
  const auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  const std::string admin = cloud.admin();
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> desks;
  std::barrier ready(8);  // connected first, then all at once: the race is the point
  for (int i = 0; i < 8; ++i)
    desks.emplace_back([&, i] {
      HttpClient c(cloud.port());
      (void)c.get("/health");
      ready.arrive_and_wait();
      auto r = c.post("/api/sessions/manual",
                      {{"user_id", ana.id}, {"branch_id", centro}, {"started_at", "2026-03-02T06:0" + std::to_string(i) + ":00Z"},
                       {"ended_at", "2026-03-02T07:00:00Z"}, {"reason", "desk " + std::to_string(i)}},
                      admin);
      (r.status == 201 ? created : r.status == 409 ? refused : other)++;
    });
  for (auto& d : desks) d.join();
  CHECK(created == 1);
  CHECK(refused == 7);
  CHECK(other == 0);
  CHECK(cloud.count("gym_sessions") == 1);
}
