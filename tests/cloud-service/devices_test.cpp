// A member's devices (cloud-api-2, Members): one per login, named by the app or its
// User-Agent; signing one out ends its tokens and closes its WebSockets at once, on both
// engines.
#include <map>

#include "domains/auth/device_name.hpp"
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

TEST_CASE("devices: each login is listed; signing one out ends its tokens and closes its sockets at once, and touches no other") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto bo = cloud.member("bo@gym.test", centro);
  auto login = [&](const char* device) {
    auto r = http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}, {"device_name", device}});
    REQUIRE(r.status == 200);
    return r.json;
  };
  const auto phone = login("Ana's phone");
  cloud.clock.advance(1min);
  const auto tablet = login("Ana's tablet");
  const std::string phone_token = phone["access_token"], tablet_token = tablet["access_token"];

  auto list = http.get("/api/users/me/devices", phone_token);
  REQUIRE(list.status == 200);
  std::map<std::string, Json> by_name;
  for (const auto& d : list.json["items"]) by_name[d["device_name"].get<std::string>()] = d;
  REQUIRE(by_name.count("Ana's phone") == 1);
  REQUIRE(by_name.count("Ana's tablet") == 1);
  CHECK(list.json["items"].size() == 3);  // and the fixture's own login
  CHECK(by_name["Ana's phone"]["current"] == true);
  CHECK(by_name["Ana's tablet"]["current"] == false);
  CHECK(list.json["items"][0]["device_name"] == "Ana's tablet");  // newest first
  const std::string tablet_id = by_name["Ana's tablet"]["id"], phone_id = by_name["Ana's phone"]["id"];

  // Refreshing is using: last_used_at moves.
  cloud.clock.advance(5min);
  auto refreshed = http.post("/api/auth/refresh", {{"refresh_token", phone["refresh_token"]}});
  REQUIRE(refreshed.status == 200);
  auto after = http.get("/api/users/me/devices", refreshed.json["access_token"].get<std::string>());
  for (const auto& d : after.json["items"])
    if (d["id"] == phone_id) CHECK(d["last_used_at"] != d["created_at"]);

  // The tablet's socket is open when the phone signs the tablet out.
  WsTestClient ws(cloud.port(), "/api/ws/machines?access_token=" + tablet_token);
  auto welcome = ws.next(3000ms);
  REQUIRE(welcome);
  REQUIRE((*welcome)["type"] == "welcome");
  // Someone else cannot, and an unknown id is not found; nothing changes.
  CHECK(http.del("/api/users/me/devices/" + tablet_id, bo.token).status == 404);
  CHECK(http.del("/api/users/me/devices/fam_nope", phone_token).status == 404);
  CHECK(http.del("/api/users/me/devices/" + tablet_id).status == 401);
  CHECK(http.get("/api/auth/me", tablet_token).status == 200);

  CHECK(http.del("/api/users/me/devices/" + tablet_id, refreshed.json["access_token"].get<std::string>()).status == 204);
  CHECK(http.get("/api/auth/me", tablet_token).status == 401);
  CHECK(http.post("/api/auth/refresh", {{"refresh_token", tablet["refresh_token"]}}).status == 401);
  // Closed at once, not at the next periodic check (15 s here): well within 5 s.
  auto closed = ws.next(5000ms);
  REQUIRE(closed);
  CHECK((*closed)["type"] == "error");
  CHECK_FALSE(ws.next(5000ms));
  // The others go on.
  CHECK(http.get("/api/auth/me", refreshed.json["access_token"].get<std::string>()).status == 200);
  CHECK(http.get("/api/auth/me", ana.token).status == 200);
  auto left = http.get("/api/users/me/devices", ana.token);
  CHECK(left.json["items"].size() == 2);
  for (const auto& d : left.json["items"]) CHECK(d["id"] != tablet_id);
  // Signed out twice: gone already.
  CHECK(http.del("/api/users/me/devices/" + tablet_id, ana.token).status == 404);
  // The device name is checked like any field.
  CHECK(http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}, {"device_name", 42}}).status == 400);
  CHECK(http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}, {"device_name", std::string(101, 'x')}}).status == 400);
}

TEST_CASE("devices: a login without a device name is named by its User-Agent, as printable text") {
  CHECK(cloud::auth::device_from_user_agent("Spotter/2.1 (iPhone; iOS 18.1)") == "Spotter/2.1 (iPhone; iOS 18.1)");
  CHECK(cloud::auth::device_from_user_agent("bad\x01\xC3\xA9") == "bad???");
  CHECK(cloud::auth::device_from_user_agent(std::string(300, 'a')).size() == 100);
}
