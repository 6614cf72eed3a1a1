// Engagement (cloud-api-2.md "Engagement"): points from visits, training sessions and
// records, each source once; achievements earned once with a notification; leaderboards per
// branch with `me`. Both engines; the ledger's "once" is a constraint, shown with two
// connections racing on the same source.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "domains/engagement/rank_cache.hpp"
#include "domains/engagement/rules.hpp"
#include "domains/engagement/store.hpp"
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

std::int64_t ledger_sum(const Json& points) {
  std::int64_t sum = 0;
  for (const auto& row : points["ledger"]) sum += row["points"].get<std::int64_t>();
  return sum;
}

std::set<std::string> earned(TestCloud& cloud, Person& who) {
  fresh(cloud, who);
  std::set<std::string> ids;
  const auto reply = cloud.http.get("/api/users/me/achievements", who.token);  // kept: the loop reads into it
  for (const auto& a : reply.json["items"]) ids.insert(a["id"].get<std::string>());
  return ids;
}

}  // namespace

TEST_CASE("points: a visit of 20 minutes once a day, a training session, a record; the balance is the ledger's sum") {
  TestCloud cloud;  // Monday 2 March 2026, 09:00 UTC (10:00 in Madrid)
  const auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));

  visit(cloud, ana, centro, 10);  // too short
  auto p = cloud.http.get("/api/users/me/points", ana.token);
  REQUIRE(p.status == 200);
  CHECK(p.json["balance"] == 0);
  CHECK(p.json["ledger"].empty());
  visit(cloud, ana, centro, 45);
  visit(cloud, ana, centro, 30);  // the same day: no more points for visits
  p = cloud.http.get("/api/users/me/points", ana.token);
  CHECK(p.json["balance"] == 10);
  REQUIRE(p.json["ledger"].size() == 1);
  CHECK(p.json["ledger"][0]["reason"] == "visit");
  CHECK(p.json["ledger"][0]["points"] == 10);

  train(cloud, ana, 140);  // a training session (20) and its set is a first record (15, once for the set)
  cloud.clock.advance(24h);
  visit(cloud, ana, centro, 25);  // the next day: 10 again
  p = cloud.http.get("/api/users/me/points", ana.token);
  CHECK(p.json["balance"] == 10 + 20 + 15 + 10);
  CHECK(ledger_sum(p.json) == p.json["balance"].get<std::int64_t>());
  std::multiset<std::string> reasons;
  for (const auto& row : p.json["ledger"]) reasons.insert(row["reason"].get<std::string>());
  CHECK(reasons == std::multiset<std::string>{"visit", "visit", "training_session", "record"});
  CHECK(p.json["ledger"][0]["reason"] == "visit");  // newest first

  // Pages: the cursor goes on where the last page ended, and a made-up one is refused.
  auto first = cloud.http.get("/api/users/me/points?limit=3", ana.token);
  REQUIRE(first.json["ledger"].size() == 3);
  REQUIRE(first.json["next_cursor"].is_string());
  auto rest = cloud.http.get("/api/users/me/points?limit=3&cursor=" + first.json["next_cursor"].get<std::string>(), ana.token);
  REQUIRE(rest.json["ledger"].size() == 1);
  CHECK(rest.json["next_cursor"].is_null());
  CHECK(cloud.http.get("/api/users/me/points?cursor=bm9wZQ", ana.token).status == 400);
  CHECK(cloud.http.get("/api/users/me/points?limit=0", ana.token).status == 400);

  // A heavier set beats the record again; the same weight does not.
  train(cloud, ana, 140);
  train(cloud, ana, 150);
  p = cloud.http.get("/api/users/me/points", ana.token);
  CHECK(p.json["balance"] == 55 + 20 + 20 + 15);
  CHECK(ledger_sum(p.json) == p.json["balance"].get<std::int64_t>());
}

