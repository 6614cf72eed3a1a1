#include <algorithm>
#include <cmath>
#include <cstdio>

#include "devices.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::sim {
namespace {
using namespace protocol;

constexpr std::int64_t kFaultCheckMs = 1000;
constexpr std::int64_t kRestMeanMs = 20'000;

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string exercise_for(Category category, const std::string& type, SimRandom& rng) {
  if (category != Category::functional) return type;
  static const char* kMoves[] = {"kettlebell_swing", "burpee", "box_jump", "wall_ball"};
  return kMoves[rng.range(0, 3)];
}
}  // namespace

MachineSim::MachineSim(SimWorld& world, int index, Category category, std::string type)
    : world_(world),
      rng_(world.config.seed * 1000003ULL + static_cast<std::uint64_t>(index) * 7919ULL + 1),
      category_(category),
      type_(std::move(type)) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%02d", type_.c_str(), index + 1);
  id_ = buf;
  SimRandom boot(world.config.boot_nonce ^ (static_cast<std::uint64_t>(index) << 32) ^ 0xB007ULL);
  boot_id_ = hex64(boot.next()).substr(0, 12);
}

void MachineSim::send(MessageType type, std::string payload, int qos, bool retained) {
  conn_->publish(OutMessage{build_topic(world_.config.branch, id_, type), std::move(payload), qos, retained});
  ++world_.stats.published[std::string(name(type))];
}

void MachineSim::publish_status(std::int64_t now) {
  MachineStatus s;
  switch (phase_) {
    case Phase::idle:
    case Phase::awaiting_auth: s.state = MachineState::idle; break;
    case Phase::active:
    case Phase::resting: s.state = MachineState::in_use; break;
    case Phase::maintenance: s.state = MachineState::maintenance; break;
  }
  s.ts = now;
  s.category = category_;
  s.type = type_;
  s.fw = "sim-1.0";
  if (s.state == MachineState::in_use) s.link_id = link_id_;
  send(MessageType::machine_status, encode(s), 1, true);
}

void MachineSim::start(Transport& transport, std::int64_t now) {
  OutMessage will{build_topic(world_.config.branch, id_, MessageType::machine_status), R"({"state":"offline"})", 1, true};
  conn_ = transport.open(id_, will,
                         {build_topic(world_.config.branch, id_, MessageType::command),
                          build_topic(world_.config.branch, id_, MessageType::auth_reply)});
  started_at_ = now;
  phase_ = Phase::idle;
  phase_until_ = now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.idle_mean_ms)));
  next_heartbeat_ = now + rng_.range(0, world_.config.heartbeat_ms);
  next_fault_check_ = now + kFaultCheckMs;
  publish_status(now);
}

void MachineSim::stop(std::int64_t now) {
  if (!conn_ || stopped_) return;
  if (phase_ == Phase::active || phase_ == Phase::resting) end_activity(now);
  MachineStatus s;
  s.state = MachineState::offline;
  s.ts = now;
  send(MessageType::machine_status, encode(s), 1, true);
  conn_->close();
  stopped_ = true;  // the connection lives on until the simulator is destroyed, so close() can finish
}

void MachineSim::tap(std::int64_t now) {
  const auto& members = world_.members;
  Credential cred{Credential::Kind::nfc, ""};
  if (members.empty() || rng_.chance(world_.config.unknown_card_ratio)) {
    cred.value = "04FFFF" + hex64(rng_.next()).substr(0, 8);
    std::transform(cred.value.begin(), cred.value.end(), cred.value.begin(), ::toupper);
  } else if (!world_.inside.empty() && rng_.chance(0.9)) {
    auto it = world_.inside.begin();
    std::advance(it, rng_.range(0, static_cast<std::int64_t>(world_.inside.size()) - 1));
    cred.value = members[static_cast<std::size_t>(*it)];
  } else {
    cred.value = members[static_cast<std::size_t>(rng_.range(0, static_cast<std::int64_t>(members.size()) - 1))];
  }
  send_auth(cred.value, now);
}

void MachineSim::send_auth(const std::string& card, std::int64_t now) {
  MachineAuth a{"a-" + id_ + "-" + std::to_string(++req_counter_), {Credential::Kind::nfc, card}, now};
  pending_req_ = a.req_id;
  send(MessageType::machine_auth, encode(a));
  phase_ = Phase::awaiting_auth;
  phase_until_ = now + world_.config.auth_timeout_ms;
}

void MachineSim::start_visit(MachineVisit visit, std::int64_t now) {
  visit.state = MachineVisit::State::tapping;
  visit_ = std::move(visit);
  send_auth(visit_->card, now);
}

