// The trainee: a member who follows a plan on the strength machines, so a training session
// in the cloud fills itself with the sets the machines report (scripts/demo).
#include "devices.hpp"

namespace spotter::sim {
using namespace protocol;

namespace {
constexpr std::int64_t kRetryMs = 3'000;  // a refused scan or tap (the replica may lag)
}

TraineeSim::TraineeSim(SimWorld& world, std::vector<MachineSim*> plan, DoorSim* door) : world_(world), plan_(std::move(plan)), door_(door) {
  // Her machines wait for her: a demo shows her session filling itself within seconds.
  for (auto* m : plan_) m->reserve();
}

void TraineeSim::step(std::int64_t now) {
  const auto& config = world_.config;
  switch (phase_) {
    case Phase::entering:
      if (world_.trainee_decision && world_.trainee_decision->first && world_.trainee_decision->second == Direction::in) {
        phase_ = Phase::waiting_for_machine;
      } else if (now >= retry_at_) {
        door_->scan_card(config.trainee_card, Direction::in, now);
        retry_at_ = now + kRetryMs;
      }
      break;
    case Phase::waiting_for_machine:
      if (next_ >= plan_.size()) {
        phase_ = Phase::leaving;
        world_.trainee_decision.reset();
        break;
      }
      if (now >= retry_at_ && plan_[next_]->free()) {
        plan_[next_]->start_visit(MachineVisit{config.trainee_card, config.trainee_sets, config.trainee_reps, 60.0 + 10.0 * static_cast<double>(next_),
                                               config.trainee_rest_ms},
                                  now);
        phase_ = Phase::on_machine;
      }
      break;
    case Phase::on_machine: {
      auto state = plan_[next_]->visit_state();
      if (state == MachineVisit::State::done || !state) {
        plan_[next_]->forget_visit();
        ++next_;
        phase_ = Phase::waiting_for_machine;
      } else if (state == MachineVisit::State::refused) {
        plan_[next_]->forget_visit();
        retry_at_ = now + kRetryMs;
        phase_ = Phase::waiting_for_machine;
      }
      break;
    }
    case Phase::leaving:
      if (world_.trainee_decision && world_.trainee_decision->second == Direction::out) {
        phase_ = Phase::gone;
      } else if (now >= retry_at_) {
        door_->scan_card(config.trainee_card, Direction::out, now);
        retry_at_ = now + kRetryMs;
      }
      break;
    case Phase::gone: break;
  }
}

}  // namespace spotter::sim
