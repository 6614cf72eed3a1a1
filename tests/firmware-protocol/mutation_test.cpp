// Randomized mutation test: thousands of mutated copies of valid payloads are decoded.
// Nothing may crash (run under ASan/UBSan in scripts/test), and anything accepted must
// satisfy every bound in PROTOCOL.md, checked here independently of the codec.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "spotter/common/ids.hpp"
#include "spotter/common/json.hpp"
#include "spotter/protocol/codec.hpp"

using namespace spotter::protocol;

namespace {

const std::vector<std::pair<MessageType, std::string>> kSeeds = {
    {MessageType::machine_status, R"({"state":"in_use","ts":1763737840123,"category":"cardio","type":"treadmill","fw":"2.4.1","link_id":"l1"})"},
    {MessageType::machine_status, R"({"state":"offline"})"},
    {MessageType::heartbeat, R"({"ts":1763737840123,"uptime_s":86400,"rssi_dbm":-61})"},
    {MessageType::telemetry, R"({"msg_id":1042,"ts":1763737841000,"boot_id":"b7","link_id":"l1","metrics":{"speed_kmh":10.5,"incline_pct":1.5,"distance_m":2450,"elapsed_s":840,"heart_rate_bpm":142,"calories_kcal":188.4,"cadence_rpm":80,"power_w":200,"resistance_level":4,"stroke_rate_spm":20}})"},
    {MessageType::telemetry, R"({"msg_id":77,"ts":1763737841000,"category":"strength","metrics":{"rep":8,"set_index":2,"weight_kg":62.5,"rom_cm":41}})"},
    {MessageType::telemetry, R"({"msg_id":12,"ts":1763737841000,"category":"functional","metrics":{"rep":15,"duration_s":45,"exercise":"swing"}})"},
    {MessageType::workout, R"({"msg_id":1,"ts_start":1000,"ts_end":2000,"category":"cardio","duration_s":1800,"distance_m":5200.5,"calories_kcal":410,"avg_heart_rate_bpm":138,"max_heart_rate_bpm":171,"avg_power_w":180})"},
    {MessageType::workout, R"({"msg_id":2,"ts_start":1000,"ts_end":2000,"category":"strength","exercise":"leg_press","sets":[{"reps":10,"weight_kg":120},{"reps":8,"weight_kg":140}]})"},
    {MessageType::workout, R"({"msg_id":3,"ts_start":1000,"ts_end":2000,"category":"functional","exercise":"burpee","duration_s":60,"reps":18})"},
    {MessageType::machine_auth, R"({"req_id":"a-1","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"},"ts":1})"},
    {MessageType::auth_reply, R"({"req_id":"a-1","result":"linked","reason":"ok","link_id":"l1","member":{"display_name":"Ana"}})"},
    {MessageType::command, R"({"req_id":"c-1","cmd":"set_maintenance","ts":1})"},
    {MessageType::maintenance, R"({"code":"E42","severity":"fault","detail":"belt","ts":1})"},
    {MessageType::door_scan, R"({"req_id":"s-1","credential":{"kind":"qr","payload":"SPQ1.abc.def"},"direction":"out","ts":1})"},
    {MessageType::door_decision, R"({"req_id":"s-1","granted":true,"reason":"ok","session_id":"ses1","member":{"display_name":"Ana"}})"},
    {MessageType::door_status, R"({"state":"online","ts":1,"fw":"1.0"})"},
};

// Tokens that push values across their bounds and types.
const std::vector<std::string> kTokens = {"0", "-1", "1e308", "-1e308", "40.0001", "251", "24", "1000.5", "9007199254740992",
                                          "18446744073709551616", "4102444800001", "null", "true", "\"\"", "\"x y\"", "[]",
                                          "{}", "\"\xC3\"", "\"\\u0000\"", "\"\\uD800\"", "1.5", "300", "-31", "\"ok\""};

std::string mutate(std::string s, std::mt19937_64& rng) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % std::max<std::size_t>(n, 1)); };
  int rounds = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < rounds; ++i) {
    switch (rng() % 8) {
      case 0: if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng() & 0xFF); break;         // flip a byte
      case 1: s.resize(pick(s.size() + 1)); break;                                                // truncate
      case 2: s.insert(pick(s.size() + 1), 1, "{}[]\",:\\0-e."[pick(13)]); break;                 // insert syntax
      case 3: if (!s.empty()) s.erase(pick(s.size()), 1 + pick(4)); break;                        // delete
      case 4: {                                                                                   // replace a number
        auto pos = s.find_first_of("0123456789", pick(s.size()));
        if (pos != std::string::npos) {
          auto end = s.find_first_not_of("0123456789.-e", pos);
          s.replace(pos, (end == std::string::npos ? s.size() : end) - pos, kTokens[pick(kTokens.size())]);
        }
        break;
      }
      case 5: {                                                                                   // replace a value after ':'
        auto pos = s.find(':', pick(s.size()));
        if (pos != std::string::npos) {
          auto end = s.find_first_of(",}", pos + 1);
          if (end != std::string::npos) s.replace(pos + 1, end - pos - 1, kTokens[pick(kTokens.size())]);
        }
        break;
      }
      case 6: {                                                                                   // duplicate a span
        std::size_t a = pick(s.size()), n = pick(32);
        s.insert(pick(s.size() + 1), s.substr(a, n));
        break;
      }
      default: {                                                                                  // drop a key
        auto pos = s.find(",\"", pick(s.size()));
        if (pos != std::string::npos) {
          auto end = s.find_first_of(",}", pos + 1);
          if (end != std::string::npos) s.erase(pos, end - pos);
        }
        break;
      }
    }
  }
  return s;
}

