// Golden examples: one per message type (and per category where the shape differs), each
// checked field by field and against its canonical encoding.
#include <doctest/doctest.h>

#include "spotter/protocol/codec.hpp"

using namespace spotter::protocol;

TEST_CASE("golden: machine status, and the last will without ts") {
  auto m = decode_machine_status(R"({"state":"in_use","ts":1763737840123,"category":"strength","type":"leg_press","fw":"3.1","link_id":"lnk_1","future":{"x":1}})");
  REQUIRE(m.ok());
  CHECK(m->state == MachineState::in_use);
  CHECK(m->ts == 1763737840123);
  CHECK(m->category == Category::strength);
  CHECK(m->type == "leg_press");
  CHECK(m->fw == "3.1");
  CHECK(m->link_id == "lnk_1");
  CHECK(encode(*m) == R"({"state":"in_use","ts":1763737840123,"category":"strength","type":"leg_press","fw":"3.1","link_id":"lnk_1"})");
  auto will = decode_machine_status(R"({"state":"offline"})");
  REQUIRE(will.ok());
  CHECK_FALSE(will->ts.has_value());
  CHECK(encode(*will) == R"({"state":"offline"})");
}

TEST_CASE("golden: heartbeat") {
  auto m = decode_heartbeat(R"({"ts":5,"uptime_s":86400,"rssi_dbm":-61})");
  REQUIRE(m.ok());
  CHECK(*m == Heartbeat{5, 86400, -61});
  CHECK(encode(*m) == R"({"ts":5,"uptime_s":86400,"rssi_dbm":-61})");
}

TEST_CASE("golden: cardio telemetry") {
  auto m = decode_telemetry(
      R"({"msg_id":1042,"ts":1763737841000,"boot_id":"b7","link_id":"lnk_1","metrics":{"speed_kmh":10.5,"incline_pct":-2,"distance_m":2450,"elapsed_s":840,"heart_rate_bpm":142,"calories_kcal":188.4,"cadence_rpm":80,"power_w":210,"resistance_level":7,"stroke_rate_spm":24,"rep":3,"unknown_metric":1}})",
      Category::cardio);
  REQUIRE(m.ok());
  CHECK(m->msg_id == 1042);
  CHECK(m->ts == 1763737841000);
  CHECK(m->boot_id == "b7");
  CHECK(m->link_id == "lnk_1");
  const auto& x = m->metrics;
  CHECK(x.speed_kmh == 10.5);
  CHECK(x.incline_pct == -2.0);
  CHECK(x.distance_m == 2450.0);
  CHECK(x.elapsed_s == 840);
  CHECK(x.heart_rate_bpm == 142);
  CHECK(x.calories_kcal == 188.4);
  CHECK(x.cadence_rpm == 80.0);
  CHECK(x.power_w == 210.0);
  CHECK(x.resistance_level == 7.0);
  CHECK(x.stroke_rate_spm == 24.0);
  CHECK_FALSE(x.rep.has_value());  // a strength metric on a cardio machine is ignored
  CHECK(encode(*m) ==
        R"({"msg_id":1042,"ts":1763737841000,"boot_id":"b7","link_id":"lnk_1","metrics":{"speed_kmh":10.5,"incline_pct":-2.0,"distance_m":2450.0,"elapsed_s":840,"heart_rate_bpm":142,"calories_kcal":188.4,"cadence_rpm":80.0,"power_w":210.0,"resistance_level":7.0,"stroke_rate_spm":24.0}})");
}

