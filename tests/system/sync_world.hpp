#pragma once
// A branch in sync for system tests: a real mosquitto, spotter-cloud (SQLite) and
// spotter-edge as separate processes, a member with a card and a plan, a treadmill, and an
// MQTT client standing in for the devices.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "../cloud-service/client.hpp"
#include "spotter/protocol/codec.hpp"
#include "spotter/testing/broker.hpp"
#include "spotter/testing/mqtt_probe.hpp"
#include "spotter/testing/process.hpp"

namespace spotter::testing {
using namespace std::chrono_literals;
using namespace spotter::protocol;

#if defined(__SANITIZE_ADDRESS__)
inline constexpr auto kLive = 3000ms;  // the live-path bound, widened for the sanitizer build's slowness
// A backlog the sanitizer build drains in CI's time; still deep enough to be queued behind
// when the door scan comes.
inline constexpr int kCatchUpEvents = 40'000;
#else
inline constexpr auto kLive = 1000ms;
inline constexpr int kCatchUpEvents = 200'000;
#endif
inline constexpr const char* kPassword = "Str0ng-Passw0rd!";

struct SyncWorld {
  TempDir dir;
  Broker broker{dir.path() / "broker"};
  int cloud_port = free_port();
  std::unique_ptr<ChildProcess> cloud, edge;
  std::unique_ptr<HttpClient> http;
  std::string admin, branch, member_id, member_token, gateway_id, secret_file;
  MqttProbe devices{broker.uri(), "devices"};
  int counter = 0;
  // How the agent reaches the cloud; empty: plain http:// to the cloud's port on loopback.
  std::vector<std::string> cloud_args;

  // `with_edge` false: the cloud and the branch only; the test starts the agent itself.
  explicit SyncWorld(bool with_edge = true) {
    const std::string db = "sqlite:" + (dir.path() / "cloud.db").string();
    ChildProcess create({bin("spotter-cloud"), "admin", "create", "--db", db, "--email", "admin@gym.test", "--password", kPassword}, dir.path());
    REQUIRE(create.wait(30s) == 0);
    start_cloud();
    admin = login("admin@gym.test");
    Json hours = Json::object();
    for (const char* d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) hours[d] = Json::array({Json::array({"00:00", "24:00"})});
    branch = post("/api/branches", {{"name", "Centro"}, {"timezone", "Europe/Madrid"}, {"opening_hours", hours}})["id"];
    auto plan = post("/api/membership-plans", {{"name", "Monthly"}, {"price_cents", 3000}, {"duration_days", 30}, {"branch_ids", {branch}}})["id"];
    member_id = post("/api/users", {{"email", "ana@gym.test"}, {"full_name", "Ana"}, {"role", "member"}, {"password", kPassword}, {"home_branch_id", branch}})["id"];
    post("/api/subscriptions", {{"user_id", member_id}, {"plan_id", plan}});
    post("/api/users/" + member_id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3"}});
    post("/api/machines", {{"branch_id", branch}, {"machine_id", "tm-1"}, {"name", "Treadmill 1"}, {"category", "cardio"}, {"type", "treadmill"}});
    auto gw = post("/api/gateways", {{"branch_id", branch}, {"name", "front desk gateway"}});
    gateway_id = gw["gateway_id"];
    secret_file = (dir.path() / "gateway.secret").string();
    std::ofstream(secret_file) << gw["secret"].get<std::string>() << "\n";
    ::chmod(secret_file.c_str(), 0600);
    member_token = login("ana@gym.test");
    devices.subscribe("spotter/v1/" + branch + "/#", 1);
    if (!with_edge) return;
    start_edge();
    // The replica arrives from the cloud: the card opens the door.
    REQUIRE(eventually([&] { return edge_status()["members"] == 1; }, 15s));
  }

  void start_cloud() {
    // Fingerprint templates are sealed at rest with this key (64 hex digits, mode 0600).
    const std::string key_file = (dir.path() / "fingerprint.key").string();
    std::ofstream(key_file) << std::string(64, 'c') << "\n";
    ::chmod(key_file.c_str(), 0600);
    cloud = std::make_unique<ChildProcess>(std::vector<std::string>{bin("spotter-cloud"), "serve", "--listen", "127.0.0.1:" + std::to_string(cloud_port),
                                                                    "--db", "sqlite:" + (dir.path() / "cloud.db").string(), "--job-interval", "1s",
                                                                    "--fingerprint-key", key_file},
                                           dir.path());
    REQUIRE(eventually([&] { return cloud->stderr_text().find("listening on") != std::string::npos; }, 15s));
    http = std::make_unique<HttpClient>(cloud_port);
  }
  void start_edge(const std::string& batch = "500") {
    std::vector<std::string> argv = {bin("spotter-edge"), "run", "--branch", branch, "--mqtt", broker.uri(), "--data-dir", (dir.path() / "edge").string(),
                                     "--gateway-id", gateway_id, "--gateway-secret-file", secret_file, "--sync-batch", batch};
    if (cloud_args.empty()) argv.insert(argv.end(), {"--cloud", "http://127.0.0.1:" + std::to_string(cloud_port)});
    argv.insert(argv.end(), cloud_args.begin(), cloud_args.end());
    edge = std::make_unique<ChildProcess>(argv, dir.path());
    REQUIRE(eventually([&] { return edge->stderr_text().find("\"running\"") != std::string::npos; }, 15s));
  }
  std::string login(const std::string& email) {
    auto r = http->post("/api/auth/login", {{"email", email}, {"password", kPassword}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json["access_token"];
  }
  Json post(const std::string& target, const Json& body) {
    auto r = http->post(target, body, admin);
    REQUIRE_MESSAGE(r.status / 100 == 2, target, " ", r.body);
    return r.json;
  }
  Json edge_status() {
    ChildProcess cli({bin("spotter-edge"), "status", "--data-dir", (dir.path() / "edge").string(), "--json"}, dir.path());
    if (cli.wait(10s) != 0) return Json::object();
    return parse_json_strict(cli.stdout_text()).value_or(Json::object());
  }
  std::string topic(const std::string& device, MessageType type) const { return build_topic(branch, device, type); }
  DoorDecision scan(const std::string& uid, const char* direction) { return scan(Credential{Credential::Kind::nfc, uid}, direction); }
  DoorDecision scan(const Credential& credential, const char* direction, const std::string& door = "main") {
    const std::string req = "s-" + std::to_string(++counter);
    devices.publish(topic(door, MessageType::door_scan), encode(DoorScan{req, credential, std::string(direction) == "in" ? Direction::in : Direction::out, std::nullopt}));
    auto mine = [&](const Received& r) { return r.topic.ends_with("/decision") && r.payload.find("\"" + req + "\"") != std::string::npos; };
    if (!devices.wait_for(mine, 1, 10s)) FAIL("no decision for ", req);
    for (const auto& r : devices.messages())
      if (mine(r)) return decode_door_decision(r.payload).value();
    return {};
  }
  std::int64_t sessions_in_cloud() {
    auto r = http->get("/api/sessions/history?limit=200&branch_id=" + branch, admin);
    return r.status == 200 ? static_cast<std::int64_t>(r.json["items"].size()) : -1;
  }
};

template <class Pred>
inline std::chrono::milliseconds time_until(Pred pred, std::chrono::milliseconds timeout, std::chrono::milliseconds every = 10ms) {
  const auto start = std::chrono::steady_clock::now();
  if (!eventually(pred, timeout, every)) return timeout + 1ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace spotter::testing
