#include "spotter/edge/door_decision.hpp"

#include <algorithm>

namespace spotter::edge {
using protocol::Reason;

std::optional<Reason> entitlement(const MemberRecord& member, const std::vector<MembershipRecord>& memberships,
                                  const std::string& branch_id, std::int64_t now_ms) {
  if (member.account_suspended) return Reason::account_suspended;
  bool current = false, current_here = false, suspended_here = false;
  for (const auto& m : memberships) {
    if (m.member_id != member.id || now_ms < m.starts_at_ms || now_ms >= m.expires_at_ms) continue;
    bool here = m.branch_ids.empty() || std::find(m.branch_ids.begin(), m.branch_ids.end(), branch_id) != m.branch_ids.end();
    if (m.suspended) {
      suspended_here = suspended_here || here;
      continue;
    }
    current = true;
    current_here = current_here || here;
  }
  if (current_here) return std::nullopt;
  if (current) return Reason::branch_not_allowed;
  // A membership that would open this door but is suspended reads as a suspension, so the
  // front desk knows why; nothing at all is simply no membership.
  if (suspended_here) return Reason::account_suspended;
  return Reason::no_active_membership;
}

namespace {
DoorOutcome refuse(const protocol::DoorScan& scan, Reason reason, std::optional<MemberRecord> member = std::nullopt) {
  DoorOutcome out;
  out.reply = {scan.req_id, false, reason, std::nullopt, std::nullopt};
  if (member) {
    out.member_id = member->id;
    if (!member->display_name.empty()) out.reply.display_name = member->display_name;
  }
  return out;
}
}  // namespace

Identified identify(const protocol::Credential& credential, WallTime now, const DoorView& view, const QrCheck& qr) {
  Identified out;
  switch (credential.kind) {
    case protocol::Credential::Kind::nfc: out.member = view.member_by_card(credential.value); break;
    case protocol::Credential::Kind::fingerprint: out.member = view.member_by_fingerprint(credential.value); break;
    case protocol::Credential::Kind::qr: {
      auto checked = qr.check(credential.value, now);
      if (!checked) {
        out.refusal = checked.error().code == "expired_qr" ? Reason::expired_qr : Reason::invalid_qr;
        return out;
      }
      if (view.qr_used(checked->jti)) {
        out.refusal = Reason::replayed_qr;
        return out;
      }
      out.qr = *checked;
      out.member = view.member(checked->member_id);
      break;
    }
  }
  if (!out.member) {
    out.qr.reset();
    out.refusal = Reason::unknown_credential;
  }
  return out;
}

DoorOutcome decide_door(const DoorRequest& req, const std::string& branch_id, const BranchCalendar& calendar,
                        const DoorView& view, const QrCheck& qr) {
  const auto& scan = req.scan;
  const std::int64_t now_ms = req.now.time_since_epoch().count();

  // 1. Who is it?
  auto who = identify(scan.credential, req.now, view, qr);
  if (!who.member) return refuse(scan, who.refusal);
  const auto& member = who.member;
  const auto& qr_id = who.qr;

  auto session = view.open_session(member->id);
  DoorOutcome out;
  // 2. Leaving: always decided by the session alone, so nobody is kept in after closing
  // time or after their membership lapsed.
  if (scan.direction == protocol::Direction::out) {
    if (!session || session->branch_id != branch_id) return refuse(scan, Reason::not_inside, member);
    out.session_ended = *session;
    out.reply = {scan.req_id, true, Reason::ok, session->id, std::nullopt};
  } else {
    // 3. Entering.
    if (auto why = entitlement(*member, view.memberships_of(member->id), branch_id, now_ms)) return refuse(scan, *why, member);
    if (!calendar.is_open(req.now)) return refuse(scan, Reason::branch_closed, member);
    if (session) return refuse(scan, Reason::already_inside, member);
    out.session_started = SessionRecord{req.new_session_id, member->id, branch_id, now_ms, req.door_id};
    out.reply = {scan.req_id, true, Reason::ok, req.new_session_id, std::nullopt};
  }
  out.member_id = member->id;
  if (!member->display_name.empty()) out.reply.display_name = member->display_name;
  // A QR code is used up only by a door that opened for it.
  out.qr_to_mark_used = qr_id;
  return out;
}

}  // namespace spotter::edge