TEST_CASE("golden: strength and functional telemetry, category from the payload") {
  auto s = decode_telemetry(R"({"msg_id":7,"ts":1,"category":"strength","metrics":{"rep":8,"set_index":2,"weight_kg":62.5,"rom_cm":41,"speed_kmh":99}})");
  REQUIRE(s.ok());
  CHECK(s->category == Category::strength);
  CHECK(s->metrics.rep == 8);
  CHECK(s->metrics.set_index == 2);
  CHECK(s->metrics.weight_kg == 62.5);
  CHECK(s->metrics.rom_cm == 41.0);
  CHECK_FALSE(s->metrics.speed_kmh.has_value());  // not read for strength, so not checked
  auto f = decode_telemetry(R"({"msg_id":8,"ts":1,"metrics":{"rep":15,"duration_s":45,"exercise":"kettlebell_swing"}})", Category::functional);
  REQUIRE(f.ok());
  CHECK(f->metrics.rep == 15);
  CHECK(f->metrics.duration_s == 45.0);
  CHECK(f->metrics.exercise == "kettlebell_swing");
  CHECK_FALSE(f->category.has_value());
}

TEST_CASE("golden: telemetry of a machine whose category is unknown checks every metric") {
  CHECK(decode_telemetry(R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":5,"weight_kg":20}})").ok());
  auto bad = decode_telemetry(R"({"msg_id":1,"ts":1,"metrics":{"speed_kmh":5,"weight_kg":2000}})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error() == Rejection{RejectReason::out_of_range, "metrics.weight_kg", bad.error().detail});
}

TEST_CASE("golden: workouts of each category") {
  auto c = decode_workout(R"({"msg_id":1043,"ts_start":1000,"ts_end":1801000,"category":"cardio","link_id":"l1","duration_s":1800,"distance_m":5200.5,"calories_kcal":410,"avg_heart_rate_bpm":138,"max_heart_rate_bpm":171,"avg_power_w":180})");
  REQUIRE(c.ok());
  CHECK(c->category() == Category::cardio);
  CHECK(c->link_id == "l1");
  const auto& cs = std::get<CardioSummary>(c->summary);
  CHECK(cs == CardioSummary{1800, 5200.5, 410, 138, 171, 180});
  CHECK(encode(*c) ==
        R"({"msg_id":1043,"ts_start":1000,"ts_end":1801000,"category":"cardio","link_id":"l1","duration_s":1800.0,"distance_m":5200.5,"calories_kcal":410.0,"avg_heart_rate_bpm":138,"max_heart_rate_bpm":171,"avg_power_w":180.0})");

  auto s = decode_workout(R"({"msg_id":78,"ts_start":1,"ts_end":2,"category":"strength","boot_id":"x","exercise":"leg_press","sets":[{"reps":10,"weight_kg":120},{"reps":8,"weight_kg":140.5}]})");
  REQUIRE(s.ok());
  const auto& ss = std::get<StrengthSummary>(s->summary);
  CHECK(ss.exercise == "leg_press");
  REQUIRE(ss.sets.size() == 2);
  CHECK(ss.sets[1] == StrengthSet{8, 140.5});
  CHECK(encode(*s) == R"({"msg_id":78,"ts_start":1,"ts_end":2,"category":"strength","boot_id":"x","exercise":"leg_press","sets":[{"reps":10,"weight_kg":120.0},{"reps":8,"weight_kg":140.5}]})");

  auto f = decode_workout(R"({"msg_id":13,"ts_start":1,"ts_end":60001,"category":"functional","exercise":"burpee","duration_s":60,"reps":18})");
  REQUIRE(f.ok());
  CHECK(std::get<FunctionalSummary>(f->summary) == FunctionalSummary{"burpee", 60, 18});
}

TEST_CASE("golden: machine auth and its replies") {
  auto a = decode_machine_auth(R"({"req_id":"a-1","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"},"ts":9})");
  REQUIRE(a.ok());
  CHECK(*a == MachineAuth{"a-1", {Credential::Kind::nfc, "04A1B2C3D4E5F6"}, 9});
  CHECK(encode(*a) == R"({"req_id":"a-1","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"},"ts":9})");
  auto q = decode_machine_auth(R"({"req_id":"a-2","credential":{"kind":"qr","payload":"SPQ1.abc.def"}})");
  REQUIRE(q.ok());
  CHECK(q->credential == Credential{Credential::Kind::qr, "SPQ1.abc.def"});

  auto linked = decode_auth_reply(R"({"req_id":"a-1","result":"linked","reason":"ok","link_id":"lnk_1","member":{"display_name":"Ana M."}})");
  REQUIRE(linked.ok());
  CHECK(*linked == AuthReply{"a-1", AuthResult::linked, Reason::ok, "lnk_1", "Ana M."});
  CHECK(encode(*linked) == R"({"req_id":"a-1","result":"linked","reason":"ok","link_id":"lnk_1","member":{"display_name":"Ana M."}})");
  auto denied = decode_auth_reply(R"({"req_id":"a-2","result":"denied","reason":"machine_busy"})");
  REQUIRE(denied.ok());
  CHECK(denied->reason == Reason::machine_busy);
}

TEST_CASE("golden: commands and maintenance") {
  for (auto [text, kind] : {std::pair{"poll", CommandKind::poll}, {"unlink", CommandKind::unlink},
                            {"set_maintenance", CommandKind::set_maintenance}, {"clear_maintenance", CommandKind::clear_maintenance}}) {
    auto c = decode_command(std::string(R"({"req_id":"c-1","cmd":")") + text + "\"}");
    REQUIRE(c.ok());
    CHECK(c->cmd == kind);
    CHECK(encode(*c) == std::string(R"({"req_id":"c-1","cmd":")") + text + "\"}");
  }
  auto m = decode_maintenance(R"({"code":"E42","severity":"fault","detail":"Belt slipped – 3×","ts":4})");
  REQUIRE(m.ok());
  CHECK(*m == Maintenance{"E42", Severity::fault, "Belt slipped – 3×", 4});
}

TEST_CASE("golden: door scan, decision and reader status") {
  auto s = decode_door_scan(R"({"req_id":"s-1","credential":{"kind":"nfc","uid":"04A1B2C3"}})");
  REQUIRE(s.ok());
  CHECK(s->direction == Direction::in);  // the default
  CHECK(encode(*s) == R"({"req_id":"s-1","credential":{"kind":"nfc","uid":"04A1B2C3"},"direction":"in"})");
  auto out = decode_door_scan(R"({"req_id":"s-2","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F60718A9"},"direction":"out"})");
  REQUIRE(out.ok());
  CHECK(out->direction == Direction::out);

  auto d = decode_door_decision(R"({"req_id":"s-1","granted":true,"reason":"ok","session_id":"ses_1","member":{"display_name":"Ana"}})");
  REQUIRE(d.ok());
  CHECK(*d == DoorDecision{"s-1", true, Reason::ok, "ses_1", "Ana"});
  for (auto r : {Reason::unknown_credential, Reason::no_active_membership, Reason::branch_not_allowed, Reason::branch_closed,
                 Reason::already_inside, Reason::not_inside, Reason::account_suspended, Reason::invalid_qr, Reason::expired_qr,
                 Reason::replayed_qr, Reason::malformed}) {
    DoorDecision refused{"s-3", false, r, std::nullopt, std::nullopt};
    auto back = decode_door_decision(encode(refused));
    REQUIRE(back.ok());
    CHECK(*back == refused);
  }
  auto st = decode_door_status(R"({"state":"online","ts":3,"fw":"1.0"})");
  REQUIRE(st.ok());
  CHECK(*st == DoorStatus{ReaderState::online, 3, "1.0"});
  CHECK(decode_door_status(R"({"state":"offline"})").ok());
}

TEST_CASE("decode by type dispatches and salvage_req_id helps answer malformed requests") {
  auto m = decode(MessageType::heartbeat, R"({"ts":1})");
  REQUIRE(m.ok());
  CHECK(type_of(*m) == MessageType::heartbeat);
  CHECK(salvage_req_id(R"({"req_id":"s-9","credential":{"kind":"nfc","uid":"bad"}})") == "s-9");
  CHECK_FALSE(salvage_req_id(R"({"req_id":"bad id"})").has_value());
  CHECK_FALSE(salvage_req_id("nope").has_value());
}
