// The cloud's side of gateway sync: replica by version, ordered idempotent upload with
// quarantine, commands, branch isolation (docs/sync.md).
#include <fstream>
#include <set>

#include "fixture.hpp"
#include "spotter/common/encoding.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
Json event(std::int64_t seq, const std::string& kind, const Json& body, std::int64_t at_ms = kMonday0900Utc) {
  return {{"seq", seq}, {"event_id", kind + "." + std::to_string(seq)}, {"kind", kind}, {"at_ms", at_ms}, {"body", body}};
}
}  // namespace

TEST_CASE("replica: the branch's members, cards, memberships, machines and QR keys; unchanged is cheap; changes bump it") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto nora = cloud.member("nora@gym.test", norte, cloud.plan({norte}));
  REQUIRE(http.post("/api/users/" + ana.id + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3"}}, cloud.admin()).status == 201);
  cloud.machine(centro, "tm-1");
  auto gw = cloud.gateway_token(centro);
  auto r = http.get("/api/sync/replica", gw);
  REQUIRE(r.status == 200);
  CHECK(r.json["changed"] == true);
  const auto& rep = r.json["replica"];
  CHECK(rep["branch"]["id"] == centro);
  CHECK(rep["branch"]["timezone"] == "Europe/Madrid");
  REQUIRE(rep["members"].size() == 1);
  CHECK(rep["members"][0]["id"] == ana.id);
  CHECK(rep["cards"][0]["uid"] == "04A1B2C3");
  CHECK(rep["memberships"][0]["branch_ids"] == Json::array({centro}));
  CHECK(rep["machines"][0]["id"] == "tm-1");
  CHECK(rep["qr_keys"].size() == 1);
  const auto version = r.json["version"].get<std::int64_t>();
  auto same = http.get("/api/sync/replica?since=" + std::to_string(version), gw);
  CHECK(same.json["changed"] == false);
  // Revoking the card changes the replica: the card is there, blocked.
  auto creds = http.get("/api/users/" + ana.id + "/credentials", cloud.admin());
  REQUIRE(http.del("/api/users/" + ana.id + "/credentials/" + creds.json["items"][0]["id"].get<std::string>(), cloud.admin()).status == 204);
  auto next = http.get("/api/sync/replica?since=" + std::to_string(version), gw);
  CHECK(next.json["changed"] == true);
  // Only what changed: Ana, with all her memberships and cards.
  REQUIRE(next.json.contains("delta"));
  REQUIRE(next.json["delta"]["members"].size() == 1);
  CHECK(next.json["delta"]["members"][0]["id"] == ana.id);
  CHECK(next.json["delta"]["members"][0]["cards"][0]["blocked"] == true);
  CHECK(next.json["delta"]["members"][0]["memberships"].size() == 1);
  // Her subscription expires: she leaves this branch's replica.
  const auto v2 = next.json["version"].get<std::int64_t>();
  cloud.clock.advance(std::chrono::hours(24 * 31));
  cloud.service->run_jobs_once();
  const auto gw2 = cloud.gateway_token(centro);
  auto gone = http.get("/api/sync/replica?since=" + std::to_string(v2), gw2);
  REQUIRE(gone.json.contains("delta"));
  CHECK(gone.json["delta"]["removed_members"].size() + gone.json["delta"]["members"].size() >= 1);
  // A version this cloud never gave (a restored gateway) gets a whole snapshot.
  CHECK(http.get("/api/sync/replica?since=99999999", gw2).json.contains("replica"));
  // Users' tokens cannot read it; gateways cannot use user routes.
  CHECK(http.get("/api/sync/replica", cloud.login("ana@gym.test", TestCloud::kPassword)).status == 403);
  CHECK(http.get("/api/sync/replica").status == 401);
}

TEST_CASE("upload: applied once in order, retried batches change nothing, bad events quarantined without blocking") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  cloud.machine(centro, "tm-1");
  cloud.machine(norte, "nb-1");
  auto gw = cloud.gateway_token(centro);
  const std::int64_t t0 = kMonday0900Utc;
  Json batch = {{"events", {
      event(1, "door_event", {{"event_id", "door_1"}, {"at_ms", t0}, {"door_id", "main"}, {"direction", "in"}, {"granted", true}, {"member_id", ana.id}}),
      event(2, "session_started", {{"session_id", "ses_door_1"}, {"member_id", ana.id}, {"branch_id", centro}, {"started_at_ms", t0}}),
      event(3, "session_started", {{"session_id", "ses_ghost"}, {"member_id", "usr_nobody"}, {"branch_id", centro}, {"started_at_ms", t0}}),
      event(4, "machine_status", {{"machine_id", "tm-1"}, {"state", "idle"}, {"at_ms", t0}}),
      event(5, "link_started", {{"link_id", "lnk_1"}, {"machine_id", "tm-1"}, {"member_id", ana.id}, {"session_id", "ses_door_1"}, {"started_at_ms", t0 + 1000}}),
      event(6, "machine_status", {{"machine_id", "nb-1"}, {"state", "idle"}}),
      event(7, "teleport", Json::object()),
  }}};
  auto up = http.post("/api/sync/events", batch, gw);
  REQUIRE(up.status == 200);
  CHECK(up.json["last_seq"] == 7);
  std::vector<std::string> statuses;
  for (const auto& r : up.json["results"]) statuses.push_back(r["status"]);
  CHECK(statuses == std::vector<std::string>{"applied", "applied", "quarantined", "applied", "applied", "quarantined", "quarantined"});
  auto current = http.get("/api/sessions/current", ana.token);
  REQUIRE(current.status == 200);
  CHECK(current.json["id"] == "ses_door_1");
  CHECK(current.json["source"] == "door");
  CHECK(current.json["machines"][0]["machine_id"] == "tm-1");
  // The same batch again (a retry after a timeout): every event a duplicate, nothing changes.
  const auto sessions = cloud.count("gym_sessions"), links = cloud.count("machine_links");
  auto again = http.post("/api/sync/events", batch, gw);
  for (const auto& r : again.json["results"]) CHECK(r["status"] == "duplicate");
  CHECK(cloud.count("gym_sessions") == sessions);
  CHECK(cloud.count("machine_links") == links);
  // Ends arrive later; the door's end closes the session and its links.
  Json later = {{"events", {
      event(8, "link_ended", {{"link_id", "lnk_1"}, {"ended_at_ms", t0 + 60000}, {"ended_by", "unlink"}}),
      event(9, "session_ended", {{"session_id", "ses_door_1"}, {"ended_at_ms", t0 + 120000}, {"ended_by", "door"}}),
  }}};
  REQUIRE(http.post("/api/sync/events", later, gw).status == 200);
  auto hist = http.get("/api/sessions/history", ana.token).json["items"][0];
  CHECK(hist["ended_at"] == "2026-03-02T09:02:00.000Z");
  CHECK(hist["ended_by"] == "door");
  // An event is the same event by its id: sent again under another number (a gateway that
  // renumbered its outbox), it is a duplicate and applies nothing; a bulk event older than the
  // live ones just applied still counts (a catch-up of machine status while doors carry on).
  const auto door_events = cloud.count("door_events");
  Json renumbered = event(12, "door_event", {{"event_id", "door_1"}, {"at_ms", t0}, {"door_id", "main"}, {"direction", "in"}, {"granted", true}, {"member_id", ana.id}});
  renumbered["event_id"] = "door_event.1";
  CHECK(http.post("/api/sync/events", {{"events", {renumbered}}}, gw).json["results"][0]["status"] == "duplicate");
  CHECK(cloud.count("door_events") == door_events);
  auto bulk_new = http.post("/api/sync/events", {{"events", {event(8, "machine_status", {{"machine_id", "tm-1"}, {"state", "error"}})}}}, gw);
  CHECK(bulk_new.json["results"][0]["status"] == "applied");
  // Out of order or malformed batches are refused whole.
  CHECK(http.post("/api/sync/events", {{"events", {event(11, "eviction", Json::object()), event(10, "eviction", Json::object())}}}, gw).status == 400);
  CHECK(http.raw("POST", "/api/sync/events", "{\"events\":[{\"seq\":\"x\"}]}", gw).status == 400);
  // Admins see the quarantine with reasons; gateways have a sync position.
  auto q = http.get("/api/sync/quarantine", cloud.admin());
  REQUIRE(q.json["items"].size() == 3);
  CHECK(q.json["items"][2]["reason"].get<std::string>().find("unknown member") != std::string::npos);
  CHECK(http.get("/api/sync/gateways", cloud.admin()).json["items"][0]["last_seq"] == 9);
}

