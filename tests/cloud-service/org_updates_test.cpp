// Chain operations' updates (cloud-api-2.md "Chain operations"): branches and plans changed
// and deactivated, people changed, suspended and found by the desk's search, memberships
// sold with their price and seller, renewed once, listed for a branch; the trainers' limits.
// Both engines.
#include <atomic>
#include <set>
#include <thread>

#include "domains/org/rules_people.hpp"
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

std::set<std::string> ids_of(const Json& items) {
  std::set<std::string> out;
  for (const auto& i : items) out.insert(i["id"].get<std::string>());
  return out;
}

std::set<std::string> fields_of(const Json& problem) {
  std::set<std::string> out;
  for (const auto& e : problem["errors"]) out.insert(e["field"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("search keys: folded names from each word, email, phone with and without +, document; a prefix's range") {
  using namespace spotter::cloud::org;
  CHECK(search_fold("  Ana   GARCÍA-Núñez ") == "ana garcia-nunez");
  CHECK(search_fold("Straße Ærø ×") == "strasse aero ×");
  const auto keys = search_keys("Ana García López", "Ana@Gym.test", std::string("+34600111222"), std::string("12345678Z"));
  const std::set<std::string> got(keys.begin(), keys.end());
  CHECK(got == std::set<std::string>{"ana garcia lopez", "garcia lopez", "lopez", "ana@gym.test", "+34600111222", "34600111222", "12345678z"});
  CHECK(search_keys("Jo-Ann Lee", "j@x.test", std::nullopt, std::nullopt).size() == 4);  // jo-ann lee, ann lee, lee, email
  const std::string end = search_range_end("garc");
  CHECK(std::string("garcia") < end);
  CHECK(std::string("garc") < end);
  CHECK(std::string("gard") > end);
}

TEST_CASE("sale rules: admins sell anything; trainers to members of their branches, plans opening one, never to themselves") {
  using namespace spotter::cloud::org;
  const Seller admin{true, "usr_admin", {}}, coach{false, "usr_coach", {"br_c"}};
  const Buyer luis{"usr_luis", "member", std::string("br_c")}, nora{"usr_nora", "member", std::string("br_n")};
  CHECK(sale_refusal(admin, nora, {"br_x"}) == SaleRefusal::none);
  CHECK(sale_refusal(coach, luis, {"br_c"}) == SaleRefusal::none);
  CHECK(sale_refusal(coach, luis, {}) == SaleRefusal::none);  // a plan for every branch opens theirs
  CHECK(sale_refusal(coach, luis, {"br_n"}) == SaleRefusal::plan_elsewhere);
  CHECK(sale_refusal(coach, nora, {"br_c"}) == SaleRefusal::member_elsewhere);
  CHECK(sale_refusal(coach, {"usr_coach", "trainer", std::string("br_c")}, {}) == SaleRefusal::to_themselves);
  CHECK(sale_refusal(coach, {"usr_other", "trainer", std::string("br_c")}, {}) == SaleRefusal::not_a_member);
}

TEST_CASE("branches: admins change and deactivate them; an inactive branch is gone for members, starts no visit, and its doors close") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", norte, cloud.plan({}));
  auto coach = cloud.trainer("coach@gym.test", {norte});
  CHECK(http.get("/api/branches/" + norte, ana.token).json["currency"] == "EUR");
  CHECK(http.patch("/api/branches/" + norte, {{"name", "X"}}, coach.token).status == 403);
  CHECK(http.patch("/api/branches/br_missing", {{"name", "X"}}, cloud.admin()).status == 404);
  auto bad = http.patch("/api/branches/" + norte, {{"timezone", "Mars/Olympus"}, {"currency", "eur"}, {"opening_hours", {{"mon", "all"}}}, {"active", "no"}},
                        cloud.admin());
  REQUIRE(bad.status == 400);
  CHECK(fields_of(bad.json) == std::set<std::string>{"timezone", "currency", "opening_hours", "active"});
  CHECK(http.get("/api/branches/" + norte, cloud.admin()).json["timezone"] == "Europe/Madrid");  // nothing changed
  auto renamed = http.patch("/api/branches/" + norte, {{"name", "Norte 2"}, {"currency", "CHF"}, {"timezone", "Europe/Zurich"}}, cloud.admin());
  REQUIRE_MESSAGE(renamed.status == 200, renamed.body);
  CHECK(renamed.json["name"] == "Norte 2");
  CHECK(renamed.json["currency"] == "CHF");
  CHECK(renamed.json["opening_hours"] == all_day());  // absent: unchanged
  CHECK(http.get("/api/branches/" + norte, ana.token).json["timezone"] == "Europe/Zurich");

  const auto gw = cloud.gateway_token(norte);
  auto before = http.get("/api/sync/replica", gw);
  REQUIRE(before.status == 200);
  CHECK(before.json["replica"]["branch"]["name"] == "Norte 2");
  CHECK(before.json["replica"]["branch"]["opening_hours"] == all_day());
  REQUIRE(http.patch("/api/branches/" + norte, {{"active", false}}, cloud.admin()).json["active"] == false);
  CHECK(http.get("/api/branches/" + norte, ana.token).status == 404);
  CHECK(ids_of(http.get("/api/branches", ana.token).json["items"]) == std::set<std::string>{centro});
  CHECK(ids_of(http.get("/api/branches", coach.token).json["items"]) == std::set<std::string>{centro, norte});
  auto refused = http.post("/api/sessions/start", {{"branch_id", norte}}, ana.token);
  CHECK(refused.status == 409);
  CHECK(refused.json["type"].get<std::string>().find("branch-inactive") != std::string::npos);
  auto after = http.get("/api/sync/replica?since=" + std::to_string(before.json["version"].get<std::int64_t>()), gw);
  REQUIRE(after.status == 200);
  CHECK(after.json["changed"] == true);
  CHECK(after.json["replica"]["branch"]["opening_hours"] == Json::object());  // closed every day
  CHECK(after.json["replica"]["branch"]["active"] == false);
  REQUIRE(http.patch("/api/branches/" + norte, {{"active", true}}, cloud.admin()).status == 200);
  CHECK(http.post("/api/sessions/start", {{"branch_id", norte}}, ana.token).status == 201);
}

TEST_CASE("plans: a price change applies to new sales only; an inactive plan is not sold and members no longer see it") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto luis = cloud.member("luis@gym.test", centro), eva = cloud.member("eva@gym.test", centro);
  auto plan = cloud.plan({centro});  // 3,000 cents
  auto first = http.post("/api/subscriptions", {{"user_id", luis.id}, {"plan_id", plan}}, cloud.admin());
  REQUIRE(first.status == 201);
  const std::int64_t old_price = first.json["price_cents"].get<std::int64_t>();
  CHECK(http.patch("/api/membership-plans/" + plan, {{"price_cents", 4500}}, luis.token).status == 403);
  CHECK(fields_of(http.patch("/api/membership-plans/" + plan, {{"price_cents", -5}, {"duration_days", 0}, {"branch_ids", {"br_nope!"}}}, cloud.admin()).json) ==
        std::set<std::string>{"price_cents", "duration_days", "branch_ids"});
  CHECK(http.patch("/api/membership-plans/" + plan, {{"branch_ids", {"br_missing"}}}, cloud.admin()).status == 400);
  auto changed = http.patch("/api/membership-plans/" + plan, {{"price_cents", old_price + 1500}, {"name", "Centro plus"}}, cloud.admin());
  REQUIRE_MESSAGE(changed.status == 200, changed.body);
  CHECK(changed.json["branch_ids"] == Json::array({centro}));  // absent: unchanged
  auto second = http.post("/api/subscriptions", {{"user_id", eva.id}, {"plan_id", plan}}, cloud.admin());
  CHECK(second.json["price_cents"] == old_price + 1500);
  CHECK(http.get("/api/users/" + luis.id + "/subscriptions", cloud.admin()).json["items"][0]["price_cents"] == old_price);

  REQUIRE(http.patch("/api/membership-plans/" + plan, {{"active", false}}, cloud.admin()).json["active"] == false);
  auto refused = http.post("/api/subscriptions", {{"user_id", luis.id}, {"plan_id", plan}}, cloud.admin());
  CHECK(refused.status == 409);
  CHECK(refused.json["type"].get<std::string>().find("plan-inactive") != std::string::npos);
  CHECK(http.get("/api/membership-plans/" + plan, luis.token).status == 404);
  CHECK(ids_of(http.get("/api/membership-plans", luis.token).json["items"]).count(plan) == 0);
  CHECK(ids_of(http.get("/api/membership-plans", cloud.admin()).json["items"]).count(plan) == 1);
  // Luis's subscription still opens the door: deactivating stops sales, not memberships.
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}}, luis.token).status == 201);
}

