// spotter-cloud as operators run it: bad settings exit 2 naming the setting, port 0 logs
// the port it got, SIGTERM stops it cleanly, the database survives a restart.
#include <doctest/doctest.h>

#include <signal.h>


#include "../cloud-service/client.hpp"
#include "spotter/testing/process.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

TEST_CASE("spotter-cloud serve: settings, port 0, SIGTERM, restart keeps the data") {
  TempDir dir;
  const std::string db = "sqlite:" + (dir.path() / "cloud.db").string();
  {
    ChildProcess bad({bin("spotter-cloud"), "serve", "--listen", "nowhere", "--db", db}, dir.path());
    CHECK(bad.wait(10s) == 2);
    CHECK(bad.stderr_text().find("--listen") != std::string::npos);
    // A malformed --db stops it at start, naming the setting.
    for (const char* url : {"postgresql://db:port/spotter", "mysql://db/spotter", "sqlite:"}) {
      ChildProcess malformed({bin("spotter-cloud"), "serve", "--db", url}, dir.path());
      CHECK_MESSAGE(malformed.wait(10s) == 2, url);
      CHECK_MESSAGE(malformed.stderr_text().find("bad setting db") != std::string::npos, url);
    }
    // A database that cannot be reached is named in one clear line (no password in it) and
    // tried again until it comes or the program is stopped.
    const std::string away = "postgresql://spotter:s3cret-pw@127.0.0.1:" + std::to_string(free_port()) + "/spotter";
    ChildProcess unreachable({bin("spotter-cloud"), "serve", "--listen", "127.0.0.1:0", "--db", away}, dir.path());
    CHECK(eventually([&] { return unreachable.stderr_text().find("retrying") != std::string::npos; }, 10s));
    const std::string said = unreachable.stderr_text();
    CHECK(said.find("cannot be reached") != std::string::npos);
    CHECK(said.find("127.0.0.1") != std::string::npos);
    CHECK(said.find("s3cret-pw") == std::string::npos);
    unreachable.signal(SIGTERM);
    CHECK(unreachable.wait(10s) == 1);
    ChildProcess env({bin("spotter-cloud"), "serve"}, dir.path(), {{"SPOTTER_LISTEN", "127.0.0.1:99999"}});
    CHECK(env.wait(10s) == 2);
    CHECK(env.stderr_text().find("SPOTTER_LISTEN") != std::string::npos);
  }
  ChildProcess admin({bin("spotter-cloud"), "admin", "create", "--db", db, "--email", "root@gym.test", "--password", "Str0ng-Passw0rd!"}, dir.path());
  REQUIRE(admin.wait(30s) == 0);
  CHECK(admin.stdout_text().find("Str0ng") == std::string::npos);

  std::string branch;
  for (int run = 0; run < 2; ++run) {
    ChildProcess cloud({bin("spotter-cloud"), "serve", "--listen", "127.0.0.1:0", "--db", db}, dir.path());
    const int port = logged_port(cloud);
    REQUIRE(port > 0);
    HttpClient http(port);
    CHECK(http.get("/health").status == 200);
    auto login = http.post("/api/auth/login", {{"email", "root@gym.test"}, {"password", "Str0ng-Passw0rd!"}});
    REQUIRE(login.status == 200);
    const std::string token = login.json["access_token"];
    if (run == 0) {
      Json hours = {{"mon", Json::array({Json::array({"06:00", "22:00"})})}};
      auto b = http.post("/api/branches", {{"name", "Centro"}, {"timezone", "Europe/Madrid"}, {"opening_hours", hours}}, token);
      REQUIRE(b.status == 201);
      branch = b.json["id"];
    } else {
      CHECK(http.get("/api/branches/" + branch, token).status == 200);
    }
    cloud.signal(SIGTERM);
    CHECK(cloud.wait(12s) == 0);
    // Logs are JSON lines and never carry the password or tokens.
    const std::string log = cloud.stderr_text();
    CHECK(log.find("Str0ng-Passw0rd!") == std::string::npos);
    CHECK(log.find(token) == std::string::npos);
    CHECK(log.find("\"msg\":\"stopped\"") != std::string::npos);
  }
}
