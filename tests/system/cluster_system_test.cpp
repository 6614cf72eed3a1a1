// A chain's cloud as operators run it: three spotter-cloud processes on one PostgreSQL 15,
// behind HAProxy with deploy/haproxy/spotter-cloud.cfg. One is killed (SIGKILL) under a
// write load: every write it acknowledged is there, and new requests go to the survivors.
// A WebSocket client of one instance sees a change made through another.
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "../cloud-service/client.hpp"
#include "spotter/testing/postgres.hpp"
#include "spotter/testing/process.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPassword = "Str0ng-Passw0rd!";

Json all_day() {
  Json h = Json::object();
  for (const char* d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) h[d] = Json::array({Json::array({"00:00", "24:00"})});
  return h;
}

struct Cluster {
  TempDir dir;
  Postgres db{dir.path(), true};
  std::string url = db.create_database();
  std::vector<std::unique_ptr<ChildProcess>> instances;
  std::vector<int> ports;
  std::unique_ptr<ChildProcess> balancer;
  int lb_port = free_port();

  Cluster() {
    ChildProcess admin({bin("spotter-cloud"), "admin", "create", "--db", url, "--email", "admin@gym.test", "--password", kPassword}, dir.path());
    REQUIRE(admin.wait(60s) == 0);
    // All three at once, as a deploy starts them: they share the migrated schema and keys.
    for (int i = 0; i < 3; ++i)
      instances.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{bin("spotter-cloud"), "serve", "--listen", "127.0.0.1:0", "--db", url, "--trusted-proxies", "127.0.0.1",
                                   "--job-interval", "1s"},
          dir.path()));
    for (auto& p : instances) {
      ports.push_back(logged_port(*p));
      REQUIRE_MESSAGE(ports.back() > 0, p->stderr_text());
    }
    std::map<std::string, std::string> env{{"SPOTTER_LB_BIND", "127.0.0.1:" + std::to_string(lb_port)}};
    for (int i = 0; i < 3; ++i) env["SPOTTER_CLOUD_" + std::to_string(i + 1)] = "127.0.0.1:" + std::to_string(ports[static_cast<std::size_t>(i)]);
    balancer = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/sbin/haproxy", "-f", std::string(SPOTTER_SOURCE_DIR) + "/deploy/haproxy/spotter-cloud.cfg", "-db"}, dir.path(), env);
    // Up when requests through the balancer reach all three instances.
    std::set<std::string> seen;
    REQUIRE_MESSAGE(eventually([&] {
      try {
        HttpClient probe(lb_port);
        auto h = probe.get("/health");
        if (h.status == 200) seen.insert(h.json["instance_id"].get<std::string>());
      } catch (const std::exception&) {
      }
      return seen.size() == 3;
    }, 30s, 50ms), balancer->stderr_text());
  }
};

}  // namespace

TEST_CASE("three instances behind HAProxy: one SIGKILLed under a write load loses no acknowledged write; the survivors take over") {
  Cluster c;
  HttpClient lb(c.lb_port);
  auto login = lb.post("/api/auth/login", {{"email", "admin@gym.test"}, {"password", kPassword}});
  REQUIRE(login.status == 200);
  const std::string admin = login.json["access_token"];

  // A WebSocket client of instance 1 sees a machine change made through instance 3.
  HttpClient first(c.ports[0]), third(c.ports[2]);
  auto branch = third.post("/api/branches", {{"name", "Centro"}, {"timezone", "UTC"}, {"opening_hours", all_day()}}, admin);
  REQUIRE(branch.status == 201);
  const std::string centro = branch.json["id"];
  REQUIRE(third.post("/api/machines", {{"branch_id", centro}, {"machine_id", "tm-1"}, {"name", "T"}, {"category", "cardio"}, {"type", "treadmill"}}, admin).status == 201);
  WsTestClient ws(c.ports[0], "/api/ws/machines?branch_id=" + centro + "&access_token=" + admin);
  REQUIRE(ws.next());  // welcome
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(third.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "E9"}, {"severity", "fault"}}, admin).status == 200);
  std::optional<Json> pushed;
  while ((pushed = ws.next(2s)) && (*pushed)["type"] != "machine_status") {
  }
  REQUIRE_MESSAGE(pushed, "instance 1's client never heard of the change made through instance 3");
  CHECK((*pushed)["maintenance_code"] == "E9");
  MESSAGE("change through instance 3 -> WebSocket client of instance 1: ",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count(), " ms");

  // Writers through the balancer; instance 2 is killed while they write.
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, after_kill_ok{0};
  std::atomic<bool> killed{false};
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w)
    writers.emplace_back([&, w] {
      HttpClient client(c.lb_port);
      for (int i = 0; !stop; ++i) {
        const std::string name = "load-" + std::to_string(w) + "-" + std::to_string(i);
        try {
          auto r = client.post("/api/branches", {{"name", name}, {"timezone", "UTC"}, {"opening_hours", all_day()}}, admin);
          if (r.status == 201) {
            std::lock_guard lock(mu);
            acknowledged.push_back(r.json["id"]);
            if (killed) ++after_kill_ok;
          } else {
            ++errors;
          }
        } catch (const std::exception&) {
          ++errors;  // a connection the balancer cut: not acknowledged
        }
      }
    });
  REQUIRE(eventually([&] { std::lock_guard lock(mu); return acknowledged.size() >= 200; }, 30s));
  c.instances[1]->signal(SIGKILL);
  killed = true;
  REQUIRE(c.instances[1]->wait(10s));
  // The balancer notices within its health checks; writes carry on through the others.
  REQUIRE(eventually([&] { return after_kill_ok >= 300; }, 60s));
  stop = true;
  for (auto& t : writers) t.join();
  MESSAGE(acknowledged.size(), " writes acknowledged, ", errors.load(), " failed around the kill");

  // Every acknowledged write is there (read back straight from the database).
  HttpClient survivor(c.ports[0]);
  std::set<std::string> stored;
  std::optional<std::string> cursor;
  do {
    auto page = survivor.get("/api/branches?limit=200" + (cursor ? "&cursor=" + *cursor : std::string()), admin);
    REQUIRE(page.status == 200);
    for (const auto& b : page.json["items"]) stored.insert(b["id"].get<std::string>());
    cursor = page.json["next_cursor"].is_null() ? std::nullopt : std::optional<std::string>(page.json["next_cursor"].get<std::string>());
  } while (cursor);
  std::size_t missing = 0;
  for (const auto& id : acknowledged) missing += stored.count(id) == 0 ? 1 : 0;
  CHECK(missing == 0);
  CHECK(errors < 100);  // only the requests caught by the kill, not a stream of failures after it

  // New requests go to the survivors: fifty in a row through the balancer all succeed.
  int ok = 0;
  for (int i = 0; i < 50; ++i) ok += lb.get("/api/branches?limit=1", admin).status == 200 ? 1 : 0;
  CHECK(ok == 50);
}