TEST_CASE("achievements: from the catalogue, earned once on the events, each with a notification") {
  TestCloud cloud;
  const auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}, 365));
  auto catalogue = cloud.http.get("/api/achievements", ana.token);
  REQUIRE(catalogue.status == 200);
  std::set<std::string> ids;
  for (const auto& a : catalogue.json["items"]) ids.insert(a["id"].get<std::string>());
  for (const char* required : {"first_visit", "visits_10", "visits_100", "first_training_session", "streak_4_weeks", "first_record"})
    CHECK_MESSAGE(ids.count(required) == 1, required);

  CHECK(earned(cloud, ana).empty());
  visit(cloud, ana, centro, 5);  // a visit counts for achievements whatever its length
  CHECK(earned(cloud, ana) == std::set<std::string>{"first_visit"});
  for (int week = 1; week < 4; ++week) {
    cloud.clock.advance(7 * 24h);
    visit(cloud, ana, centro, 30);
  }
  CHECK(earned(cloud, ana).count("streak_4_weeks") == 1);
  for (int i = 0; i < 6; ++i) visit(cloud, ana, centro, 30);
  CHECK(earned(cloud, ana).count("visits_10") == 1);
  train(cloud, ana, 100);
  const auto all = earned(cloud, ana);
  CHECK(all == std::set<std::string>{"first_visit", "streak_4_weeks", "visits_10", "first_training_session", "first_record"});
  auto mine = cloud.http.get("/api/users/me/achievements", ana.token);
  for (const auto& a : mine.json["items"]) CHECK(a["earned_at"].is_string());
  // One notification per achievement, never two.
  auto rows = cloud.db().query("SELECT COUNT(*), COUNT(DISTINCT payload) FROM notifications WHERE user_id = ? AND kind = 'achievement'", {ana.id});
  REQUIRE(rows);
  CHECK(rows->front().integer(0) == 5);
  CHECK(rows->front().integer(1) == 5);
  // A week without a visit breaks the run; a new run of four does not earn it again.
  cloud.clock.advance(14 * 24h);
  for (int week = 0; week < 4; ++week) {
    visit(cloud, ana, centro, 30);
    cloud.clock.advance(7 * 24h);
  }
  CHECK(cloud.db().query("SELECT COUNT(*) FROM achievements_earned WHERE user_id = ?", {ana.id})->front().integer(0) == 5);
}

TEST_CASE("leaderboards: per branch and period, ties share a rank, me always answered, members of the branch only") {
  TestCloud cloud;
  const auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  const auto plan = cloud.plan({centro});
  auto ana = cloud.member("ana@gym.test", centro, plan), bo = cloud.member("bo@gym.test", centro, plan), cy = cloud.member("cy@gym.test", centro, plan);
  auto nora = cloud.member("nora@gym.test", norte, cloud.plan({norte}));
  visit(cloud, ana, centro, 30);
  cloud.clock.advance(24h);
  visit(cloud, ana, centro, 30);
  visit(cloud, bo, centro, 30);
  train(cloud, bo, 100);

  auto points = cloud.http.get("/api/leaderboards?branch_id=" + centro + "&period=week&metric=points", fresh(cloud, ana));
  REQUIRE_MESSAGE(points.status == 200, points.body);
  REQUIRE(points.json["items"].size() == 2);
  CHECK(points.json["items"][0]["user_id"] == bo.id);  // 10 + 20 + 15
  CHECK(points.json["items"][0]["value"] == 45);
  CHECK(points.json["items"][0]["rank"] == 1);
  CHECK(points.json["items"][0]["display_name"].get<std::string>().size() > 0);
  CHECK(points.json["items"][1]["user_id"] == ana.id);
  CHECK(points.json["items"][1]["value"] == 20);
  CHECK(points.json["me"]["rank"] == 2);

  auto visits = cloud.http.get("/api/leaderboards?branch_id=" + centro + "&period=month&metric=visits", fresh(cloud, bo));
  REQUIRE(visits.json["items"].size() == 2);
  CHECK(visits.json["items"][0]["user_id"] == ana.id);
  CHECK(visits.json["items"][0]["value"] == 2);
  CHECK(visits.json["me"]["rank"] == 2);
  visit(cloud, bo, centro, 30);  // a tie: both rank 1
  visits = cloud.http.get("/api/leaderboards?branch_id=" + centro + "&period=month&metric=visits", fresh(cloud, bo));
  CHECK(visits.json["items"][0]["rank"] == 1);
  CHECK(visits.json["items"][1]["rank"] == 1);
  CHECK(visits.json["me"]["rank"] == 1);

  auto volume = cloud.http.get("/api/leaderboards?branch_id=" + centro + "&metric=volume_kg", fresh(cloud, cy));
  REQUIRE(volume.json["items"].size() == 1);
  CHECK(volume.json["items"][0]["value"] == 1000.0);
  CHECK(volume.json["me"]["value"] == 0);  // not on the board: answered anyway
  CHECK(volume.json["me"]["rank"].is_null());

  // A week later the weekly board starts empty; the month's goes on.
  cloud.clock.advance(7 * 24h);
  CHECK(cloud.http.get("/api/leaderboards?branch_id=" + centro + "&period=week&metric=points", fresh(cloud, ana)).json["items"].empty());
  CHECK(cloud.http.get("/api/leaderboards?branch_id=" + centro + "&period=month&metric=points", fresh(cloud, ana)).json["items"].size() == 2);

  // Another branch's members see nothing of it; staff of the branch do; bad input names the field.
  CHECK(cloud.http.get("/api/leaderboards?branch_id=" + centro, fresh(cloud, nora)).status == 403);
  auto coach = cloud.trainer("coach@gym.test", {centro});
  CHECK(cloud.http.get("/api/leaderboards?branch_id=" + centro, coach.token).status == 200);
  CHECK(cloud.http.get("/api/leaderboards?branch_id=" + centro, cloud.trainer("out@gym.test", {norte}).token).status == 403);
  auto bad = cloud.http.get("/api/leaderboards?branch_id=" + centro + "&period=year&metric=steps&limit=500", fresh(cloud, ana));
  REQUIRE(bad.status == 400);
  CHECK(bad.json["errors"].size() == 3);
  CHECK(cloud.http.get("/api/leaderboards", fresh(cloud, ana)).json["errors"][0]["field"] == "branch_id");
  CHECK(cloud.http.get("/api/leaderboards?branch_id=" + centro).status == 401);
}

