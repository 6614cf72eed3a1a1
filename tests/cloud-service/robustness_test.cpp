// Every route: 401 without a token, member 403 on staff routes; malformed and mutated
// bodies never crash the server or change data; oversized bodies 413; the OpenAPI document
// lists every route, including all of shared/spec/cloud-api.md.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <random>
#include <thread>

#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
std::string concrete(std::string pattern) {
  for (auto at = pattern.find('{'); at != std::string::npos; at = pattern.find('{')) pattern.replace(at, pattern.find('}') - at + 1, "x1");
  return pattern;
}

// Everything the server sends until it closes; `ec` says how the connection ended.
std::string read_until_close(boost::asio::ip::tcp::socket& socket, boost::system::error_code& ec) {
  std::string all;
  while (!ec) {
    char chunk[4096];
    all.append(chunk, socket.read_some(boost::asio::buffer(chunk), ec));
  }
  return all;
}

// Sends `pieces` as they are, 20 ms apart, and returns everything the server sends until it closes.
std::string send_raw(int port, const std::vector<std::string>& pieces) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    boost::asio::write(socket, boost::asio::buffer(pieces[i]));
  }
  boost::system::error_code ec;
  return read_until_close(socket, ec);
}

std::string send_raw(int port, const std::string& bytes) { return send_raw(port, std::vector<std::string>{bytes}); }

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("every protected route answers 401 without a token and with a forged one") {
  TestCloud cloud;
  auto& http = cloud.http;
  const std::string forged = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c3JfMSIsInR5cCI6ImFjY2VzcyJ9.c2lnbmF0dXJl";
  int checked = 0;
  for (const auto& r : cloud.service->routes()) {
    if (!r.needs_token) continue;
    auto none = http.raw(r.method, concrete(r.pattern), r.method == "POST" ? "{}" : "");
    CHECK_MESSAGE(none.status == 401, r.method, " ", r.pattern);
    CHECK(none.header("content-type") == "application/problem+json");
    CHECK_MESSAGE(http.raw(r.method, concrete(r.pattern), r.method == "POST" ? "{}" : "", forged).status == 401, r.pattern);
    ++checked;
  }
  CHECK(checked >= 35);
}

TEST_CASE("a member gets 403 from every staff-only route") {
  TestCloud cloud;
  auto centro = cloud.branch();
  auto member = cloud.member("m@gym.test", centro);
  auto& http = cloud.http;
  const std::vector<std::pair<std::string, std::string>> staff_only = {
      {"POST", "/api/branches"}, {"POST", "/api/membership-plans"}, {"POST", "/api/subscriptions"}, {"POST", "/api/users"},
      {"GET", "/api/users"}, {"POST", "/api/machines"}, {"POST", "/api/gateways"}, {"GET", "/api/audit"}, {"GET", "/api/notifications"},
      {"GET", "/api/analytics/sessions?branch_id=" + centro}, {"POST", "/api/gateways/gw_1/revoke"}, {"POST", "/api/gateways/gw_1/rotate-secret"},
      {"POST", "/api/subscriptions/sub_1/suspend"}, {"POST", "/api/users/" + member.id + "/credentials"}};
  const Json body = {{"name", "x"}, {"branch_id", centro}, {"user_id", member.id}, {"plan_id", "p"}, {"email", "q@gym.test"}, {"full_name", "Q"},
                     {"role", "admin"}, {"timezone", "UTC"}, {"opening_hours", all_day()}, {"price_cents", 1}, {"duration_days", 1},
                     {"machine_id", "m1"}, {"category", "cardio"}, {"type", "t"}, {"kind", "nfc"}, {"uid", "04A1B2C3"}};
  for (const auto& [method, target] : staff_only)
    CHECK_MESSAGE(http.raw(method, target, method == "POST" ? body.dump() : "", member.token).status == 403, method, " ", target);
}

