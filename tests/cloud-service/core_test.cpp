// The pure core: request parsing helpers, validation, times, rate limits, session rules.
#include <doctest/doctest.h>

#include "core/attempts.hpp"
#include "core/fields.hpp"
#include "core/latest_updates.hpp"
#include "core/passwords.hpp"
#include "core/proxies.hpp"
#include "core/response_head.hpp"
#include "domains/machines/rules.hpp"
#include "domains/org/rules.hpp"
#include "domains/sessions/rules.hpp"
#include "spotter/cloud/storage.hpp"

using namespace spotter;
using namespace spotter::cloud;
using cloud::machines::back_in_service;
using cloud::machines::shown_machine_state;
using cloud::sessions::session_analytics;
using cloud::sessions::session_auto_end;
using cloud::sessions::SessionSample;

TEST_CASE("query strings and percent-decoding reject what they cannot read") {
  std::map<std::string, std::string, std::less<>> q;
  CHECK(parse_query("a=1&b=x%20y&c=%2B34&d", q));
  CHECK(q["b"] == "x y");
  CHECK(q["c"] == "+34");
  CHECK(q["d"].empty());
  std::map<std::string, std::string, std::less<>> bad;
  CHECK_FALSE(parse_query("a=%2", bad));
  CHECK_FALSE(parse_query("a=%ZZ", bad));
  CHECK_FALSE(parse_query("a=1&a=2", bad));
  CHECK_FALSE(parse_query("a=%00", bad));
  CHECK_FALSE(parse_query("a=%C3%28", bad));
  // Decoding at the edges: specials first and last, runs between, a truncated escape anywhere.
  std::string out;
  for (auto [in, want] : {std::pair{"", ""}, {"plain", "plain"}, {"%41", "A"}, {"+", " "}, {"a+b%20c", "a b c"}, {"%2B%2b", "++"},
                          {"/api/x%2Fy", "/api/x/y"}, {"caf%C3%A9+", "caf\xC3\xA9 "}, {"%41%42%43", "ABC"}}) {
    CHECK_MESSAGE(percent_decode(in, out), in);
    CHECK(out == want);
  }
  for (const char* in : {"%", "%4", "a%4", "%4g", "ab%", "%%41", "%G1x", "%FF"}) CHECK_MESSAGE(!percent_decode(in, out), in);
}

TEST_CASE("Accept-Encoding: gzip only when listed (or *) with a weight above zero") {
  for (const char* yes : {"gzip", "GZip", "x-gzip", "deflate, gzip", "gzip;q=1", "gzip; q=0.001", "gzip;q=1.000", "*", "br;q=1, *;q=0.1",
                          " gzip ,br", "identity;q=0, gzip"})
    CHECK_MESSAGE(accepts_gzip(yes), yes);
  for (const char* no : {"", "identity", "deflate, br", "gzip;q=0", "gzip;q=0.0", "gzip; q=0.000", "*;q=0", "gzip;q=0, *",
                         "gzip;q=1.5", "gzip;q=2", "gzip;q=0.0001", "gzip;q=", "gzip;q=-1", "gzipx", ",,,", "gzip;q=abc"})
    CHECK_MESSAGE(!accepts_gzip(no), no);
}

TEST_CASE("response head: status line, framing, and no header that could split it") {
  std::string head;
  HttpResponse ok{.status = 200, .content_type = "application/json", .body = {}, .headers = {{"Vary", "accept-encoding"}, {"Content-Encoding", "gzip"}}};
  CHECK(write_response_head(ok, 1234, true, head) == 0);
  CHECK(head ==
        "HTTP/1.1 200 OK\r\nServer: spotter-cloud\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
        "Vary: accept-encoding\r\nContent-Encoding: gzip\r\nContent-Length: 1234\r\n\r\n");

  // The buffer is replaced, not appended to; a closing answer says so.
  HttpResponse limited{.status = 429, .content_type = "application/problem+json", .body = {}, .headers = {{"Retry-After", "60"}}};
  CHECK(write_response_head(limited, 0, false, head) == 0);
  CHECK(head.rfind("HTTP/1.1 429 Too Many Requests\r\n", 0) == 0);
  CHECK(head.find("Retry-After: 60\r\nContent-Length: 0\r\nConnection: close\r\n\r\n") != std::string::npos);

  // 204 (and 1xx, 304) carry no body and no Content-Length (RFC 9110 8.6).
  CHECK_FALSE(status_has_body(204));
  CHECK_FALSE(status_has_body(304));
  CHECK_FALSE(status_has_body(101));
  CHECK(status_has_body(201));
  CHECK(write_response_head(no_content(), 0, true, head) == 0);
  CHECK(head == "HTTP/1.1 204 No Content\r\nServer: spotter-cloud\r\nCache-Control: no-store\r\n\r\n");

  // A value with CR or LF, or a name that is not a token, would let text choose headers or a
  // body of its own: left out and counted, the rest of the head intact.
  HttpResponse hostile{.status = 201, .content_type = "text/plain\r\nX-Evil: 1", .body = {},
                       .headers = {{"Location", "/a\r\n\r\n<html>"}, {"Bad Name", "x"}, {"", "x"}, {"X-Fine", "ok"}, {"X-Nul", std::string("a\0b", 3)}}};
  CHECK(write_response_head(hostile, 5, true, head) == 5);
  CHECK(head == "HTTP/1.1 201 Created\r\nServer: spotter-cloud\r\nCache-Control: no-store\r\nX-Fine: ok\r\nContent-Length: 5\r\n\r\n");

  // A status without a reason phrase keeps the space (RFC 9112 4); nonsense becomes 500.
  CHECK(write_response_head(HttpResponse{.status = 299, .content_type = "", .body = {}, .headers = {}}, 0, true, head) == 0);
  CHECK(head.rfind("HTTP/1.1 299 \r\n", 0) == 0);
  CHECK(write_response_head(HttpResponse{.status = 7, .content_type = "", .body = {}, .headers = {}}, 0, true, head) == 0);
  CHECK(head.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0) == 0);
}