template <class T>
bool within(const std::optional<T>& v, double lo, double hi) {
  return !v || (std::isfinite(static_cast<double>(*v)) && *v >= lo && *v <= hi);
}
bool ts_ok(std::int64_t t) { return t >= 0 && t <= kMaxTimestampMs; }
bool opt_ts_ok(const std::optional<std::int64_t>& t) { return !t || ts_ok(*t); }
bool opt_id_ok(const std::optional<std::string>& s) { return !s || spotter::is_valid_id(*s); }
bool text_ok(const std::string& s, std::size_t max) {
  return !s.empty() && s.size() <= max * 4 && spotter::is_valid_utf8(s) &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}
bool opt_text_ok(const std::optional<std::string>& s, std::size_t max) { return !s || text_ok(*s, max); }
bool credential_ok(const Credential& c) {
  if (c.kind == Credential::Kind::nfc) {
    return (c.value.size() == 8 || c.value.size() == 14 || c.value.size() == 20) &&
           std::all_of(c.value.begin(), c.value.end(), [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'); });
  }
  return !c.value.empty() && c.value.size() <= 1024 &&
         std::all_of(c.value.begin(), c.value.end(), [](char ch) { return ch >= 0x20 && ch <= 0x7E; });
}

// The bounds of PROTOCOL.md, restated independently of the codec.
bool satisfies_protocol(const Message& msg) {
  struct V {
    bool operator()(const MachineStatus& m) const {
      return opt_ts_ok(m.ts) && (m.ts || m.state == MachineState::offline) && opt_text_ok(m.type, 64) && opt_text_ok(m.fw, 64) && opt_id_ok(m.link_id);
    }
    bool operator()(const Heartbeat& m) const { return ts_ok(m.ts) && within(m.uptime_s, 0, 315360000) && within(m.rssi_dbm, -120, 0); }
    bool operator()(const Telemetry& m) const {
      const auto& x = m.metrics;
      return m.msg_id >= 0 && m.msg_id <= kMaxMsgId && ts_ok(m.ts) && opt_id_ok(m.boot_id) && opt_id_ok(m.link_id) &&
             within(x.speed_kmh, 0, 40) && within(x.incline_pct, -30, 40) && within(x.distance_m, 0, 1e6) &&
             within(x.elapsed_s, 0, 86400) && within(x.heart_rate_bpm, 25, 250) && within(x.calories_kcal, 0, 20000) &&
             within(x.cadence_rpm, 0, 300) && within(x.power_w, 0, 3000) && within(x.resistance_level, 0, 100) &&
             within(x.stroke_rate_spm, 0, 100) && within(x.rep, 0, 1000) && within(x.set_index, 0, 100) &&
             within(x.weight_kg, 0, 1000) && within(x.rom_cm, 0, 300) && within(x.duration_s, 0, 86400) && opt_text_ok(x.exercise, 64);
    }
    bool operator()(const Workout& m) const {
      bool head = m.msg_id >= 0 && m.msg_id <= kMaxMsgId && ts_ok(m.ts_start) && ts_ok(m.ts_end) && m.ts_start <= m.ts_end &&
                  m.ts_end - m.ts_start <= kMaxWorkoutSpanMs && opt_id_ok(m.boot_id) && opt_id_ok(m.link_id);
      if (const auto* c = std::get_if<CardioSummary>(&m.summary)) {
        return head && c->duration_s >= 0 && c->duration_s <= 86400 && within(c->distance_m, 0, 1e6) && within(c->calories_kcal, 0, 20000) &&
               within(c->avg_heart_rate_bpm, 25, 250) && within(c->max_heart_rate_bpm, 25, 250) && within(c->avg_power_w, 0, 3000) &&
               (!c->avg_heart_rate_bpm || !c->max_heart_rate_bpm || *c->max_heart_rate_bpm >= *c->avg_heart_rate_bpm);
      }
      if (const auto* s = std::get_if<StrengthSummary>(&m.summary)) {
        bool sets = !s->sets.empty() && s->sets.size() <= 100;
        for (const auto& set : s->sets) sets = sets && set.reps >= 0 && set.reps <= 1000 && set.weight_kg >= 0 && set.weight_kg <= 1000;
        return head && sets && text_ok(s->exercise, 64);
      }
      const auto& f = std::get<FunctionalSummary>(m.summary);
      return head && text_ok(f.exercise, 64) && f.duration_s >= 0 && f.duration_s <= 86400 && within(f.reps, 0, 1000);
    }
    bool operator()(const MachineAuth& m) const { return spotter::is_valid_id(m.req_id) && credential_ok(m.credential) && opt_ts_ok(m.ts); }
    bool operator()(const AuthReply& m) const {
      return spotter::is_valid_id(m.req_id) && ((m.result == AuthResult::linked) == (m.reason == Reason::ok)) &&
             is_machine_reason(m.reason) && opt_id_ok(m.link_id) && opt_text_ok(m.display_name, 128);
    }
    bool operator()(const Command& m) const { return spotter::is_valid_id(m.req_id) && opt_ts_ok(m.ts); }
    bool operator()(const Maintenance& m) const { return spotter::is_valid_id(m.code) && opt_text_ok(m.detail, 1024) && opt_ts_ok(m.ts); }
    bool operator()(const DoorScan& m) const { return spotter::is_valid_id(m.req_id) && credential_ok(m.credential) && opt_ts_ok(m.ts); }
    bool operator()(const DoorDecision& m) const {
      return spotter::is_valid_id(m.req_id) && m.granted == (m.reason == Reason::ok) && is_door_reason(m.reason) &&
             opt_id_ok(m.session_id) && opt_text_ok(m.display_name, 128);
    }
    bool operator()(const DoorStatus& m) const { return opt_ts_ok(m.ts) && (m.ts || m.state == ReaderState::offline) && opt_text_ok(m.fw, 64); }
  };
  return std::visit(V{}, msg);
}

}  // namespace

TEST_CASE("mutated payloads never crash the codec and never get out-of-bounds values accepted") {
  std::mt19937_64 rng(20261121);
  constexpr int kPerSeed = 4000;
  std::size_t accepted = 0, rejected = 0;
  for (const auto& [type, seed] : kSeeds) {
    REQUIRE(decode(type, seed).ok());
    for (int i = 0; i < kPerSeed; ++i) {
      std::string p = mutate(seed, rng);
      auto r = decode(type, p);
      if (r.ok()) {
        ++accepted;
        if (!satisfies_protocol(*r)) FAIL("accepted an out-of-bounds message: ", p);
        // Whatever is accepted re-encodes to something accepted and equal.
        auto again = decode(type, encode(*r));
        REQUIRE(again.ok());
        CHECK(*again == *r);
      } else {
        ++rejected;
        CHECK_FALSE(to_string(r.error().reason).empty());
      }
    }
  }
  MESSAGE("mutations accepted: ", accepted, ", rejected: ", rejected);
  CHECK(rejected > accepted);  // the mutator mostly breaks things
  CHECK(accepted > 0);         // ... but not always: valid variants exist and are kept
}

TEST_CASE("random bytes are rejected, never crash") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string p(rng() % 200, '\0');
    for (auto& c : p) c = static_cast<char>(rng() & 0xFF);
    auto type = static_cast<MessageType>(rng() % kMessageTypeCount);
    CHECK_FALSE(decode(type, p).ok());
  }
}
