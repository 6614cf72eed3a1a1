// Decoders for the machine topics (PROTOCOL.md section 3).
#include "decode_common.hpp"

namespace spotter::protocol {
namespace {

void read_metrics(FieldReader& r, Metrics& m, std::optional<Category> cat) {
  const auto opt = Need::optional;
  const bool cardio = !cat || *cat == Category::cardio;
  const bool strength = !cat || *cat == Category::strength;
  const bool functional = !cat || *cat == Category::functional;
  if (cardio) {
    m.speed_kmh = r.number("speed_kmh", opt, 0, 40);
    m.incline_pct = r.number("incline_pct", opt, -30, 40);
    m.distance_m = r.number("distance_m", opt, 0, 1'000'000);
    m.elapsed_s = r.integer("elapsed_s", opt, 0, 86'400);
    m.heart_rate_bpm = r.integer("heart_rate_bpm", opt, 25, 250);
    m.calories_kcal = r.number("calories_kcal", opt, 0, 20'000);
    m.cadence_rpm = r.number("cadence_rpm", opt, 0, 300);
    m.power_w = r.number("power_w", opt, 0, 3000);
    m.resistance_level = r.number("resistance_level", opt, 0, 100);
    m.stroke_rate_spm = r.number("stroke_rate_spm", opt, 0, 100);
  }
  if (strength || functional) m.rep = r.integer("rep", opt, 0, 1000);
  if (strength) {
    m.set_index = r.integer("set_index", opt, 0, 100);
    m.weight_kg = r.number("weight_kg", opt, 0, 1000);
    m.rom_cm = r.number("rom_cm", opt, 0, 300);
  }
  if (functional) {
    m.duration_s = r.number("duration_s", opt, 0, 86'400);
    m.exercise = r.text("exercise", opt, 64);
  }
}

}  // namespace

Decoded<MachineStatus> decode_machine_status(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  MachineStatus m;
  auto state = r.choice<MachineState>("state", Need::required, kMachineStateNames);
  m.ts = r.timestamp("ts", Need::optional);
  m.category = r.choice<Category>("category", Need::optional, kCategoryNames);
  m.type = r.text("type", Need::optional, 64);
  m.fw = r.text("fw", Need::optional, 64);
  m.link_id = r.id("link_id", Need::optional);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  m.state = *state;
  // Only the last will, written before the machine knows any time, may omit ts.
  if (!m.ts && m.state != MachineState::offline) {
    return Unexpected<Rejection>{Rejection{RejectReason::missing_field, "ts", "required unless state is offline"}};
  }
  return m;
}

Decoded<Heartbeat> decode_heartbeat(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  Heartbeat m;
  auto ts = r.timestamp("ts", Need::required);
  m.uptime_s = r.integer("uptime_s", Need::optional, 0, 315'360'000);
  m.rssi_dbm = r.integer("rssi_dbm", Need::optional, -120, 0);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  m.ts = *ts;
  return m;
}

Decoded<Telemetry> decode_telemetry(std::string_view payload, std::optional<Category> known) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  Telemetry m;
  auto msg_id = r.integer("msg_id", Need::required, 0, kMaxMsgId);
  auto ts = r.timestamp("ts", Need::required);
  m.boot_id = r.id("boot_id", Need::optional);
  m.link_id = r.id("link_id", Need::optional);
  m.category = r.choice<Category>("category", Need::optional, kCategoryNames);
  const Json* metrics = r.object("metrics", Need::required);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  FieldReader mr(*metrics, "metrics");
  read_metrics(mr, m.metrics, m.category ? m.category : known);
  if (mr.failed()) return Unexpected<Rejection>{mr.rejection()};
  m.msg_id = *msg_id;
  m.ts = *ts;
  return m;
}

Decoded<Workout> decode_workout(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  Workout m;
  auto msg_id = r.integer("msg_id", Need::required, 0, kMaxMsgId);
  auto ts_start = r.timestamp("ts_start", Need::required);
  auto ts_end = r.timestamp("ts_end", Need::required);
  auto category = r.choice<Category>("category", Need::required, kCategoryNames);
  m.boot_id = r.id("boot_id", Need::optional);
  m.link_id = r.id("link_id", Need::optional);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  if (*ts_end < *ts_start || *ts_end - *ts_start > kMaxWorkoutSpanMs) {
    return Unexpected<Rejection>{Rejection{RejectReason::inconsistent, "ts_end", "must be within 24 h after ts_start"}};
  }
  m.msg_id = *msg_id;
  m.ts_start = *ts_start;
  m.ts_end = *ts_end;
  switch (*category) {
    case Category::cardio: {
      CardioSummary s;
      auto d = r.number("duration_s", Need::required, 0, 86'400);
      s.distance_m = r.number("distance_m", Need::optional, 0, 1'000'000);
      s.calories_kcal = r.number("calories_kcal", Need::optional, 0, 20'000);
      s.avg_heart_rate_bpm = r.integer("avg_heart_rate_bpm", Need::optional, 25, 250);
      s.max_heart_rate_bpm = r.integer("max_heart_rate_bpm", Need::optional, 25, 250);
      s.avg_power_w = r.number("avg_power_w", Need::optional, 0, 3000);
      if (r.failed()) return Unexpected<Rejection>{r.rejection()};
      if (s.avg_heart_rate_bpm && s.max_heart_rate_bpm && *s.max_heart_rate_bpm < *s.avg_heart_rate_bpm) {
        return Unexpected<Rejection>{Rejection{RejectReason::inconsistent, "max_heart_rate_bpm", "below the average"}};
      }
      s.duration_s = *d;
      m.summary = s;
      break;
    }
    case Category::strength: {
      StrengthSummary s;
      auto exercise = r.text("exercise", Need::required, 64);
      const Json* sets = r.array("sets", Need::required);
      if (r.failed()) return Unexpected<Rejection>{r.rejection()};
      if (sets->empty() || sets->size() > 100) {
        return Unexpected<Rejection>{Rejection{RejectReason::out_of_range, "sets", "must hold 1 to 100 sets"}};
      }
      for (std::size_t i = 0; i < sets->size(); ++i) {
        std::string p = "sets[" + std::to_string(i) + "]";
        const Json& item = (*sets)[i];
        if (!item.is_object()) return Unexpected<Rejection>{Rejection{RejectReason::not_object, p, "must be an object"}};
        FieldReader sr(item, p);
        auto reps = sr.integer("reps", Need::required, 0, 1000);
        auto w = sr.number("weight_kg", Need::required, 0, 1000);
        if (sr.failed()) return Unexpected<Rejection>{sr.rejection()};
        s.sets.push_back({*reps, *w});
      }
      s.exercise = *exercise;
      m.summary = std::move(s);
      break;
    }
    case Category::functional: {
      FunctionalSummary s;
      auto exercise = r.text("exercise", Need::required, 64);
      auto d = r.number("duration_s", Need::required, 0, 86'400);
      s.reps = r.integer("reps", Need::optional, 0, 1000);
      if (r.failed()) return Unexpected<Rejection>{r.rejection()};
      s.exercise = *exercise;
      s.duration_s = *d;
      m.summary = std::move(s);
      break;
    }
  }
  return m;
}

Decoded<MachineAuth> decode_machine_auth(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  MachineAuth m;
  auto req_id = r.id("req_id", Need::required);
  auto cred = read_credential(r);
  m.ts = r.timestamp("ts", Need::optional);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  m.req_id = *req_id;
  m.credential = *cred;
  return m;
}

Decoded<AuthReply> decode_auth_reply(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  AuthReply m;
  auto req_id = r.id("req_id", Need::required);
  auto result = r.choice<AuthResult>("result", Need::required, kAuthResultNames);
  auto reason = r.choice<Reason>("reason", Need::required, kReasonNames);
  m.link_id = r.id("link_id", Need::optional);
  m.display_name = read_display_name(r);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  if (!is_machine_reason(*reason)) return Unexpected<Rejection>{Rejection{RejectReason::bad_value, "reason", "not a machine reason"}};
  if ((*result == AuthResult::linked) != (*reason == Reason::ok) || (*result == AuthResult::linked && !m.link_id)) {
    return Unexpected<Rejection>{Rejection{RejectReason::inconsistent, "result", "linked needs reason ok and a link_id"}};
  }
  m.req_id = *req_id;
  m.result = *result;
  m.reason = *reason;
  return m;
}

Decoded<Command> decode_command(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  Command m;
  auto req_id = r.id("req_id", Need::required);
  auto cmd = r.choice<CommandKind>("cmd", Need::required, kCommandNames);
  m.ts = r.timestamp("ts", Need::optional);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  m.req_id = *req_id;
  m.cmd = *cmd;
  return m;
}

Decoded<Maintenance> decode_maintenance(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  Maintenance m;
  auto code = r.id("code", Need::required);
  auto severity = r.choice<Severity>("severity", Need::required, kSeverityNames);
  m.detail = r.text("detail", Need::optional, 1024);
  m.ts = r.timestamp("ts", Need::optional);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  m.code = *code;
  m.severity = *severity;
  return m;
}

}  // namespace spotter::protocol
