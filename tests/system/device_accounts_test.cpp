// Device accounts at the branch broker (processes.md, "TLS and device authentication"): a
// real mosquitto runs with the password and ACL files `spotter-edge devices export` wrote,
// the agent logs in with its own account, and a machine can neither publish a door's scan
// nor read the doors' decisions.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

#include "spotter/common/json.hpp"
#include "spotter/common/opening_hours.hpp"
#include "spotter/testing/broker.hpp"
#include "spotter/testing/mqtt_probe.hpp"
#include "test_ca.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// devices.csv: device id -> password
std::map<std::string, std::string> passwords(const std::filesystem::path& csv) {
  std::map<std::string, std::string> out;
  std::stringstream in(read_all(csv));
  std::string line;
  std::getline(in, line);
  CHECK(line == "device_id,username,password");
  while (std::getline(in, line)) {
    const auto a = line.find(','), b = line.rfind(',');
    REQUIRE(a != b);
    CHECK(line.substr(0, a) == line.substr(a + 1, b - a - 1));  // the account is the device id
    out[line.substr(0, a)] = line.substr(b + 1);
  }
  return out;
}

int export_accounts(const std::filesystem::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {bin("spotter-edge"), "devices", "export", "--data-dir", (dir / "data").string(), "--out", (dir / "accounts").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ChildProcess p(argv, dir);
  return p.wait(20s).value_or(-1);
}

// Branch b1 with Ana (member, card 04A1B2C3D4E5F6) and `machines`, imported into DIR/data.
void import_replica(const TempDir& dir, const Json& machines = Json::array()) {
  SystemClock clock;
  Json replica = {
      {"branch", {{"id", "b1"}, {"timezone", "UTC"}, {"opening_hours", OpeningHours::always_open().to_json()}}},
      {"members", {{{"id", "ana"}, {"display_name", "Ana M."}}}},
      {"memberships", {{{"id", "m1"}, {"member_id", "ana"}, {"starts_at_ms", 0}, {"expires_at_ms", clock.now_ms() + 86'400'000}}}},
      {"cards", {{{"uid", "04A1B2C3D4E5F6"}, {"member_id", "ana"}}}},
      {"machines", machines},
  };
  std::ofstream(dir.path() / "replica.json") << replica.dump();
  ChildProcess import({bin("spotter-edge"), "import", (dir.path() / "replica.json").string(), "--data-dir", (dir.path() / "data").string()},
                      dir.path());
  REQUIRE(import.wait(10s) == 0);
}

}  // namespace

