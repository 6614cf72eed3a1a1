// Branches, users, plans, subscriptions, credentials: roles and branch isolation.
#include <set>

#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

TEST_CASE("branches: admin creates, with a valid zone and hours; everyone lists; others get 403") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto member = cloud.member("m@gym.test", centro);
  auto trainer = cloud.trainer("t@gym.test", {centro});
  Json body = {{"name", "Norte"}, {"timezone", "Europe/Madrid"}, {"opening_hours", all_day()}};
  CHECK(http.post("/api/branches", body, member.token).status == 403);
  CHECK(http.post("/api/branches", body, trainer.token).status == 403);
  CHECK(http.post("/api/branches", body).status == 401);
  auto bad_zone = http.post("/api/branches", {{"name", "X"}, {"timezone", "Mars/Olympus"}, {"opening_hours", all_day()}}, cloud.admin());
  CHECK(bad_zone.status == 400);
  CHECK(bad_zone.json["errors"][0]["field"] == "timezone");
  auto bad_hours = http.post("/api/branches", {{"name", "X"}, {"timezone", "UTC"}, {"opening_hours", {{"mon", {{"22:00", "06:00"}}}}}}, cloud.admin());
  CHECK(bad_hours.status == 400);
  CHECK(http.get("/api/branches", member.token).json["items"].size() == 1);
  CHECK(http.get("/api/branches/" + centro, member.token).json["timezone"] == "Europe/Madrid");
  CHECK(http.get("/api/branches/br_missing", member.token).status == 404);
}

TEST_CASE("list endpoints page with limit and an opaque cursor") {
  TestCloud cloud;
  for (int i = 0; i < 5; ++i) cloud.branch("B" + std::to_string(i));
  auto& http = cloud.http;
  std::set<std::string> seen;
  std::string target = "/api/branches?limit=2";
  int pages = 0;
  while (true) {
    auto page = http.get(target, cloud.admin());
    REQUIRE(page.status == 200);
    ++pages;
    for (const auto& b : page.json["items"]) seen.insert(b["id"].get<std::string>());
    if (page.json["next_cursor"].is_null()) break;
    target = "/api/branches?limit=2&cursor=" + page.json["next_cursor"].get<std::string>();
  }
  CHECK(pages == 3);
  CHECK(seen.size() == 5);
  CHECK(http.get("/api/branches?limit=0", cloud.admin()).status == 400);
  CHECK(http.get("/api/branches?limit=201", cloud.admin()).status == 400);
  CHECK(http.get("/api/branches?cursor=bm90LWEtY3Vyc29y", cloud.admin()).status == 400);
}

TEST_CASE("users: admin and trainers create; search by email, document and phone; trainers see only their branches") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto trainer = cloud.trainer("t@gym.test", {centro});
  auto ok = http.post("/api/users", {{"email", "luis@gym.test"}, {"full_name", "Luis"}, {"role", "member"}, {"home_branch_id", centro},
                                     {"phone", "+34600111222"}, {"document_id", "12345678Z"}}, trainer.token);
  REQUIRE(ok.status == 201);
  const std::string luis = ok.json["id"];
  // Trainers create members of their own branches only, and never staff.
  CHECK(http.post("/api/users", {{"email", "x@gym.test"}, {"full_name", "X"}, {"role", "member"}, {"home_branch_id", norte}}, trainer.token).status == 403);
  CHECK(http.post("/api/users", {{"email", "y@gym.test"}, {"full_name", "Y"}, {"role", "trainer"}, {"home_branch_id", centro}}, trainer.token).status == 403);
  CHECK(http.post("/api/users", {{"email", "luis@gym.test"}, {"full_name", "L"}, {"role", "member"}, {"home_branch_id", centro}}, trainer.token).status == 409);
  auto bad = http.post("/api/users", {{"email", "z@gym.test"}, {"full_name", "Z"}, {"role", "owner"}, {"phone", "abc"}}, cloud.admin());
  CHECK(bad.status == 400);
  CHECK(bad.json["errors"].size() == 2);
  CHECK(http.post("/api/users", {{"email", "z@gym.test"}, {"full_name", "Z"}, {"role", "member"}, {"home_branch_id", "br_nope"}}, cloud.admin()).status == 400);
  auto other = cloud.member("nora@gym.test", norte);

  CHECK(http.get("/api/users?document_id=12345678Z", trainer.token).json["items"][0]["id"] == luis);
  CHECK(http.get("/api/users?phone=%2B34600111222", cloud.admin()).json["items"][0]["id"] == luis);
  CHECK(http.get("/api/users?email=LUIS@gym.test", cloud.admin()).json["items"][0]["id"] == luis);
  CHECK(http.get("/api/users?email=nora@gym.test", trainer.token).json["items"].empty());
  CHECK(http.get("/api/users/" + other.id, trainer.token).status == 403);
  CHECK(http.get("/api/users/" + luis, trainer.token).status == 200);
  CHECK(http.get("/api/users/usr_missing", cloud.admin()).status == 404);
  // Members see themselves only.
  CHECK(http.get("/api/users", other.token).status == 403);
  CHECK(http.get("/api/users/" + other.id, other.token).status == 200);
  CHECK(http.get("/api/users/" + luis, other.token).status == 403);
}

