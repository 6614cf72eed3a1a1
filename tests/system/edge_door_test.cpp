// spotter-edge deciding door scans over a real broker, from an imported replica in a real
// SQLite file, across a SIGKILL.
#include <doctest/doctest.h>

#include <signal.h>

#include <pty.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "spotter/common/access_qr.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/json.hpp"
#include "spotter/common/opening_hours.hpp"
#include "spotter/protocol/codec.hpp"
#include "spotter/testing/broker.hpp"
#include "spotter/testing/mqtt_probe.hpp"
#include "spotter/testing/pn532_emulator.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace spotter::protocol;
using namespace std::chrono_literals;

namespace {
struct EdgeFixture {
  TempDir dir;
  Broker broker{dir.path() / "broker"};
  crypto::EcdsaP256PrivateKey qr_key = crypto::EcdsaP256PrivateKey::generate();
  std::unique_ptr<ChildProcess> edge;
  MqttProbe reader{broker.uri(), "door-main"};
  int counter = 0;

  EdgeFixture() {
    SystemClock clock;
    auto now = clock.now_ms();
    Json replica = {
        {"branch", {{"id", "b1"}, {"timezone", "UTC"}, {"opening_hours", OpeningHours::always_open().to_json()}}},
        {"members", {{{"id", "ana"}, {"display_name", "Ana M."}}, {{"id", "bo"}, {"display_name", "Bo"}}}},
        {"memberships",
         {{{"id", "m1"}, {"member_id", "ana"}, {"starts_at_ms", 0}, {"expires_at_ms", now + 86'400'000}},
          {{"id", "m2"}, {"member_id", "bo"}, {"starts_at_ms", 0}, {"expires_at_ms", now - 86'400'000}}}},
        {"cards", {{{"uid", "04A1B2C3D4E5F6"}, {"member_id", "ana"}}, {{"uid", "04B0B0B0"}, {"member_id", "bo"}}}},
        {"qr_keys", {{{"kid", "qr-1"}, {"public_key", base64url_encode(qr_key.public_key().to_sec1())}}}},
    };
    std::ofstream(dir.path() / "replica.json") << replica.dump();
    ChildProcess import({bin("spotter-edge"), "import", (dir.path() / "replica.json").string(), "--data-dir", (dir.path() / "data").string()},
                        dir.path());
    REQUIRE(import.wait(10s) == 0);
    reader.subscribe("spotter/v1/b1/doors/main/decision", 1);
    start_edge();
  }

  void start_edge(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {bin("spotter-edge"), "run", "--branch", "b1", "--mqtt", broker.uri(), "--data-dir",
                                     (dir.path() / "data").string(), "--machine-offline-after", "3s"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (edge) {
      edge->signal(SIGTERM);
      edge->wait(10s);
    }
    edge = std::make_unique<ChildProcess>(argv, dir.path());
    REQUIRE(eventually([&] { return edge->stderr_text().find("\"running\"") != std::string::npos; }, 15s));
  }

  DoorDecision scan(const std::string& payload_fields) {
    std::string req = "s-" + std::to_string(++counter);
    reader.publish("spotter/v1/b1/doors/main/scan", R"({"req_id":")" + req + "\"," + payload_fields + "}");
    auto mine = [&](const Received& r) { return r.payload.find("\"" + req + "\"") != std::string::npos; };
    if (!reader.wait_for(mine, 1, 10s)) FAIL("no decision for ", req, "; edge log: ", edge->stderr_text());
    for (const auto& r : reader.messages()) {
      if (mine(r)) return decode_door_decision(r.payload).value();
    }
    return {};
  }
  DoorDecision nfc(const std::string& uid, const char* direction = "in") {
    return scan(R"("credential":{"kind":"nfc","uid":")" + uid + R"("},"direction":")" + direction + "\"");
  }
};
}  // namespace

TEST_CASE("doors decide from the local replica, durably, across a SIGKILL") {
  EdgeFixture f;
  auto in = f.nfc("04A1B2C3D4E5F6");
  CHECK(in.granted);
  CHECK(in.display_name == "Ana M.");
  REQUIRE(in.session_id.has_value());
  CHECK(f.nfc("04A1B2C3D4E5F6").reason == Reason::already_inside);
  CHECK(f.nfc("04B0B0B0").reason == Reason::no_active_membership);
  CHECK(f.nfc("04FFFFFF").reason == Reason::unknown_credential);

  // The session is on disk before the door opened: a killed agent still knows Ana is in.
  f.edge->signal(SIGKILL);
  f.edge->wait(5s);
  f.start_edge();
  CHECK(f.nfc("04A1B2C3D4E5F6").reason == Reason::already_inside);
  auto out = f.nfc("04A1B2C3D4E5F6", "out");
  CHECK(out.granted);
  CHECK(out.session_id == in.session_id);
  CHECK(f.nfc("04A1B2C3D4E5F6", "out").reason == Reason::not_inside);
}