TEST_CASE("device accounts: exported from the registry, enforced by mosquitto; a machine cannot open a door or read decisions") {
  TempDir dir;
  import_replica(dir, Json::array({{{"id", "tm-1"}, {"name", "Treadmill 1"}, {"category", "cardio"}, {"type", "treadmill"}}}));

  // Export: the machine from the registry, the door named (no scan yet), all files private.
  REQUIRE(export_accounts(dir.path(), {"--doors", "main,door-01"}) == 0);
  const auto accounts = dir.path() / "accounts";
  for (const char* f : {"mosquitto.passwd", "mosquitto.acl", "devices.csv", "agent.password"}) {
    struct stat st {};
    REQUIRE(::stat((accounts / f).c_str(), &st) == 0);
    CHECK_MESSAGE((st.st_mode & 0777) == 0600, f);
  }
  auto first = passwords(accounts / "devices.csv");
  REQUIRE(first.size() == 3);
  REQUIRE(first.count("tm-1") == 1);
  REQUIRE(first.count("main") == 1);
  const auto passwd = read_all(accounts / "mosquitto.passwd");
  CHECK(passwd.find(first["tm-1"]) == std::string::npos);  // only hashes on the broker's side
  CHECK(passwd.find("tm-1:$7$101$") != std::string::npos);
  // A second export gives every device the password it had (devices stay provisioned).
  REQUIRE(export_accounts(dir.path()) == 0);  // "main" is not named now, and has not scanned: gone
  CHECK(passwords(accounts / "devices.csv") == std::map<std::string, std::string>{{"tm-1", first["tm-1"]}});
  REQUIRE(export_accounts(dir.path(), {"--doors", "main,door-01"}) == 0);
  CHECK(passwords(accounts / "devices.csv") == first);

  Broker broker(dir.path() / "broker", BrokerOptions{.password_file = accounts / "mosquitto.passwd", .acl_file = accounts / "mosquitto.acl"});
  ChildProcess edge({bin("spotter-edge"), "run", "--branch", "b1", "--mqtt", broker.uri(), "--data-dir", (dir.path() / "data").string(),
                     "--mqtt-username", "spotter-edge", "--mqtt-password-file", (accounts / "agent.password").string()},
                    dir.path());
  REQUIRE(eventually([&] { return edge.stderr_text().find("ingest connection up") != std::string::npos; }, 15s));
  REQUIRE(eventually([&] { return edge.stderr_text().find("connected to the broker") != std::string::npos; }, 15s));

  // Nobody without an account, or with a wrong password, gets in.
  CHECK_THROWS(MqttProbe(broker.uri(), "anonymous"));
  CHECK_THROWS(MqttProbe(broker.uri(), "tm-1", "tm-1", first["main"]));

  MqttProbe door(broker.uri(), "main", "main", first["main"]);
  door.subscribe("spotter/v1/b1/doors/main/decision");
  MqttProbe machine(broker.uri(), "tm-1", "tm-1", first["tm-1"]);
  machine.subscribe("spotter/v1/b1/doors/+/decision");
  machine.subscribe("spotter/v1/b1/#");

  auto decided = [&](const std::string& req) {
    return [req](const Received& r) { return r.payload.find("\"" + req + "\"") != std::string::npos; };
  };
  // The machine forges a scan in the door's name: the broker drops it, so the agent never
  // decides it. Then the door's own scan is decided (the agent's account publishes decisions).
  machine.publish("spotter/v1/b1/doors/main/scan", R"({"req_id":"forged","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"}})");
  door.publish("spotter/v1/b1/doors/main/scan", R"({"req_id":"real","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"}})");
  REQUIRE_MESSAGE(door.wait_for(decided("real"), 1, 10s), edge.stderr_text());
  CHECK(door.count(decided("forged")) == 0);
  // The machine saw none of it, though it subscribed to everything under the branch (the
  // broker sends a message to all its subscribers at once: the door has it, so 1 s more is
  // ample for a copy to the machine that should not exist).
  CHECK_FALSE(machine.wait_for([](const Received& r) { return r.topic.find("/doors/") != std::string::npos; }, 1, 1s));

  // spotter-sim's door logs in from devices.csv, and each of its scans is decided (its cards
  // are not in this replica: unknown_credential).
  ChildProcess sim({bin("spotter-sim"), "--mqtt", broker.uri(), "--branch", "b1", "--machines", "0", "--doors", "1", "--scan-interval", "100ms",
                    "--duration", "3s", "--stats-interval", "0s", "--devices-file", (accounts / "devices.csv").string()},
                   dir.path());
  REQUIRE(sim.wait(20s) == 0);
  const auto err = sim.stderr_text();
  const auto stopped = err.find("\"msg\":\"stopped\"");
  REQUIRE_MESSAGE(stopped != std::string::npos, err);
  auto line = err.substr(err.rfind('\n', stopped) + 1);
  auto stats = parse_json_strict(line.substr(0, line.find('\n')));
  REQUIRE(stats.ok());
  int decided_scans = 0;
  for (const auto& [reason, n] : (*stats)["stats"]["decisions"].items()) decided_scans += n.get<int>();
  CHECK(decided_scans > 0);
  // Each scan answered, but the last may still be on its way when the simulator stops.
  CHECK(decided_scans >= (*stats)["stats"]["published"]["scan"].get<int>() - 1);

  // Rotating one device changes its password at the next export, and only its own.
  ChildProcess rotate({bin("spotter-edge"), "devices", "rotate", "--data-dir", (dir.path() / "data").string(), "--device", "tm-1"}, dir.path());
  REQUIRE(rotate.wait(10s) == 0);
  REQUIRE(export_accounts(dir.path(), {"--doors", "main,door-01"}) == 0);
  auto rotated = passwords(accounts / "devices.csv");
  CHECK(rotated["main"] == first["main"]);
  CHECK(rotated["tm-1"] != first["tm-1"]);
  CHECK(rotated["tm-1"].size() == 32);
}

