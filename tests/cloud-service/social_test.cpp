// Buddies, blocks, the feed and moderation, and leaving the leaderboards (cloud-api-2.md
// "Engagement", "Members" privacy). Both engines.
#include <chrono>
#include <set>
#include <thread>

#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

struct Club {
  TestCloud& cloud;
  std::string centro;
  Person ana, bo, cy;
  explicit Club(TestCloud& c) : cloud(c) {
    centro = c.branch("Centro");
    const auto plan = c.plan({centro});
    ana = c.member("ana@gym.test", centro, plan);
    bo = c.member("bo@gym.test", centro, plan);
    cy = c.member("cy@gym.test", centro, plan);
  }
  std::string ask(const Person& from, const Person& to, int expect = 201) {
    auto r = cloud.http.post("/api/buddies/requests", {{"user_id", to.id}}, from.token);
    REQUIRE_MESSAGE(r.status == expect, r.body);
    return r.status == 201 ? r.json["id"].get<std::string>() : "";
  }
  void befriend(const Person& a, const Person& b) {
    const auto id = ask(a, b);
    REQUIRE(cloud.http.post("/api/buddies/requests/" + id + "/accept", Json::object(), b.token).status == 200);
  }
  void train(const Person& who) {
    Json day = {{"name", "Legs"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", {{{"reps", 10}, {"weight_kg", 100}}}}}}}};
    auto plan = cloud.http.post("/api/workout-plans", {{"name", "Legs"}, {"days", {day}}}, who.token);
    auto s = cloud.http.post("/api/training-sessions", {{"plan_id", plan.json["id"]}, {"day", 0}}, who.token);
    Json entries = {{{"exercise_id", "leg_press"}, {"set_index", 1}, {"reps", 10}, {"weight_kg", 100}, {"done", true}}};
    REQUIRE(cloud.http.post("/api/training-sessions/" + s.json["id"].get<std::string>() + "/complete", {{"entries", entries}}, who.token).status == 200);
  }
  std::vector<std::string> feed_owners(const Person& who) {
    auto r = cloud.http.get("/api/feed", who.token);
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    for (const auto& i : r.json["items"]) out.push_back(i["user_id"]);
    return out;
  }
};

}  // namespace

TEST_CASE("buddies: asked, accepted or declined once, removed; bad requests name what is wrong") {
  TestCloud cloud;
  Club c(cloud);
  auto& http = cloud.http;
  CHECK(http.post("/api/buddies/requests", {{"user_id", c.ana.id}}, c.ana.token).json["errors"][0]["field"] == "user_id");
  CHECK(http.post("/api/buddies/requests", {{"user_id", "usr_nobody"}}, c.ana.token).status == 404);
  CHECK(http.post("/api/buddies/requests", Json::object(), c.ana.token).status == 400);
  const auto id = c.ask(c.ana, c.bo);
  c.ask(c.ana, c.bo, 409);  // asked already
  c.ask(c.bo, c.ana, 409);  // she asked you: accept it
  CHECK(http.post("/api/buddies/requests/" + id + "/accept", Json::object(), c.ana.token).status == 404);  // not hers to answer
  auto mine = http.get("/api/buddies", c.bo.token);
  REQUIRE(mine.json["requests_in"].size() == 1);
  CHECK(http.post("/api/buddies/requests/" + id + "/accept", Json::object(), c.bo.token).status == 200);
  CHECK(http.post("/api/buddies/requests/" + id + "/decline", Json::object(), c.bo.token).status == 409);
  auto list = http.get("/api/buddies", c.ana.token);
  REQUIRE(list.json["items"].size() == 1);
  CHECK(list.json["items"][0]["user_id"] == c.bo.id);
  CHECK(list.json["items"][0]["display_name"].get<std::string>().size() > 0);
  c.ask(c.ana, c.bo, 409);  // buddies already
  const auto declined = c.ask(c.cy, c.ana);
  CHECK(http.post("/api/buddies/requests/" + declined + "/decline", Json::object(), c.ana.token).json["status"] == "declined");
  CHECK(http.get("/api/buddies", c.ana.token).json["items"].size() == 1);
  CHECK(http.del("/api/buddies/" + c.bo.id, c.ana.token).status == 204);
  CHECK(http.get("/api/buddies", c.bo.token).json["items"].empty());  // gone both ways
  CHECK(http.del("/api/buddies/" + c.bo.id, c.ana.token).status == 404);
}

TEST_CASE("blocks and privacy: a blocker cannot be asked, a block ends the friendship; no requests when switched off") {
  TestCloud cloud;
  Club c(cloud);
  auto& http = cloud.http;
  c.befriend(c.ana, c.bo);
  const auto pending = c.ask(c.cy, c.ana);
  CHECK(http.post("/api/users/" + c.bo.id + "/block", Json::object(), c.ana.token).status == 200);
  CHECK(http.get("/api/buddies", c.ana.token).json["items"].empty());
  c.ask(c.bo, c.ana, 403);  // she blocked him
  c.ask(c.ana, c.bo, 409);  // unblock first
  CHECK(http.post("/api/users/" + c.ana.id + "/block", Json::object(), c.ana.token).status == 400);
  CHECK(http.del("/api/users/" + c.bo.id + "/block", c.ana.token).status == 204);
  c.ask(c.bo, c.ana);
  // Cy's request is still pending; blocking Cy declines it.
  CHECK(http.post("/api/users/" + c.cy.id + "/block", Json::object(), c.ana.token).status == 200);
  CHECK(http.post("/api/buddies/requests/" + pending + "/accept", Json::object(), c.ana.token).status == 409);

  auto privacy = http.get("/api/users/me/privacy", c.cy.token);
  REQUIRE(privacy.status == 200);
  CHECK(privacy.json["allow_buddy_requests"] == true);
  auto off = http.patch("/api/users/me/privacy", {{"allow_buddy_requests", false}}, c.cy.token);
  REQUIRE(off.status == 200);
  CHECK(off.json["show_on_leaderboards"] == true);  // untouched
  c.ask(c.bo, c.cy, 403);
  auto bad = http.patch("/api/users/me/privacy", {{"allow_buddy_requests", "no"}, {"colour", true}}, c.cy.token);
  CHECK(bad.status == 400);
  CHECK(bad.json["errors"].size() == 2);
  CHECK(http.get("/api/users/me/privacy", c.cy.token).json["allow_buddy_requests"] == false);
}

TEST_CASE("feed: the caller's and buddies' training sessions, records and achievements; reported once; hidden by staff") {
  TestCloud cloud;
  Club c(cloud);
  auto& http = cloud.http;
  c.befriend(c.ana, c.bo);
  c.train(c.bo);  // a training session, a record, two achievements
  c.train(c.cy);  // not Ana's buddy
  auto owners = c.feed_owners(c.ana);
  REQUIRE(owners.size() == 4);
  for (const auto& o : owners) CHECK(o == c.bo.id);
  auto feed = http.get("/api/feed", c.ana.token);
  std::set<std::string> kinds;
  for (const auto& i : feed.json["items"]) kinds.insert(i["kind"].get<std::string>());
  CHECK(kinds == std::set<std::string>{"training_session", "record", "achievement"});
  CHECK(c.feed_owners(c.cy).size() == 4);  // her own
  // Pages.
  auto first = http.get("/api/feed?limit=3", c.ana.token);
  REQUIRE(first.json["items"].size() == 3);
  auto rest = http.get("/api/feed?limit=3&cursor=" + first.json["next_cursor"].get<std::string>(), c.ana.token);
  CHECK(rest.json["items"].size() == 1);

  // Reporting: once, only what one sees.
  const std::string item = feed.json["items"][0]["id"];
  CHECK(http.post("/api/feed/" + item + "/report", {{"reason", "spam"}}, c.ana.token).status == 201);
  CHECK(http.post("/api/feed/" + item + "/report", {{"reason", "spam"}}, c.ana.token).status == 409);
  CHECK(http.post("/api/feed/" + item + "/report", Json::object(), c.cy.token).status == 404);
  CHECK(http.post("/api/feed/abc/report", Json::object(), c.ana.token).status == 404);
  CHECK(http.get("/api/moderation/reports", c.ana.token).status == 403);
  auto coach = cloud.trainer("coach@gym.test", {c.centro});
  auto reports = http.get("/api/moderation/reports", coach.token);
  REQUIRE(reports.json["items"].size() == 1);
  const std::string report = reports.json["items"][0]["id"];
  auto norte = cloud.branch("Norte");
  CHECK(http.post("/api/moderation/reports/" + report + "/hide", Json::object(), cloud.trainer("out@gym.test", {norte}).token).status == 404);
  CHECK(http.post("/api/moderation/reports/" + report + "/hide", Json::object(), coach.token).status == 200);
  CHECK(c.feed_owners(c.ana).size() == 3);  // gone from every feed
  CHECK(c.feed_owners(c.bo).size() == 3);
  CHECK(http.get("/api/moderation/reports", coach.token).json["items"].empty());
}

TEST_CASE("leaderboards leave out members who switched show_on_leaderboards off; their own place is still answered") {
  TestCloud cloud;
  Club c(cloud);
  auto& http = cloud.http;
  c.train(c.ana);
  c.train(c.bo);
  const std::string board = "/api/leaderboards?branch_id=" + c.centro + "&metric=volume_kg";
  CHECK(http.get(board, c.cy.token).json["items"].size() == 2);
  REQUIRE(http.patch("/api/users/me/privacy", {{"show_on_leaderboards", false}}, c.bo.token).status == 200);
  auto without = http.get(board, c.cy.token);
  REQUIRE(without.json["items"].size() == 1);
  CHECK(without.json["items"][0]["user_id"] == c.ana.id);
  auto his = http.get(board, c.bo.token);
  CHECK(his.json["me"]["value"] == 1000.0);
  REQUIRE(http.patch("/api/users/me/privacy", {{"show_on_leaderboards", true}}, c.bo.token).status == 200);
  CHECK(http.get(board, c.cy.token).json["items"].size() == 2);
}

TEST_CASE("ranks follow an opt-out and an opt-in even when the member's totals did not change") {
  // Ranks come from values the service keeps and refreshes with what changed since its last
  // look (rank_cache.hpp). Here only the visibility changes, long after the totals did.
  TestCloud cloud;
  Club c(cloud);
  auto& http = cloud.http;
  c.train(c.ana);
  c.train(c.bo);
  c.train(c.bo);  // bo 2,000 kg, ana 1,000
  cloud.clock.advance(60s);
  const std::string board = "/api/leaderboards?branch_id=" + c.centro + "&metric=volume_kg";
  auto ana_rank_becomes = [&](int rank) {
    for (int i = 0; i < 100; ++i) {  // 200 s of the manual clock: less than the whole reload's 10 min
      cloud.clock.advance(2s);  // stale: answered, and refreshed behind
      auto r = http.get(board, c.ana.token);
      if (r.status == 200 && r.json["me"]["rank"] == rank) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  CHECK(ana_rank_becomes(2));
  REQUIRE(http.patch("/api/users/me/privacy", {{"show_on_leaderboards", false}}, c.bo.token).status == 200);
  CHECK(ana_rank_becomes(1));
  REQUIRE(http.patch("/api/users/me/privacy", {{"show_on_leaderboards", true}}, c.bo.token).status == 200);
  CHECK(ana_rank_becomes(2));
}

TEST_CASE("challenges: among buddies or for a branch; progress since the start whoever joins late; reward points once") {
  TestCloud cloud;  // Monday 09:00 UTC
  Club c(cloud);
  auto& http = cloud.http;
  c.befriend(c.ana, c.bo);
  const std::string now = "2026-03-02T09:00:00Z", in_a_week = "2026-03-09T09:00:00Z";
  // Bo visits before anyone challenges him: it counts once the challenge covers it.
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", c.centro}}, c.bo.token).status == 201);
  REQUIRE(http.post("/api/sessions/end", Json::object(), c.bo.token).status == 200);
  auto bad = http.post("/api/challenges", {{"name", "X"}, {"metric", "steps"}, {"target", 0}, {"starts_at", in_a_week}, {"ends_at", now}}, c.ana.token);
  REQUIRE(bad.status == 400);
  CHECK(bad.json["errors"].size() == 4);  // metric, target, ends_at before starts_at, ends_at in the past
  CHECK(http.post("/api/challenges", {{"name", "X"}, {"metric", "visits"}, {"target", 2}, {"starts_at", "2026-03-01T00:00:00Z"}, {"ends_at", in_a_week},
                                      {"reward_points", 50}},
                  c.ana.token)
            .status == 403);
  auto created = http.post("/api/challenges", {{"name", "Twice this week"}, {"metric", "visits"}, {"target", 2}, {"starts_at", "2026-03-02T00:00:00Z"},
                                               {"ends_at", in_a_week}},
                           c.ana.token);
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const std::string id = created.json["id"];
  CHECK(http.post("/api/challenges/" + id + "/join", Json::object(), c.cy.token).status == 404);  // not her buddy
  auto joined = http.post("/api/challenges/" + id + "/join", Json::object(), c.bo.token);
  REQUIRE(joined.status == 200);
  CHECK(http.post("/api/challenges/" + id + "/join", Json::object(), c.bo.token).status == 409);
  auto bo_standing = [&](const Json& ch) {
    for (const auto& s : ch["standings"])
      if (s["user_id"] == c.bo.id) return s;
    return Json();
  };
  CHECK(bo_standing(joined.json)["progress"] == 1.0);  // this morning's visit
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", c.centro}}, c.bo.token).status == 201);
  auto ch = http.get("/api/challenges/" + id, c.ana.token).json;
  CHECK(bo_standing(ch)["progress"] == 2.0);
  CHECK(bo_standing(ch)["completed"] == true);
  CHECK(ch["standings"][0]["user_id"] == c.bo.id);  // ahead of Ana (0)
  CHECK(http.get("/api/challenges", c.bo.token).json["items"].size() == 1);
  bool in_feed = false;
  const auto feed = http.get("/api/feed", c.ana.token);
  for (const auto& i : feed.json["items"]) in_feed = in_feed || i["kind"] == "challenge";
  CHECK(in_feed);

  // A branch challenge with reward points, from its trainer.
  auto coach = cloud.trainer("coach@gym.test", {c.centro});
  auto staff = http.post("/api/challenges", {{"name", "Train once"}, {"metric", "training_sessions"}, {"target", 1}, {"starts_at", now},
                                             {"ends_at", in_a_week}, {"branch_id", c.centro}, {"reward_points", 50}},
                         coach.token);
  REQUIRE_MESSAGE(staff.status == 201, staff.body);
  const std::string sid = staff.json["id"];
  CHECK(http.post("/api/challenges", {{"name", "Y"}, {"metric", "visits"}, {"target", 1}, {"starts_at", now}, {"ends_at", in_a_week}}, coach.token).status == 400);
  REQUIRE(http.post("/api/challenges/" + sid + "/join", Json::object(), c.cy.token).status == 200);
  // One training session counts for two metrics at once, each by its own amount.
  auto lifted = http.post("/api/challenges", {{"name", "Lift 5 t"}, {"metric", "volume_kg"}, {"target", 5000}, {"starts_at", now}, {"ends_at", in_a_week},
                                              {"branch_id", c.centro}},
                          coach.token);
  REQUIRE_MESSAGE(lifted.status == 201, lifted.body);
  const std::string vid = lifted.json["id"];
  REQUIRE(http.post("/api/challenges/" + vid + "/join", Json::object(), c.cy.token).status == 200);
  const auto before = http.get("/api/users/me/points", c.cy.token).json["balance"].get<std::int64_t>();
  c.train(c.cy);
  c.train(c.cy);
  auto points = http.get("/api/users/me/points", c.cy.token);
  // Two training sessions (20 each), the first set's record (15), the challenge's 50 once.
  CHECK(points.json["balance"].get<std::int64_t>() - before == 20 + 20 + 15 + 50);
  int challenge_rows = 0;
  for (const auto& row : points.json["ledger"]) challenge_rows += row["reason"] == "challenge";
  CHECK(challenge_rows == 1);
  auto trained = http.get("/api/challenges/" + sid, coach.token);
  REQUIRE(trained.status == 200);
  CHECK(trained.json["standings"][0]["progress"] == 2.0);
  auto volume = http.get("/api/challenges/" + vid, coach.token).json;
  CHECK(volume["standings"][0]["progress"] == 2000.0);  // 10 x 100 kg, twice
  CHECK(volume["standings"][0]["completed"] == false);

  // Over: no more joining.
  cloud.clock.advance(std::chrono::hours(24 * 8));
  CHECK(http.post("/api/challenges/" + sid + "/join", Json::object(), cloud.login("ana@gym.test", TestCloud::kPassword)).status == 409);
}
