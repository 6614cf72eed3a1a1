#pragma once
// Telemetry and workouts as the gateway stores them: each (machine, boot_id, msg_id) once,
// attached to the machine's link and the member's session when there is one.
#include <cstdint>
#include <optional>
#include <string>

namespace spotter::edge {

// A place in the inbound journal (segment number, byte offset): how far the store has
// applied what arrived.
struct JournalPosition {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  friend auto operator<=>(const JournalPosition&, const JournalPosition&) = default;
};

struct TelemetryRow {
  std::string machine_id;
  std::string boot_id;  // "" when the machine sends none
  std::int64_t msg_id = 0;
  bool workout = false;
  std::int64_t device_ts_ms = 0;
  std::int64_t received_at_ms = 0;
  std::optional<std::string> link_id;
  std::optional<std::string> session_id;
  std::optional<std::string> member_id;
  std::string body;  // the validated payload as received
};

struct IngestResult {
  std::size_t stored = 0;
  std::size_t duplicates = 0;  // QoS 1 redeliveries and journal replays
};

}  // namespace spotter::edge
