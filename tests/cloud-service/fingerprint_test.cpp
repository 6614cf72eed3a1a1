// Fingerprint credentials (cloud-api-2.md "Chain operations"): enrolment, the template sealed
// at rest and never returned, delivered to the member's branch gateways only, deletion.
#include "fixture.hpp"
#include "spotter/common/encoding.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
std::string template_of(std::size_t n, std::uint8_t seed) {
  crypto::Bytes t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<std::uint8_t>(seed + i * 7);
  return base64_encode(t);
}
Json enrolment(const std::string& finger, const std::string& tmpl) { return {{"kind", "fingerprint"}, {"finger", finger}, {"template", tmpl}}; }
}  // namespace

TEST_CASE("fingerprints: enrolled by staff, sealed at rest with the service key, never returned; each finger once") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto desk = cloud.trainer("desk@gym.test", {centro});
  auto other_desk = cloud.trainer("north@gym.test", {norte});
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  const std::string tmpl = template_of(4096, 3);
  auto made = http.post("/api/users/" + ana.id + "/credentials", enrolment("right_index", tmpl), desk.token);
  REQUIRE_MESSAGE(made.status == 201, made.body);
  const std::string id = made.json["id"];
  CHECK(made.json["kind"] == "fingerprint");
  CHECK(made.json["finger"] == "right_index");
  CHECK(made.body.find(tmpl.substr(0, 40)) == std::string::npos);
  CHECK_FALSE(made.json.contains("template"));

  // Listed with its finger, without the template, to staff and to the member.
  for (const auto* token : {&desk.token, &ana.token}) {
    auto list = http.get("/api/users/" + ana.id + "/credentials", *token);
    REQUIRE(list.status == 200);
    REQUIRE(list.json["items"].size() == 1);
    CHECK(list.json["items"][0]["finger"] == "right_index");
    CHECK_FALSE(list.json["items"][0].contains("template"));
    CHECK(list.body.find(tmpl.substr(0, 40)) == std::string::npos);
  }

  // At rest: sealed with the key, bound to its credential id.
  auto rows = cloud.db().query("SELECT template_sealed FROM credentials WHERE id = ?", {id});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const std::string sealed_text = rows->front().text(0);
  CHECK(sealed_text.find(tmpl.substr(0, 40)) == std::string::npos);
  auto sealed = base64_decode(sealed_text);
  REQUIRE(sealed.ok());
  auto opened = crypto::open(kTestFingerprintKey, *sealed, crypto::as_bytes(id));
  REQUIRE(opened.ok());
  CHECK(base64_encode(*opened) == tmpl);
  CHECK_FALSE(crypto::open(kTestFingerprintKey, *sealed, crypto::as_bytes("cred_other")).ok());

  // Each finger once; another finger is another credential.
  auto again = http.post("/api/users/" + ana.id + "/credentials", enrolment("right_index", template_of(300, 9)), desk.token);
  CHECK(again.status == 409);
  CHECK(again.json["type"].get<std::string>().find("finger-enrolled") != std::string::npos);
  CHECK(http.post("/api/users/" + ana.id + "/credentials", enrolment("left_index", template_of(300, 9)), desk.token).status == 201);
  // Staff of another branch, and members, cannot enrol.
  CHECK(http.post("/api/users/" + ana.id + "/credentials", enrolment("left_thumb", template_of(300, 9)), other_desk.token).status == 403);
  CHECK(http.post("/api/users/" + ana.id + "/credentials", enrolment("left_thumb", template_of(300, 9)), ana.token).status == 403);
}