TEST_CASE("a door entry while the member already has an app session joins it; the door's exit ends it") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto app_session = http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token);
  REQUIRE(app_session.status == 201);
  auto gw = cloud.gateway_token(centro);
  const std::int64_t t0 = kMonday0900Utc;
  auto up = http.post("/api/sync/events", {{"events", {
      event(1, "session_started", {{"session_id", "ses_door"}, {"member_id", ana.id}, {"branch_id", centro}, {"started_at_ms", t0 + 5000}}),
      event(2, "session_ended", {{"session_id", "ses_door"}, {"ended_at_ms", t0 + 600000}, {"ended_by", "door"}})}}}, gw);
  REQUIRE(up.status == 200);
  CHECK(up.json["results"][0]["reason"].get<std::string>().find("merged into") == 0);
  auto hist = http.get("/api/sessions/history", ana.token);
  REQUIRE(hist.json["items"].size() == 1);
  CHECK(hist.json["items"][0]["id"] == app_session.json["id"]);
  CHECK(hist.json["items"][0]["ended_by"] == "door");
}

TEST_CASE("commands: an unlink in the app and staff maintenance reach the branch's gateway only") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch(), norte = cloud.branch("Norte");
  cloud.machine(centro, "tm-1");
  auto gw = cloud.gateway_token(centro), gw_north = cloud.gateway_token(norte);
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "tm-1"}}, gw).status == 200);
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  REQUIRE(http.post("/api/sessions/start", {{"branch_id", centro}}, ana.token).status == 201);
  REQUIRE(http.post("/api/machines/link", {{"machine_id", "tm-1"}}, ana.token).status == 201);
  REQUIRE(http.post("/api/machines/unlink", {{"machine_id", "tm-1"}}, ana.token).status == 200);
  auto trainer = cloud.trainer("t@gym.test", {centro});
  REQUIRE(http.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "E7"}, {"severity", "fault"}}, trainer.token).status == 200);
  auto cmds = http.get("/api/sync/commands?after=0", gw);
  REQUIRE(cmds.json["commands"].size() == 2);
  CHECK(cmds.json["commands"][0]["kind"] == "unlink");
  CHECK(cmds.json["commands"][1]["kind"] == "set_maintenance");
  CHECK(cmds.json["commands"][1]["body"]["code"] == "E7");
  CHECK(http.get("/api/sync/commands?after=" + std::to_string(cmds.json["last_id"].get<std::int64_t>()), gw).json["commands"].empty());
  CHECK(http.get("/api/sync/commands?after=0", gw_north).json["commands"].empty());
  // A gateway of another branch cannot write this branch's data.
  auto foreign = http.post("/api/sync/events", {{"events", {event(1, "machine_status", {{"machine_id", "tm-1"}, {"state", "offline"}})}}}, gw_north);
  CHECK(foreign.json["results"][0]["status"] == "quarantined");
  // Nor end its visits or links (the ids are not secret: a receipt or a screen shows them).
  auto bo = cloud.member("bo@gym.test", centro, cloud.plan({centro}));
  cloud.machine(centro, "tm-2");
  REQUIRE(http.post("/api/machines/heartbeat", {{"machine_id", "tm-2"}}, gw).status == 200);
  auto visit = http.post("/api/sessions/start", {{"branch_id", centro}}, bo.token);
  REQUIRE(visit.status == 201);
  auto link = http.post("/api/machines/link", {{"machine_id", "tm-2"}}, bo.token);
  REQUIRE_MESSAGE(link.status == 201, link.body);
  const std::string visit_id = visit.json["id"], link_id = link.json["id"];
  auto ends = http.post("/api/sync/events", {{"events", {event(2, "link_ended", {{"link_id", link_id}, {"ended_at_ms", kMonday0900Utc + 60000}}),
                                                         event(3, "session_ended", {{"session_id", visit_id}, {"ended_at_ms", kMonday0900Utc + 60000}})}}},
                        gw_north);
  REQUIRE(ends.status == 200);
  CHECK(ends.json["results"][0]["status"] == "quarantined");
  CHECK(ends.json["results"][0]["reason"] == "link of another branch");
  CHECK(ends.json["results"][1]["status"] == "quarantined");
  CHECK(ends.json["results"][1]["reason"] == "session of another branch");
  CHECK(http.get("/api/sessions/current", bo.token).json["id"] == visit_id);
  auto own = http.post("/api/sync/events", {{"events", {event(20, "session_ended", {{"session_id", visit_id}, {"ended_at_ms", kMonday0900Utc + 60000}})}}}, gw);
  CHECK(own.json["results"][0]["status"] == "applied");
}