TEST_CASE("points ledger: a source gives once however many connections race to give it") {
  TestCloud cloud;
  constexpr int kRacers = 8;
  std::atomic<int> given{0}, failed{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i)
    racers.emplace_back([&] {
      auto db = open_database(cloud.db_url());
      cloud::engagement::EngagementStore store(*db);
      for (int round = 0; round < 20; ++round) {
        bool mine = false;
        auto tx = db->transaction([&]() -> Status {
          mine = false;
          auto added = store.add_points({"training_session:trs_" + std::to_string(round), "usr_ana", 20, "training_session", "trs", 1000 + round});
          if (!added) return Unexpected<Error>{added.error()};
          mine = added->has_value();
          return {};
        });
        if (!tx) ++failed;
        else if (mine) ++given;
      }
    });
  for (auto& r : racers) r.join();
  CHECK(failed == 0);
  CHECK(given == 20);  // each of the 20 sources once
  auto rows = cloud.db().query("SELECT COUNT(*), SUM(points) FROM points_ledger WHERE user_id = 'usr_ana'");
  REQUIRE(rows);
  CHECK(rows->front().integer(0) == 20);
  CHECK(cloud.db().query("SELECT balance FROM points_balances WHERE user_id = 'usr_ana'")->front().integer(0) == 20 * 20);
  // Counting an event: the first time only.
  cloud::engagement::EngagementStore store(cloud.db());
  CHECK(store.first_time("visit:ses_1", 1).value() == true);
  CHECK(store.first_time("visit:ses_1", 2).value() == false);
}

TEST_CASE("engagement rules: weeks in a row, periods, visits long enough") {
  using namespace spotter::cloud::engagement;
  const std::int64_t monday = 20'514;  // 2026-03-02
  CHECK(weeks_in_a_row({monday, monday - 7, monday - 14, monday - 28}, monday) == 3);
  CHECK(weeks_in_a_row({monday + 7, monday, monday - 7}, monday) == 2);  // a later week does not break it
  CHECK(weeks_in_a_row({monday - 7}, monday) == 0);
  CHECK(weeks_in_a_row({}, monday) == 0);
  CHECK(period_key(Period::week, monday + 6) == "w:2026-03-02");
  CHECK(period_key(Period::month, monday + 30) == "m:2026-04");
  CHECK(visit_earns_points(0, kVisitMinimumMs));
  CHECK_FALSE(visit_earns_points(0, kVisitMinimumMs - 1));
  CHECK_FALSE(visit_earns_points(kVisitMinimumMs, 0));
  Progress p;
  p.visits = 10;
  p.weeks_in_a_row = 4;
  std::set<std::string> ids;
  for (const auto* a : reached(p)) ids.insert(a->id);
  CHECK(ids == std::set<std::string>{"first_visit", "visits_10", "streak_4_weeks"});
}

