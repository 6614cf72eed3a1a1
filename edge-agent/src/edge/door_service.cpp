#include "door_service.hpp"

#include "spotter/common/access_qr.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/edge/session_rules.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {

DoorService::DoorService(SqliteEdgeStore& store, BranchCalendar calendar, std::shared_ptr<const QrCheck> qr, std::string branch_id,
                         const Clock& clock, Logger log, Publish publish, RejectionCounts& rejections)
    : store_(store),
      calendar_(std::move(calendar)),
      qr_(std::move(qr)),
      branch_id_(std::move(branch_id)),
      clock_(clock),
      log_(std::move(log)),
      publish_(std::move(publish)),
      rejections_(rejections) {}

void DoorService::on_scan(const protocol::Topic& topic, const std::string& payload) {
  const auto reply_topic = protocol::build_topic(branch_id_, topic.device, protocol::MessageType::door_decision);
  auto scan = protocol::decode_door_scan(payload);
  if (!scan) {
    rejections_.add(topic.device, protocol::to_string(scan.error().reason));
    log_.warn("malformed scan", {{"door", topic.device}, {"reason", protocol::to_string(scan.error().reason)}, {"field", scan.error().field}});
    // A reader that sent a readable req_id is told, so it can show an error at once.
    if (auto req_id = protocol::salvage_req_id(payload)) {
      publish_(reply_topic, protocol::encode(protocol::DoorDecision{*req_id, false, protocol::Reason::malformed, std::nullopt, std::nullopt}));
    }
    return;
  }
  auto decided = decide_and_record(topic.device, *scan);
  if (!decided.reply.req_id.empty()) publish_(reply_topic, protocol::encode(decided.reply));
  after_reply(decided);
}

DoorService::Decided DoorService::decide_and_record(const std::string& door, const protocol::DoorScan& scan) {
  auto now = clock_.now();
  std::string session_id = new_id("ses", now.time_since_epoch().count());
  auto outcome = decide_door({scan, door, now, session_id}, branch_id_, calendar_, store_, *qr_);
  DoorEvent event{new_id("door", now.time_since_epoch().count()), door, scan.req_id, scan.direction, scan.credential.kind,
                  now.time_since_epoch().count()};
  if (auto saved = store_.record_door(event, outcome); !saved) {
    // Nothing durable, so no door opens: the reader may retry.
    log_.error("door event not stored; not answering", {{"door", door}, {"error", saved.error().message}});
    return {};
  }
  auto& stats = doors_[door];
  ++stats.scans;
  stats.granted += outcome.reply.granted ? 1 : 0;
  stats.last_scan_ms = now.time_since_epoch().count();
  log_.info("door decision", {{"door", door}, {"req_id", scan.req_id}, {"granted", outcome.reply.granted},
                              {"reason", protocol::to_string(outcome.reply.reason)}, {"member", outcome.member_id.value_or("")}});
  Decided decided{outcome.reply, std::nullopt};
  if (outcome.session_ended) decided.member_left = outcome.session_ended->member_id;
  return decided;
}

protocol::DoorDecision DoorService::scan_locally(const std::string& door, const protocol::DoorScan& scan) {
  auto decided = decide_and_record(door, scan);
  if (!decided.reply.req_id.empty()) {
    publish_(protocol::build_topic(branch_id_, door, protocol::MessageType::door_decision), protocol::encode(decided.reply));
  }
  after_reply(decided);
  return decided.reply;
}

std::optional<protocol::DoorStatus> DoorService::on_reader_status(const protocol::Topic& topic, const std::string& payload) {
  auto st = protocol::decode_door_status(payload);
  if (!st) {
    rejections_.add(topic.device, protocol::to_string(st.error().reason));
    return std::nullopt;
  }
  doors_[topic.device].reader_state = std::string(protocol::to_string(st->state));
  return *st;
}

Json DoorService::doors_json() const {
  Json list = Json::array();
  auto now = clock_.now_ms();
  for (const auto& [id, d] : doors_) {
    list.push_back({{"door", id}, {"reader", d.reader_state}, {"scans", d.scans}, {"granted", d.granted},
                    {"last_scan_s_ago", d.last_scan_ms ? Json((now - d.last_scan_ms) / 1000) : Json(nullptr)}});
  }
  return list;
}

void DoorService::end_overdue_sessions() {
  auto now = clock_.now();
  for (const auto& session : store_.open_sessions()) {
    auto end = auto_end(session, now, calendar_);
    if (!end) continue;
    if (auto r = store_.end_session(session, end->ended_at_ms, end->ended_by); !r) {
      log_.error("cannot end an overdue session", {{"session_id", session.id}, {"error", r.error().message}});
      continue;
    }
    log_.info("session ended by the agent", {{"session_id", session.id}, {"member", session.member_id}, {"ended_by", end->ended_by}});
    if (member_left_) member_left_(session.member_id);
  }
}

namespace {
class JwtQrCheck final : public QrCheck {
 public:
  explicit JwtQrCheck(jwt::Verifier v) : verifier_(std::move(v)) {}
  Result<QrIdentity> check(const std::string& payload, WallTime now) const override {
    ManualClock at(now.time_since_epoch().count());
    auto claims = access_qr::verify(payload, verifier_, at);
    if (!claims) return Unexpected<Error>{claims.error()};
    return QrIdentity{claims->member_id, claims->jti, claims->expires_at_s * 1000};
  }

 private:
  jwt::Verifier verifier_;
};
}  // namespace

std::shared_ptr<const QrCheck> make_qr_check(const std::vector<QrKey>& keys, const Logger& log) {
  std::vector<jwt::Key> loaded;
  for (const auto& k : keys) {
    auto raw = base64url_decode(k.public_key);
    auto pub = raw ? crypto::EcdsaP256PublicKey::from_sec1(*raw) : Result<crypto::EcdsaP256PublicKey>(fail("bad_key", "not base64url"));
    if (!pub) {
      log.warn("ignoring an unusable QR verification key", {{"kid", k.kid}});
      continue;
    }
    loaded.push_back(jwt::Key::es256_verifying(k.kid, *pub));
  }
  return std::make_shared<JwtQrCheck>(jwt::Verifier(std::move(loaded)));
}

}  // namespace spotter::edge