TEST_CASE("spotter-cloud import loads a standalone gateway's replica file; a gateway then downloads the same branch") {
  TempDir dir;
  const std::string db = fresh_database_url(dir);
  const std::int64_t year = 365LL * 86'400'000;
  Json doc = {{"branch", {{"id", "north"}, {"name", "North"}, {"timezone", "Europe/Madrid"}, {"opening_hours", all_day()}}},
              {"members", {{{"id", "m-1"}, {"display_name", "Ana"}}, {{"id", "m-2"}, {"display_name", "Bo"}}}},
              {"memberships", {{{"id", "ms-1"}, {"member_id", "m-1"}, {"starts_at_ms", 0}, {"expires_at_ms", 4'000'000'000'000}},
                               {{"id", "ms-2"}, {"member_id", "m-2"}, {"starts_at_ms", 0}, {"expires_at_ms", 4'000'000'000'000 - year}, {"suspended", true}, {"branch_ids", {"north"}}}}},
              {"cards", {{{"uid", "04A1B2C3"}, {"member_id", "m-1"}}, {{"uid", "04B0B0B0"}, {"member_id", "m-2"}, {"blocked", true}}}},
              {"machines", {{{"id", "tm-1"}, {"name", "Treadmill"}, {"category", "cardio"}, {"type", "treadmill"}}}}};
  std::ofstream(dir.path() / "r.json") << doc.dump();
  REQUIRE(cloud::Main({"import", "--db", db, (dir.path() / "r.json").string()}) == 0);
  REQUIRE(cloud::Main({"import", "--db", db, (dir.path() / "r.json").string()}) == 0);  // idempotent
  std::ofstream(dir.path() / "bad.json") << R"({"branch":{"id":"x y"}})";
  CHECK(cloud::Main({"import", "--db", db, (dir.path() / "bad.json").string()}) == 1);
  REQUIRE(cloud::Main({"admin", "create", "--db", db, "--email", "admin@gym.test", "--password", TestCloud::kPassword}) == 0);
  ManualClock clock;
  auto service = cloud::Service::start(test_config(db, clock));
  HttpClient http(service->port());
  const std::string admin = http.post("/api/auth/login", {{"email", "admin@gym.test"}, {"password", TestCloud::kPassword}}).json["access_token"];
  auto g = http.post("/api/gateways", {{"branch_id", "north"}, {"name", "gw"}}, admin);
  REQUIRE(g.status == 201);
  const std::string gw = http.post("/api/gateways/token", {{"gateway_id", g.json["gateway_id"]}, {"secret", g.json["secret"]}}).json["access_token"];
  auto rep = http.get("/api/sync/replica", gw).json["replica"];
  CHECK(rep["branch"]["id"] == "north");
  CHECK(rep["members"].size() == 2);
  CHECK(rep["machines"][0]["id"] == "tm-1");
  CHECK(rep["cards"].size() == 2);
  for (const auto& card : rep["cards"]) CHECK(card["blocked"] == (card["uid"] == "04B0B0B0"));
  for (const auto& m : rep["memberships"]) CHECK(m["suspended"] == (m["id"] == "ms-2"));
  // A second branch imported after it leaves the first one's members where they were (each
  // set of branches gets a plan of its own; one shared plan id re-pointed them once).
  Json south = {{"branch", {{"id", "south"}, {"name", "South"}, {"timezone", "Europe/Madrid"}, {"opening_hours", all_day()}}},
                {"members", {{{"id", "s-1"}, {"display_name", "Cy"}}}},
                {"memberships", {{{"id", "ms-s1"}, {"member_id", "s-1"}, {"starts_at_ms", 0}, {"expires_at_ms", 4'000'000'000'000}, {"branch_ids", {"south"}}}}}};
  std::ofstream(dir.path() / "south.json") << south.dump();
  service.reset();
  REQUIRE(cloud::Main({"import", "--db", db, (dir.path() / "south.json").string()}) == 0);
  service = cloud::Service::start(test_config(db, clock));
  http.retarget(service->port());
  const std::string gw2 = http.post("/api/gateways/token", {{"gateway_id", g.json["gateway_id"]}, {"secret", g.json["secret"]}}).json["access_token"];
  auto north_again = http.get("/api/sync/replica", gw2).json["replica"];
  CHECK(north_again["members"].size() == 2);
  for (const auto& m : north_again["memberships"]) {
    if (m["id"] == "ms-2") CHECK(m["branch_ids"] == Json::array({"north"}));
  }
  const std::string admin2 = http.post("/api/auth/login", {{"email", "admin@gym.test"}, {"password", TestCloud::kPassword}}).json["access_token"];
  auto g2 = http.post("/api/gateways", {{"branch_id", "south"}, {"name", "gw-s"}}, admin2);
  const std::string gws = http.post("/api/gateways/token", {{"gateway_id", g2.json["gateway_id"]}, {"secret", g2.json["secret"]}}).json["access_token"];
  auto south_rep = http.get("/api/sync/replica", gws).json["replica"];
  std::set<std::string> south_members;
  for (const auto& m : south_rep["members"]) south_members.insert(m["id"]);
  // Cy, and Ana whose membership opens every branch; not Bo, whose opens North only.
  CHECK(south_members == std::set<std::string>{"m-1", "s-1"});
  // A crafted cursor on the admin lists is a 400 naming it, not a 500.
  for (const char* list : {"/api/audit?cursor=", "/api/notifications?cursor="}) {
    for (const std::string& cursor : {std::string("zzz"), std::string("-1"), base64url_encode(crypto::as_bytes("99999999999999999999999")),
                                     base64url_encode(crypto::as_bytes("-5")), base64url_encode(crypto::as_bytes("12abc"))}) {
      CAPTURE(list);
      CAPTURE(cursor);
      auto r = http.get(std::string(list) + cursor, admin2);
      CHECK(r.status == 400);
    }
  }
}

