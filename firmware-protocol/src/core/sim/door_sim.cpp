#include <algorithm>
#include <cstdio>

#include "devices.hpp"
#include "spotter/protocol/codec.hpp"
#include "spotter/protocol/fingerprint.hpp"

namespace spotter::sim {
using namespace protocol;

DoorSim::DoorSim(SimWorld& world, int index, bool fingerprint_sensor)
    : world_(world), rng_(world.config.seed * 2000003ULL + static_cast<std::uint64_t>(index) * 104729ULL + 2), sensor_(fingerprint_sensor) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "door-%02d", index + 1);
  id_ = buf;
}

void DoorSim::start(Transport& transport, std::int64_t now) {
  OutMessage will{build_topic(world_.config.branch, id_, MessageType::door_status), R"({"state":"offline"})", 1, true};
  std::vector<std::string> inbound = {build_topic(world_.config.branch, id_, MessageType::door_decision)};
  if (sensor_) inbound.push_back(fingerprint_topic(world_.config.branch, id_, "+"));
  conn_ = transport.open(id_, will, inbound);
  DoorStatus s{ReaderState::online, now, "sim-1.0", sensor_};
  conn_->publish(OutMessage{build_topic(world_.config.branch, id_, MessageType::door_status), encode(s), 1, true});
  ++world_.stats.published["door_status"];
  next_scan_ = now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.scan_mean_ms)));
}

void DoorSim::stop(std::int64_t now) {
  if (!conn_ || stopped_) return;
  DoorStatus s{ReaderState::offline, now, std::nullopt};
  conn_->publish(OutMessage{build_topic(world_.config.branch, id_, MessageType::door_status), encode(s), 1, true});
  ++world_.stats.published["door_status"];
  conn_->close();
  stopped_ = true;  // the connection lives on until the simulator is destroyed, so close() can finish
}

void DoorSim::scan(std::int64_t now) {
  const auto& members = world_.members;
  Pending p{"s-" + id_ + "-" + std::to_string(++counter_), -1, Direction::in};
  std::string uid;
  if (!world_.inside.empty() && rng_.chance(0.45)) {
    // Someone who came in (possibly through another door) leaves.
    auto it = world_.inside.begin();
    std::advance(it, rng_.range(0, static_cast<std::int64_t>(world_.inside.size()) - 1));
    p.member = *it;
    p.direction = Direction::out;
  } else if (members.empty() || rng_.chance(world_.config.unknown_card_ratio)) {
    char buf[15];
    std::snprintf(buf, sizeof buf, "04EEEE%08llX", static_cast<unsigned long long>(rng_.next() & 0xFFFFFFFFULL));
    uid = buf;
  } else {
    p.member = static_cast<int>(rng_.range(0, static_cast<std::int64_t>(members.size()) - 1));
  }
  if (p.member >= 0) uid = members[static_cast<std::size_t>(p.member)];
  Credential credential{Credential::Kind::nfc, uid};
  // At a fingerprint reader, half the people use a finger it holds instead of a card.
  if (sensor_ && !templates_.empty() && rng_.chance(0.5)) (void)scan_finger(p, credential);
  DoorScan s{p.req_id, credential, p.direction, now};
  conn_->publish(OutMessage{build_topic(world_.config.branch, id_, MessageType::door_scan), encode(s), 1, false});
  ++world_.stats.published["scan"];
  pending_.push_back(std::move(p));
  if (pending_.size() > 256) pending_.erase(pending_.begin());  // a gateway that never answers
}

void DoorSim::scan_card(const std::string& uid, Direction direction, std::int64_t now) {
  if (!conn_ || stopped_) return;
  Pending p{"s-" + id_ + "-" + std::to_string(++counter_), -2, direction};
  DoorScan s{p.req_id, {Credential::Kind::nfc, uid}, direction, now};
  conn_->publish(OutMessage{build_topic(world_.config.branch, id_, MessageType::door_scan), encode(s), 1, false});
  ++world_.stats.published["scan"];
  pending_.push_back(std::move(p));
}

bool DoorSim::scan_finger(Pending& p, Credential& credential) {
  auto it = templates_.begin();
  std::advance(it, rng_.range(0, static_cast<std::int64_t>(templates_.size()) - 1));
  p.member = -3;
  p.direction = fingers_in_.count(*it) ? Direction::out : Direction::in;
  credential = Credential{Credential::Kind::fingerprint, *it};
  finger_of_req_[p.req_id] = *it;
  if (finger_of_req_.size() > 256) finger_of_req_.erase(finger_of_req_.begin());
  return true;
}

void DoorSim::on_template(const std::string& topic, const std::string& credential_id, std::string_view payload) {
  if (!sensor_) return;
  if (payload.empty()) {
    world_.stats.templates_held -= templates_.erase(credential_id);
    fingers_in_.erase(credential_id);
    return;
  }
  auto t = decode_fingerprint_template(payload);
  const bool opened = t && t->credential_id == credential_id && world_.config.open_template &&
                      world_.config.open_template(id_, topic, t->sealed);
  if (!opened) {
    ++world_.stats.templates_refused;  // a reader ignores what it cannot open, and keeps going
    return;
  }
  world_.stats.templates_held += templates_.insert(credential_id).second ? 1 : 0;
}

void DoorSim::step(std::int64_t now) {
  if (!conn_ || stopped_ || now < next_scan_) return;
  scan(now);
  next_scan_ = now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.scan_mean_ms))) + 1;
}

void DoorSim::on_message(MessageType type, std::string_view payload, std::int64_t) {
  if (type != MessageType::door_decision) return;
  auto d = decode_door_decision(payload);
  if (!d) {
    ++world_.stats.inbound_rejected;
    return;
  }
  ++world_.stats.decisions[std::string(to_string(d->reason))];
  auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.req_id == d->req_id; });
  if (it == pending_.end()) return;
  if (it->member == -2) world_.trainee_decision = std::pair{d->granted, it->direction};
  if (it->member == -3) {
    auto finger = finger_of_req_.find(it->req_id);
    if (finger != finger_of_req_.end()) {
      // Granted, they are in (or out); refused on the way out, they were not inside.
      if (it->direction == Direction::in && (d->granted || d->reason == Reason::already_inside)) fingers_in_.insert(finger->second);
      if (it->direction == Direction::out) fingers_in_.erase(finger->second);
      finger_of_req_.erase(finger);
    }
  }
  if (d->granted && it->member >= 0) {
    if (it->direction == Direction::in) {
      world_.inside.insert(it->member);
    } else {
      world_.inside.erase(it->member);
    }
  }
  pending_.erase(it);
}

}  // namespace spotter::sim