namespace {

// Ana with `points` points (through the store, as a ledger row of its own) at the branch.
struct RewardDesk {
  TestCloud& cloud;
  std::string centro, norte, reward;
  Person ana;
  explicit RewardDesk(TestCloud& c, std::int64_t points, std::int64_t cost, std::int64_t stock) : cloud(c) {
    centro = c.branch("Centro");
    norte = c.branch("Norte");
    ana = c.member("ana@gym.test", centro, c.plan({centro}));
    cloud::engagement::EngagementStore store(c.db());
    REQUIRE(store.add_points({"test:grant", ana.id, points, "grant", "test", 1}).value().has_value());
    auto r = c.http.post("/api/rewards", {{"branch_id", centro}, {"name", "Protein shake"}, {"cost_points", cost}, {"stock", stock}}, c.admin());
    REQUIRE_MESSAGE(r.status == 201, r.body);
    reward = r.json["id"];
  }
  Json reward_row() {
    const auto list = cloud.http.get("/api/rewards?branch_id=" + centro, ana.token);  // kept: the loop reads into it
    for (const auto& w : list.json["items"])
      if (w["id"] == reward) return w;
    return nullptr;
  }
  std::int64_t balance() { return cloud.http.get("/api/users/me/points", ana.token).json["balance"].get<std::int64_t>(); }
};

}  // namespace

TEST_CASE("rewards: redeemed with points and stock, refused without either, handed out once at the desk") {
  TestCloud cloud;
  RewardDesk d(cloud, 100, 30, 2);
  auto& http = cloud.http;
  CHECK(http.post("/api/rewards", {{"branch_id", d.centro}, {"name", "X"}, {"cost_points", 0}, {"stock", -1}}, cloud.admin()).json["errors"].size() == 2);
  CHECK(http.post("/api/rewards", {{"branch_id", d.centro}, {"name", "X"}, {"cost_points", 5}, {"stock", 1}}, d.ana.token).status == 403);

  auto first = http.post("/api/rewards/" + d.reward + "/redeem", {{"note", "chocolate"}}, d.ana.token);
  REQUIRE_MESSAGE(first.status == 201, first.body);
  const std::string code = first.json["code"];
  CHECK(code.size() == 10);
  CHECK(first.json["status"] == "issued");
  CHECK(d.balance() == 70);
  CHECK(d.reward_row()["stock"] == 1);
  auto points = http.get("/api/users/me/points", d.ana.token);
  CHECK(points.json["ledger"][0]["points"] == -30);
  CHECK(points.json["ledger"][0]["reason"] == "redemption");

  // The desk: staff of the branch find it by code and hand it out, once.
  auto coach = cloud.trainer("coach@gym.test", {d.centro});
  auto outsider = cloud.trainer("out@gym.test", {d.norte});
  CHECK(http.get("/api/redemptions/" + code, coach.token).json["user_id"] == d.ana.id);
  CHECK(http.get("/api/redemptions/" + code, outsider.token).status == 404);
  CHECK(http.get("/api/redemptions/" + code, d.ana.token).status == 404);
  CHECK(http.post("/api/redemptions/" + code + "/hand-out", Json::object(), outsider.token).status == 404);
  CHECK(http.post("/api/redemptions/" + code + "/hand-out", Json::object(), coach.token).json["status"] == "handed_out");
  CHECK(http.post("/api/redemptions/" + code + "/hand-out", Json::object(), coach.token).status == 409);
  CHECK(http.get("/api/redemptions/ZZZZZZZZZZ", coach.token).status == 404);
  CHECK(http.get("/api/redemptions/not-a-code", coach.token).status == 404);

  // The last unit, then no stock; without enough points nothing moves.
  REQUIRE(http.post("/api/rewards/" + d.reward + "/redeem", Json::object(), d.ana.token).status == 201);
  CHECK(d.balance() == 40);
  auto none = http.post("/api/rewards/" + d.reward + "/redeem", Json::object(), d.ana.token);
  CHECK(none.status == 409);
  CHECK(none.json["type"].get<std::string>().find("out-of-stock") != std::string::npos);
  auto pricey = http.post("/api/rewards", {{"branch_id", d.centro}, {"name", "Towel"}, {"cost_points", 50}, {"stock", 5}}, cloud.admin());
  auto poor = http.post("/api/rewards/" + pricey.json["id"].get<std::string>() + "/redeem", Json::object(), d.ana.token);
  CHECK(poor.status == 409);
  CHECK(poor.json["type"].get<std::string>().find("not-enough-points") != std::string::npos);
  CHECK(d.balance() == 40);
  const auto list = http.get("/api/rewards?branch_id=" + d.centro, d.ana.token);
  REQUIRE(list.json["items"].size() == 2);
  for (const auto& w : list.json["items"])
    if (w["id"] == pricey.json["id"]) CHECK(w["stock"] == 5);  // the refused redemption took nothing
  // Another branch's member may look (the contract: any user) but not redeem.
  auto nora = cloud.member("nora@gym.test", d.norte, cloud.plan({d.norte}));
  CHECK(http.get("/api/rewards?branch_id=" + d.centro, nora.token).json["items"].size() == 2);
  CHECK(http.get("/api/rewards", nora.token).status == 400);
  CHECK(http.post("/api/rewards/" + pricey.json["id"].get<std::string>() + "/redeem", Json::object(), nora.token).status == 404);
}