TEST_CASE("auto-ends on both sides converge: the first end wins, the later one changes nothing") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch();
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto gw = cloud.gateway_token(centro);
  const std::int64_t t0 = kMonday0900Utc;
  REQUIRE(http.post("/api/sync/events", {{"events", {event(1, "session_started", {{"session_id", "ses_door"}, {"member_id", ana.id}, {"branch_id", centro}, {"started_at_ms", t0}})}}}, gw).status == 200);
  // The gateway was offline: the cloud's job ends the session at 4 hours first.
  cloud.clock.advance(std::chrono::hours(4) + std::chrono::minutes(1));
  cloud.service->run_jobs_once();
  // Then the gateway's own auto-end arrives (a little later by its clock): nothing changes.
  const auto gw2 = cloud.gateway_token(centro);
  auto late = http.post("/api/sync/events", {{"events", {event(2, "session_ended", {{"session_id", "ses_door"}, {"ended_at_ms", t0 + 4 * 3600000 + 30000}, {"ended_by", "timeout"}})}}}, gw2);
  CHECK(late.json["results"][0]["status"] == "applied");
  auto hist = http.get("/api/sessions/history", cloud.login("ana@gym.test", TestCloud::kPassword)).json["items"][0];
  CHECK(hist["ended_by"] == "timeout");
  CHECK(hist["ended_at"] == "2026-03-02T13:00:00.000Z");
}

