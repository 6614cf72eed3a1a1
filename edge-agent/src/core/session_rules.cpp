#include "spotter/edge/session_rules.hpp"

namespace spotter::edge {

std::optional<AutoEnd> auto_end(const SessionRecord& session, WallTime now, const BranchCalendar& calendar,
                                std::chrono::milliseconds max_length) {
  const WallTime started{std::chrono::milliseconds(session.started_at_ms)};
  WallTime end = started + max_length;
  std::string by = "timeout";
  // The opening the member came in during; a session started while closed (an entry the
  // cloud recorded, say) is bounded by the 4 hours alone.
  if (auto closing = calendar.closing_time(started); closing && *closing <= end) {
    end = *closing;
    by = "closing";
  }
  if (now < end) return std::nullopt;
  return AutoEnd{session.id, end.time_since_epoch().count(), by};
}

}  // namespace spotter::edge
