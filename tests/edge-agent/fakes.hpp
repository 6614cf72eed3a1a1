#pragma once
// In-memory stand-ins for the edge's storage, for core tests.
#include <map>
#include <set>

#include "spotter/edge/door_decision.hpp"
#include "spotter/edge/door_store.hpp"

namespace spotter::edge::testing {

class MemoryDoorView : public DoorStore {
 public:
  explicit MemoryDoorView(ReplicaSnapshot s) : snap(std::move(s)) {}
  std::optional<MemberRecord> member_by_card(const std::string& uid) const override {
    for (const auto& c : snap.cards) {
      if (c.uid == uid && !c.blocked) return member(c.member_id);
    }
    return std::nullopt;
  }
  std::optional<MemberRecord> member_by_fingerprint(const std::string& credential_id) const override {
    for (const auto& f : snap.fingerprints) {
      if (f.credential_id == credential_id) return member(f.member_id);
    }
    return std::nullopt;
  }
  std::optional<MemberRecord> member(const std::string& id) const override {
    for (const auto& m : snap.members) {
      if (m.id == id) return m;
    }
    return std::nullopt;
  }
  std::vector<MembershipRecord> memberships_of(const std::string& member_id) const override {
    std::vector<MembershipRecord> out;
    for (const auto& m : snap.memberships) {
      if (m.member_id == member_id) out.push_back(m);
    }
    return out;
  }
  std::optional<SessionRecord> open_session(const std::string& member_id) const override {
    auto it = sessions.find(member_id);
    if (it == sessions.end()) return std::nullopt;
    return it->second;
  }
  bool qr_used(const std::string& jti) const override { return used_qr.count(jti) > 0; }

  Status record_door(const DoorEvent& e, const DoorOutcome& o) override {
    events.push_back(e);
    apply(o);
    return {};
  }

  // Applies an outcome as the real store does.
  void apply(const DoorOutcome& o) {
    if (o.session_started) sessions[o.session_started->member_id] = *o.session_started;
    if (o.session_ended) sessions.erase(o.session_ended->member_id);
    if (o.qr_to_mark_used) used_qr.insert(o.qr_to_mark_used->jti);
  }

  ReplicaSnapshot snap;
  std::map<std::string, SessionRecord> sessions;
  std::set<std::string> used_qr;
  std::vector<DoorEvent> events;
};

// Accepts payloads of the form "qr:<member>:<jti>:<expires_ms>" and "bad".
class FakeQrCheck : public QrCheck {
 public:
  Result<QrIdentity> check(const std::string& payload, WallTime now) const override {
    if (payload.rfind("qr:", 0) != 0) return fail("invalid_qr", "not a code");
    auto a = payload.find(':', 3), b = payload.find(':', a + 1);
    QrIdentity id{payload.substr(3, a - 3), payload.substr(a + 1, b - a - 1), std::stoll(payload.substr(b + 1))};
    if (now.time_since_epoch().count() >= id.expires_at_ms) return fail("expired_qr", "expired");
    return id;
  }
};

}  // namespace spotter::edge::testing
