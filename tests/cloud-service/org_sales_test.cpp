// Memberships sold (cloud-api-2.md "Chain operations"): the price paid and the seller, the
// trainers' limits, renewals once each, a desk's retries with its Idempotency-Key, and the
// branch's list with its filters. Both engines; the "once" shown under concurrency.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

struct Club {
  explicit Club(TestCloud& c) : cloud(c) {}
  TestCloud& cloud;
  std::string centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  std::string centro_plan = cloud.plan({centro}, 30), norte_plan = cloud.plan({norte}, 30), everywhere = cloud.plan({}, 30);
  Person coach = cloud.trainer("coach@gym.test", {centro});
  Person luis = cloud.member("luis@gym.test", centro), nora = cloud.member("nora@gym.test", norte);

  Reply sell(const Person& member, const std::string& plan, const std::string& token, Json extra = Json::object()) {
    extra["user_id"] = member.id;
    extra["plan_id"] = plan;
    return cloud.http.post("/api/subscriptions", extra, token);
  }
};

std::set<std::string> ids_of(const Json& items) {
  std::set<std::string> out;
  for (const auto& i : items) out.insert(i["id"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("memberships sold: the price paid and the seller; a trainer sells within their branches and never to themselves") {
  TestCloud cloud;
  Club c(cloud);
  auto sold = c.sell(c.luis, c.centro_plan, c.coach.token);
  REQUIRE_MESSAGE(sold.status == 201, sold.body);
  CHECK(sold.json["price_cents"] == 2999);
  CHECK(sold.json["sold_by"] == c.coach.id);
  CHECK(sold.json["renews"].is_null());
  CHECK(c.sell(c.luis, c.everywhere, c.coach.token).status == 201);  // every branch: his too

  auto own = c.sell(c.coach, c.everywhere, c.coach.token);
  CHECK(own.status == 403);
  CHECK(own.json["detail"].get<std::string>().find("themselves") != std::string::npos);
  CHECK(c.sell(c.nora, c.everywhere, c.coach.token).status == 403);  // her home is Norte
  CHECK(c.sell(c.luis, c.norte_plan, c.coach.token).status == 403);  // opens none of his branches
  auto priced = c.sell(c.luis, c.centro_plan, c.coach.token, {{"price_cents", 0}});
  REQUIRE(priced.status == 400);
  CHECK(priced.json["errors"][0]["field"] == "price_cents");
  CHECK(c.sell(c.luis, c.centro_plan, c.luis.token).status == 403);  // members do not sell
  auto discounted = c.sell(c.nora, c.norte_plan, cloud.admin(), {{"price_cents", 1500}});
  REQUIRE(discounted.status == 201);
  CHECK(discounted.json["price_cents"] == 1500);
  CHECK(c.sell(c.coach, c.everywhere, cloud.admin()).status == 201);  // admins sell to staff
  CHECK(cloud.count("subscriptions") == 4);
}

TEST_CASE("renewal: from when the membership ends (or now when it lapsed), once; a retried key is the same renewal") {
  TestCloud cloud;
  Club c(cloud);
  auto sub = c.sell(c.luis, c.centro_plan, c.coach.token, {{"starts_at", "2026-03-01T00:00:00Z"}});
  REQUIRE(sub.status == 201);
  const std::string id = sub.json["id"];
  HttpClient desk(cloud.port());
  desk.set_header("Idempotency-Key", "renew-luis-1");
  auto renewed = desk.post("/api/subscriptions/" + id + "/renew", Json::object(), c.coach.token);
  REQUIRE_MESSAGE(renewed.status == 201, renewed.body);
  CHECK(renewed.json["starts_at"] == "2026-03-31T00:00:00.000Z");
  CHECK(renewed.json["expires_at"] == "2026-04-30T00:00:00.000Z");
  CHECK(renewed.json["renews"] == id);
  CHECK(renewed.json["price_cents"] == 2999);
  auto retried = desk.post("/api/subscriptions/" + id + "/renew", Json::object(), c.coach.token);
  CHECK(retried.status == 201);
  CHECK(retried.json["id"] == renewed.json["id"]);
  CHECK(retried.header("idempotency-replayed") == "true");
  auto twice = cloud.http.post("/api/subscriptions/" + id + "/renew", Json::object(), c.coach.token);
  CHECK(twice.status == 409);
  CHECK(twice.json["type"].get<std::string>().find("already-renewed") != std::string::npos);
  CHECK(cloud.http.post("/api/subscriptions/sub_missing/renew", Json::object(), c.coach.token).status == 404);
  CHECK(cloud.http.post("/api/subscriptions/" + id + "/renew", Json::object(), c.luis.token).status == 403);

  // Nora's lapsed a month ago: renewed from now, by an admin (the trainer is not hers to sell to).
  auto hers = c.sell(c.nora, c.norte_plan, cloud.admin(), {{"starts_at", "2026-01-01T00:00:00Z"}});
  REQUIRE(hers.status == 201);
  CHECK(cloud.http.post("/api/subscriptions/" + hers.json["id"].get<std::string>() + "/renew", Json::object(), c.coach.token).status == 403);
  auto lapsed = cloud.http.post("/api/subscriptions/" + hers.json["id"].get<std::string>() + "/renew", Json::object(), cloud.admin());
  REQUIRE(lapsed.status == 201);
  CHECK(lapsed.json["starts_at"] == "2026-03-02T09:00:00.000Z");
  CHECK(cloud.count("subscriptions") == 4);
}

TEST_CASE("memberships sold under concurrency: ten desks renewing one membership renew it once; one key sent at once sells once") {
  TestCloud cloud;
  Club c(cloud);
  auto sub = c.sell(c.luis, c.centro_plan, c.coach.token);
  REQUIRE(sub.status == 201);
  const std::string path = "/api/subscriptions/" + sub.json["id"].get<std::string>() + "/renew";
  constexpr int kDesks = 10;
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> desks;
  for (int i = 0; i < kDesks; ++i)
    desks.emplace_back([&, i] {
      HttpClient desk(cloud.port());
      desk.set_header("Idempotency-Key", "renew-" + std::to_string(i));
      auto r = desk.post(path, Json::object(), i % 2 ? c.coach.token : cloud.admin());
      (r.status == 201 ? created : r.status == 409 ? refused : other)++;
    });
  for (auto& d : desks) d.join();
  CHECK(created == 1);
  CHECK(refused == kDesks - 1);
  CHECK(other == 0);

  std::atomic<int> answered{0};
  std::set<std::string> ids;
  std::mutex mu;
  std::vector<std::thread> retries;
  for (int i = 0; i < kDesks; ++i)
    retries.emplace_back([&] {
      HttpClient desk(cloud.port());
      desk.set_header("Idempotency-Key", "sale-nora-1");
      auto r = desk.post("/api/subscriptions", {{"user_id", c.nora.id}, {"plan_id", c.norte_plan}}, cloud.admin());
      if (r.status != 201) return;
      ++answered;
      std::lock_guard lock(mu);
      ids.insert(r.json["id"].get<std::string>());
    });
  for (auto& t : retries) t.join();
  CHECK(answered == kDesks);
  CHECK(ids.size() == 1);
  CHECK(cloud.count("subscriptions") == 3);
}

TEST_CASE("subscriptions of a branch: by status and expiring soon; trainers see their branches only; bad filters are named") {
  TestCloud cloud;
  Club c(cloud);
  const auto luis_sub = c.sell(c.luis, c.centro_plan, cloud.admin()).json["id"].get<std::string>();                 // ends in 30 days
  const auto nora_sub = c.sell(c.nora, c.norte_plan, cloud.admin()).json["id"].get<std::string>();                  // Norte only
  const auto all_sub = c.sell(c.nora, c.everywhere, cloud.admin(), {{"starts_at", "2026-03-01T00:00:00Z"}}).json["id"].get<std::string>();
  auto eva = cloud.member("eva@gym.test", c.centro);
  const auto old_sub = c.sell(eva, c.centro_plan, cloud.admin(), {{"starts_at", "2026-01-01T00:00:00Z"}}).json["id"].get<std::string>();  // lapsed
  REQUIRE(cloud.http.post("/api/subscriptions/" + luis_sub + "/suspend", Json::object(), cloud.admin()).status == 200);
  auto list = [&](const std::string& query, const std::string& token) {
    auto r = cloud.http.get("/api/subscriptions" + query, token);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return ids_of(r.json["items"]);
  };
  CHECK(list("?branch_id=" + c.centro, cloud.admin()) == std::set<std::string>{luis_sub, all_sub, old_sub});
  CHECK(list("", cloud.admin()) == std::set<std::string>{luis_sub, nora_sub, all_sub, old_sub});
  CHECK(list("?status=expired", cloud.admin()) == std::set<std::string>{old_sub});
  CHECK(list("?status=suspended&branch_id=" + c.centro, cloud.admin()) == std::set<std::string>{luis_sub});
  CHECK(list("?status=active", cloud.admin()) == std::set<std::string>{nora_sub, all_sub});
  CHECK(list("?expiring_within_days=29", cloud.admin()) == std::set<std::string>{all_sub});  // ends 31 March, the others 1 April
  CHECK(list("", c.coach.token) == std::set<std::string>{luis_sub, all_sub, old_sub});
  CHECK(cloud.http.get("/api/subscriptions?branch_id=" + c.norte, c.coach.token).status == 403);
  CHECK(cloud.http.get("/api/subscriptions", c.luis.token).status == 403);
  auto bad = cloud.http.get("/api/subscriptions?status=gone&expiring_within_days=0", cloud.admin());
  REQUIRE(bad.status == 400);
  CHECK(bad.json["errors"].size() == 2);
  auto page = cloud.http.get("/api/subscriptions?limit=2", cloud.admin());
  CHECK(page.json["items"].size() == 2);
  CHECK(page.json["next_cursor"].is_string());
}