TEST_CASE("access QR codes are verified offline and refused the second time") {
  EdgeFixture f;
  SystemClock clock;
  auto code = access_qr::mint("ana", jwt::Key::es256_signing("qr-1", f.qr_key), clock).value();
  auto qr = [&](const std::string& c) { return f.scan(R"("credential":{"kind":"qr","payload":")" + c + "\"}"); };
  CHECK(qr(code).granted);
  CHECK(qr(code).reason == Reason::replayed_qr);
  auto foreign = access_qr::mint("ana", jwt::Key::es256_signing("qr-1", crypto::EcdsaP256PrivateKey::generate()), clock).value();
  CHECK(qr(foreign).reason == Reason::invalid_qr);
}

TEST_CASE("malformed scans are answered when they can be, and never stop the agent") {
  EdgeFixture f;
  CHECK(f.scan(R"("credential":{"kind":"nfc","uid":"not-hex"})").reason == Reason::malformed);
  for (const char* junk : {"", "{", "[1]", "\xFF\xFE", R"({"req_id":"x","req_id":"y"})"}) {
    f.reader.publish("spotter/v1/b1/doors/main/scan", junk);
  }
  CHECK(f.nfc("04A1B2C3D4E5F6").granted);  // still deciding
  CHECK(f.edge->running());
  f.edge->signal(SIGTERM);
  REQUIRE(f.edge->wait(10s) == 0);
  CHECK(f.edge->stderr_text().find("\"rejected\":6") != std::string::npos);
}

TEST_CASE("spotter-edge refuses bad settings with exit code 2 and one line") {
  TempDir dir;
  ChildProcess no_branch({bin("spotter-edge"), "run", "--data-dir", dir.path().string()}, dir.path());
  CHECK(no_branch.wait(10s) == 2);
  CHECK(no_branch.stderr_text().find("--branch") != std::string::npos);
  ChildProcess bad_env({bin("spotter-edge"), "run", "--data-dir", dir.path().string()}, dir.path(), {{"SPOTTER_BRANCH", "a/b"}});
  CHECK(bad_env.wait(10s) == 2);
  CHECK(bad_env.stderr_text().find("SPOTTER_BRANCH") != std::string::npos);
  ChildProcess unknown({bin("spotter-edge"), "fly"}, dir.path());
  CHECK(unknown.wait(10s) == 2);
  std::ofstream(dir.path() / "bad.json") << R"({"branch":{"id":"b1"},"cards":[{"uid":"zz","member_id":"a"}]})";
  ChildProcess bad_import({bin("spotter-edge"), "import", (dir.path() / "bad.json").string(), "--data-dir", dir.path().string()}, dir.path());
  CHECK(bad_import.wait(10s) == 1);
  CHECK(bad_import.stderr_text().find("cards[0].uid") != std::string::npos);
}

