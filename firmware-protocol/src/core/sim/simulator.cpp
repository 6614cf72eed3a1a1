#include "spotter/protocol/sim/simulator.hpp"

#include "devices.hpp"
#include "spotter/protocol/fingerprint.hpp"
#include "spotter/protocol/topic.hpp"

namespace spotter::sim {
using namespace protocol;

namespace {
struct Model {
  Category category;
  const char* type;
};
constexpr Model kCardio[] = {{Category::cardio, "treadmill"}, {Category::cardio, "bike"}, {Category::cardio, "rower"}};
constexpr Model kStrength[] = {{Category::strength, "leg_press"}, {Category::strength, "chest_press"}, {Category::strength, "lat_pulldown"}};
constexpr Model kFunctional = {Category::functional, "functional_rig"};

// Machine i's category, spread so any prefix of the list has roughly the configured mix.
Category category_for(int i, const SimConfig& c) {
  double pos = (static_cast<double>(i) + 0.5) / std::max(c.machines, 1);
  // Low-discrepancy position in [0,1): a golden-ratio sequence mixes categories evenly.
  double u = pos + static_cast<double>(i) * 0.6180339887498949;
  u -= static_cast<double>(static_cast<long long>(u));
  if (u < c.cardio_share) return Category::cardio;
  if (u < c.cardio_share + c.strength_share) return Category::strength;
  return Category::functional;
}
}  // namespace


Simulator::Simulator(SimConfig config, Transport& transport) : config_(std::move(config)), transport_(transport) {}

Simulator::~Simulator() = default;

void Simulator::start(std::int64_t now_ms) {
  world_ = std::make_unique<SimWorld>(SimWorld{config_, stats_, member_uids(config_.members, config_.seed), {}});
  // Within a category, types take turns: any three strength machines are one of each.
  int cardio = 0, strength = 0;
  for (int i = 0; i < config_.machines; ++i) {
    const Category c = category_for(i, config_);
    const Model m = c == Category::cardio ? kCardio[cardio++ % 3] : c == Category::strength ? kStrength[strength++ % 3] : kFunctional;
    machines_.push_back(std::make_unique<MachineSim>(*world_, i, m.category, m.type));
  }
  for (int i = 0; i < config_.doors; ++i)
    doors_.push_back(std::make_unique<DoorSim>(*world_, i, i >= config_.doors - config_.fingerprint_doors));
  for (auto& m : machines_) m->start(transport_, now_ms);
  for (auto& d : doors_) d->start(transport_, now_ms);
  if (!config_.trainee_card.empty() && !doors_.empty()) {
    // The first machine of each strength type, in the order of kStrength.
    std::vector<MachineSim*> plan;
    for (const auto& model : kStrength)
      for (auto& m : machines_)
        if (m->type() == model.type) {
          plan.push_back(m.get());
          break;
        }
    trainee_ = std::make_unique<TraineeSim>(*world_, std::move(plan), doors_.front().get());
  }
}

void Simulator::deliver(InMessage message) {
  std::lock_guard lock(inbox_mu_);
  inbox_.push_back(std::move(message));
}

void Simulator::step(std::int64_t now_ms) {
  std::vector<InMessage> inbox;
  {
    std::lock_guard lock(inbox_mu_);
    inbox.swap(inbox_);
  }
  for (const auto& in : inbox) {
    if (auto t = parse_fingerprint_topic(in.topic); t && t->branch == config_.branch) {
      for (auto& d : doors_)
        if (d->id() == t->door) d->on_template(in.topic, t->credential_id, in.payload);
      continue;
    }
    auto topic = parse_topic(in.topic);
    if (!topic || topic->branch != config_.branch) continue;
    if (device_kind(topic->type) == DeviceKind::machine) {
      for (auto& m : machines_) {
        if (m->id() == topic->device) m->on_message(topic->type, in.payload, now_ms);
      }
    } else {
      for (auto& d : doors_) {
        if (d->id() == topic->device) d->on_message(topic->type, in.payload, now_ms);
      }
    }
  }
  for (auto& m : machines_) m->step(now_ms);
  for (auto& d : doors_) d->step(now_ms);
  if (trainee_) trainee_->step(now_ms);
}

void Simulator::stop(std::int64_t now_ms) {
  for (auto& m : machines_) m->stop(now_ms);
  for (auto& d : doors_) d->stop(now_ms);
}

SimStats Simulator::stats() const { return stats_; }

std::vector<std::string> Simulator::machine_ids() const {
  std::vector<std::string> out;
  for (const auto& m : machines_) out.push_back(m->id());
  return out;
}

std::vector<std::string> Simulator::door_ids() const {
  std::vector<std::string> out;
  for (const auto& d : doors_) out.push_back(d->id());
  return out;
}

}  // namespace spotter::sim
