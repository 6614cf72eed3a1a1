// WS /api/ws/machines: authentication, per-branch authorization, fan-out of every change.
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
// The next machine_status message, skipping others.
std::optional<Json> next_status(WsTestClient& ws) {
  for (int i = 0; i < 10; ++i) {
    auto m = ws.next();
    if (!m) return std::nullopt;
    if ((*m)["type"] == "machine_status") return m;
  }
  return std::nullopt;
}
}  // namespace

TEST_CASE("WebSocket: no token or a bad one is refused; a member sees only the branches their plan opens") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch(), norte = cloud.branch("Norte");
  cloud.machine(centro, "tm-1");
  cloud.machine(norte, "nb-1");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));

  WsTestClient bad(cloud.port(), "/api/ws/machines?access_token=nope");
  auto refusal = bad.next();
  REQUIRE(refusal);
  CHECK((*refusal)["type"] == "error");
  CHECK_FALSE(bad.next());  // closed by the server

  WsTestClient anon(cloud.port(), "/api/ws/machines");
  anon.send(R"({"type":"subscribe","branch_ids":[]})");
  CHECK((*anon.next())["detail"] == "authenticate first");

  WsTestClient forbidden(cloud.port(), "/api/ws/machines?branch_id=" + norte + "&access_token=" + ana.token);
  CHECK((*forbidden.next())["type"] == "error");

  // Token as the first message; default subscription: the member's branches.
  WsTestClient ws(cloud.port(), "/api/ws/machines");
  ws.send(Json{{"type", "auth"}, {"access_token", ana.token}}.dump());
  auto welcome = ws.next();
  REQUIRE(welcome);
  CHECK((*welcome)["type"] == "welcome");
  CHECK((*welcome)["branch_ids"] == Json::array({centro}));
  ws.send(Json{{"type", "subscribe"}, {"branch_ids", {norte}}}.dump());
  CHECK((*ws.next())["type"] == "error");

  auto gw_north = cloud.gateway_token(norte);
  auto gw = cloud.gateway_token(centro);
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "nb-1"}}, gw_north).status == 200);  // not hers: not sent
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, gw).status == 200);
  auto status = next_status(ws);
  REQUIRE(status);
  CHECK((*status)["machine_id"] == "tm-1");
  CHECK((*status)["branch_id"] == centro);
  CHECK((*status)["state"] == "idle");
  ws.send(R"({"type":"ping"})");
  CHECK((*ws.next())["type"] == "pong");
  ws.send("not json");
  CHECK((*ws.next())["type"] == "error");
}

TEST_CASE("WebSocket fan-out: every subscriber gets link, queue and maintenance changes") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto gw = cloud.heard_machine(centro, "tm-1");
  auto plan = cloud.plan({centro});
  auto ana = cloud.member("ana@gym.test", centro, plan);
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  auto trainer = cloud.trainer("t@gym.test", {centro});
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (int i = 0; i < 20; ++i) {
    const std::string& token = i % 2 ? ana.token : cloud.admin();
    clients.push_back(std::make_unique<WsTestClient>(cloud.port(), "/api/ws/machines?access_token=" + token));
    REQUIRE((*clients.back()->next())["type"] == "welcome");
  }
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  for (auto& c : clients) {
    auto s = next_status(*c);
    REQUIRE(s);
    CHECK((*s)["linked"] == true);
    CHECK((*s)["state"] == "in_use");
  }
  REQUIRE(http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "E42"}, {"severity", "fault"}}, trainer.token).status == 200);
  for (auto& c : clients) {
    // The link's end and the maintenance state may arrive as one coalesced update.
    std::optional<Json> s;
    do s = next_status(*c);
    while (s && (*s)["state"] != "maintenance");
    REQUIRE(s);
    CHECK((*s)["maintenance_code"] == "E42");
    CHECK((*s)["linked"] == false);
  }
  CHECK(cloud.http.get("/metrics").body.find("spotter_ws_clients 20") != std::string::npos);
}

TEST_CASE("WebSocket back-pressure: a client that stops reading neither slows the others nor misses the current state") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  const std::vector<std::string> machines = {"tm-1", "tm-2", "tm-3"};
  for (const auto& m : machines) cloud.machine(centro, m);
  auto gw = cloud.gateway_token(centro);
  WsTestClient stalled(cloud.port(), "/api/ws/machines?access_token=" + cloud.admin(), 4096);
  REQUIRE((*stalled.next())["type"] == "welcome");
  WsTestClient reader(cloud.port(), "/api/ws/machines?access_token=" + cloud.admin());
  REQUIRE((*reader.next())["type"] == "welcome");

  // 600 changes; `stalled` reads nothing meanwhile, `reader` gets every one, in order. The
  // server's send buffer (32 KiB) and the stalled client's receive buffer hold a few hundred
  // updates at most; the rest wait in the session, one per machine.
  const char* states[] = {"idle", "in_use"};
  for (int i = 0; i < 600; ++i) {
    const std::string& m = machines[static_cast<std::size_t>(i) % machines.size()];
    const char* state = states[(i / 3) % 2];
    REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", m}, {"state", state}}, gw).status == 200);
    auto s = next_status(reader);
    REQUIRE(s);
    CHECK((*s)["machine_id"] == m);
    CHECK((*s)["state"] == state);
  }
  // When it reads again it ends up with each machine's latest state (the last round, 199,
  // is odd: in_use), whatever was coalesced on the way.
  std::map<std::string, std::string> last;
  int received = 0;
  while (auto s = next_status(stalled)) {
    ++received;
    last[(*s)["machine_id"].get<std::string>()] = (*s)["state"].get<std::string>();
  }
  MESSAGE("the stalled client got " << received << " of 600 updates; the rest were coalesced");
  CHECK(received < 600);
  const auto metrics = http.get("/metrics").body;
  const std::string name = "\nspotter_ws_messages_coalesced_total ";
  const auto at = metrics.find(name);
  REQUIRE(at != std::string::npos);
  CHECK(std::stoi(metrics.substr(at + name.size())) == 600 - received);
  CHECK(last == std::map<std::string, std::string>{{"tm-1", "in_use"}, {"tm-2", "in_use"}, {"tm-3", "in_use"}});
}

