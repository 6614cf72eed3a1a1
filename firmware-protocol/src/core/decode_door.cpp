// Decoders for the door topics (PROTOCOL.md section 4), the shared credential rules, and
// decode() by message type.
#include "decode_common.hpp"

namespace spotter::protocol {
namespace {

bool is_nfc_uid(const std::string& s) {
  if (s.size() != 8 && s.size() != 14 && s.size() != 20) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool is_qr_text(const std::string& s) {
  if (s.empty() || s.size() > 1024) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

std::optional<Credential> read_credential(FieldReader& r) {
  const Json* obj = r.object("credential", Need::required);
  if (!obj) return std::nullopt;
  FieldReader cr(*obj, r.path("credential"));
  auto kind = cr.choice<Credential::Kind>("kind", Need::required, std::array<std::string_view, 3>{"nfc", "qr", "fingerprint"});
  std::optional<Credential> out;
  if (kind == Credential::Kind::nfc) {
    auto uid = cr.text("uid", Need::required, 20);
    if (uid && !is_nfc_uid(*uid)) cr.reject(RejectReason::bad_value, "uid", "must be 8, 14 or 20 upper-case hex digits");
    if (!cr.failed()) out = Credential{Credential::Kind::nfc, *uid};
  } else if (kind == Credential::Kind::qr) {
    auto text = cr.text("payload", Need::required, 1024);
    if (text && !is_qr_text(*text)) cr.reject(RejectReason::bad_value, "payload", "must be 1-1024 printable ASCII characters");
    if (!cr.failed()) out = Credential{Credential::Kind::qr, *text};
  } else if (kind == Credential::Kind::fingerprint) {
    auto id = cr.id("credential_id", Need::required);
    if (!cr.failed()) out = Credential{Credential::Kind::fingerprint, *id};
  }
  r.absorb(cr);
  return out;
}

std::optional<std::string> read_display_name(FieldReader& r) {
  const Json* member = r.object("member", Need::optional);
  if (!member) return std::nullopt;
  FieldReader mr(*member, r.path("member"));
  auto name = mr.text("display_name", Need::optional, 128);
  r.absorb(mr);
  return name;
}

Decoded<DoorScan> decode_door_scan(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  DoorScan m;
  auto req_id = r.id("req_id", Need::required);
  auto cred = read_credential(r);
  auto dir = r.choice<Direction>("direction", Need::optional, kDirectionNames);
  m.ts = r.timestamp("ts", Need::optional);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  m.req_id = *req_id;
  m.credential = *cred;
  m.direction = dir.value_or(Direction::in);
  return m;
}

Decoded<DoorDecision> decode_door_decision(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  DoorDecision m;
  auto req_id = r.id("req_id", Need::required);
  auto granted = r.boolean("granted", Need::required);
  auto reason = r.choice<Reason>("reason", Need::required, kReasonNames);
  m.session_id = r.id("session_id", Need::optional);
  m.display_name = read_display_name(r);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  if (!is_door_reason(*reason)) return Unexpected<Rejection>{Rejection{RejectReason::bad_value, "reason", "not a door reason"}};
  if (*granted != (*reason == Reason::ok)) {
    return Unexpected<Rejection>{Rejection{RejectReason::inconsistent, "granted", "granted exactly when reason is ok"}};
  }
  m.req_id = *req_id;
  m.granted = *granted;
  m.reason = *reason;
  return m;
}

Decoded<DoorStatus> decode_door_status(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  DoorStatus m;
  auto state = r.choice<ReaderState>("state", Need::required, kReaderStateNames);
  m.ts = r.timestamp("ts", Need::optional);
  m.fw = r.text("fw", Need::optional, 64);
  auto sensor = r.boolean("fingerprint", Need::optional);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  m.state = *state;
  m.fingerprint = sensor.value_or(false);
  if (!m.ts && m.state != ReaderState::offline) {
    return Unexpected<Rejection>{Rejection{RejectReason::missing_field, "ts", "required unless state is offline"}};
  }
  return m;
}

namespace {
template <class T>
Decoded<Message> widen(Decoded<T> d) {
  if (!d) return Unexpected<Rejection>{std::move(d).error()};
  return Message(std::move(d).value());
}
}  // namespace

Decoded<Message> decode(MessageType type, std::string_view payload, std::optional<Category> known) {
  switch (type) {
    case MessageType::machine_status: return widen(decode_machine_status(payload));
    case MessageType::heartbeat: return widen(decode_heartbeat(payload));
    case MessageType::telemetry: return widen(decode_telemetry(payload, known));
    case MessageType::workout: return widen(decode_workout(payload));
    case MessageType::machine_auth: return widen(decode_machine_auth(payload));
    case MessageType::auth_reply: return widen(decode_auth_reply(payload));
    case MessageType::command: return widen(decode_command(payload));
    case MessageType::maintenance: return widen(decode_maintenance(payload));
    case MessageType::door_scan: return widen(decode_door_scan(payload));
    case MessageType::door_decision: return widen(decode_door_decision(payload));
    case MessageType::door_status: return widen(decode_door_status(payload));
  }
  return Unexpected<Rejection>{Rejection{RejectReason::bad_topic, "", "unknown message type"}};
}

std::optional<std::string> salvage_req_id(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return std::nullopt;
  FieldReader r(*j);
  return r.id("req_id", Need::required);
}

}  // namespace spotter::protocol