TEST_CASE("machine taps link members who are inside; leaving unlinks; quiet machines are polled") {
  EdgeFixture f;
  MqttProbe machine(f.broker.uri(), "tm-1");
  machine.subscribe("spotter/v1/b1/machines/tm-1/auth/reply", 1);
  machine.subscribe("spotter/v1/b1/machines/tm-1/cmd", 1);
  machine.publish("spotter/v1/b1/machines/tm-1/status", R"({"state":"idle","ts":1,"category":"cardio","type":"treadmill"})", 1, true);
  int n = 0;
  auto tap = [&](const std::string& payload) {
    std::string req = "a-" + std::to_string(++n);
    machine.publish("spotter/v1/b1/machines/tm-1/auth", R"({"req_id":")" + req + "\"," + payload + "}");
    auto mine = [&](const Received& r) { return r.topic.ends_with("/auth/reply") && r.payload.find("\"" + req + "\"") != std::string::npos; };
    if (!machine.wait_for(mine, 1, 10s)) FAIL("no auth reply; edge log: ", f.edge->stderr_text());
    for (const auto& r : machine.messages()) {
      if (mine(r)) return decode_auth_reply(r.payload).value();
    }
    return AuthReply{};
  };
  const std::string ana = R"("credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"})";
  CHECK(tap(ana).reason == Reason::not_inside);
  REQUIRE(f.nfc("04A1B2C3D4E5F6").granted);
  auto linked = tap(ana);
  CHECK(linked.result == AuthResult::linked);
  REQUIRE(linked.link_id.has_value());
  CHECK(linked.display_name == "Ana M.");
  CHECK(tap(R"("credential":{"kind":"nfc","uid":"04FFFFFF"})").reason == Reason::unknown_credential);
  CHECK(tap(R"("credential":{"kind":"nfc","uid":"bad"})").reason == Reason::malformed);
  for (int i = 1; i <= 3; ++i) {
    machine.publish("spotter/v1/b1/machines/tm-1/telemetry", R"({"msg_id":)" + std::to_string(i) + R"(,"ts":)" + std::to_string(i * 1000) +
                                                                 R"(,"link_id":")" + *linked.link_id + R"(","metrics":{"speed_kmh":9.5,"distance_m":)" +
                                                                 std::to_string(i * 100) + "}}");
  }
  const auto telemetry_db = f.dir.path() / "data" / "edge.telemetry.db";
  auto stored = [&] {
    try {
      return SQLite::Database(telemetry_db.string(), SQLite::OPEN_READONLY).execAndGet("SELECT COUNT(*) FROM telemetry").getInt64();
    } catch (const SQLite::Exception&) {
      return std::int64_t{-1};
    }
  };
  REQUIRE(eventually([&] { return stored() == 3; }, 10s));
  // Ana leaves: the machine is told to unlink.
  REQUIRE(f.nfc("04A1B2C3D4E5F6", "out").granted);
  auto unlink = [](const Received& r) { return r.topic.ends_with("/cmd") && r.payload.find("\"unlink\"") != std::string::npos; };
  CHECK(machine.wait_for(unlink, 1, 10s));
  // Silent past half the offline time: polled.
  auto poll = [](const Received& r) { return r.topic.ends_with("/cmd") && r.payload.find("\"poll\"") != std::string::npos; };
  CHECK(machine.wait_for(poll, 1, 15s));
  f.edge->signal(SIGTERM);
  REQUIRE(f.edge->wait(10s) == 0);
  CHECK(f.edge->stderr_text().find("\"machine unlinked\"") != std::string::npos);
  // No `workout` came from the machine: the link's telemetry was summarised into one.
  SQLite::Database db((f.dir.path() / "data" / "edge.db").string(), SQLite::OPEN_READONLY);
  auto workout = parse_json_strict(db.execAndGet("SELECT body FROM outbox WHERE kind = 'workout'").getString()).value();
  CHECK(workout["link_id"] == *linked.link_id);
  CHECK(workout["workout"]["aggregated"] == true);
  CHECK(workout["workout"]["distance_m"] == 300.0);
}

TEST_CASE("technician commands answer through the control socket, which only the agent's user and group may use") {
  EdgeFixture f;
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {bin("spotter-edge")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--data-dir");
    argv.push_back((f.dir.path() / "data").string());
    auto p = std::make_unique<ChildProcess>(argv, f.dir.path());
    p->wait(15s);
    return p;
  };
  auto sock = f.dir.path() / "data" / "control.sock";
  CHECK((std::filesystem::status(sock).permissions() & std::filesystem::perms::others_all) == std::filesystem::perms::none);
  auto status = cli({"status", "--json"});
  REQUIRE(status->wait(1s) == 0);
  auto st = parse_json_strict(status->stdout_text());
  REQUIRE(st.ok());
  CHECK((*st)["branch"] == "b1");
  CHECK((*st)["broker"]["connected"] == true);
  CHECK((*st)["members"] == 2);
  auto scan = cli({"scan", "--door", "side", "--nfc", "04A1B2C3D4E5F6"});
  CHECK(scan->wait(1s) == 0);
  CHECK(scan->stdout_text().rfind("GRANTED (ok)", 0) == 0);
  // The reader at that door hears it too, as if it had read the card itself.
  MqttProbe side(f.broker.uri(), "side-reader");
  side.subscribe("spotter/v1/b1/doors/side/decision", 1);
  CHECK(cli({"scan", "--door", "side", "--nfc", "04A1B2C3D4E5F6"})->stdout_text().rfind("DENIED (already_inside)", 0) == 0);
  CHECK(side.wait_for([](const Received& r) { return r.payload.find("already_inside") != std::string::npos; }, 1, 5s));
  auto doors = cli({"doors"});
  CHECK(doors->stdout_text().find("side") != std::string::npos);
  auto outbox = cli({"outbox", "--json"});
  CHECK(parse_json_strict(outbox->stdout_text()).value()["by_kind"]["session_started"] == 1);
  auto doctor = cli({"doctor"});
  CHECK(doctor->wait(1s) == 0);
  CHECK(doctor->stdout_text().find("ok   broker") != std::string::npos);
  CHECK(cli({"machines"})->wait(1s) == 0);
  CHECK(cli({"readers"})->stdout_text().find("no local reader attached") != std::string::npos);
  CHECK(cli({"scan", "--door", "side"})->wait(1s) == 2);                 // no credential
  CHECK(cli({"scan", "--door", "side", "--qr-image", "missing.png"})->wait(1s) == 2);
  f.edge->signal(SIGTERM);
  REQUIRE(f.edge->wait(10s) == 0);
  auto gone = cli({"status"});
  CHECK(gone->wait(1s) == 1);
  CHECK(gone->stderr_text().find("no agent answers") != std::string::npos);
}

