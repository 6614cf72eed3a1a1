// spotter-edge against a cloud that misbehaves (a fake on loopback, real HTTP): answers of
// the wrong shape never stop the agent and settle nothing; a cloud that takes smaller bodies
// than a batch (413) gets smaller batches, and an event it can never take is kept aside on
// the gateway so the events behind it go on. The review's faults, issue "Field-ready".
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "spotter/common/json.hpp"
#include "spotter/common/opening_hours.hpp"
#include "spotter/testing/broker.hpp"
#include "spotter/testing/mqtt_probe.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {

// An HTTP/1.1 server on 127.0.0.1:0, a thread per connection, keep-alive; `answer` gets
// (method, target, body) and gives (status, body).
class FakeCloud {
 public:
  using Answer = std::function<std::pair<int, std::string>(const std::string&, const std::string&, const std::string&)>;
  explicit FakeCloud(Answer answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        std::lock_guard lock(mu_);
        connections_.push_back(c);
        workers_.emplace_back([this, c] { serve(c); });
      }
    });
  }
  ~FakeCloud() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    std::lock_guard lock(mu_);
    for (int c : connections_) ::shutdown(c, SHUT_RDWR);
    for (auto& w : workers_) w.join();
    for (int c : connections_) ::close(c);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve(int c) {
    std::string in;
    char buf[65536];
    while (true) {
      auto head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      const std::string head = in.substr(0, head_end);
      std::size_t length = 0;
      for (const char* name : {"Content-Length: ", "content-length: "})
        if (auto at = head.find(name); at != std::string::npos) length = std::stoul(head.substr(at + std::strlen(name)));
      while (in.size() < head_end + 4 + length) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
      }
      const std::string body = in.substr(head_end + 4, length);
      in.erase(0, head_end + 4 + length);
      const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
      auto [status, reply] = answer_(head.substr(0, sp1), head.substr(sp1 + 1, sp2 - sp1 - 1), body);
      const std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(reply.size()) + "\r\n\r\n" + reply;
      if (::write(c, out.data(), out.size()) != static_cast<ssize_t>(out.size())) return;
    }
  }

  Answer answer_;
  int fd_ = -1, port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> connections_;
  std::vector<std::thread> workers_;
};

// What the fake cloud does with uploads, switched by the test.
struct Uploads {
  enum class Mode { garbage, small_bodies, tiny_bodies } mode = Mode::garbage;
  std::size_t largest_body = 0;
  std::mutex mu;
  std::set<std::string> received;
  int refused = 0, unreadable = 0;

  std::pair<int, std::string> answer(const std::string& method, const std::string& target, const std::string& body) {
    if (target == "/api/gateways/token") return {200, R"({"access_token":"t","expires_in":600})"};
    if (target.rfind("/api/sync/replica", 0) == 0) return {200, R"({"changed":false,"version":1})"};
    if (target.rfind("/api/sync/commands", 0) == 0) return {200, R"({"commands":[],"last_id":0})"};
    if (method != "POST" || target != "/api/sync/events") return {200, R"({"delivered":0,"dropped":0})"};
    std::lock_guard lock(mu);
    auto doc = parse_json_strict(body, JsonLimits{.max_bytes = 8u << 20, .max_depth = 16});
    if (!doc) return {400, "{}"};
    const Json& events = (*doc)["events"];
    if (mode == Mode::garbage) {
      ++unreadable;
      Json results = Json::array();
      for (std::size_t i = 0; i < events.size(); ++i) results.push_back(i % 2 ? Json(5) : Json{{"status", 7}, {"reason", Json::array()}});
      return {200, Json{{"results", results}}.dump()};
    }
    const std::size_t limit = mode == Mode::small_bodies ? 1500 : 50;
    if (body.size() > limit) {
      ++refused;
      return {413, R"({"title":"too large"})"};
    }
    largest_body = std::max(largest_body, body.size());
    Json results = Json::array();
    for (const auto& e : events) {
      received.insert(e["event_id"].get<std::string>());
      results.push_back({{"event_id", e["event_id"]}, {"status", "applied"}});
    }
    return {200, Json{{"results", results}}.dump()};
  }
};

}  // namespace

