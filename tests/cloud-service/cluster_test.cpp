// Several instances on one PostgreSQL database are one service (processes.md, "Part 2"):
// changes reach every instance's WebSocket clients and caches within 1 s, limits count
// across instances, jobs run once, a database that goes away and comes back is survived.
// The same in-process instances a load balancer would spread requests over.
#include <thread>

#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

const bool kNeedsPostgres = !testing_on_postgres();

}  // namespace

TEST_CASE("instances: a WebSocket client of one sees a change made through another, and its availability follows" * doctest::skip(kNeedsPostgres)) {
  TestCloud cloud;
  auto other = cloud.another_instance();
  HttpClient via_b(other->port());
  auto centro = cloud.branch();
  const auto gw = cloud.heard_machine(centro, "tm-1");
  // B has the branch's availability in memory.
  auto before = via_b.get("/api/machines/availability?branch_id=" + centro, cloud.admin());
  REQUIRE(before.status == 200);
  CHECK(before.json["items"][0]["state"] == "idle");

  WsTestClient ws(other->port(), "/api/ws/machines?branch_id=" + centro + "&access_token=" + cloud.admin());
  REQUIRE(ws.next_of_type("welcome", 2s));
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(cloud.http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "E7"}, {"severity", "fault"}}, gw).status == 200);
  auto pushed = ws.next_of_type("machine_status", 1s);
  REQUIRE_MESSAGE(pushed, "the change made through A never reached B's WebSocket client");
  MESSAGE("change through A -> WebSocket client of B: ", std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count(), " ms");
  CHECK((*pushed)["machine_id"] == "tm-1");
  CHECK((*pushed)["state"] == "maintenance");
  CHECK((*pushed)["maintenance_code"] == "E7");
  // B's cached answer was dropped: it shows the machine as it is now.
  CHECK(eventually([&] { return via_b.get("/api/machines/availability?branch_id=" + centro, cloud.admin()).json["items"][0]["state"] == "maintenance"; }, 1s));
}

