// The malformed corpus: each payload must be rejected with exactly this reason and field.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "spotter/protocol/codec.hpp"

using namespace spotter::protocol;
using R = RejectReason;

namespace {
struct Case {
  MessageType type;
  std::string payload;
  RejectReason reason;
  std::string field;
};

std::string nested(int depth) {
  std::string s = R"({"ts":1,"x":)";
  for (int i = 0; i < depth; ++i) s += "[";
  for (int i = 0; i < depth; ++i) s += "]";
  return s + "}";
}

std::string oversized() {
  return R"({"ts":1,"pad":")" + std::string(kMaxPayloadBytes, 'a') + R"("})";
}

const MessageType T = MessageType::telemetry;
const MessageType W = MessageType::workout;
const MessageType S = MessageType::machine_status;
const MessageType H = MessageType::heartbeat;
const MessageType A = MessageType::machine_auth;
const MessageType AR = MessageType::auth_reply;
const MessageType C = MessageType::command;
const MessageType M = MessageType::maintenance;
const MessageType DS = MessageType::door_scan;
const MessageType DD = MessageType::door_decision;
const MessageType RS = MessageType::door_status;

std::vector<Case> corpus() {
  return {
      // Not JSON at all, or truncated at every interesting point.
      {T, "", R::not_json, ""},
      {T, "{", R::not_json, ""},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":1)", R::not_json, ""},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":)", R::not_json, ""},
      {T, R"({"msg_id":1,"ts":1,"metr)", R::not_json, ""},
      {S, R"({"state":"idle","ts":17637378)", R::not_json, ""},
      {DS, R"({"req_id":"s","credential":{"kind":"nfc","uid":"04A1B2C3"})", R::not_json, ""},
      {T, R"({'msg_id':1})", R::not_json, ""},
      {T, R"({"msg_id":01,"ts":1,"metrics":{}})", R::not_json, ""},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":NaN}})", R::not_json, ""},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":Infinity}})", R::not_json, ""},
      {T, R"({"msg_id":1,"ts":1,"metrics":{}} {})", R::not_json, ""},
      {T, "\xEF\xBB\xBF{\"msg_id\":1,\"ts\":1,\"metrics\":{}}", R::not_json, ""},  // BOM
      // Not an object.
      {T, "[]", R::not_object, ""},
      {T, "42", R::not_object, ""},
      {T, "\"telemetry\"", R::not_object, ""},
      {T, "null", R::not_object, ""},
      {T, R"({"msg_id":1,"ts":1,"metrics":[1,2]})", R::not_object, "metrics"},
      {DS, R"({"req_id":"s","credential":"04A1B2C3"})", R::not_object, "credential"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x","sets":[5]})", R::not_object, "sets[0]"},
      // Size, encoding, nesting, duplicates.
      {T, oversized(), R::too_large, ""},
      {H, nested(9), R::too_deep, ""},
      {T, "{\"msg_id\":1,\"ts\":1,\"metrics\":{\"exercise\":\"\xC3\x28\"}}", R::bad_utf8, ""},
      {S, "{\"state\":\"idle\",\"ts\":1,\"fw\":\"\xFF\xFE\"}", R::bad_utf8, ""},
      {S, "{\"state\":\"idle\",\"ts\":1,\"fw\":\"\xED\xA0\x80\"}", R::bad_utf8, ""},
      {S, "{\"state\":\"idle\",\"ts\":1,\"fw\":\"\xF8\x88\x80\x80\x80\"}", R::bad_utf8, ""},
      {T, R"({"msg_id":1,"msg_id":2,"ts":1,"metrics":{}})", R::duplicate_key, ""},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":1,"speed_kmh":50}})", R::duplicate_key, ""},
      {DD, R"({"req_id":"s","granted":false,"granted":true,"reason":"ok"})", R::duplicate_key, ""},
      // Missing required fields.
      {T, R"({"ts":1,"metrics":{}})", R::missing_field, "msg_id"},
      {T, R"({"msg_id":1,"metrics":{}})", R::missing_field, "ts"},
      {T, R"({"msg_id":1,"ts":1})", R::missing_field, "metrics"},
      {S, R"({"ts":1})", R::missing_field, "state"},
      {S, R"({"state":"idle"})", R::missing_field, "ts"},
      {H, R"({})", R::missing_field, "ts"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2})", R::missing_field, "category"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"cardio"})", R::missing_field, "duration_s"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x"})", R::missing_field, "sets"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","sets":[{"reps":1,"weight_kg":1}]})", R::missing_field, "exercise"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x","sets":[{"reps":1}]})", R::missing_field, "sets[0].weight_kg"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"functional","exercise":"x"})", R::missing_field, "duration_s"},
      {A, R"({"credential":{"kind":"nfc","uid":"04A1B2C3"}})", R::missing_field, "req_id"},
      {A, R"({"req_id":"a"})", R::missing_field, "credential"},
      {A, R"({"req_id":"a","credential":{"uid":"04A1B2C3"}})", R::missing_field, "credential.kind"},
      {A, R"({"req_id":"a","credential":{"kind":"nfc"}})", R::missing_field, "credential.uid"},
      {DS, R"({"req_id":"a","credential":{"kind":"qr"}})", R::missing_field, "credential.payload"},
      {AR, R"({"req_id":"a","result":"denied"})", R::missing_field, "reason"},
      {C, R"({"cmd":"poll"})", R::missing_field, "req_id"},
      {M, R"({"code":"E1"})", R::missing_field, "severity"},
      {DD, R"({"req_id":"a","reason":"ok"})", R::missing_field, "granted"},
      {RS, R"({"state":"online"})", R::missing_field, "ts"},
      // Wrong types.
      {T, R"({"msg_id":"1","ts":1,"metrics":{}})", R::wrong_type, "msg_id"},
      {T, R"({"msg_id":1.5,"ts":1,"metrics":{}})", R::wrong_type, "msg_id"},
      {T, R"({"msg_id":1e3,"ts":1,"metrics":{}})", R::wrong_type, "msg_id"},
      {T, R"({"msg_id":1,"ts":true,"metrics":{}})", R::wrong_type, "ts"},
      {T, R"({"msg_id":1,"ts":null,"metrics":{}})", R::wrong_type, "ts"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":"10"}})", R::wrong_type, "metrics.speed_kmh"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"heart_rate_bpm":120.5}})", R::wrong_type, "metrics.heart_rate_bpm"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"rep":[8]}})", R::wrong_type, "metrics.rep"},
      {T, R"({"msg_id":1,"ts":1,"boot_id":7,"metrics":{}})", R::wrong_type, "boot_id"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"exercise":5}})", R::wrong_type, "metrics.exercise"},
      {S, R"({"state":1,"ts":1})", R::wrong_type, "state"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x","sets":{}})", R::wrong_type, "sets"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x","sets":[{"reps":"1","weight_kg":1}]})", R::wrong_type, "sets[0].reps"},
      {DD, R"({"req_id":"a","granted":"yes","reason":"ok"})", R::wrong_type, "granted"},
      {DD, R"({"req_id":"a","granted":1,"reason":"ok"})", R::wrong_type, "granted"},
      {AR, R"({"req_id":"a","result":"linked","reason":"ok","link_id":"l","member":{"display_name":3}})", R::wrong_type, "member.display_name"},
      // Out of range.
      {T, R"({"msg_id":-1,"ts":1,"metrics":{}})", R::out_of_range, "msg_id"},
      {T, R"({"msg_id":9007199254740992,"ts":1,"metrics":{}})", R::out_of_range, "msg_id"},
      {T, R"({"msg_id":18446744073709551615,"ts":1,"metrics":{}})", R::out_of_range, "msg_id"},
      {T, R"({"msg_id":1,"ts":-5,"metrics":{}})", R::out_of_range, "ts"},
      {T, R"({"msg_id":1,"ts":4102444800001,"metrics":{}})", R::out_of_range, "ts"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":40.0001}})", R::out_of_range, "metrics.speed_kmh"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":-0.1}})", R::out_of_range, "metrics.speed_kmh"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":1e308}})", R::out_of_range, "metrics.speed_kmh"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"heart_rate_bpm":24}})", R::out_of_range, "metrics.heart_rate_bpm"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"heart_rate_bpm":251}})", R::out_of_range, "metrics.heart_rate_bpm"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"incline_pct":-31}})", R::out_of_range, "metrics.incline_pct"},
      {T, R"({"msg_id":1,"ts":1,"metrics":{"power_w":3001}})", R::out_of_range, "metrics.power_w"},
      {T, R"({"msg_id":1,"ts":1,"category":"strength","metrics":{"weight_kg":1000.5}})", R::out_of_range, "metrics.weight_kg"},
      {T, R"({"msg_id":1,"ts":1,"category":"strength","metrics":{"rep":1001}})", R::out_of_range, "metrics.rep"},
      {T, R"({"msg_id":1,"ts":1,"category":"functional","metrics":{"exercise":")" + std::string(65, 'x') + R"("}})", R::out_of_range, "metrics.exercise"},
      {H, R"({"ts":1,"rssi_dbm":5})", R::out_of_range, "rssi_dbm"},
      {H, R"({"ts":1,"uptime_s":-1})", R::out_of_range, "uptime_s"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"cardio","duration_s":86401})", R::out_of_range, "duration_s"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"cardio","duration_s":1,"avg_heart_rate_bpm":300})", R::out_of_range, "avg_heart_rate_bpm"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x","sets":[]})", R::out_of_range, "sets"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x","sets":[{"reps":1001,"weight_kg":1}]})", R::out_of_range, "sets[0].reps"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"strength","exercise":"x","sets":[{"reps":1,"weight_kg":1},{"reps":1,"weight_kg":-1}]})", R::out_of_range, "sets[1].weight_kg"},
      {M, R"({"code":"E1","severity":"warn","detail":")" + std::string(1025, 'd') + R"("})", R::out_of_range, "detail"},
      {AR, R"({"req_id":"a","result":"denied","reason":"not_inside","member":{"display_name":")" + std::string(129, 'n') + R"("}})", R::out_of_range, "member.display_name"},
      // Values not allowed or not matching their pattern.
      {S, R"({"state":"busy","ts":1})", R::bad_value, "state"},
      {S, R"({"state":"IDLE","ts":1})", R::bad_value, "state"},
      {S, R"({"state":"idle","ts":1,"category":"yoga"})", R::bad_value, "category"},
      {S, R"({"state":"idle","ts":1,"fw":""})", R::bad_value, "fw"},
      {S, R"({"state":"idle","ts":1,"type":"tread\nmill"})", R::bad_value, "type"},
      {T, R"({"msg_id":1,"ts":1,"boot_id":"has space","metrics":{}})", R::bad_value, "boot_id"},
      {T, R"({"msg_id":1,"ts":1,"link_id":"","metrics":{}})", R::bad_value, "link_id"},
      {T, R"({"msg_id":1,"ts":1,"category":"Cardio","metrics":{}})", R::bad_value, "category"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"swim","duration_s":1})", R::bad_value, "category"},
      {A, R"({"req_id":"a b","credential":{"kind":"nfc","uid":"04A1B2C3"}})", R::bad_value, "req_id"},
      {A, R"({"req_id":"a","credential":{"kind":"ble","uid":"04A1B2C3"}})", R::bad_value, "credential.kind"},
      {A, R"({"req_id":"a","credential":{"kind":"nfc","uid":"04a1b2c3"}})", R::bad_value, "credential.uid"},
      {A, R"({"req_id":"a","credential":{"kind":"nfc","uid":"04A1B2"}})", R::bad_value, "credential.uid"},
      {A, R"({"req_id":"a","credential":{"kind":"nfc","uid":"04A1B2C3D4"}})", R::bad_value, "credential.uid"},
      {A, R"({"req_id":"a","credential":{"kind":"nfc","uid":"04A1B2G3"}})", R::bad_value, "credential.uid"},
      {DS, "{\"req_id\":\"a\",\"credential\":{\"kind\":\"qr\",\"payload\":\"caf\xC3\xA9\"}}", R::bad_value, "credential.payload"},
      {DS, R"({"req_id":"a","credential":{"kind":"qr","payload":""}})", R::bad_value, "credential.payload"},
      {DS, R"({"req_id":"a","credential":{"kind":"qr","payload":")" + std::string(1025, 'q') + R"("}})", R::out_of_range, "credential.payload"},
      {DS, R"({"req_id":"a","credential":{"kind":"nfc","uid":"04A1B2C3"},"direction":"sideways"})", R::bad_value, "direction"},
      {C, R"({"req_id":"c","cmd":"reboot"})", R::bad_value, "cmd"},
      {M, R"({"code":"E 1","severity":"warn"})", R::bad_value, "code"},
      {M, R"({"code":"E1","severity":"critical"})", R::bad_value, "severity"},
      {AR, R"({"req_id":"a","result":"maybe","reason":"ok"})", R::bad_value, "result"},
      {AR, R"({"req_id":"a","result":"denied","reason":"branch_closed"})", R::bad_value, "reason"},
      {DD, R"({"req_id":"a","granted":false,"reason":"machine_busy"})", R::bad_value, "reason"},
      {DD, R"({"req_id":"a","granted":false,"reason":"nope"})", R::bad_value, "reason"},
      {RS, R"({"state":"asleep","ts":1})", R::bad_value, "state"},
      // Fields that contradict each other.
      {W, R"({"msg_id":1,"ts_start":10,"ts_end":9,"category":"cardio","duration_s":1})", R::inconsistent, "ts_end"},
      {W, R"({"msg_id":1,"ts_start":0,"ts_end":86400001,"category":"cardio","duration_s":1})", R::inconsistent, "ts_end"},
      {W, R"({"msg_id":1,"ts_start":1,"ts_end":2,"category":"cardio","duration_s":1,"avg_heart_rate_bpm":150,"max_heart_rate_bpm":140})", R::inconsistent, "max_heart_rate_bpm"},
      {AR, R"({"req_id":"a","result":"linked","reason":"not_inside","link_id":"l"})", R::inconsistent, "result"},
      {AR, R"({"req_id":"a","result":"denied","reason":"ok"})", R::inconsistent, "result"},
      {AR, R"({"req_id":"a","result":"linked","reason":"ok"})", R::inconsistent, "result"},
      {DD, R"({"req_id":"a","granted":true,"reason":"expired_qr"})", R::inconsistent, "granted"},
      {DD, R"({"req_id":"a","granted":false,"reason":"ok"})", R::inconsistent, "granted"},
  };
}
}  // namespace