TEST_CASE("rewards: a retried redemption with its Idempotency-Key is the same one; a reused key for another body is 409") {
  TestCloud cloud;
  RewardDesk d(cloud, 100, 30, 10);
  HttpClient app(cloud.port());
  app.set_header("Idempotency-Key", "4b7e1c9a-retry-1");
  auto first = app.post("/api/rewards/" + d.reward + "/redeem", {{"note", "x"}}, d.ana.token);
  REQUIRE(first.status == 201);
  auto again = app.post("/api/rewards/" + d.reward + "/redeem", {{"note", "x"}}, d.ana.token);
  CHECK(again.status == 201);
  CHECK(again.json["code"] == first.json["code"]);
  CHECK(again.header("idempotency-replayed") == "true");
  CHECK(d.balance() == 70);
  CHECK(d.reward_row()["stock"] == 9);
  CHECK(app.post("/api/rewards/" + d.reward + "/redeem", {{"note", "other"}}, d.ana.token).status == 409);
  app.set_header("Idempotency-Key", std::string(300, 'k'));
  auto bad = app.post("/api/rewards/" + d.reward + "/redeem", Json::object(), d.ana.token);
  CHECK(bad.status == 400);
  CHECK(bad.json["errors"][0]["field"] == "Idempotency-Key");
  // A refused redemption keeps no key: the retry after earning points goes through.
  app.set_header("Idempotency-Key", "after-points");
  auto pricey = cloud.http.post("/api/rewards", {{"branch_id", d.centro}, {"name", "Towel"}, {"cost_points", 90}, {"stock", 1}}, cloud.admin());
  const std::string towel = "/api/rewards/" + pricey.json["id"].get<std::string>() + "/redeem";
  CHECK(app.post(towel, Json::object(), d.ana.token).status == 409);
  cloud::engagement::EngagementStore store(cloud.db());
  REQUIRE(store.add_points({"test:grant-2", d.ana.id, 50, "grant", "test", 2}).value().has_value());
  CHECK(app.post(towel, Json::object(), d.ana.token).status == 201);
  CHECK(d.balance() == 30);
}