TEST_CASE("instances: live progress posted to one instance reaches the member's WebSocket on another" * doctest::skip(kNeedsPostgres)) {
  TestCloud cloud;
  auto other = cloud.another_instance();
  auto centro = cloud.branch();
  const auto gw = cloud.heard_machine(centro, "tm-1");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  REQUIRE(cloud.http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  REQUIRE(cloud.http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  WsTestClient ws(other->port(), "/api/ws/machines?access_token=" + ana.token);
  REQUIRE(ws.next_of_type("welcome", 2s));
  Json items = {{{"machine_id", "tm-1"}, {"ts", cloud.clock.now_ms()}, {"metrics", {{"speed_kmh", 9.0}}}}};
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(cloud.http.post("/api/sync/progress", {{"items", items}}, gw).json["delivered"] == 1);
  auto pushed = ws.next_of_type("workout_progress", 1s);
  REQUIRE_MESSAGE(pushed, "progress posted to A never reached B's WebSocket client");
  MESSAGE("progress through A -> member's WebSocket on B: ", std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count(), " ms");
  CHECK((*pushed)["metrics"]["speed_kmh"] == 9.0);
}

TEST_CASE("instances: login limits count across instances; a logout or a new membership is seen everywhere at once" * doctest::skip(kNeedsPostgres)) {
  TestCloud cloud;
  auto other = cloud.another_instance();
  HttpClient via_b(other->port());
  auto centro = cloud.branch();
  auto ana = cloud.member("ana@gym.test", centro);
  // Five failures through A, the sixth attempt through B: refused, whatever the password.
  for (int i = 0; i < 5; ++i) CHECK(cloud.http.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", "Wrong-Passw0rd"}}).status == 401);
  auto sixth = via_b.post("/api/auth/login", {{"email", "ana@gym.test"}, {"password", TestCloud::kPassword}});
  CHECK(sixth.status == 429);
  CHECK_FALSE(sixth.header("retry-after").empty());
  cloud.clock.advance(16min);

  // B knows Ana's login and her branches (her home branch; no membership elsewhere).
  auto norte = cloud.branch("Norte");
  const auto token = cloud.login("ana@gym.test", TestCloud::kPassword);
  CHECK(via_b.get("/api/auth/me", token).status == 200);
  CHECK(via_b.get("/api/machines/availability?branch_id=" + norte, token).status == 403);
  // A membership sold through A opens the other branch on B.
  REQUIRE(cloud.http.post("/api/subscriptions", {{"user_id", ana.id}, {"plan_id", cloud.plan({norte})}}, cloud.admin()).status == 201);
  CHECK(eventually([&] { return via_b.get("/api/machines/availability?branch_id=" + norte, token).status == 200; }, 1s));
  // A logout through A ends the token on B.
  REQUIRE(cloud.http.post("/api/auth/logout", Json::object(), token).status == 204);
  CHECK(eventually([&] { return via_b.get("/api/auth/me", token).status == 401; }, 1s));
}

TEST_CASE("instances: each background job runs in one instance at a time" * doctest::skip(kNeedsPostgres)) {
  TestCloud cloud;
  auto other = cloud.another_instance();
  auto centro = cloud.branch();
  auto plan = cloud.plan({centro});
  std::vector<Person> members;
  for (int i = 0; i < 5; ++i) {
    members.push_back(cloud.member("m" + std::to_string(i) + "@gym.test", centro, plan));
    REQUIRE(cloud.http.post("/api/sessions/start", {{"branch_id", centro}}, members.back().token).status == 201);
  }
  cloud.clock.advance(5h);
  std::thread a([&] { cloud.service->run_jobs_once(); });
  std::thread b([&] { other->run_jobs_once(); });
  a.join();
  b.join();
  // Every session ended once, and each member told once.
  CHECK(cloud.count("gym_sessions WHERE status = 'ended' AND ended_by = 'timeout'") == 5);
  CHECK(cloud.count("notifications WHERE kind = 'session_auto_ended'") == 5);
  auto runs = cloud.db().query("SELECT runs FROM job_runs WHERE name = 'session_auto_end'");
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().integer(0) == 1);  // the lease kept the second instance out
}

TEST_CASE("instances: three starting at once on a new database migrate it once and share one set of keys" * doctest::skip(kNeedsPostgres)) {
  TempDir dir;
  const std::string url = fresh_database_url(dir);
  ManualClock clock(kMonday0900Utc);
  auto logs = std::make_shared<MemoryLogSink>();
  std::vector<std::unique_ptr<cloud::Service>> instances(3);
  std::vector<std::thread> starting;
  std::atomic<int> failed{0};
  for (auto& slot : instances)
    starting.emplace_back([&] {
      try {
        slot = cloud::Service::start(test_config(url, clock, logs));
      } catch (const std::exception& e) {
        ++failed;
        MESSAGE("start failed: ", e.what());
      }
    });
  for (auto& t : starting) t.join();
  REQUIRE(failed == 0);
  auto db = open_database(url);
  auto keys = db->query("SELECT purpose, COUNT(*) FROM signing_keys WHERE retired_at IS NULL GROUP BY purpose ORDER BY purpose");
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  for (const auto& k : *keys) CHECK(k.integer(1) == 1);
  auto dup = db->query("SELECT COUNT(*), COUNT(DISTINCT id) FROM schema_migrations");
  REQUIRE(dup);
  CHECK(dup->front().integer(0) == dup->front().integer(1));
  // A token from one instance works on the others.
  REQUIRE(cloud::Main({"admin", "create", "--db", url, "--email", "admin@gym.test", "--password", TestCloud::kPassword}) == 0);
  HttpClient first(instances[0]->port());
  auto login = first.post("/api/auth/login", {{"email", "admin@gym.test"}, {"password", TestCloud::kPassword}});
  REQUIRE(login.status == 200);
  for (auto& s : instances) CHECK(HttpClient(s->port()).get("/api/auth/me", login.json["access_token"]).status == 200);
  instances.clear();
  db.reset();
  drop_database(url);
}

TEST_CASE("X-Forwarded-For is believed only from trusted proxies: limits and the audit log use the client's address") {
  // Behind the balancer, every client arrives from 127.0.0.1.
  TestCloud cloud([](cloud::ServiceConfig& c) { c.trusted_proxies = "127.0.0.1/32"; });
  auto& http = cloud.http;
  http.set_header("X-Forwarded-For", "198.51.100.7");
  for (int i = 0; i < 5; ++i)
    CHECK(http.post("/api/auth/login", {{"email", "x" + std::to_string(i) + "@gym.test"}, {"password", "Wrong-Passw0rd"}}).status == 401);
  CHECK(http.post("/api/auth/login", {{"email", "y@gym.test"}, {"password", "Wrong-Passw0rd"}}).status == 429);
  // Another client behind the same balancer is not locked out by the first one.
  http.set_header("X-Forwarded-For", "198.51.100.8, 127.0.0.1");
  CHECK(http.post("/api/auth/login", {{"email", "y@gym.test"}, {"password", "Wrong-Passw0rd"}}).status == 401);
  http.set_header("X-Forwarded-For", "");
  auto audit = http.get("/api/audit?action=auth.login_failed", cloud.admin());
  REQUIRE(audit.status == 200);
  CHECK(audit.json["items"][0]["ip"] == "198.51.100.8");
  CHECK(audit.json["items"][1]["ip"] == "198.51.100.7");

  // Without trusted proxies the header is ignored: anyone could write it.
  TestCloud direct;
  direct.http.set_header("X-Forwarded-For", "203.0.113.1");
  CHECK(direct.http.post("/api/auth/login", {{"email", "z@gym.test"}, {"password", "Wrong-Passw0rd"}}).status == 401);
  direct.http.set_header("X-Forwarded-For", "");
  CHECK(direct.http.get("/api/audit?action=auth.login_failed", direct.admin()).json["items"][0]["ip"] == "127.0.0.1");
}

TEST_CASE("the database going away: 503 with Retry-After and /health 503, never a hang; back by itself when it returns" * doctest::skip(kNeedsPostgres)) {
  TempDir pg_dir;
  Postgres server(pg_dir.path(), true);
  const std::string url = server.create_database();
  ManualClock clock(kMonday0900Utc);
  REQUIRE(cloud::Main({"admin", "create", "--db", url, "--email", "admin@gym.test", "--password", TestCloud::kPassword}) == 0);
  auto service = cloud::Service::start(test_config(url, clock));
  HttpClient http(service->port());
  const std::string admin = http.post("/api/auth/login", {{"email", "admin@gym.test"}, {"password", TestCloud::kPassword}}).json["access_token"];
  Json hours = {{"mon", Json::array({Json::array({"00:00", "24:00"})})}};
  REQUIRE(http.post("/api/branches", {{"name", "Centro"}, {"timezone", "UTC"}, {"opening_hours", hours}}, admin).status == 201);

  server.stop();
  const auto asked = std::chrono::steady_clock::now();
  auto down = http.post("/api/branches", {{"name", "Norte"}, {"timezone", "UTC"}, {"opening_hours", hours}}, admin);
  CHECK(down.status == 503);
  CHECK(down.header("retry-after") == "1");
  CHECK(std::chrono::steady_clock::now() - asked < 10s);
  auto health = http.get("/health");
  CHECK(health.status == 503);
  CHECK(health.json["database"]["ok"] == false);
  CHECK(http.get("/api/branches", admin).status == 503);

  server.start();
  CHECK(eventually([&] { return http.get("/health").status == 200; }, 15s, 200ms));
  CHECK(http.post("/api/branches", {{"name", "Norte"}, {"timezone", "UTC"}, {"opening_hours", hours}}, admin).status == 201);
  CHECK(http.get("/api/branches", admin).json["items"].size() == 2);
  // The channel to the other instances came back too.
  CHECK(eventually([&] { return http.get("/health").json["cluster"]["state"] == "listening"; }, 10s, 200ms));
}