TEST_CASE("people: staff change them within their limits; a suspended user cannot log in, their tokens stop and no door opens") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto luis = cloud.member("luis@gym.test", centro, cloud.plan({centro}));
  auto nora = cloud.member("nora@gym.test", norte);
  auto coach = cloud.trainer("coach@gym.test", {centro});
  auto other = cloud.trainer("other@gym.test", {centro});
  auto changed = http.patch("/api/users/" + luis.id, {{"full_name", "Luis Núñez"}, {"phone", "+34600111222"}, {"document_id", "X1"}}, coach.token);
  REQUIRE_MESSAGE(changed.status == 200, changed.body);
  CHECK(changed.json["full_name"] == "Luis Núñez");
  CHECK(changed.json["status"] == "active");
  CHECK(http.patch("/api/users/" + luis.id, {{"phone", nullptr}}, coach.token).json["phone"].is_null());  // null clears
  CHECK(http.patch("/api/users/" + luis.id, {{"phone", "12"}, {"status", "gone"}, {"full_name", ""}}, coach.token).status == 400);
  CHECK(http.patch("/api/users/" + nora.id, {{"full_name", "N"}}, coach.token).status == 403);  // not of his branches
  CHECK(http.patch("/api/users/" + other.id, {{"full_name", "O"}}, coach.token).status == 403);  // staff: admins only
  CHECK(http.patch("/api/users/" + luis.id, {{"role", "admin"}}, coach.token).status == 403);
  CHECK(http.patch("/api/users/" + luis.id, {{"home_branch_id", norte}}, coach.token).status == 403);
  CHECK(http.patch("/api/users/" + luis.id, {{"full_name", "L"}}, luis.token).status == 403);
  CHECK(http.patch("/api/users/" + coach.id, {{"status", "suspended"}}, coach.token).status == 403);  // staff: admins only
  const std::string admin_id = http.get("/api/auth/me", cloud.admin()).json["id"];
  auto self = http.patch("/api/users/" + admin_id, {{"status", "suspended"}, {"role", "member"}}, cloud.admin());
  CHECK(fields_of(self.json) == std::set<std::string>{"status", "role"});
  auto moved = http.patch("/api/users/" + other.id, {{"branch_ids", {norte}}}, cloud.admin());
  CHECK(moved.json["branch_ids"] == Json::array({norte}));
  CHECK(http.patch("/api/users/" + luis.id, {{"full_name", "L"}}, fresh(cloud, other)).status == 403);  // no longer his branch's

  // Suspended: the open session's token stops at once, no new login, no visit at the desk.
  REQUIRE(http.get("/api/auth/me", luis.token).status == 200);
  REQUIRE(http.patch("/api/users/" + luis.id, {{"status", "suspended"}}, coach.token).json["status"] == "suspended");
  CHECK(http.get("/api/auth/me", luis.token).status == 401);
  auto login = http.post("/api/auth/login", {{"email", "luis@gym.test"}, {"password", TestCloud::kPassword}});
  CHECK(login.status == 403);
  CHECK(login.json["type"].get<std::string>().find("account-suspended") != std::string::npos);
  CHECK(http.post("/api/auth/login", {{"email", "luis@gym.test"}, {"password", "wrong-Passw0rd!"}}).status == 401);  // says nothing more
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}, {"user_id", luis.id}}, coach.token).status == 403);
  const auto gw = cloud.gateway_token(centro);
  auto replica = http.get("/api/sync/replica", gw).json["replica"];
  REQUIRE(replica["memberships"].size() == 1);
  CHECK(replica["memberships"][0]["suspended"] == true);
  REQUIRE(http.patch("/api/users/" + luis.id, {{"status", "active"}}, coach.token).status == 200);
  CHECK(http.post("/api/auth/login", {{"email", "luis@gym.test"}, {"password", TestCloud::kPassword}}).status == 200);
  CHECK(http.get("/api/sync/replica", gw).json["replica"]["memberships"][0]["suspended"] == false);
}

