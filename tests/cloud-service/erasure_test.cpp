// Erasure (cloud-api-2.md: DELETE /api/users/me, DELETE /api/users/{id}): one transaction in
// which every domain forgets the person; visits and sales stay, under an id that names nobody.
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
std::int64_t rows_of(TestCloud& cloud, const std::string& sql, const std::string& user_id) {
  auto r = cloud.db().query(sql, {user_id});
  REQUIRE_MESSAGE(r.ok(), sql);
  return r->front().integer(0);
}

// A member with something in every domain: a card and a fingerprint, a visit (points, an
// achievement), a completed training session, a measurement, a buddy, a purchase, a reset mail.
struct LivedIn {
  TestCloud cloud;
  std::string centro;
  Person ana, bo;
  std::string sale_id;
  LivedIn() {
    centro = cloud.branch("Centro");
    const auto plan = cloud.plan({centro});
    ana = cloud.member("ana@gym.test", centro, plan);
    bo = cloud.member("bo@gym.test", centro, plan);
    auto& http = cloud.http;
    REQUIRE(http.patch("/api/users/" + ana.id, {{"phone", "+34600111222"}, {"document_id", "X1234567L"}}, cloud.admin()).status == 200);
    REQUIRE(http.post("/api/users/" + ana.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3"}}, cloud.admin()).status == 201);
    REQUIRE(http.post("/api/users/" + ana.id + "/credentials", {{"kind", "fingerprint"}, {"finger", "left_thumb"}, {"template", "AAECAw=="}}, cloud.admin()).status == 201);
    visit(cloud, ana, centro, 60);
    train(cloud, ana, 80);
    REQUIRE(http.post("/api/users/me/measurements", {{"measured_at", "2026-03-01T08:00:00Z"}, {"weight_kg", 61.5}}, fresh(cloud, ana)).status == 201);
    auto ask = http.post("/api/buddies/requests", {{"user_id", bo.id}}, ana.token);
    REQUIRE(ask.status == 201);
    REQUIRE(http.post("/api/buddies/requests/" + ask.json["id"].get<std::string>() + "/accept", Json::object(), fresh(cloud, bo)).status == 200);
    auto water = http.post("/api/products", {{"branch_id", centro}, {"name", "Water"}, {"sku", "W1"}, {"price_cents", 150}, {"stock", 5}}, cloud.admin());
    REQUIRE(water.status == 201);
    http.set_header("Idempotency-Key", "desk-1");
    auto sale = http.post("/api/sales", {{"branch_id", centro}, {"member_id", ana.id}, {"payment_method", "cash"}, {"items", {{{"product_id", water.json["id"]}, {"quantity", 1}}}}},
                          cloud.admin());
    http.set_header("Idempotency-Key", "");
    REQUIRE(sale.status == 201);
    sale_id = sale.json["id"];
    REQUIRE(http.post("/api/auth/password-reset", {{"email", "ana@gym.test"}}).status == 202);
    REQUIRE(http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", "wrong-password-1"}}).status == 401);  // audited by email
  }
};
}  // namespace

TEST_CASE("a member erases themselves: everything about them goes in one go, visits and sales stay anonymised, the gateway drops them") {
  LivedIn w;
  auto& cloud = w.cloud;
  auto& http = cloud.http;
  const auto& ana = w.ana;
  const std::string token = fresh(cloud, w.ana);
  const std::string refresh = http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}}).json["refresh_token"];
  auto gw = cloud.gateway_token(w.centro);
  const auto version = http.get("/api/sync/replica", gw).json["version"].get<std::int64_t>();
  REQUIRE(rows_of(cloud, "SELECT COUNT(*) FROM points_ledger WHERE user_id = ?", ana.id) > 0);
  REQUIRE(rows_of(cloud, "SELECT COUNT(*) FROM training_sessions WHERE user_id = ?", ana.id) > 0);

  // The wrong password changes nothing.
  auto wrong = http.raw("DELETE", "/api/users/me", Json({{"password", "not-her-password"}}).dump(), token);
  CHECK(wrong.status == 401);
  CHECK(http.get("/api/auth/me", token).status == 200);
  CHECK(http.raw("DELETE", "/api/users/me", Json(Json::object()).dump(), token).json["errors"][0]["field"] == "password");

  REQUIRE(http.raw("DELETE", "/api/users/me", Json({{"password", TestCloud::kPassword}}).dump(), token).status == 204);
  // The audit log says an erasure happened; nothing in it names her by her address any more
  // (her failed login before was audited by it).
  auto audit = http.get("/api/audit?action=user.erase", cloud.admin());
  REQUIRE(audit.json["items"].size() == 1);
  CHECK(audit.json["items"][0]["target"] == ana.id);
  CHECK(http.get("/api/audit?limit=200", cloud.admin()).body.find("ana@gym.test") == std::string::npos);

  // Signed out everywhere, and no way back in.
  CHECK(http.get("/api/auth/me", token).status == 401);
  CHECK(http.post("/api/auth/refresh", {{"refresh_token", refresh}}).status == 401);
  CHECK(http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}}).status == 401);
  // The person is a name-less row; nobody finds her.
  auto row = http.get("/api/users/" + ana.id, cloud.admin());
  REQUIRE(row.status == 200);
  CHECK(row.json["full_name"] == "Erased member");
  CHECK(row.json["email"].get<std::string>().find("ana") == std::string::npos);
  CHECK(row.json["phone"].is_null());
  CHECK(row.json["document_id"].is_null());
  CHECK(http.get("/api/users?q=ana", cloud.admin()).json["items"].empty());
  CHECK(http.get("/api/users?q=600111", cloud.admin()).json["items"].empty());
  // Each domain's data about her is gone.
  for (const char* sql : {"SELECT COUNT(*) FROM credentials WHERE user_id = ?", "SELECT COUNT(*) FROM user_search_keys WHERE user_id = ?",
                          "SELECT COUNT(*) FROM measurements WHERE user_id = ?", "SELECT COUNT(*) FROM training_sessions WHERE user_id = ?",
                          "SELECT COUNT(*) FROM workout_plans WHERE user_id = ?", "SELECT COUNT(*) FROM training_records WHERE user_id = ?",
                          "SELECT COUNT(*) FROM points_ledger WHERE user_id = ?", "SELECT COUNT(*) FROM points_balances WHERE user_id = ?",
                          "SELECT COUNT(*) FROM achievements_earned WHERE user_id = ?", "SELECT COUNT(*) FROM feed_items WHERE user_id = ?",
                          "SELECT COUNT(*) FROM buddies WHERE user_id = ?", "SELECT COUNT(*) FROM notifications WHERE user_id = ?",
                          "SELECT COUNT(*) FROM password_resets WHERE user_id = ?", "SELECT COUNT(*) FROM idempotency_keys WHERE owner = ?",
                          "SELECT COUNT(*) FROM token_families WHERE user_id = ? AND revoked_at IS NULL"}) {
    CAPTURE(sql);
    CHECK(rows_of(cloud, sql, ana.id) == 0);
  }
  CHECK(rows_of(cloud, "SELECT COUNT(*) FROM buddies WHERE buddy_id = ?", ana.id) == 0);  // Bo's side too
  CHECK(http.get("/api/buddies", fresh(cloud, w.bo)).json["items"].empty());
  // The gym's books keep her visit and her purchase, under her id.
  CHECK(rows_of(cloud, "SELECT COUNT(*) FROM gym_sessions WHERE user_id = ?", ana.id) == 1);
  CHECK(http.get("/api/sales/" + w.sale_id, cloud.admin()).status == 200);
  // The gateway drops her with the next delta.
  auto delta = http.get("/api/sync/replica?since=" + std::to_string(version), gw).json;
  REQUIRE(delta.contains("delta"));
  CHECK(delta["delta"]["removed_members"] == Json::array({ana.id}));
  CHECK(http.get("/api/sync/replica", gw).json["replica"].dump().find(ana.id) == std::string::npos);
  // Her address is free again.
  CHECK(http.post("/api/auth/register", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}, {"full_name", "Ana"}}).status == 201);
}