TEST_CASE("malformed bodies: 400 or 415 with a problem, never a crash, never a change") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  const std::vector<std::string> corpus = {
      "", "{", "}", "[]", "null", "42", "\"str\"", "{\"a\":}", "{\"name\":\"x\",}", "{\"name\":\"x\"} trailing", "{\"name\":\"x\",\"name\":\"y\"}",
      "\xEF\xBB\xBF{}", "{\"name\":\"\xC3\x28\"}", std::string("{\"name\":\"a\0b\"}", 15), std::string(40, '[') + std::string(40, ']'),
      "{\"name\":1e999}", "{\"opening_hours\":{\"mon\":[[\"25:00\",\"26:00\"]]}}", "{\"timezone\":\"../../etc/passwd\"}",
      "{\"name\":\"x\",\"timezone\":\"UTC\",\"opening_hours\":[]}", "{\"name\":\"\\u0000\"}"};
  const auto branches_before = cloud.count("branches"), users_before = cloud.count("users");
  for (const auto& target : {"/api/branches", "/api/users", "/api/auth/register", "/api/auth/login", "/api/sessions/start", "/api/machines/link"}) {
    for (const auto& body : corpus) {
      auto r = http.raw("POST", target, body, cloud.admin());
      CHECK_MESSAGE((r.status == 400 || r.status == 403 || r.status == 415), target, " <", body, "> -> ", r.status, " ", r.body);
      CHECK(r.header("content-type") == "application/problem+json");
    }
  }
  CHECK(http.raw("POST", "/api/branches", "{}", cloud.admin(), "text/plain").status == 415);
  // Mutations of a valid body: every answer is a clean 201/400/409, and only 201s add rows.
  const std::string valid = Json{{"email", "mut@gym.test"}, {"full_name", "M"}, {"role", "member"}, {"home_branch_id", centro}, {"phone", "+34600000000"}}.dump();
  std::mt19937 rng(7);
  int created = 0;
  for (int i = 0; i < 400; ++i) {
    std::string m = valid;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      auto pos = rng() % m.size();
      switch (rng() % 3) {
        case 0: m[pos] = static_cast<char>(rng() % 256); break;
        case 1: m.erase(pos, 1); break;
        default: m.insert(pos, 1, "{}[],:\"\\0a"[rng() % 10]);
      }
    }
    auto r = http.raw("POST", "/api/users", m, cloud.admin());
    CHECK_MESSAGE((r.status == 201 || r.status == 400 || r.status == 409), m, " -> ", r.status);
    if (r.status == 201) ++created;
  }
  CHECK(cloud.count("branches") == branches_before);
  CHECK(cloud.count("users") == users_before + created);
  CHECK(http.get("/health").status == 200);
}

TEST_CASE("oversized bodies get 413 and the server keeps serving; unknown routes 404, wrong methods 405") {
  TestCloud cloud;
  auto& http = cloud.http;
  // Refused from the headers alone: the server answers before the body is sent.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(cloud.port())});
  const std::string head = "POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3000000\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(head));
  std::string answer(256, '\0');
  answer.resize(socket.read_some(boost::asio::buffer(answer)));
  CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(http.get("/health").status == 200);
  CHECK(http.get("/api/nope").status == 404);
  CHECK(http.raw("DELETE", "/api/branches", "").status == 405);
  CHECK(http.get("/api/branches/..%2F..%2Fetc", cloud.admin()).status == 404);
  CHECK(http.get("/api/users?email=%ZZ", cloud.admin()).status == 400);
}