TEST_CASE("device accounts: bad input to export and to the agent's login is refused, naming the setting") {
  TempDir dir;
  // No replica yet: nothing to export from.
  CHECK(export_accounts(dir.path()) == 1);
  // The agent needs both halves of its login.
  ChildProcess half({bin("spotter-edge"), "run", "--branch", "b1", "--data-dir", (dir.path() / "data").string(), "--mqtt-username", "spotter-edge"},
                    dir.path());
  CHECK(half.wait(10s) == 2);
  CHECK(half.stderr_text().find("--mqtt-password-file") != std::string::npos);
  ChildProcess missing({bin("spotter-edge"), "run", "--branch", "b1", "--data-dir", (dir.path() / "data").string(), "--mqtt-username",
                        "spotter-edge", "--mqtt-password-file", (dir.path() / "nope").string()},
                       dir.path());
  CHECK(missing.wait(10s) == 2);
  CHECK(missing.stderr_text().find("cannot read") != std::string::npos);
  ChildProcess what({bin("spotter-edge"), "devices", "list", "--data-dir", (dir.path() / "data").string()}, dir.path());
  CHECK(what.wait(10s) == 2);
}

TEST_CASE("the agent reaches its broker over mqtts://: certificate and host name checked, doors and telemetry both work") {
  TempDir dir;
  const auto certs = dir.path() / "certs";
  std::filesystem::create_directories(certs);
  make_test_certificates(certs);
  import_replica(dir);
  const auto data = dir.path() / "data";

  // The broker's TLS listener has a certificate for 127.0.0.1; the devices here use its plain one.
  Broker broker(dir.path() / "broker", BrokerOptions{.tls_certificate = certs / "good.crt", .tls_key = certs / "good.key"});
  ChildProcess edge({bin("spotter-edge"), "run", "--branch", "b1", "--mqtt", broker.tls_uri(), "--mqtt-ca", (certs / "ca.pem").string(),
                     "--data-dir", data.string()},
                    dir.path());
  REQUIRE_MESSAGE(eventually([&] { return edge.stderr_text().find("ingest connection up") != std::string::npos; }, 15s), edge.stderr_text());
  REQUIRE(eventually([&] { return edge.stderr_text().find("connected to the broker") != std::string::npos; }, 15s));
  MqttProbe door(broker.uri(), "main");
  door.subscribe("spotter/v1/b1/doors/main/decision");
  door.publish("spotter/v1/b1/doors/main/scan", R"({"req_id":"tls-1","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"}})");
  CHECK(door.wait_for([](const Received& r) { return r.payload.find("\"tls-1\"") != std::string::npos && r.payload.find("\"granted\":true") != std::string::npos; },
                      1, 10s));
  MqttProbe machine(broker.uri(), "tm-1");
  for (int i = 1; i <= 3; ++i)
    machine.publish("spotter/v1/b1/machines/tm-1/telemetry", R"({"msg_id":)" + std::to_string(i) + R"(,"ts":1,"metrics":{"speed_kmh":10}})");
  auto stored = [&] {
    try {
      SQLite::Database d((data / "edge.telemetry.db").string(), SQLite::OPEN_READONLY);
      return d.execAndGet("SELECT COUNT(*) FROM telemetry").getInt64();
    } catch (const SQLite::Exception&) {
      return std::int64_t{-1};
    }
  };
  CHECK(eventually([&] { return stored() == 3; }, 15s));
  edge.signal(SIGTERM);
  CHECK(edge.wait(15s) == 0);

  // A certificate for another host name is refused by both connections, and said so.
  Broker other(dir.path() / "other", BrokerOptions{.tls_certificate = certs / "wrong.crt", .tls_key = certs / "wrong.key"});
  ChildProcess refused({bin("spotter-edge"), "run", "--branch", "b1", "--mqtt", other.tls_uri(), "--mqtt-ca", (certs / "ca.pem").string(),
                        "--data-dir", data.string()},
                       dir.path());
  // The telemetry connection says why; the doors' connection (Paho) says it cannot connect.
  CHECK(eventually([&] { return refused.stderr_text().find("broker certificate refused") != std::string::npos; }, 15s));
  CHECK(eventually([&] { return refused.stderr_text().find("cannot connect to the broker yet") != std::string::npos; }, 15s));
  CHECK(refused.stderr_text().find("ingest connection up") == std::string::npos);
  CHECK(refused.stderr_text().find("connected to the broker") == std::string::npos);
  refused.signal(SIGTERM);
  CHECK(refused.wait(15s) == 0);

  // --mqtt-ca is for mqtts:// only.
  ChildProcess plain({bin("spotter-edge"), "run", "--branch", "b1", "--mqtt", broker.uri(), "--mqtt-ca", (certs / "ca.pem").string(),
                      "--data-dir", data.string()},
                     dir.path());
  CHECK(plain.wait(10s) == 2);
  CHECK(plain.stderr_text().find("--mqtt-ca") != std::string::npos);
}