namespace {
Json set(std::int64_t msg_id, const std::optional<std::string>& link_id, std::int64_t ts_end) {
  Json body = {{"machine_id", "tm-1"}, {"boot_id", "b1"}, {"msg_id", msg_id},
               {"workout", {{"msg_id", msg_id}, {"ts_start", ts_end - 40000}, {"ts_end", ts_end}, {"category", "strength"}, {"reps", 10}}}};
  if (link_id) body["link_id"] = *link_id;
  return body;
}
Json usage_of(const Reply& r, const std::string& machine) {
  for (const auto& m : r.json["items"])
    if (m["machine_id"] == machine) return m;
  return nullptr;
}
}  // namespace

TEST_CASE("attribution: a workout naming a link is that link's member's, whichever lane arrives first") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  cloud.machine(centro, "tm-1", "strength");
  auto gw = cloud.gateway_token(centro);
  const std::int64_t t0 = kMonday0900Utc;
  auto send = [&](std::int64_t seq, const std::string& kind, const Json& body) {
    auto r = http.post("/api/sync/events", {{"events", {event(seq, kind, body)}}}, gw);
    REQUIRE(r.status == 200);
    return r.json["results"][0]["status"].get<std::string>();
  };
  REQUIRE(send(1, "session_started", {{"session_id", "ses_1"}, {"member_id", ana.id}, {"branch_id", centro}, {"started_at_ms", t0}}) == "applied");
  // The bulk lane overtakes the live one: the first set comes before its link.
  REQUIRE(send(2, "workout", set(1, "lnk_1", t0 + 60000)) == "applied");
  CHECK(http.get("/api/workouts", ana.token).json["items"].empty());
  auto waiting = usage_of(http.get("/api/machines/usage?branch_id=" + centro, cloud.admin()), "tm-1");
  CHECK(waiting["waiting_for_link"] == 1);
  CHECK(waiting["attributed"] == 0);
  // The link arrives: the set is hers, on her visit.
  REQUIRE(send(3, "link_started", {{"link_id", "lnk_1"}, {"machine_id", "tm-1"}, {"member_id", ana.id}, {"session_id", "ses_1"},
                                  {"started_at_ms", t0 + 1000}}) == "applied");
  auto mine = http.get("/api/workouts", ana.token);
  REQUIRE(mine.json["items"].size() == 1);
  CHECK(mine.json["items"][0]["session_id"] == "ses_1");
  // After the link: at once. After its end (the idle overtook the last set): still hers.
  REQUIRE(send(4, "workout", set(2, "lnk_1", t0 + 120000)) == "applied");
  REQUIRE(send(5, "link_ended", {{"link_id", "lnk_1"}, {"ended_at_ms", t0 + 180000}, {"ended_by", "machine"}}) == "applied");
  REQUIRE(send(6, "workout", set(3, "lnk_1", t0 + 179000)) == "applied");
  // The gateway's summary of the link, made when it ended, does not join the machine's own sets.
  REQUIRE(send(7, "workout", {{"machine_id", "tm-1"}, {"link_id", "lnk_1"}, {"member_id", ana.id}, {"session_id", "ses_1"},
                              {"workout", {{"ts_start", t0 + 1000}, {"ts_end", t0 + 180000}, {"category", "strength"}}}}) == "applied");
  // A set from a machine used without a tap: no one's, counted for the usage reports.
  REQUIRE(send(8, "workout", set(4, std::nullopt, t0 + 300000)) == "applied");
  mine = http.get("/api/workouts", ana.token);
  REQUIRE(mine.json["items"].size() == 3);
  for (const auto& w : mine.json["items"]) CHECK(w["session_id"] == "ses_1");
  auto usage = usage_of(http.get("/api/machines/usage?branch_id=" + centro, cloud.admin()), "tm-1");
  CHECK(usage["workouts"] == 4);
  CHECK(usage["attributed"] == 3);
  CHECK(usage["unattributed"] == 1);
  CHECK(usage["waiting_for_link"] == 0);
  // The visit shows the machine with its sets.
  auto visit = http.get("/api/sessions/current", ana.token);
  REQUIRE(visit.json["machines"].size() == 1);
  CHECK(visit.json["machines"][0]["workouts"] == 3);
  // Retries change nothing; the usage report is staff's, of their own branches.
  CHECK(send(6, "workout", set(3, "lnk_1", t0 + 179000)) == "duplicate");
  CHECK(http.get("/api/workouts", ana.token).json["items"].size() == 3);
  CHECK(http.get("/api/machines/usage?branch_id=" + centro, ana.token).status == 403);
  CHECK(http.get("/api/machines/usage", cloud.admin()).status == 400);
}