TEST_CASE("fingerprints: bad enrolments name the field and write nothing; without a key the service says so") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro");
  auto ana = cloud.member("ana@gym.test", centro);
  const auto before = cloud.count("credentials");
  const std::pair<Json, const char*> bad[] = {
      {enrolment("right_index", template_of(4097, 1)), "template"},
      {enrolment("right_index", "not base64!"), "template"},
      {enrolment("right_index", "QUJD="), "template"},
      {enrolment("right_index", ""), "template"},
      {enrolment("right_index", template_of(8000, 1)), "template"},
      {enrolment("sixth_finger", template_of(100, 1)), "finger"},
      {{{"kind", "fingerprint"}, {"template", template_of(100, 1)}}, "finger"},
      {{{"kind", "fingerprint"}, {"finger", "right_index"}}, "template"},
      {{{"kind", "fingerprint"}, {"finger", "right_index"}, {"template", 42}}, "template"},
      {{{"kind", "iris"}}, "kind"},
  };
  for (const auto& [body, field] : bad) {
    CAPTURE(body.dump().substr(0, 120));
    auto r = http.post("/api/users/" + ana.id + "/credentials", body, cloud.admin());
    CHECK(r.status == 400);
    CHECK(r.json["errors"][0]["field"] == field);
  }
  CHECK(cloud.count("credentials") == before);

  TestCloud keyless([](cloud::ServiceConfig& c) { c.fingerprint_key.clear(); });
  auto b = keyless.branch("Centro");
  auto bo = keyless.member("bo@gym.test", b);
  auto off = keyless.http.post("/api/users/" + bo.id + "/credentials", enrolment("right_index", template_of(100, 1)), keyless.admin());
  CHECK(off.status == 503);
  CHECK(off.json["type"].get<std::string>().find("fingerprints-off") != std::string::npos);
  CHECK(keyless.count("credentials") == 0);
}

TEST_CASE("fingerprints: the member's branch gateways receive the template; it opens doors and desks; deleted, it is gone") {
  TestCloud cloud;
  auto& http = cloud.http;
  auto centro = cloud.branch("Centro"), norte = cloud.branch("Norte");
  auto ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
  auto desk = cloud.trainer("desk@gym.test", {centro});
  const std::string tmpl = template_of(512, 11);
  auto gw = cloud.gateway_token(centro);
  const auto v0 = http.get("/api/sync/replica", gw).json["version"].get<std::int64_t>();
  auto made = http.post("/api/users/" + ana.id + "/credentials", enrolment("left_thumb", tmpl), cloud.admin());
  REQUIRE(made.status == 201);
  const std::string id = made.json["id"];

  auto whole = http.get("/api/sync/replica", gw).json["replica"];
  REQUIRE(whole["fingerprints"].size() == 1);
  CHECK(whole["fingerprints"][0] == Json{{"credential_id", id}, {"member_id", ana.id}, {"finger", "left_thumb"}, {"template", tmpl}});
  CHECK(http.get("/api/sync/replica", cloud.gateway_token(norte)).json["replica"]["fingerprints"].empty());
  auto delta = http.get("/api/sync/replica?since=" + std::to_string(v0), gw).json;
  REQUIRE(delta.contains("delta"));
  REQUIRE(delta["delta"]["members"].size() == 1);
  CHECK(delta["delta"]["members"][0]["fingerprints"][0]["template"] == tmpl);

  // The desk checks her in by the credential a reader matched.
  auto in = http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", {{"kind", "fingerprint"}, {"credential_id", id}}}}, desk.token);
  REQUIRE_MESSAGE(in.status == 201, in.body);
  CHECK(in.json["user_id"] == ana.id);
  REQUIRE(http.post("/api/sessions/end", {{"session_id", in.json["id"]}}, desk.token).status == 200);

  const auto v1 = http.get("/api/sync/replica", gw).json["version"].get<std::int64_t>();
  REQUIRE(http.del("/api/users/" + ana.id + "/credentials/" + id, desk.token).status == 204);
  auto gone = http.get("/api/sync/replica?since=" + std::to_string(v1), gw).json;
  REQUIRE(gone.contains("delta"));
  REQUIRE(gone["delta"]["members"].size() == 1);
  CHECK(gone["delta"]["members"][0]["fingerprints"].empty());
  // The template itself is erased, not only marked.
  auto rows = cloud.db().query("SELECT template_sealed, revoked_at FROM credentials WHERE id = ?", {id});
  REQUIRE(rows.ok());
  CHECK(rows->front().is_null(0));
  CHECK_FALSE(rows->front().is_null(1));
  CHECK(http.post("/api/sessions/start", {{"branch_id", centro}, {"credential", {{"kind", "fingerprint"}, {"credential_id", id}}}}, desk.token).status == 404);
  // The finger may be enrolled again.
  CHECK(http.post("/api/users/" + ana.id + "/credentials", enrolment("left_thumb", tmpl), cloud.admin()).status == 201);
}
