// Fingerprint credentials and templates (PROTOCOL.md 2.1, 4.4): the codec, the topics, and
// the sealing a reader opens with its door key.
#include <doctest/doctest.h>

#include "spotter/protocol/fingerprint.hpp"

using namespace spotter;
using namespace spotter::protocol;

TEST_CASE("a fingerprint scan names its credential; without a valid id it is malformed") {
  auto scan = decode_door_scan(R"({"req_id":"s-1","credential":{"kind":"fingerprint","credential_id":"cred_7"},"direction":"in"})");
  REQUIRE(scan.ok());
  CHECK(scan->credential == Credential{Credential::Kind::fingerprint, "cred_7"});
  auto back = decode_door_scan(encode(*scan));
  REQUIRE(back.ok());
  CHECK(*back == *scan);
  auto missing = decode_door_scan(R"({"req_id":"s-1","credential":{"kind":"fingerprint"}})");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().field == "credential.credential_id");
  CHECK_FALSE(decode_door_scan(R"({"req_id":"s-1","credential":{"kind":"fingerprint","credential_id":"../x"}})").ok());
  CHECK_FALSE(decode_machine_auth(R"({"req_id":"a-1","credential":{"kind":"fingerprint","credential_id":5}})").ok());
}

TEST_CASE("a reader says it has a fingerprint sensor in its status; absent means none") {
  auto st = decode_door_status(R"({"state":"online","ts":1,"fingerprint":true})");
  REQUIRE(st.ok());
  CHECK(st->fingerprint);
  CHECK_FALSE(decode_door_status(R"({"state":"online","ts":1})")->fingerprint);
  CHECK(decode_door_status(encode(*st))->fingerprint);
  CHECK(decode_door_status(R"({"state":"online","ts":1,"fingerprint":"yes"})").error().field == "fingerprint");
}

TEST_CASE("template topics round-trip; anything else is not one") {
  const auto t = fingerprint_topic("centro", "front", "cred_1");
  CHECK(t == "spotter/v1/centro/doors/front/fingerprints/cred_1");
  auto parsed = parse_fingerprint_topic(t);
  REQUIRE(parsed);
  CHECK(parsed->branch == "centro");
  CHECK(parsed->door == "front");
  CHECK(parsed->credential_id == "cred_1");
  CHECK(fingerprint_filter("centro") == "spotter/v1/centro/doors/+/fingerprints/+");
  for (const char* bad : {"spotter/v1/centro/doors/front/scan", "spotter/v1/centro/doors/front/fingerprints/", "spotter/v1/centro/doors/front/fingerprints/a/b",
                          "spotter/v2/centro/doors/front/fingerprints/c", "spotter/v1/centro/machines/m/fingerprints/c", "spotter/v1//doors/front/fingerprints/c"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_fingerprint_topic(bad));
  }
}

TEST_CASE("a template payload round-trips and is checked like any message") {
  FingerprintTemplate m{"cred_1", "right_index", "AAAA", 1763737840123};
  auto back = decode_fingerprint_template(encode(m));
  REQUIRE(back.ok());
  CHECK(*back == m);
  CHECK(decode_fingerprint_template(R"({"credential_id":"cred_1","ts":1})").error().field == "template");
  CHECK(decode_fingerprint_template(R"({"template":"AAAA","ts":1})").error().field == "credential_id");
  CHECK_FALSE(decode_fingerprint_template("not json").ok());
  CHECK_FALSE(decode_fingerprint_template(R"({"credential_id":"c","template":")" + std::string(6000, 'A') + R"(","ts":1})").ok());
}

TEST_CASE("a sealed template opens only with its door's key and on its own topic") {
  const crypto::Bytes gateway(32, 0x11);
  const auto front = door_fingerprint_key(gateway, "front");
  const auto side = door_fingerprint_key(gateway, "side");
  CHECK(front.size() == 32);
  CHECK(front != side);
  CHECK(front != door_fingerprint_key(crypto::Bytes(32, 0x12), "front"));
  const crypto::Bytes tmpl = {1, 2, 3, 4, 5, 250};
  const auto topic = fingerprint_topic("centro", "front", "cred_1");
  auto sealed = seal_template(front, topic, tmpl);
  REQUIRE(sealed.ok());
  auto opened = open_template(front, topic, *sealed);
  REQUIRE(opened.ok());
  CHECK(*opened == tmpl);
  CHECK_FALSE(open_template(side, topic, *sealed).ok());
  CHECK_FALSE(open_template(front, fingerprint_topic("centro", "front", "cred_2"), *sealed).ok());
  CHECK_FALSE(open_template(front, fingerprint_topic("centro", "side", "cred_1"), *sealed).ok());
  CHECK_FALSE(open_template(front, topic, "!!").ok());
  // Sealed twice, never the same bytes (a fresh nonce each time).
  CHECK(*seal_template(front, topic, tmpl) != *sealed);
}