TEST_CASE("plans and subscriptions: expiry, suspension, resume; trainers only for their branches") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto trainer = cloud.trainer("t@gym.test", {centro});
  auto nora = cloud.member("nora@gym.test", norte);
  auto luis = cloud.member("luis@gym.test", centro);
  CHECK(http.post("/api/membership-plans", {{"name", "P"}, {"price_cents", 100}, {"duration_days", 30}}, trainer.token).status == 403);
  CHECK(http.post("/api/membership-plans", {{"name", "P"}, {"price_cents", -1}, {"duration_days", 0}}, cloud.admin()).status == 400);
  CHECK(http.post("/api/membership-plans", {{"name", "P"}, {"price_cents", 1}, {"duration_days", 3}, {"branch_ids", {"br_nope"}}}, cloud.admin()).status == 400);
  auto plan = cloud.plan({centro}, 30);
  auto both = cloud.plan({norte, centro}, 30);
  auto anywhere = cloud.plan({}, 30);
  auto listed = http.get("/api/membership-plans?limit=10", cloud.admin());
  REQUIRE(listed.status == 200);
  std::map<std::string, Json> branches_of;
  for (const auto& p : listed.json["items"]) branches_of[p["id"].get<std::string>()] = p["branch_ids"];
  CHECK(branches_of[plan] == Json::array({centro}));
  CHECK(branches_of[both] == Json(std::set<std::string>{norte, centro}));  // sorted
  CHECK(branches_of[anywhere] == Json::array());
  auto sub = http.post("/api/subscriptions", {{"user_id", luis.id}, {"plan_id", plan}, {"starts_at", "2026-03-01T00:00:00Z"}}, trainer.token);
  REQUIRE(sub.status == 201);
  CHECK(sub.json["expires_at"] == "2026-03-31T00:00:00.000Z");
  CHECK(sub.json["status"] == "active");
  CHECK(http.post("/api/subscriptions", {{"user_id", nora.id}, {"plan_id", plan}}, trainer.token).status == 403);
  CHECK(http.post("/api/subscriptions", {{"user_id", luis.id}, {"plan_id", "plan_missing"}}, cloud.admin()).status == 404);
  CHECK(http.post("/api/subscriptions", {{"user_id", luis.id}, {"plan_id", plan}, {"starts_at", "yesterday"}}, cloud.admin()).status == 400);
  const std::string id = sub.json["id"];
  CHECK(http.post("/api/subscriptions/" + id + "/suspend", Json::object(), luis.token).status == 403);
  CHECK(http.post("/api/subscriptions/" + id + "/suspend", Json::object(), trainer.token).json["status"] == "suspended");
  CHECK(http.post("/api/subscriptions/" + id + "/resume", Json::object(), trainer.token).json["status"] == "active");
  CHECK(http.get("/api/users/" + luis.id + "/subscriptions", luis.token).json["items"].size() == 1);
  // Expiry: the job marks it, and an expired subscription cannot be resumed.
  cloud.clock.advance(std::chrono::hours(24 * 30));
  cloud.service->run_jobs_once();
  const auto admin = cloud.login("admin@gym.test", TestCloud::kPassword);  // the old tokens expired meanwhile
  CHECK(http.get("/api/users/" + luis.id + "/subscriptions", admin).json["items"][0]["status"] == "expired");
  CHECK(http.post("/api/subscriptions/" + id + "/resume", Json::object(), admin).status == 409);
  CHECK(cloud.count("notifications") >= 1);
}

TEST_CASE("credentials: a UID belongs to one user; revoked cards stop working; QR payloads for members") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto trainer = cloud.trainer("t@gym.test", {centro});
  auto luis = cloud.member("luis@gym.test", centro);
  auto nora = cloud.member("nora@gym.test", norte);
  auto card = http.post("/api/users/" + luis.id + "/credentials", {{"kind", "nfc"}, {"uid", "04a1b2c3d4e5f6"}}, trainer.token);
  REQUIRE(card.status == 201);
  CHECK(card.json["uid"] == "04A1B2C3D4E5F6");
  CHECK(http.post("/api/users/" + luis.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3D4E5F6"}}, cloud.admin()).status == 409);
  CHECK(http.post("/api/users/" + nora.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3D4E5F7"}}, trainer.token).status == 403);
  CHECK(http.post("/api/users/" + luis.id + "/credentials", {{"kind", "nfc"}, {"uid", "XYZ"}}, trainer.token).status == 400);
  CHECK(http.post("/api/users/" + luis.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3D4E5F8"}}, luis.token).status == 403);
  const std::string cred = card.json["id"];
  CHECK(http.del("/api/users/" + luis.id + "/credentials/" + cred, trainer.token).status == 204);
  CHECK(http.del("/api/users/" + luis.id + "/credentials/" + cred, trainer.token).status == 404);
  // Once revoked the UID may be given to someone else.
  CHECK(http.post("/api/users/" + nora.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3D4E5F6"}}, cloud.admin()).status == 201);
  auto list = http.get("/api/users/" + luis.id + "/credentials", luis.token);
  CHECK_FALSE(list.json["items"][0]["revoked_at"].is_null());

  auto qr = http.get("/api/users/me/access-qr", luis.token);
  REQUIRE(qr.status == 200);
  CHECK(qr.json["payload"].get<std::string>().size() > 50);
  CHECK(qr.json["expires_at"] == "2026-03-02T09:01:00.000Z");
  CHECK(http.get("/api/users/me/access-qr", trainer.token).status == 403);
}
