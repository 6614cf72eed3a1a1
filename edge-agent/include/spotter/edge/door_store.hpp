#pragma once
// Where door decisions read from and write to. The SQLite store is the real one; tests also
// run the same contract suite against an in-memory one.
#include <cstdint>
#include <optional>
#include <string>

#include "spotter/common/result.hpp"
#include "spotter/edge/door_decision.hpp"

namespace spotter::edge {

// One scan and what was decided: the audit record, also sent to the cloud.
struct DoorEvent {
  std::string event_id;  // idempotency key for the cloud
  std::string door_id;
  std::string req_id;
  protocol::Direction direction = protocol::Direction::in;
  protocol::Credential::Kind credential_kind = protocol::Credential::Kind::nfc;
  std::int64_t at_ms = 0;
};

class DoorStore : public DoorView {
 public:
  // Makes the event, its outcome (session started or ended, QR code used) and the outbox
  // entries for the cloud durable together, before returning (the reply is published
  // only after). Error code "storage" when the write failed; nothing is half-applied.
  virtual Status record_door(const DoorEvent& event, const DoorOutcome& outcome) = 0;
};

}  // namespace spotter::edge