// One raw request on the control socket, as any program of the socket's group could send.
Json control_raw(const std::filesystem::path& sock, const std::string& line) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, sock.c_str(), sizeof a.sun_path - 1);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string sent = line + "\n";
  REQUIRE(::write(fd, sent.data(), sent.size()) == static_cast<ssize_t>(sent.size()));
  std::string reply;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') reply.push_back(c);
  ::close(fd);
  return parse_json_strict(reply).value_or(Json());
}

TEST_CASE("control socket: wrong JSON types are answered, never stop the agent; only root or the agent's user change state") {
  EdgeFixture f;
  const auto sock = f.dir.path() / "data" / "control.sock";
  for (const char* bad : {R"({"cmd":"machine_command","kind":5,"machine_id":[]})", R"({"cmd":"machine_command","kind":"unlink","machine_id":{}})",
                          R"({"cmd":"scan","scan":{"req_id":"x","credential":{"kind":"nfc","uid":"04A1B2C3"}},"door":7})",
                          R"({"cmd":"scan","scan":"x"})", R"({"cmd":"apply_replica","replica":[1]})", R"({"cmd":"apply_replica","delta":{"members":7}})"}) {
    auto r = control_raw(sock, bad);
    CHECK_MESSAGE(r.is_object(), bad);
    CHECK_MESSAGE(json_bool(r, "ok", true) == false, bad);
  }
  CHECK(json_bool(control_raw(sock, R"({"cmd":"status"})"), "ok", false));
  CHECK(f.edge->running());

  // Another user of the socket's group (here: nobody, in group root) reads but changes nothing.
  std::filesystem::permissions(f.dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_exec | std::filesystem::perms::others_exec);
  std::filesystem::permissions(f.dir.path() / "data", std::filesystem::perms::owner_all | std::filesystem::perms::group_exec);
  auto as_technician = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"setpriv", "--reuid=65534", "--regid=" + std::to_string(::getegid()), "--clear-groups", "--", bin("spotter-edge")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data-dir", (f.dir.path() / "data").string()});
    auto p = std::make_unique<ChildProcess>(argv, f.dir.path());
    p->wait(15s);
    return p;
  };
  if (::geteuid() != 0) {
    MESSAGE("not root: the other-user half needs setpriv as root");
    return;
  }
  auto status = as_technician({"status", "--json"});
  CHECK(status->wait(1s) == 0);
  CHECK(status->stdout_text().find("\"branch\"") != std::string::npos);
  auto scan = as_technician({"scan", "--door", "side", "--nfc", "04A1B2C3D4E5F6"});
  CHECK(scan->wait(1s) == 1);
  CHECK(scan->stderr_text().find("only root or the agent's user") != std::string::npos);
  // Nothing was decided for it: the member is still outside, and root's scan lets her in.
  auto own = ChildProcess({bin("spotter-edge"), "scan", "--door", "side", "--nfc", "04A1B2C3D4E5F6", "--data-dir", (f.dir.path() / "data").string()},
                          f.dir.path());
  CHECK(own.wait(15s) == 0);
  CHECK(own.stdout_text().rfind("GRANTED (ok)", 0) == 0);
}