TEST_CASE("the malformed corpus is rejected with the right reason and field") {
  auto all = corpus();
  CHECK(all.size() > 120);
  for (const auto& c : all) {
    CAPTURE(name(c.type));
    CAPTURE(c.payload.substr(0, 200));
    auto r = decode(c.type, c.payload);
    REQUIRE_FALSE(r.ok());
    CHECK(to_string(r.error().reason) == to_string(c.reason));
    CHECK(r.error().field == c.field);
    CHECK_FALSE(r.error().detail.empty());
  }
}

TEST_CASE("every reject reason except bad_topic is exercised by the corpus") {
  std::set<RejectReason> seen;
  for (const auto& c : corpus()) seen.insert(c.reason);
  CHECK(seen.size() == static_cast<std::size_t>(kRejectReasonCount - 1));
}

TEST_CASE("a payload of exactly the size limit is still read") {
  std::string head = R"({"ts":1,"pad":")";
  std::string tail = R"("})";
  std::string p = head + std::string(kMaxPayloadBytes - head.size() - tail.size(), 'a') + tail;
  REQUIRE(p.size() == kMaxPayloadBytes);
  CHECK(decode_heartbeat(p).ok());
  CHECK(decode_heartbeat(p + " ").error().reason == RejectReason::too_large);
  CHECK(decode(MessageType::heartbeat, nested(7)).ok());  // 8 levels with the outer object
}