TEST_CASE("a slow WebSocket client's queue: one update per machine, the newest, in first-come order") {
  LatestUpdates q;
  auto text = [](const std::string& s) { return std::make_shared<const std::string>(s); };
  CHECK(q.empty());
  CHECK_FALSE(q.take());
  // A thousand changes to three machines while the client does not read: three entries.
  int replaced = 0;
  for (int i = 0; i < 1000; ++i)
    if (!q.put("m-" + std::to_string(i % 3), text(std::to_string(i)))) ++replaced;
  CHECK(q.size() == 3);
  CHECK(replaced == 997);
  CHECK(**q.take() == "999");  // m-0 came first; its newest state is change 999
  CHECK(**q.take() == "997");  // m-1
  q.put("m-0", text("new"));   // a machine taken already queues again, behind the others
  CHECK(**q.take() == "998");  // m-2
  CHECK(**q.take() == "new");
  CHECK(q.empty());
}

TEST_CASE("RFC 3339 times: offsets, fractions, and everything else refused") {
  CHECK(parse_rfc3339_ms("2026-03-02T09:00:00Z") == 1772442000000);
  CHECK(parse_rfc3339_ms("2026-03-02T10:00:00+01:00") == 1772442000000);
  CHECK(parse_rfc3339_ms("2026-03-02T09:00:00.5Z") == 1772442000500);
  CHECK(parse_rfc3339_ms("2026-03-02T09:00:00.123456Z") == 1772442000123);
  for (const char* bad : {"", "2026-03-02", "2026-03-02T09:00:00", "2026-13-02T09:00:00Z", "2026-02-30T09:00:00Z", "2026-03-02T24:00:00Z",
                          "2026-03-02T09:00:00.Z", "2026-03-02T09:00:00+1:00", "2026-03-02T09:00:00Zjunk", "tomorrow"})
    CHECK_FALSE_MESSAGE(parse_rfc3339_ms(bad), bad);
}

TEST_CASE("Fields collects every problem and never throws on odd types") {
  Json body = {{"email", "Not An Email"}, {"n", "7"}, {"ids", {"ok", 3}}, {"name", std::string(300, 'x')}, {"role", "owner"}};
  Fields f(body);
  (void)f.email("email");
  (void)f.integer("n", 0, 10);
  (void)f.id_list("ids");
  (void)f.text("name");
  (void)f.choice("role", {"admin", "member"});
  (void)f.text("missing");
  CHECK_FALSE(f.ok());
  auto p = parse_json_strict(f.problem().body);
  REQUIRE(p);
  CHECK((*p)["errors"].size() == 6);
  Json big = {{"n", 18446744073709551615ULL}};
  Fields g(big);
  CHECK(g.integer("n", 0, 100) == 0);
  CHECK_FALSE(g.ok());
}

