// Machine rules, without I/O: what state a machine shows, when its own fault code is dropped.
#pragma once
#include <string>
#include <string_view>

namespace spotter::cloud::machines {

// Staff who report a fault hold the machine out of service until it is cleared: until then
// it shows `maintenance` whatever it reports about itself and however long it is silent, so
// a broken treadmill that is power-cycled does not come back bookable (when it was last heard
// still moves). A machine's own fault report is no hold: the machine says when it is back.
// `reported` is what it says, or what silence would make it (`offline`).
std::string shown_machine_state(std::string reported, bool held_by_staff);

// A machine showing this state is in service again (`idle` or `in_use`): the code of the
// fault it reported itself no longer describes it and is dropped. A staff hold never gets
// here, since it shows `maintenance`.
bool back_in_service(std::string_view shown);

}  // namespace spotter::cloud::machines