TEST_CASE("attribution: a link's summary from telemetry gives way to the machine's own set that came after it") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  cloud.machine(centro, "tm-1", "strength");
  auto gw = cloud.gateway_token(centro);
  const std::int64_t t0 = kMonday0900Utc;
  Json batch = {{"events", {
      event(1, "session_started", {{"session_id", "ses_1"}, {"member_id", ana.id}, {"branch_id", centro}, {"started_at_ms", t0}}),
      event(2, "link_started", {{"link_id", "lnk_1"}, {"machine_id", "tm-1"}, {"member_id", ana.id}, {"session_id", "ses_1"}, {"started_at_ms", t0}}),
      event(3, "link_ended", {{"link_id", "lnk_1"}, {"ended_at_ms", t0 + 60000}, {"ended_by", "machine"}}),
      event(4, "workout", {{"machine_id", "tm-1"}, {"link_id", "lnk_1"}, {"member_id", ana.id}, {"session_id", "ses_1"},
                           {"workout", {{"ts_start", t0}, {"ts_end", t0 + 60000}, {"category", "strength"}, {"summary", true}}}}),
      event(5, "workout", set(1, "lnk_1", t0 + 59000)),
  }}};
  REQUIRE(http.post("/api/sync/events", batch, gw).status == 200);
  auto mine = http.get("/api/workouts", ana.token);
  REQUIRE(mine.json["items"].size() == 1);
  CHECK(mine.json["items"][0]["data"]["msg_id"] == 1);
  CHECK(cloud.count("workouts") == 1);
}