TEST_CASE("failed attempts: five per window per key, then a wait until the oldest counted one leaves the window") {
  const AttemptRule rule{.limit = 5, .window = std::chrono::minutes(15)};
  const std::int64_t now = 1'000'000'000;
  std::vector<std::int64_t> newest_first;
  for (int i = 0; i < 5; ++i) {
    CHECK(retry_after_s(newest_first, rule, now) == 0);
    newest_first.insert(newest_first.begin(), now - 50'000 + i * 10'000);  // one every 10 s, the last at now - 10 s
  }
  CHECK(retry_after_s(newest_first, rule, now) == 15 * 60 - 50);
  // A slot frees when the oldest of the newest five leaves the window, not the oldest of all.
  newest_first.push_back(now - 14 * 60'000);
  CHECK(retry_after_s(newest_first, rule, now) == 15 * 60 - 50);
  CHECK(retry_after_s(newest_first, rule, now + (15 * 60 - 50) * 1000) == 0);
  // Failures outside the window never count, and a partial second waits a whole one.
  CHECK(retry_after_s({now - 15 * 60'000, now - 16 * 60'000}, rule, now) == 0);
  CHECK(retry_after_s({now, now, now, now, now - 15 * 60'000 + 1}, rule, now) == 1);
}

TEST_CASE("trusted proxies: X-Forwarded-For is believed only from them, and read from the right") {
  auto proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1 ,::1/128");
  REQUIRE(proxies);
  CHECK(proxies->trusts("10.1.2.3"));
  CHECK(proxies->trusts("::ffff:10.1.2.3"));  // an IPv4 peer on a dual-stack socket
  CHECK(proxies->trusts("::1"));
  CHECK_FALSE(proxies->trusts("11.0.0.1"));
  CHECK_FALSE(proxies->trusts("not an address"));
  // An untrusted peer's header is ignored: it could say anything.
  CHECK(proxies->client_address("203.0.113.9", "198.51.100.1") == "203.0.113.9");
  // Through the balancer: the right-most entry that is not a proxy of ours.
  CHECK(proxies->client_address("127.0.0.1", "198.51.100.1") == "198.51.100.1");
  CHECK(proxies->client_address("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.5") == "198.51.100.1");
  CHECK(proxies->client_address("127.0.0.1", "198.51.100.1:5555") == "198.51.100.1");
  CHECK(proxies->client_address("127.0.0.1", "[2001:db8::7]:443") == "2001:db8::7");
  // Garbage where an address should be: the last hop that named something real.
  CHECK(proxies->client_address("127.0.0.1", "198.51.100.1, garbage") == "127.0.0.1");
  CHECK(proxies->client_address("127.0.0.1", "") == "127.0.0.1");
  CHECK(proxies->client_address("127.0.0.1", "10.0.0.1, 10.0.0.2") == "10.0.0.1");  // all ours: the first
  for (const char* bad : {"10.0.0.0/33", "::1/129", "300.1.1.1", "10.0.0.0/", "10.0.0.0/x", "a,b"}) CHECK_FALSE(TrustedProxies::parse(bad));
  auto none = TrustedProxies::parse("");
  REQUIRE(none);
  CHECK(none->empty());
  CHECK(none->client_address("127.0.0.1", "1.2.3.4") == "127.0.0.1");
}

TEST_CASE("SQL text: placeholders numbered outside literals and comments; the dialect token per engine") {
  CHECK(number_placeholders("SELECT ? , '?', \"?\" -- ?\n, ?") == "SELECT $1 , '?', \"?\" -- ?\n, $2");
  CHECK(number_placeholders("a = 'it''s ?' AND b = ?") == "a = 'it''s ?' AND b = $1");
  CHECK(expand_dialect("id {{AUTO_ID}}, x", Engine::sqlite) == "id INTEGER PRIMARY KEY AUTOINCREMENT, x");
  CHECK(expand_dialect("id {{AUTO_ID}}", Engine::postgresql) == "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  CHECK(expand_dialect("k TEXT {{BYTEWISE}}, j {{AUTO_ID}}, m TEXT {{BYTEWISE}}", Engine::postgresql) ==
        "k TEXT COLLATE \"C\", j BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, m TEXT COLLATE \"C\"");
  CHECK(expand_dialect("k TEXT {{BYTEWISE}}", Engine::sqlite) == "k TEXT COLLATE BINARY");
  CHECK(placeholders(3) == "?, ?, ?");
}

TEST_CASE("rows convert between the types the engines give back") {
  SqlRow r{{SqlValue(nullptr), SqlValue(true), SqlValue(std::int64_t{7}), SqlValue(2.5), SqlValue(std::string("x"))}};
  CHECK(r.is_null(0));
  CHECK(r.boolean(1));
  CHECK(r.integer(1) == 1);
  CHECK(r.boolean(2));  // SQLite keeps booleans as integers
  CHECK(r.number(2) == 7.0);
  CHECK(r.number(3) == 2.5);
  CHECK(r.integer(3) == 2);
  CHECK(r.text(4) == "x");
  CHECK(r.integer(4) == 0);  // never throws on another type
  CHECK_FALSE(r.optional_integer(0));
  CHECK(r.optional_number(3) == 2.5);
  static_assert(std::is_same_v<decltype(SqlValue("text")), SqlValue>);
  CHECK(std::holds_alternative<std::string>(SqlValue("text")));
  CHECK(std::holds_alternative<std::int64_t>(SqlValue(42)));
  CHECK(std::holds_alternative<bool>(SqlValue(false)));
}

TEST_CASE("a plan that lists no branch opens every branch; entry follows the member's current subscriptions") {
  using namespace cloud::org;
  CHECK(plan_opens({}, "br_a"));
  CHECK(plan_opens({"br_a", "br_b"}, "br_b"));
  CHECK_FALSE(plan_opens({"br_a"}, "br_b"));
  CHECK(entry_decision({}) == Entry::no_membership);
  CHECK(entry_decision({{.suspended = false, .opens_branch = false}}) == Entry::branch_not_allowed);
  CHECK(entry_decision({{.suspended = true, .opens_branch = true}}) == Entry::suspended);
  CHECK(entry_decision({{.suspended = true, .opens_branch = true}, {.suspended = false, .opens_branch = true}}) == Entry::allowed);
  CHECK(entry_decision({{.suspended = true, .opens_branch = false}, {.suspended = false, .opens_branch = false}}) == Entry::branch_not_allowed);
  CHECK(shown_subscription_status("active", 1000, 999) == "active");
  CHECK(shown_subscription_status("active", 1000, 1000) == "expired");
  CHECK(shown_subscription_status("suspended", 1000, 2000) == "suspended");
}

TEST_CASE("a machine out of service shows maintenance whatever it reports") {
  for (const char* reported : {"idle", "in_use", "maintenance", "error", "offline"}) {
    CHECK(shown_machine_state(reported, true) == "maintenance");
    CHECK(shown_machine_state(reported, false) == reported);
  }
}

TEST_CASE("a machine is back in service only when it shows idle or in use") {
  CHECK(back_in_service("idle"));
  CHECK(back_in_service("in_use"));
  for (const char* shown : {"maintenance", "error", "offline"}) CHECK_FALSE(back_in_service(shown));
  CHECK_FALSE(back_in_service(shown_machine_state("idle", true)));
}

TEST_CASE("password strength rules") {
  CHECK(password_weakness("short1A!", "a@b.c"));
  CHECK(password_weakness("alllowercaseletters", "a@b.c"));
  CHECK(password_weakness("Gonzalo-2026-pw", "gonzalo@gym.test"));  // contains the email's name
  CHECK_FALSE(password_weakness("Str0ng-Passw0rd!", "ana@gym.test"));
}

TEST_CASE("session auto-end: 4 hours, or closing time when that comes first") {
  auto zone = load_time_zone("Europe/Madrid");
  REQUIRE(zone);
  auto hours = OpeningHours::from_json({{"mon", Json::array({Json::array({"06:00", "12:00"})})}});
  REQUIRE(hours);
  BranchCalendar calendar(*zone, *hours);
  const std::int64_t monday_10_local = 1772442000000;  // 09:00 UTC
  CHECK_FALSE(session_auto_end(monday_10_local, monday_10_local + 3600'000, calendar));
  auto closing = session_auto_end(monday_10_local, monday_10_local + 2 * 3600'000, calendar);
  REQUIRE(closing);
  CHECK(closing->ended_by == "closing");
  CHECK(closing->ended_at_ms == monday_10_local + 2 * 3600'000);
  auto open_all = OpeningHours::from_json({{"mon", Json::array({Json::array({"00:00", "24:00"})})}});
  BranchCalendar always(*zone, *open_all);
  auto timeout = session_auto_end(monday_10_local, monday_10_local + 5 * 3600'000, always);
  REQUIRE(timeout);
  CHECK(timeout->ended_by == "timeout");
  CHECK(timeout->ended_at_ms == monday_10_local + 4 * 3600'000);
}

TEST_CASE("analytics count in the branch's local time") {
  auto zone = load_time_zone("America/New_York");
  REQUIRE(zone);
  // 2026-03-02 14:00 UTC = 09:00 in New York (EST).
  std::vector<SessionSample> s = {{1772460000000, 1772460000000 + 3600'000}, {1772460000000, std::nullopt}};
  Json a = session_analytics(s, **zone);
  CHECK(a["visits_by_hour"][9] == 2);
  CHECK(a["visits_by_weekday"]["mon"] == 2);
  CHECK(a["average_duration_s"] == 3600);
  CHECK(a["peak_hours"].size() == 1);
}