TEST_CASE("people: a member moved to another home branch trains on that branch's board from then on") {
  TestCloud cloud;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({}));
  auto board = [&](const std::string& branch) {
    auto r = cloud.http.get("/api/leaderboards?branch_id=" + branch + "&metric=volume_kg", fresh(cloud, ana));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json["me"]["value"].get<double>();
  };
  train(cloud, ana, 100);
  CHECK(board(centro) == 1000.0);
  REQUIRE(cloud.http.patch("/api/users/" + ana.id, {{"home_branch_id", norte}}, cloud.admin()).status == 200);
  train(cloud, ana, 50);
  CHECK(board(norte) == 500.0);  // the home kept in memory was forgotten with the change
  CHECK(board(centro) == 1000.0);
}

TEST_CASE("search: a prefix of a name's words, email, phone or document, accents and case aside; trainers find their branches' people") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto coach = cloud.trainer("coach@gym.test", {centro});
  auto create = [&](const std::string& name, const std::string& email, const std::string& home, const std::string& phone) {
    auto r = http.post("/api/users", {{"email", email}, {"full_name", name}, {"role", "member"}, {"home_branch_id", home}, {"phone", phone}}, cloud.admin());
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return r.json["id"].get<std::string>();
  };
  const auto ana = create("Ana García López", "ana.g@gym.test", centro, "+34600111222");
  const auto angel = create("Ángel Ruiz", "angel@gym.test", norte, "+34600999888");
  const auto bea = create("Bea Garcés", "bea@gym.test", centro, "+34611222333");
  auto find = [&](const std::string& q, const std::string& token) {
    auto r = http.get("/api/users?q=" + q + "&role=member", token);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return ids_of(r.json["items"]);
  };
  CHECK(find("garc", cloud.admin()) == std::set<std::string>{ana, bea});
  CHECK(find("GARCIA", cloud.admin()) == std::set<std::string>{ana});
  CHECK(find("Garc%C3%ADa%20L", cloud.admin()) == std::set<std::string>{ana});  // "García L"
  CHECK(find("an", cloud.admin()) == std::set<std::string>{ana, angel});
  CHECK(find("lopez", cloud.admin()) == std::set<std::string>{ana});
  CHECK(find("bea%40", cloud.admin()) == std::set<std::string>{bea});
  CHECK(find("34600", cloud.admin()) == std::set<std::string>{ana, angel});
  CHECK(find("%2B346", cloud.admin()) == std::set<std::string>{ana, angel, bea});
  CHECK(find("zz", cloud.admin()).empty());
  CHECK(find("an", coach.token) == std::set<std::string>{ana});  // Ángel's home is Norte
  // A name changed is found by its new words only.
  REQUIRE(http.patch("/api/users/" + bea, {{"full_name", "Beatriz Soto"}}, cloud.admin()).status == 200);
  CHECK(find("garc", cloud.admin()) == std::set<std::string>{ana});
  CHECK(find("sot", cloud.admin()) == std::set<std::string>{bea});
  CHECK(http.get("/api/users?q=an", "not-a-token").status == 401);
  CHECK(http.get("/api/users?q=an", fresh(cloud, coach)).status == 200);
}

TEST_CASE("search: people from before the keys (or imported) are found once the index job has run") {
  TestCloud cloud;
  auto centro = cloud.branch("Centro");
  auto luis = cloud.member("luis@gym.test", centro);
  REQUIRE(cloud.db().execute("DELETE FROM user_search_keys WHERE user_id = ?", {luis.id}));
  CHECK(cloud.http.get("/api/users?q=luis", cloud.admin()).json["items"].empty());
  cloud.service->run_jobs_once();
  auto found = cloud.http.get("/api/users?q=luis", cloud.admin());
  REQUIRE(found.json["items"].size() == 1);
  CHECK(found.json["items"][0]["id"] == luis.id);
}