TEST_CASE("WebSocket: authenticate in time; logout, expiry and suspension close an open socket, a fresh token keeps it; a cap refuses more") {
  using namespace std::chrono_literals;
  TestCloud cloud([](cloud::ServiceConfig& c) {
    c.ws_auth_deadline = 300ms;
    c.ws_recheck = 200ms;
    c.ws_max_connections = 4;
  });
  auto& http = cloud.http;
  auto centro = cloud.branch();
  const auto plan = cloud.plan({centro});
  auto ana = cloud.member("ana@gym.test", centro, plan);
  auto bo = cloud.member("bo@gym.test", centro, plan);
  auto cy = cloud.member("cy@gym.test", centro, plan);
  auto welcome = [](WsTestClient& ws) {
    auto m = ws.next(3000ms);
    return m && (*m)["type"] == "welcome";
  };
  auto closed_with_error = [](WsTestClient& ws) {
    auto m = ws.next(5000ms);
    return m && (*m)["type"] == "error" && !ws.next(5000ms);
  };

  {
    // Silent: closed after the deadline, with the reason.
    WsTestClient silent(cloud.port(), "/api/ws/machines");
    auto why = silent.next(5000ms);
    REQUIRE(why);
    CHECK((*why)["detail"].get<std::string>().find("authenticate") != std::string::npos);
    CHECK_FALSE(silent.next(5000ms));

    // Logging out ends the socket of that login.
    auto login = http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}});
    WsTestClient ana_ws(cloud.port(), "/api/ws/machines?access_token=" + login.json["access_token"].get<std::string>());
    REQUIRE(welcome(ana_ws));
    REQUIRE(http.post("/api/auth/logout", {{"refresh_token", login.json["refresh_token"]}}).status == 204);
    CHECK(closed_with_error(ana_ws));

    // Suspension ends it too.
    WsTestClient cy_ws(cloud.port(), "/api/ws/machines?access_token=" + cy.token);
    REQUIRE(welcome(cy_ws));
    REQUIRE(http.patch("/api/users/" + cy.id, {{"status", "suspended"}}, cloud.admin()).status == 200);
    CHECK(closed_with_error(cy_ws));

    // A token that expires ends it, unless the app sent a fresh one (of the same person).
    WsTestClient bo_ws(cloud.port(), "/api/ws/machines");
    bo_ws.send(Json{{"type", "auth"}, {"access_token", bo.token}}.dump());
    REQUIRE(welcome(bo_ws));
    WsTestClient bo_stale(cloud.port(), "/api/ws/machines?access_token=" + bo.token);
    REQUIRE(welcome(bo_stale));
    cloud.clock.advance(std::chrono::minutes(14));
    bo_ws.send(Json{{"type", "auth"}, {"access_token", fresh(cloud, bo)}}.dump());
    cloud.clock.advance(std::chrono::minutes(2));  // the first token has expired now
    CHECK(closed_with_error(bo_stale));
    bo_ws.send(R"({"type":"ping"})");
    std::optional<Json> pong;
    for (int i = 0; i < 5 && !(pong && (*pong)["type"] == "pong"); ++i) pong = bo_ws.next(3000ms);
    REQUIRE(pong);
    CHECK((*pong)["type"] == "pong");
    // Someone else's token on an open socket is refused, and closes it.
    bo_ws.send(Json{{"type", "auth"}, {"access_token", fresh(cloud, ana)}}.dump());
    CHECK(closed_with_error(bo_ws));
  }
  // The closed sockets above count until their connections are gone (the server's close
  // handshake waits for a client that no longer reads): wait for that, or the cap below
  // would be reached early.
  auto connections = [&] {
    const auto metrics = http.get("/metrics").body;
    const std::string name = "\nspotter_ws_connections ";
    const auto at = metrics.find(name);
    return at == std::string::npos ? -1 : std::stoi(metrics.substr(at + name.size()));
  };
  REQUIRE(eventually([&] { return connections() == 0; }, 15000ms, 50ms));

  // At most four at once: the fifth upgrade is refused with 503.
  std::vector<std::unique_ptr<WsTestClient>> open;
  for (int i = 0; i < 4; ++i) open.push_back(std::make_unique<WsTestClient>(cloud.port(), "/api/ws/machines?access_token=" + fresh(cloud, ana)));
  for (auto& ws : open) REQUIRE(welcome(*ws));
  CHECK(connections() == 4);
  CHECK_THROWS(WsTestClient(cloud.port(), "/api/ws/machines?access_token=" + ana.token));
  CHECK(http.get("/metrics").body.find("spotter_ws_refused_total 1") != std::string::npos);
  open.pop_back();  // one closes: there is room again
  CHECK(eventually([&] {
    try {
      WsTestClient again(cloud.port(), "/api/ws/machines?access_token=" + ana.token);
      return welcome(again);
    } catch (const std::exception&) {
      return false;
    }
  }, 5000ms, 100ms));
}