void MachineSim::begin_activity(std::int64_t now, std::optional<std::string> link_id) {
  link_id_ = std::move(link_id);
  pending_req_.reset();
  phase_ = Phase::active;
  bout_start_ = now;
  distance_m_ = calories_ = 0;
  hr_sum_ = hr_max_ = samples_ = 0;
  heart_rate_ = rng_.range(85, 105);
  speed_ = rng_.uniform(6, 13);
  rep_ = 0;
  set_index_ = 1;
  sets_left_ = rng_.range(2, 4);
  set_target_ = rng_.range(8, 12);
  weight_ = std::round(rng_.uniform(20, 120) / 2.5) * 2.5;
  if (visit_) {
    visit_->state = MachineVisit::State::training;
    sets_left_ = visit_->sets;
    set_target_ = visit_->reps;
    weight_ = visit_->weight_kg;
  }
  exercise_ = exercise_for(category_, type_, rng_);
  phase_until_ = category_ == Category::strength
                     ? 0  // a set ends when its reps are done
                     : now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.activity_mean_ms))) + 5000;
  next_telemetry_ = now + static_cast<std::int64_t>(1000.0 / world_.config.telemetry_hz);
  publish_status(now);
}

std::string MachineSim::next_telemetry_payload(std::int64_t now) {
  Telemetry t;
  t.msg_id = ++msg_id_;
  t.ts = now;
  t.boot_id = boot_id_;
  t.link_id = link_id_;
  double dt = 1.0 / world_.config.telemetry_hz;
  if (category_ == Category::cardio) {
    speed_ = std::clamp(speed_ + rng_.uniform(-0.3, 0.3), 3.0, 18.0);
    heart_rate_ = std::clamp<std::int64_t>(heart_rate_ + rng_.range(-2, 3), 70, 185);
    distance_m_ += speed_ / 3.6 * dt;
    calories_ += speed_ * 0.02 * dt;
    hr_sum_ += heart_rate_;
    hr_max_ = std::max(hr_max_, heart_rate_);
    ++samples_;
    auto& m = t.metrics;
    m.elapsed_s = (now - bout_start_) / 1000;
    m.distance_m = std::round(distance_m_ * 10) / 10;
    m.heart_rate_bpm = heart_rate_;
    m.calories_kcal = std::round(calories_ * 10) / 10;
    if (type_ == "treadmill") {
      m.speed_kmh = std::round(speed_ * 10) / 10;
      m.incline_pct = 1.0;
    } else if (type_ == "bike") {
      m.cadence_rpm = std::round(speed_ * 6);
      m.power_w = std::round(speed_ * 12);
      m.resistance_level = 6;
    } else {
      m.stroke_rate_spm = std::round(speed_ * 2);
      m.power_w = std::round(speed_ * 10);
    }
  } else if (category_ == Category::strength) {
    ++rep_;
    t.metrics.rep = rep_;
    t.metrics.set_index = set_index_;
    t.metrics.weight_kg = weight_;
    t.metrics.rom_cm = std::round(rng_.uniform(35, 45));
  } else {
    ++rep_;
    t.metrics.rep = rep_;
    t.metrics.duration_s = static_cast<double>((now - bout_start_) / 1000);
    t.metrics.exercise = exercise_;
  }
  if (world_.config.malformed_ratio > 0 && rng_.chance(world_.config.malformed_ratio)) {
    ++world_.stats.malformed_sent;
    --msg_id_;  // the broken message does not consume a msg_id
    return malformed_telemetry(rng_.next());
  }
  return encode(t);
}

void MachineSim::emit_telemetry(std::int64_t now) {
  send(MessageType::telemetry, next_telemetry_payload(now));
  if (category_ == Category::strength && rep_ >= set_target_) {
    finish_set_or_bout(now);
    if (--sets_left_ > 0) {
      phase_ = Phase::resting;
      phase_until_ = now + (visit_ ? visit_->rest_ms : static_cast<std::int64_t>(rng_.exponential(kRestMeanMs)) + 5000);
    } else {
      end_activity(now);
    }
  }
}

// Publishes the workout of the set or bout that just ended; the phase is the caller's.
void MachineSim::finish_set_or_bout(std::int64_t now) {
  Workout w;
  w.msg_id = ++msg_id_;
  w.ts_start = bout_start_;
  w.ts_end = std::max(now, bout_start_);
  w.boot_id = boot_id_;
  w.link_id = link_id_;
  double seconds = static_cast<double>(w.ts_end - w.ts_start) / 1000.0;
  if (category_ == Category::cardio) {
    CardioSummary c;
    c.duration_s = std::round(seconds);
    c.distance_m = std::round(distance_m_ * 10) / 10;
    c.calories_kcal = std::round(calories_ * 10) / 10;
    if (samples_ > 0) {
      c.avg_heart_rate_bpm = std::max<std::int64_t>(25, hr_sum_ / samples_);
      c.max_heart_rate_bpm = std::max(hr_max_, *c.avg_heart_rate_bpm);
    }
    w.summary = c;
  } else if (category_ == Category::strength) {
    w.summary = StrengthSummary{exercise_, {StrengthSet{rep_, weight_}}};
    if (visit_) ++world_.stats.trainee_sets_done;
  } else {
    w.summary = FunctionalSummary{exercise_, std::round(seconds), rep_};
  }
  send(MessageType::workout, encode(w));
  bout_start_ = now;
  rep_ = 0;
  ++set_index_;
}