TEST_CASE("rewards under concurrency: never below zero points or stock; one key, one redemption") {
  TestCloud cloud;
  RewardDesk d(cloud, 100, 10, 6);  // points for 10, stock for 6
  constexpr int kDesks = 16;
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kDesks; ++i)
    threads.emplace_back([&, i] {
      HttpClient c(cloud.port());
      c.set_header("Idempotency-Key", "desk-" + std::to_string(i));
      auto r = c.post("/api/rewards/" + d.reward + "/redeem", Json::object(), d.ana.token);
      (r.status == 201 ? created : r.status == 409 ? refused : other)++;
    });
  for (auto& t : threads) t.join();
  CHECK(created == 6);
  CHECK(refused == kDesks - 6);
  CHECK(other == 0);
  CHECK(d.reward_row()["stock"] == 0);
  CHECK(d.balance() == 100 - 60);
  // Sixteen retries of one request at once: one redemption, one code for all.
  auto more = cloud.http.post("/api/rewards", {{"branch_id", d.centro}, {"name", "Bar"}, {"cost_points", 5}, {"stock", 100}}, cloud.admin());
  const std::string path = "/api/rewards/" + more.json["id"].get<std::string>() + "/redeem";
  std::mutex mu;
  std::set<std::string> codes;
  threads.clear();
  for (int i = 0; i < kDesks; ++i)
    threads.emplace_back([&] {
      HttpClient c(cloud.port());
      c.set_header("Idempotency-Key", "the-same-one");
      auto r = c.post(path, Json::object(), d.ana.token);
      std::lock_guard lock(mu);
      if (r.status == 201) codes.insert(r.json["code"].get<std::string>());
      else codes.insert("status " + std::to_string(r.status));
    });
  for (auto& t : threads) t.join();
  CHECK(codes.size() == 1);
  CHECK(codes.begin()->size() == 10);
  CHECK(d.balance() == 35);
  auto rows = cloud.db().query("SELECT COUNT(*) FROM redemptions WHERE user_id = ?", {d.ana.id});
  CHECK(rows->front().integer(0) == 7);
}

TEST_CASE("board values: a changed row replaces the member's old value, opted-out members do not count, equal values stay apart") {
  using spotter::cloud::engagement::BoardValues;
  BoardValues b;
  b.apply({{"ana", 10, true}, {"ben", 30, true}, {"cy", 30, true}, {"dee", 20, false}});
  CHECK(*b.ascending() == std::vector<double>{10, 30, 30});
  b.apply({{"ben", 40, true}, {"ben", 40, true}});  // ben moves up; seen twice in one refresh
  CHECK(*b.ascending() == std::vector<double>{10, 30, 40});
  b.apply({{"dee", 20, true}, {"cy", 30, false}});  // dee opts in, cy out
  CHECK(*b.ascending() == std::vector<double>{10, 20, 40});
  b.apply({{"cy", 35, true}, {"eve", 10, true}, {"ana", 10, true}});  // ana unchanged
  CHECK(*b.ascending() == std::vector<double>{10, 10, 20, 35, 40});
  auto before = b.ascending();
  b.apply({{"eve", 10, true}});
  CHECK(b.ascending() == before);  // nothing changed: nothing rebuilt
  b.clear();
  CHECK(b.ascending()->empty());
}

