#include "enum_names.hpp"

namespace spotter::protocol {

std::string_view to_string(MachineState v) noexcept { return kMachineStateNames[static_cast<int>(v)]; }
std::string_view to_string(Category v) noexcept { return kCategoryNames[static_cast<int>(v)]; }
std::string_view to_string(Severity v) noexcept { return kSeverityNames[static_cast<int>(v)]; }
std::string_view to_string(Direction v) noexcept { return kDirectionNames[static_cast<int>(v)]; }
std::string_view to_string(CommandKind v) noexcept { return kCommandNames[static_cast<int>(v)]; }
std::string_view to_string(AuthResult v) noexcept { return kAuthResultNames[static_cast<int>(v)]; }
std::string_view to_string(ReaderState v) noexcept { return kReaderStateNames[static_cast<int>(v)]; }
std::string_view to_string(Reason v) noexcept { return kReasonNames[static_cast<int>(v)]; }
std::string_view to_string(RejectReason v) noexcept { return kRejectReasonNames[static_cast<int>(v)]; }

bool is_door_reason(Reason r) noexcept { return r != Reason::machine_busy && r != Reason::machine_unavailable; }

bool is_machine_reason(Reason r) noexcept {
  return r != Reason::branch_not_allowed && r != Reason::branch_closed && r != Reason::already_inside;
}

}  // namespace spotter::protocol