// The member is done (time up, unlink, fault, shutdown): a bout cut short still gets
// its workout if anything happened in it.
void MachineSim::end_activity(std::int64_t now) {
  if (phase_ == Phase::active && (rep_ > 0 || samples_ > 0)) {
    finish_set_or_bout(now);
  }
  phase_ = Phase::idle;
  link_id_.reset();
  if (visit_ && visit_->state == MachineVisit::State::training) visit_->state = MachineVisit::State::done;
  phase_until_ = now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.idle_mean_ms)));
  publish_status(now);
}

void MachineSim::enter_maintenance(std::int64_t now, std::optional<std::int64_t> until) {
  if (phase_ == Phase::active || phase_ == Phase::resting) end_activity(now);
  pending_req_.reset();
  if (visit_ && visit_->state == MachineVisit::State::tapping) visit_->state = MachineVisit::State::refused;
  phase_ = Phase::maintenance;
  phase_until_ = until.value_or(0);
  publish_status(now);
}

void MachineSim::step(std::int64_t now) {
  if (!conn_ || stopped_) return;
  if (now >= next_heartbeat_) {
    Heartbeat h{now, (now - started_at_) / 1000, rng_.range(-75, -45)};
    send(MessageType::heartbeat, encode(h), 0, false);
    next_heartbeat_ = now + world_.config.heartbeat_ms;
  }
  if (now >= next_fault_check_) {
    next_fault_check_ = now + kFaultCheckMs;
    if (phase_ != Phase::maintenance && rng_.chance(world_.config.faults_per_hour / 3600.0)) {
      std::string code = std::to_string(rng_.range(10, 99));
      code.insert(code.begin(), 'E');  // not "E" + ...: GCC 12 -O3 warns falsely (PR105651)
      Maintenance m{code, Severity::fault, "simulated fault", now};
      send(MessageType::maintenance, encode(m));
      enter_maintenance(now, now + 2 * world_.config.activity_mean_ms);
      return;
    }
  }
  switch (phase_) {
    case Phase::idle:
      if (!visit_ && !reserved_ && now >= phase_until_) tap(now);
      break;
    case Phase::awaiting_auth:
      if (now >= phase_until_ && visit_) {
        ++world_.stats.auth_timeouts;
        visit_->state = MachineVisit::State::refused;  // the trainee tries again
        pending_req_.reset();
        phase_ = Phase::idle;
      } else if (now >= phase_until_) {
        // No gateway answered: the machine still works, without a link.
        ++world_.stats.auth_timeouts;
        begin_activity(now, std::nullopt);
      }
      break;
    case Phase::active:
      while (phase_ == Phase::active && now >= next_telemetry_) {
        emit_telemetry(next_telemetry_);
        next_telemetry_ += static_cast<std::int64_t>(1000.0 / world_.config.telemetry_hz);
      }
      if (phase_ == Phase::active && phase_until_ != 0 && now >= phase_until_) end_activity(now);
      break;
    case Phase::resting:
      if (now >= phase_until_) {
        phase_ = Phase::active;
        phase_until_ = 0;  // the next set ends with its reps, not with the rest's time
        bout_start_ = now;
        next_telemetry_ = now;
      }
      break;
    case Phase::maintenance:
      if (phase_until_ != 0 && now >= phase_until_) {
        phase_ = Phase::idle;
        phase_until_ = now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.idle_mean_ms)));
        publish_status(now);
      }
      break;
  }
}

void MachineSim::on_message(MessageType type, std::string_view payload, std::int64_t now) {
  if (type == MessageType::auth_reply) {
    auto reply = decode_auth_reply(payload);
    if (!reply) {
      ++world_.stats.inbound_rejected;
      return;
    }
    ++world_.stats.auth_replies[std::string(to_string(reply->reason))];
    if (phase_ != Phase::awaiting_auth || reply->req_id != pending_req_) return;  // late or not ours
    if (reply->result == AuthResult::linked) {
      begin_activity(now, reply->link_id);
    } else {
      pending_req_.reset();
      phase_ = Phase::idle;
      if (visit_) visit_->state = MachineVisit::State::refused;
      phase_until_ = now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.idle_mean_ms)));
    }
    return;
  }
  if (type != MessageType::command) return;
  auto cmd = decode_command(payload);
  if (!cmd) {
    ++world_.stats.inbound_rejected;
    return;
  }
  ++world_.stats.commands;
  switch (cmd->cmd) {
    case CommandKind::poll: publish_status(now); break;
    case CommandKind::unlink:
      if (phase_ == Phase::active || phase_ == Phase::resting) end_activity(now);
      break;
    case CommandKind::set_maintenance: enter_maintenance(now, std::nullopt); break;
    case CommandKind::clear_maintenance:
      if (phase_ == Phase::maintenance) {
        phase_ = Phase::idle;
        phase_until_ = now + static_cast<std::int64_t>(rng_.exponential(static_cast<double>(world_.config.idle_mean_ms)));
        publish_status(now);
      }
      break;
  }
}

}  // namespace spotter::sim
