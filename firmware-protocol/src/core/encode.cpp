#include <nlohmann/json.hpp>

#include "spotter/protocol/codec.hpp"

namespace spotter::protocol {
namespace {

// ordered_json keeps the field order of PROTOCOL.md, which makes traffic easy to read.
using Out = nlohmann::ordered_json;

template <class T>
void put(Out& o, const char* key, const std::optional<T>& v) {
  if (v) o[key] = *v;
}

Out credential(const Credential& c) {
  Out o;
  if (c.kind == Credential::Kind::nfc) {
    o["kind"] = "nfc";
    o["uid"] = c.value;
  } else if (c.kind == Credential::Kind::qr) {
    o["kind"] = "qr";
    o["payload"] = c.value;
  } else {
    o["kind"] = "fingerprint";
    o["credential_id"] = c.value;
  }
  return o;
}

void put_member(Out& o, const std::optional<std::string>& display_name) {
  if (display_name) o["member"] = Out{{"display_name", *display_name}};
}

std::string text(const Out& o) { return o.dump(-1, ' ', false, Out::error_handler_t::replace); }

}  // namespace

std::string encode(const MachineStatus& m) {
  Out o;
  o["state"] = to_string(m.state);
  put(o, "ts", m.ts);
  if (m.category) o["category"] = to_string(*m.category);
  put(o, "type", m.type);
  put(o, "fw", m.fw);
  put(o, "link_id", m.link_id);
  return text(o);
}

std::string encode(const Heartbeat& m) {
  Out o;
  o["ts"] = m.ts;
  put(o, "uptime_s", m.uptime_s);
  put(o, "rssi_dbm", m.rssi_dbm);
  return text(o);
}

std::string encode(const Telemetry& m) {
  Out o;
  o["msg_id"] = m.msg_id;
  o["ts"] = m.ts;
  put(o, "boot_id", m.boot_id);
  put(o, "link_id", m.link_id);
  if (m.category) o["category"] = to_string(*m.category);
  Out x = Out::object();
  const Metrics& k = m.metrics;
  put(x, "speed_kmh", k.speed_kmh);
  put(x, "incline_pct", k.incline_pct);
  put(x, "distance_m", k.distance_m);
  put(x, "elapsed_s", k.elapsed_s);
  put(x, "heart_rate_bpm", k.heart_rate_bpm);
  put(x, "calories_kcal", k.calories_kcal);
  put(x, "cadence_rpm", k.cadence_rpm);
  put(x, "power_w", k.power_w);
  put(x, "resistance_level", k.resistance_level);
  put(x, "stroke_rate_spm", k.stroke_rate_spm);
  put(x, "rep", k.rep);
  put(x, "set_index", k.set_index);
  put(x, "weight_kg", k.weight_kg);
  put(x, "rom_cm", k.rom_cm);
  put(x, "duration_s", k.duration_s);
  put(x, "exercise", k.exercise);
  o["metrics"] = std::move(x);
  return text(o);
}

std::string encode(const Workout& m) {
  Out o;
  o["msg_id"] = m.msg_id;
  o["ts_start"] = m.ts_start;
  o["ts_end"] = m.ts_end;
  o["category"] = to_string(m.category());
  put(o, "boot_id", m.boot_id);
  put(o, "link_id", m.link_id);
  if (const auto* c = std::get_if<CardioSummary>(&m.summary)) {
    o["duration_s"] = c->duration_s;
    put(o, "distance_m", c->distance_m);
    put(o, "calories_kcal", c->calories_kcal);
    put(o, "avg_heart_rate_bpm", c->avg_heart_rate_bpm);
    put(o, "max_heart_rate_bpm", c->max_heart_rate_bpm);
    put(o, "avg_power_w", c->avg_power_w);
  } else if (const auto* s = std::get_if<StrengthSummary>(&m.summary)) {
    o["exercise"] = s->exercise;
    Out sets = Out::array();
    for (const auto& set : s->sets) sets.push_back(Out{{"reps", set.reps}, {"weight_kg", set.weight_kg}});
    o["sets"] = std::move(sets);
  } else if (const auto* f = std::get_if<FunctionalSummary>(&m.summary)) {
    o["exercise"] = f->exercise;
    o["duration_s"] = f->duration_s;
    put(o, "reps", f->reps);
  }
  return text(o);
}

std::string encode(const MachineAuth& m) {
  Out o;
  o["req_id"] = m.req_id;
  o["credential"] = credential(m.credential);
  put(o, "ts", m.ts);
  return text(o);
}

std::string encode(const AuthReply& m) {
  Out o;
  o["req_id"] = m.req_id;
  o["result"] = to_string(m.result);
  o["reason"] = to_string(m.reason);
  put(o, "link_id", m.link_id);
  put_member(o, m.display_name);
  return text(o);
}

std::string encode(const Command& m) {
  Out o;
  o["req_id"] = m.req_id;
  o["cmd"] = to_string(m.cmd);
  put(o, "ts", m.ts);
  return text(o);
}

std::string encode(const Maintenance& m) {
  Out o;
  o["code"] = m.code;
  o["severity"] = to_string(m.severity);
  put(o, "detail", m.detail);
  put(o, "ts", m.ts);
  return text(o);
}

std::string encode(const DoorScan& m) {
  Out o;
  o["req_id"] = m.req_id;
  o["credential"] = credential(m.credential);
  o["direction"] = to_string(m.direction);
  put(o, "ts", m.ts);
  return text(o);
}

std::string encode(const DoorDecision& m) {
  Out o;
  o["req_id"] = m.req_id;
  o["granted"] = m.granted;
  o["reason"] = to_string(m.reason);
  put(o, "session_id", m.session_id);
  put_member(o, m.display_name);
  return text(o);
}

std::string encode(const DoorStatus& m) {
  Out o;
  o["state"] = to_string(m.state);
  put(o, "ts", m.ts);
  put(o, "fw", m.fw);
  if (m.fingerprint) o["fingerprint"] = true;
  return text(o);
}

std::string encode(const Message& m) {
  return std::visit([](const auto& v) { return encode(v); }, m);
}

MessageType type_of(const Message& m) noexcept { return static_cast<MessageType>(m.index()); }

}  // namespace spotter::protocol