TEST_CASE("a reinstalled gateway (same identity, empty outbox, numbering from 1 again) has its new events applied, old ones stay duplicates") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto gw = cloud.gateway_token(centro);
  const std::int64_t t0 = kMonday0900Utc;
  auto door = [&](std::int64_t seq, const std::string& id, const char* direction) {
    Json e = event(seq, "door_event", {{"event_id", id}, {"at_ms", t0 + seq}, {"door_id", "main"}, {"direction", direction}, {"granted", true}, {"member_id", ana.id}});
    e["event_id"] = id;
    return e;
  };
  Json before = Json::array();
  for (int i = 1; i <= 50; ++i) before.push_back(door(i, "old_" + std::to_string(i), "in"));
  REQUIRE(http.post("/api/sync/events", {{"events", before}}, gw).status == 200);
  REQUIRE(cloud.count("door_events") == 50);
  // Reinstalled: its outbox starts at 1 again, with new events (and one it had sent before
  // the reinstall, still in a backup it restored).
  auto after = http.post("/api/sync/events", {{"events", {door(1, "new_1", "in"), door(2, "new_2", "out"), door(3, "old_7", "in")}}}, gw);
  REQUIRE(after.status == 200);
  CHECK(after.json["results"][0]["status"] == "applied");
  CHECK(after.json["results"][1]["status"] == "applied");
  CHECK(after.json["results"][2]["status"] == "duplicate");
  CHECK(cloud.count("door_events") == 52);
}