TEST_CASE("erasure by an admin; nobody else erases anyone, and admins are not erased by mistake") {
  LivedIn w;
  auto& cloud = w.cloud;
  auto& http = cloud.http;
  auto trainer = cloud.trainer("t@gym.test", {w.centro});
  CHECK(http.del("/api/users/" + w.ana.id, trainer.token).status == 403);
  CHECK(http.del("/api/users/" + w.ana.id, fresh(cloud, w.bo)).status == 403);
  CHECK(http.raw("DELETE", "/api/users/me", Json({{"password", TestCloud::kPassword}}).dump(), trainer.token).status == 403);
  CHECK(http.del("/api/users/usr_nobody", cloud.admin()).status == 404);
  const std::string admin_id = http.get("/api/auth/me", cloud.admin()).json["id"];
  CHECK(http.del("/api/users/" + admin_id, cloud.admin()).status == 409);
  CHECK(rows_of(cloud, "SELECT COUNT(*) FROM measurements WHERE user_id = ?", w.ana.id) == 1);
  REQUIRE(http.del("/api/users/" + w.ana.id, cloud.admin()).status == 204);
  CHECK(rows_of(cloud, "SELECT COUNT(*) FROM measurements WHERE user_id = ?", w.ana.id) == 0);
  CHECK(http.get("/api/auth/me", w.ana.token).status == 401);
  CHECK(http.get("/api/users/" + w.ana.id, cloud.admin()).json["full_name"] == "Erased member");
  // Her card no longer starts a visit at the desk.
  CHECK(http.post("/api/sessions/start", {{"branch_id", w.centro}, {"credential", "04A1B2C3"}}, trainer.token).status == 404);
}