TEST_CASE("HTTP/1.1 framing on the wire: pipelining, chunked bodies, HTTP/1.0, close, garbage, huge headers") {
  TestCloud cloud;
  const int port = cloud.port();
  // Two requests in one packet: two answers, in order; the last asks to close, so the server does.
  auto both = send_raw(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /api/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(both.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(both.find("HTTP/1.1 404 Not Found\r\n") > both.find("HTTP/1.1 200 OK"));
  CHECK(count(both, "Connection: close\r\n") == 1);
  CHECK(both.find("Content-Length: ") != std::string::npos);
  // A chunked body is read whole: wrong credentials (401), not a missing body (400).
  const std::string login = R"({"email":"nobody@example.test","password":"Wrong-Passw0rd-1"})";
  auto chunked = send_raw(port, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                                "Connection: close\r\n\r\n10\r\n" + login.substr(0, 16) + "\r\n" +
                                fmt::format("{:x}", login.size() - 16) + "\r\n" + login.substr(16) + "\r\n0\r\n\r\n");
  CHECK(chunked.rfind("HTTP/1.1 401 ", 0) == 0);
  // A request in pieces (a slow mobile link): the head split mid-line, the body split too.
  const std::string whole = "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(login.size()) + "\r\nConnection: close\r\n\r\n" + login;
  const std::vector<std::size_t> cuts{0, 7, 40, whole.size() - 20, whole.size() - 3, whole.size()};
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) pieces.push_back(whole.substr(cuts[i], cuts[i + 1] - cuts[i]));
  CHECK(send_raw(port, pieces).rfind("HTTP/1.1 401 ", 0) == 0);
  // HTTP/1.0 without keep-alive: one answer, then the connection ends.
  auto old = send_raw(port, "GET /health HTTP/1.0\r\n\r\n");
  CHECK(old.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(old.find("Connection: close\r\n") != std::string::npos);
  // Not HTTP at all, and a header block over the limit: an answer, then the connection ends.
  CHECK(send_raw(port, "\x01\x02 hello there\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(send_raw(port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n").rfind("HTTP/1.1 431 ", 0) == 0);
  // An upgrade that is not a WebSocket one is an ordinary request; a WebSocket one elsewhere is 404.
  CHECK(send_raw(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\nUpgrade: h2c\r\n\r\n").rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(send_raw(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").rfind("HTTP/1.1 404 ", 0) == 0);
  CHECK(cloud.http.get("/health").status == 200);
}

TEST_CASE("read timeout: a stalled request and an idle connection are closed, a busy one is not") {
  using namespace std::chrono;
  const auto timeout = milliseconds(1000);
  TestCloud cloud([&](cloud::ServiceConfig& c) { c.read_timeout = timeout; });
  boost::asio::io_context io;
  auto open = [&] {
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(cloud.port())});
    timeval limit{10, 0};  // a server that never closes fails the test instead of hanging it
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    return socket;
  };
  // Until the server closes: how long that took and what it sent.
  auto wait_for_close = [](boost::asio::ip::tcp::socket& socket) {
    const auto started = steady_clock::now();
    boost::system::error_code ec;
    std::string got = read_until_close(socket, ec);
    CHECK_MESSAGE((ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset), ec.message());
    return std::pair{duration_cast<milliseconds>(steady_clock::now() - started), got};
  };

  auto stalled = open();
  boost::asio::write(stalled, boost::asio::buffer(std::string("GET /health HTTP/1.1\r\nHo")));
  auto idle = open();
  boost::asio::write(idle, boost::asio::buffer(std::string("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")));
  auto busy = open();
  // The busy connection asks every 200 ms for three timeouts: each request moves its deadline.
  int answered = 0;
  const auto busy_until = steady_clock::now() + 3 * timeout;
  while (steady_clock::now() < busy_until) {
    boost::asio::write(busy, boost::asio::buffer(std::string("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string answer(4096, '\0');
    boost::system::error_code ec;
    answer.resize(busy.read_some(boost::asio::buffer(answer), ec));
    if (ec || answer.rfind("HTTP/1.1 200 OK", 0) != 0) break;
    ++answered;
    std::this_thread::sleep_for(milliseconds(200));
  }
  CHECK(answered >= 10);
  CHECK(steady_clock::now() >= busy_until);
  // The other two were closed on their own, about one timeout in (by now, well past it).
  auto [stalled_after, stalled_got] = wait_for_close(stalled);
  CHECK(stalled_got.empty());
  auto [idle_after, idle_got] = wait_for_close(idle);
  CHECK(idle_got.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(stalled_after < milliseconds(100));
  CHECK(idle_after < milliseconds(100));
  // The busy one now falls idle too, and is closed one timeout (plus at most one timer period) later.
  auto [busy_after, busy_got] = wait_for_close(busy);
  CHECK(busy_got.empty());
  CHECK(busy_after >= timeout / 2);  // its last answer came 200 ms before the loop ended
  CHECK(busy_after <= 2 * timeout + milliseconds(500));
  CHECK(cloud.http.get("/health").status == 200);
}

TEST_CASE("the OpenAPI document lists every route and everything cloud-api.md fixes") {
  TestCloud cloud;
  auto doc = cloud.http.get("/api/openapi.json");
  REQUIRE(doc.status == 200);
  CHECK(doc.json["openapi"] == "3.0.3");
  const auto& paths = doc.json["paths"];
  for (const auto& r : cloud.service->routes()) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK_MESSAGE(paths.contains(r.pattern), r.pattern);
    CHECK_MESSAGE(paths[r.pattern].contains(method), r.method, " ", r.pattern);
  }
  // shared/spec/cloud-api.md, route by route.
  const std::vector<std::pair<std::string, std::string>> spec = {
      {"post", "/api/auth/register"}, {"post", "/api/auth/login"}, {"post", "/api/auth/refresh"}, {"post", "/api/auth/logout"},
      {"get", "/api/auth/me"}, {"post", "/api/branches"}, {"get", "/api/branches"}, {"post", "/api/users"},
      {"post", "/api/membership-plans"}, {"post", "/api/subscriptions"}, {"post", "/api/users/{id}/credentials"},
      {"delete", "/api/users/{id}/credentials/{credential_id}"}, {"post", "/api/subscriptions/{id}/suspend"},
      {"post", "/api/subscriptions/{id}/resume"}, {"get", "/api/users/me/access-qr"}, {"post", "/api/machines"}, {"post", "/api/gateways"},
      {"post", "/api/sessions/start"}, {"post", "/api/sessions/end"}, {"get", "/api/sessions/current"}, {"get", "/api/sessions/history"},
      {"get", "/api/analytics/sessions"}, {"get", "/api/machines/availability"}, {"get", "/api/ws/machines"}, {"post", "/api/machines/link"},
      {"post", "/api/machines/unlink"}, {"post", "/api/machines/heartbeat"}, {"post", "/api/machines/workout-data"},
      {"post", "/api/machines/maintenance"}, {"get", "/api/workouts"}, {"get", "/health"}, {"get", "/metrics"}};
  for (const auto& [method, path] : spec) CHECK_MESSAGE(paths[path].contains(method), method, " ", path);
  auto metrics = cloud.http.get("/metrics");
  CHECK(metrics.header("content-type").starts_with("text/plain"));
  CHECK(metrics.body.find("spotter_http_request_duration_seconds_bucket{route=\"GET /api/openapi.json\"") != std::string::npos);
}