TEST_CASE("rank cache: ranks by binary search, then only what changed since (with overlap), stale ones answered and refreshed behind, one at a time") {
  using spotter::cloud::engagement::BoardEntry;
  using spotter::cloud::engagement::RankCache;
  RankCache cache({std::chrono::seconds(5), std::chrono::seconds(2), std::chrono::seconds(60)});
  struct Row {
    double value;
    bool visible;
    std::int64_t changed_at;
  };
  std::mutex board_mu;
  std::map<std::string, Row> board = {{"a", {10, true, 0}}, {"b", {30, true, 0}}, {"c", {20, true, 0}}, {"d", {30, true, 0}}, {"e", {5, true, 0}}};
  std::vector<std::int64_t> asked;  // the `since` of each load
  auto load = [&](std::int64_t since) -> Result<std::vector<BoardEntry>> {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a slow query, so the threads below overlap
    std::lock_guard lock(board_mu);
    asked.push_back(since);
    std::vector<BoardEntry> out;
    for (const auto& [user, row] : board)
      if (row.changed_at >= since) out.push_back({user, row.value, row.visible});
    return out;
  };
  auto loads = [&] {
    std::lock_guard lock(board_mu);
    return asked.size();
  };
  auto change = [&](const std::string& user, Row row) {
    std::lock_guard lock(board_mu);
    board[user] = row;
  };
  CHECK(cache.rank("b", 30, 10'000, load).value() == 1);
  CHECK(cache.rank("b", 20, 10'000, load).value() == 3);  // two 30s ahead
  CHECK(cache.rank("b", 0, 10'000, load).value() == 6);   // not on it: after everyone
  CHECK(cache.rank("b", 99, 10'000, load).value() == 1);
  CHECK(loads() == 1);
  // Stamped before the first load finished but seen only now: the overlap finds it.
  change("f", {50, true, 9'000});
  change("b", {30, false, 19'000});  // b opts out
  CHECK(cache.rank("b", 30, 14'000, load).value() == 1);  // within 5 s: the values it had
  CHECK(cache.rank("b", 30, 20'000, load).value() == 1);  // stale: still answered from them, and refreshed behind
  auto loads_reach = [&](std::size_t n) {
    for (int i = 0; i < 500 && loads() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return loads() == n;
  };
  REQUIRE(loads_reach(2));
  {
    std::lock_guard lock(board_mu);
    CHECK(asked[1] == 10'000 - 2'000);  // incremental: since the first load less the overlap
  }
  for (int i = 0; i < 100 && cache.rank("b", 30, 20'001, load).value() != 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(cache.rank("b", 30, 20'001, load).value() == 2);  // f's 50 ahead; b's own 30 left the board, d's is not ahead
  CHECK(cache.rank("b", 29, 20'001, load).value() == 3);
  // Probe: a second board, loaded now; asking it stale later queues a refresh behind whatever
  // was queued for "b" (one thread, in order), so its load proves the queue ran.
  CHECK(cache.rank("probe", 1, 20'001, load).value() == 6);
  // Eight workers find it stale at once: all answered at once, one refresh queued.
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (cache.rank("b", 50, 30'000, load).value() != 1) ++wrong;
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(static_cast<bool>(cache.rank("probe", 1, 30'000, load)));
  REQUIRE(loads_reach(5));  // first load of the probe, one refresh of "b", one of the probe
  {
    std::lock_guard lock(board_mu);
    CHECK(asked[3] == 20'000 - 2'000);  // "b": since its last refresh less the overlap
  }
  // A whole reload after `full_every`: a row deleted from the board leaves the cache.
  {
    std::lock_guard lock(board_mu);
    board.erase("f");
  }
  CHECK(cache.rank("b", 50, 80'000, load).value() == 1);
  REQUIRE(loads_reach(6));
  {
    std::lock_guard lock(board_mu);
    CHECK(asked[5] == 0);
  }
  for (int i = 0; i < 100 && cache.rank("b", 31, 80'001, load).value() != 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(cache.rank("b", 31, 80'001, load).value() == 1);  // nobody above 31 now (b hidden, f gone)
  auto failing = [&](std::int64_t) -> Result<std::vector<BoardEntry>> { return Unexpected<Error>{Error{"sql", "down"}}; };
  CHECK_FALSE(static_cast<bool>(cache.rank("other", 1, 0, failing)));
}

TEST_CASE("rewards: a member lists their own redemptions with codes and status, newest first, paged; nobody else's") {
  TestCloud cloud;
  RewardDesk d(cloud, 100, 10, 5);
  auto first = cloud.http.post("/api/rewards/" + d.reward + "/redeem", {{"note", "first"}}, d.ana.token);
  REQUIRE(first.status == 201);
  cloud.clock.advance(std::chrono::minutes(1));
  auto second = cloud.http.post("/api/rewards/" + d.reward + "/redeem", Json::object(), d.ana.token);
  REQUIRE(second.status == 201);
  auto coach = cloud.trainer("coach@gym.test", {d.centro});
  REQUIRE(cloud.http.post("/api/redemptions/" + first.json["code"].get<std::string>() + "/hand-out", Json::object(), coach.token).status == 200);
  auto page = cloud.http.get("/api/users/me/redemptions?limit=1", d.ana.token);
  REQUIRE_MESSAGE(page.status == 200, page.body);
  REQUIRE(page.json["items"].size() == 1);
  CHECK(page.json["items"][0]["code"] == second.json["code"]);
  CHECK(page.json["items"][0]["status"] == "issued");
  auto rest = cloud.http.get("/api/users/me/redemptions?limit=1&cursor=" + page.json["next_cursor"].get<std::string>(), d.ana.token);
  REQUIRE(rest.json["items"].size() == 1);
  CHECK(rest.json["items"][0]["code"] == first.json["code"]);
  CHECK(rest.json["items"][0]["status"] == "handed_out");
  CHECK(rest.json["next_cursor"].is_null());
  auto bo = cloud.member("bo@gym.test", d.centro, "");
  CHECK(cloud.http.get("/api/users/me/redemptions", bo.token).json["items"].empty());
  CHECK(cloud.http.get("/api/users/me/redemptions?cursor=garbage", d.ana.token).status == 400);
  CHECK(cloud.http.get("/api/users/me/redemptions").status == 401);
}
