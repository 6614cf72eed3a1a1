#include "rules.hpp"

namespace spotter::cloud::machines {

std::string shown_machine_state(std::string reported, bool held_by_staff) {
  return held_by_staff ? std::string("maintenance") : reported;
}

bool back_in_service(std::string_view shown) { return shown == "idle" || shown == "in_use"; }

}  // namespace spotter::cloud::machines
