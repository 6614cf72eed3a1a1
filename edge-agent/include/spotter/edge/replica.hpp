#pragma once
// The branch's local copy of what door and machine decisions need: members, their NFC
// cards, memberships, the branch (time zone, opening hours), its machines and the public
// keys that verify access QR codes. The sync issue fills it from the cloud; until then
// `spotter-edge import FILE.json` loads it (format: docs/edge-agent.md and replica_json.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/common/opening_hours.hpp"
#include "spotter/common/result.hpp"
#include "spotter/protocol/messages.hpp"

namespace spotter::edge {

struct MemberRecord {
  std::string id;
  std::string display_name;
  bool account_suspended = false;
  friend bool operator==(const MemberRecord&, const MemberRecord&) = default;
};

struct MembershipRecord {
  std::string id;
  std::string member_id;
  std::int64_t starts_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  bool suspended = false;
  std::vector<std::string> branch_ids;  // empty: every branch
  friend bool operator==(const MembershipRecord&, const MembershipRecord&) = default;
};

struct NfcCard {
  std::string uid;  // upper-case hex, as PROTOCOL.md 2.1
  std::string member_id;
  bool blocked = false;
  friend bool operator==(const NfcCard&, const NfcCard&) = default;
};

// An enrolled fingerprint (PROTOCOL.md 4.4): the template reaches the branch's readers with
// a fingerprint sensor; a reader that matches it names `credential_id` in its scan.
inline constexpr std::size_t kMaxFingerprintTemplate = 4096;
struct FingerprintRecord {
  std::string credential_id;
  std::string member_id;
  std::string finger;     // e.g. right_index
  std::string template_;  // the sensor's template, raw bytes (at most 4,096)
  friend bool operator==(const FingerprintRecord&, const FingerprintRecord&) = default;
};

struct MachineRecord {
  std::string id;
  std::string name;
  std::optional<protocol::Category> category;
  std::string type;
  friend bool operator==(const MachineRecord&, const MachineRecord&) = default;
};

struct QrKey {
  std::string kid;
  std::string public_key;  // base64url of the 65-byte uncompressed P-256 point
  friend bool operator==(const QrKey&, const QrKey&) = default;
};

struct BranchRecord {
  std::string id;
  std::string name;
  std::string time_zone = "UTC";
  OpeningHours hours = OpeningHours::always_open();
  friend bool operator==(const BranchRecord&, const BranchRecord&) = default;
};

struct ReplicaSnapshot {
  BranchRecord branch;
  std::vector<MemberRecord> members;
  std::vector<MembershipRecord> memberships;
  std::vector<NfcCard> cards;
  std::vector<MachineRecord> machines;
  std::vector<QrKey> qr_keys;
  std::vector<FingerprintRecord> fingerprints;
};

// What changed since the gateway's replica version (docs/sync.md): each member listed comes
// with all of their memberships, cards and fingerprints, which replace what the gateway had.
struct MemberUpdate {
  MemberRecord member;
  std::vector<MembershipRecord> memberships;
  std::vector<NfcCard> cards;
  std::vector<FingerprintRecord> fingerprints;
};
struct ReplicaDelta {
  std::vector<MemberUpdate> members;
  std::vector<std::string> removed_members;
  std::vector<MachineRecord> machines;
  std::vector<std::string> removed_machines;
};

// Parses the import format; every error names the offending entry ("members[3].id: ...").
Result<ReplicaSnapshot> parse_replica(const Json& doc);
Result<ReplicaDelta> parse_replica_delta(const Json& doc);
Json replica_to_json(const ReplicaSnapshot& snapshot);

}  // namespace spotter::edge
