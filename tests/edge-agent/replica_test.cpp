#include <doctest/doctest.h>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/edge/replica.hpp"

using namespace spotter;
using namespace spotter::edge;

TEST_CASE("the import format parses, and round-trips") {
  auto key = base64url_encode(crypto::EcdsaP256PrivateKey::generate().public_key().to_sec1());
  auto doc = parse_json_strict(R"({
    "branch": {"id": "b1", "name": "Downtown", "timezone": "Europe/Madrid", "opening_hours": {"mon": [["06:00","22:00"]]}},
    "members": [{"id": "ana", "display_name": "Ana M."}, {"id": "bo", "suspended": true}],
    "memberships": [{"id": "ms1", "member_id": "ana", "starts_at_ms": 1, "expires_at_ms": 2000000000000, "branch_ids": ["b1"]}],
    "cards": [{"uid": "04A1B2C3D4E5F6", "member_id": "ana"}, {"uid": "04A1B2C3", "member_id": "bo", "blocked": true}],
    "machines": [{"id": "treadmill-01", "name": "Treadmill 1", "category": "cardio", "type": "treadmill"}],
    "qr_keys": [{"kid": "qr-1", "public_key": ")" + key + R"("}]
  })");
  REQUIRE(doc.ok());
  auto r = parse_replica(*doc);
  REQUIRE(r.ok());
  CHECK(r->branch.time_zone == "Europe/Madrid");
  CHECK(r->branch.hours.is_open(0, 6 * 60));
  CHECK(r->members.size() == 2);
  CHECK(r->members[1].account_suspended);
  CHECK(r->memberships[0].branch_ids == std::vector<std::string>{"b1"});
  CHECK(r->cards[1].blocked);
  CHECK(r->machines[0].category == protocol::Category::cardio);
  auto again = parse_replica(replica_to_json(*r));
  REQUIRE(again.ok());
  CHECK(again->members == r->members);
  CHECK(again->memberships == r->memberships);
  CHECK(again->cards == r->cards);
  CHECK(again->machines == r->machines);
  CHECK(again->qr_keys == r->qr_keys);
  CHECK(again->branch == r->branch);
}

TEST_CASE("import errors name the entry and field") {
  struct Case {
    const char* doc;
    const char* where;
  };
  const Case cases[] = {
      {R"({})", "branch"},
      {R"({"branch":{"id":"b 1"}})", "branch.id"},
      {R"({"branch":{"id":"b1","opening_hours":{"mon":[["22:00","06:00"]]}}})", "branch.opening_hours"},
      {R"({"branch":{"id":"b1"},"members":[{"id":"a"},{"name":"x"}]})", "members[1].id"},
      {R"({"branch":{"id":"b1"},"memberships":[{"id":"m","member_id":"a"}]})", "memberships[0].expires_at_ms"},
      {R"({"branch":{"id":"b1"},"memberships":[{"id":"m","member_id":"a","expires_at_ms":-5}]})", "memberships[0].expires_at_ms"},
      {R"({"branch":{"id":"b1"},"cards":[{"uid":"04a1b2c3","member_id":"a"}]})", "cards[0].uid"},
      {R"({"branch":{"id":"b1"},"machines":[{"id":"m1","category":"yoga"}]})", "machines[0].category"},
      {R"({"branch":{"id":"b1"},"qr_keys":[{"kid":"k","public_key":"AAAA"}]})", "qr_keys[0].public_key"},
      {R"({"branch":{"id":"b1"},"members":{"id":"a"}})", "members"},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.doc));
    auto r = parse_replica(parse_json_strict(c.doc).value());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "invalid_replica");
    CAPTURE(r.error().message);
    CHECK(r.error().message.rfind(c.where, 0) == 0);
  }
}
