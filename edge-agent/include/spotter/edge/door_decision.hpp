#pragma once
// Who may pass a door, decided from the local replica alone (PROTOCOL.md 4.2). Pure: the
// caller gathers what the decision reads (DoorView), and applies what it returns (a
// session to start or end, a QR code to mark used) durably before publishing the reply.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spotter/common/opening_hours.hpp"
#include "spotter/edge/replica.hpp"
#include "spotter/protocol/messages.hpp"

namespace spotter::edge {

struct SessionRecord {
  std::string id;
  std::string member_id;
  std::string branch_id;
  std::int64_t started_at_ms = 0;
  std::string entry_door;
  friend bool operator==(const SessionRecord&, const SessionRecord&) = default;
};

// A verified access QR code's content (see common/access_qr.hpp).
struct QrIdentity {
  std::string member_id;
  std::string jti;
  std::int64_t expires_at_ms = 0;
};

// What a decision reads. Implementations answer from one consistent snapshot.
class DoorView {
 public:
  virtual ~DoorView() = default;
  // nullopt for unknown or blocked cards.
  virtual std::optional<MemberRecord> member_by_card(const std::string& uid) const = 0;
  // nullopt for a fingerprint credential the replica does not hold (deleted, or never sent).
  virtual std::optional<MemberRecord> member_by_fingerprint(const std::string& credential_id) const = 0;
  virtual std::optional<MemberRecord> member(const std::string& id) const = 0;
  virtual std::vector<MembershipRecord> memberships_of(const std::string& member_id) const = 0;
  virtual std::optional<SessionRecord> open_session(const std::string& member_id) const = 0;
  virtual bool qr_used(const std::string& jti) const = 0;
};

// Checks a QR payload's signature and expiry. Error code "invalid_qr" or "expired_qr".
class QrCheck {
 public:
  virtual ~QrCheck() = default;
  virtual Result<QrIdentity> check(const std::string& payload, WallTime now) const = 0;
};

struct DoorOutcome {
  protocol::DoorDecision reply;
  std::optional<std::string> member_id;
  std::optional<SessionRecord> session_started;
  std::optional<SessionRecord> session_ended;  // as it was before it ended
  std::optional<QrIdentity> qr_to_mark_used;
};

struct DoorRequest {
  const protocol::DoorScan& scan;
  const std::string& door_id;
  WallTime now;
  std::string new_session_id;  // used if the decision starts a session
};

// Who a credential names: the member, or the refusal (unknown card or fingerprint, bad,
// expired or replayed QR). Shared by doors and machine links.
struct Identified {
  std::optional<MemberRecord> member;
  std::optional<QrIdentity> qr;  // a QR code to mark used if what it was shown for succeeds
  protocol::Reason refusal = protocol::Reason::ok;
};
Identified identify(const protocol::Credential& credential, WallTime now, const DoorView& view, const QrCheck& qr);

DoorOutcome decide_door(const DoorRequest& request, const std::string& branch_id, const BranchCalendar& calendar,
                        const DoorView& view, const QrCheck& qr);

// The reason a member may not enter this branch now, or nullopt if they may (memberships
// and account only; doors add opening hours and sessions). Shared with machine links.
std::optional<protocol::Reason> entitlement(const MemberRecord& member, const std::vector<MembershipRecord>& memberships,
                                            const std::string& branch_id, std::int64_t now_ms);

}  // namespace spotter::edge