TEST_CASE("sync with a misbehaving cloud: wrong shapes settle nothing and never stop the agent; 413 means smaller batches") {
  TempDir dir;
  Broker broker{dir.path() / "broker"};
  Uploads uploads;
  FakeCloud cloud([&](const std::string& m, const std::string& t, const std::string& b) { return uploads.answer(m, t, b); });
  Json replica = {{"branch", {{"id", "b1"}, {"timezone", "UTC"}, {"opening_hours", OpeningHours::always_open().to_json()}}},
                  {"members", {{{"id", "ana"}, {"display_name", "Ana"}}}},
                  {"memberships", {{{"id", "m1"}, {"member_id", "ana"}, {"starts_at_ms", 0}, {"expires_at_ms", 4'000'000'000'000LL}}}},
                  {"cards", {{{"uid", "04A1B2C3D4E5F6"}, {"member_id", "ana"}}}}};
  std::ofstream(dir.path() / "replica.json") << replica.dump();
  std::ofstream(dir.path() / "secret") << "s3cret";
  const std::string data = (dir.path() / "data").string();
  ChildProcess import({bin("spotter-edge"), "import", (dir.path() / "replica.json").string(), "--data-dir", data}, dir.path());
  REQUIRE(import.wait(10s) == 0);
  ChildProcess edge({bin("spotter-edge"), "run", "--branch", "b1", "--mqtt", broker.uri(), "--data-dir", data, "--cloud", cloud.url(), "--gateway-id",
                     "gw1", "--gateway-secret-file", (dir.path() / "secret").string(), "--sync-batch", "50"},
                    dir.path());
  REQUIRE(eventually([&] { return edge.stderr_text().find("\"running\"") != std::string::npos; }, 15s));
  auto outbox_depth = [&] {
    ChildProcess p({bin("spotter-edge"), "outbox", "--json", "--data-dir", data}, dir.path());
    p.wait(15s);
    auto doc = parse_json_strict(p.stdout_text());
    return doc ? json_int(*doc, "depth", -1) : -1;
  };
  // Ana in and out twenty times: forty door events and forty session events.
  MqttProbe reader(broker.uri(), "door-main");
  reader.subscribe("spotter/v1/b1/doors/main/decision", 1);
  for (int i = 0; i < 40; ++i)
    reader.publish("spotter/v1/b1/doors/main/scan", R"({"req_id":"r)" + std::to_string(i) + R"(","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"},"direction":")" +
                                                       (i % 2 ? "out" : "in") + "\"}");
  REQUIRE(reader.wait_for([](const Received&) { return true; }, 40, 20s));

  // Wrong shapes: retried, never settled, the agent answers on.
  auto seen = [&](const std::function<bool()>& test) {
    std::lock_guard lock(uploads.mu);
    return test();
  };
  REQUIRE(eventually([&] { return seen([&] { return uploads.unreadable >= 3; }); }, 20s));
  CHECK(edge.running());
  CHECK(outbox_depth() == 80);
  ChildProcess sync({bin("spotter-edge"), "sync", "--data-dir", data}, dir.path());
  sync.wait(15s);
  CHECK(sync.stdout_text().find("unreadable answer") != std::string::npos);

  // A cloud that takes bodies of at most 1,500 bytes: smaller batches, everything arrives.
  {
    std::lock_guard lock(uploads.mu);
    uploads.mode = Uploads::Mode::small_bodies;
  }
  REQUIRE(eventually([&] { return seen([&] { return uploads.received.size() == 80; }); }, 60s));
  CHECK(eventually([&] { return outbox_depth() == 0; }, 20s));
  {
    std::lock_guard lock(uploads.mu);
    CHECK(uploads.refused > 0);
    CHECK(uploads.largest_body <= 1500);
  }
  // One that takes nothing this size: each event is kept aside on the gateway, none blocks.
  {
    std::lock_guard lock(uploads.mu);
    uploads.mode = Uploads::Mode::tiny_bodies;
  }
  reader.publish("spotter/v1/b1/doors/main/scan", R"({"req_id":"late","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"}})");
  REQUIRE(eventually([&] { return outbox_depth() == 0; }, 30s));
  ChildProcess outbox({bin("spotter-edge"), "outbox", "--json", "--data-dir", data}, dir.path());
  outbox.wait(15s);
  auto doc = parse_json_strict(outbox.stdout_text());
  REQUIRE(doc);
  CHECK(json_int(*doc, "quarantined", 0) == 2);  // the door event and the session it started
  CHECK(edge.running());
}