TEST_CASE("a QR code photographed from the member's phone (a PNG) opens the door via spotter-edge scan --qr-image") {
  EdgeFixture f;
  SystemClock clock;
  auto code = access_qr::mint("ana", jwt::Key::es256_signing("qr-1", f.qr_key), clock).value();
  auto png = f.dir.path() / "code.png";
  ChildProcess qrencode({"qrencode", "-o", png.string(), "-s", "4", code}, f.dir.path());
  REQUIRE(qrencode.wait(10s) == 0);
  auto scan = [&](const std::filesystem::path& image) {
    auto p = std::make_unique<ChildProcess>(std::vector<std::string>{bin("spotter-edge"), "scan", "--door", "main", "--qr-image", image.string(),
                                                                     "--data-dir", (f.dir.path() / "data").string()},
                                            f.dir.path());
    p->wait(15s);
    return p;
  };
  auto first = scan(png);
  CHECK(first->stdout_text().rfind("GRANTED (ok)", 0) == 0);
  CHECK(scan(png)->stdout_text().rfind("DENIED (replayed_qr)", 0) == 0);
  // Not a picture, or a picture without a code: a clear error, exit code 2.
  std::ofstream(f.dir.path() / "junk.png") << "not a png";
  auto junk = scan(f.dir.path() / "junk.png");
  CHECK(junk->wait(1s) == 2);
  CHECK(junk->stderr_text().find("--qr-image") != std::string::npos);
}

TEST_CASE("a serial line scanner at a door: each line is a card UID or a QR code's text") {
  EdgeFixture f;
  int master = -1, slave = -1;
  char name[128];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  f.start_edge({"--serial-device", name, "--serial-door", "turnstile"});
  MqttProbe door(f.broker.uri(), "turnstile-watch");
  door.subscribe("spotter/v1/b1/doors/turnstile/decision", 1);
  auto type = [&](const std::string& line) { REQUIRE(::write(master, line.data(), line.size()) == static_cast<ssize_t>(line.size())); };
  auto decided = [&](const char* reason) {
    return door.wait_for([&](const Received& r) { return r.payload.find(reason) != std::string::npos; }, 1, 10s);
  };
  type("04a1b2c3d4e5f6\r\n");  // lower case from the scanner is still this card
  CHECK(decided("\"ok\""));
  type("not a credential at all\n");
  CHECK(decided("invalid_qr"));
  type(std::string(5000, 'x') + "\n");  // noise longer than any credential is dropped
  type("04FFFFFF\n");
  CHECK(decided("unknown_credential"));
  // Decided in the order typed: had the noise been sent as a scan, its decision would have
  // come before this one. Three lines, three decisions.
  std::string got;
  for (const auto& m : door.messages()) got += m.payload + "\n";
  CHECK_MESSAGE(door.messages().size() == 3, got);
  ChildProcess readers({bin("spotter-edge"), "readers", "--data-dir", (f.dir.path() / "data").string()}, f.dir.path());
  REQUIRE(readers.wait(10s) == 0);
  CHECK(readers.stdout_text().find("serial:") != std::string::npos);
  CHECK(readers.stdout_text().find("reading") != std::string::npos);
  ::close(master);
  ::close(slave);
}

TEST_CASE("an NFC card on a libnfc reader (PN532 on a UART, emulated) opens the door once per tap") {
  EdgeFixture f;
  Pn532Emulator pn532;
  f.start_edge({"--nfc-device", "pn532_uart:" + pn532.path(), "--nfc-door", "lobby"});
  MqttProbe door(f.broker.uri(), "lobby-watch");
  door.subscribe("spotter/v1/b1/doors/lobby/decision", 1);
  auto decisions = [&](const char* reason) {
    return door.count([&](const Received& r) { return r.payload.find(reason) != std::string::npos; });
  };
  pn532.present({0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6});
  REQUIRE(door.wait_for([](const Received& r) { return r.payload.find("\"ok\"") != std::string::npos; }, 1, 15s));
  // Held on the reader: the reader looks at it again and again, and sends no second scan.
  const int seen = pn532.polls();
  REQUIRE(eventually([&] { return pn532.polls() >= seen + 5; }, 10s));
  CHECK(decisions("\"ok\"") == 1);
  CHECK(decisions("already_inside") == 0);
  pn532.remove();
  const int removed_at = pn532.polls();
  // Away for the reader's re-arm time (1 s): at least 8 looks at the empty field, 150 ms apart.
  REQUIRE(eventually([&] { return pn532.polls() >= removed_at + 8; }, 15s));
  pn532.present({0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6});  // a new tap
  CHECK(door.wait_for([](const Received& r) { return r.payload.find("already_inside") != std::string::npos; }, 1, 10s));
  ChildProcess readers({bin("spotter-edge"), "readers", "--data-dir", (f.dir.path() / "data").string()}, f.dir.path());
  REQUIRE(readers.wait(10s) == 0);
  CHECK(readers.stdout_text().find("nfc:pn532_uart:") != std::string::npos);
  f.edge->signal(SIGTERM);
  CHECK(f.edge->wait(15s) == 0);
}
