#include "spotter/edge/machine_floor.hpp"

namespace spotter::edge {
using protocol::MachineState;
using protocol::Reason;

namespace {
std::int64_t ms(WallTime t) { return t.time_since_epoch().count(); }

bool unavailable(MachineState s) { return s == MachineState::maintenance || s == MachineState::error || s == MachineState::offline; }
}  // namespace

MachineInfo& MachineFloor::machine(const std::string& id) {
  auto [it, inserted] = machines_.try_emplace(id);
  if (inserted) it->second.id = id;
  return it->second;
}

void MachineFloor::add_machine(std::string id, std::optional<protocol::Category> category, std::string type) {
  auto& m = machine(id);
  m.category = category;
  m.type = std::move(type);
}

void MachineFloor::restore_link(const MachineLink& link) { machine(link.machine_id).link = link; }

void MachineFloor::restore_hold(const std::string& id) { machine(id).held = true; }

std::optional<protocol::Category> MachineFloor::category_of(const std::string& id) const {
  auto it = machines_.find(id);
  return it == machines_.end() ? std::nullopt : it->second.category;
}

void MachineFloor::note_state(MachineInfo& m, MachineState before, FloorChanges& out) {
  if (m.effective_state() != before) out.state_changes.emplace_back(m.id, m.effective_state());
}

void MachineFloor::end_link(MachineInfo& m, WallTime now, const char* by, FloorChanges& out, bool tell_machine) {
  if (!m.link) return;
  out.links_ended.push_back({*m.link, ms(now), by, m.category});
  m.link.reset();
  if (tell_machine) {
    out.commands.emplace_back(m.id, protocol::Command{"u-" + std::to_string(++command_counter_), protocol::CommandKind::unlink, ms(now)});
  }
}

FloorChanges MachineFloor::on_cloud_command(const std::string& id, protocol::CommandKind kind, WallTime now) {
  FloorChanges out;
  if (machines_.find(id) == machines_.end()) return out;  // not a machine of this branch
  auto& m = machine(id);
  const auto before = m.effective_state();
  if (kind == protocol::CommandKind::unlink) {
    end_link(m, now, "app", out, true);
  } else {
    if (kind == protocol::CommandKind::set_maintenance) end_link(m, now, "maintenance", out, false);
    const bool hold = kind == protocol::CommandKind::set_maintenance;
    if (kind != protocol::CommandKind::poll && m.held != hold) {
      m.held = hold;
      out.holds.emplace_back(id, hold);
    }
    out.commands.emplace_back(m.id, protocol::Command{"c-" + std::to_string(++command_counter_), kind, ms(now)});
  }
  note_state(m, before, out);
  return out;
}

FloorChanges MachineFloor::on_status(const std::string& id, const protocol::MachineStatus& status, WallTime now) {
  FloorChanges out;
  auto& m = machine(id);
  auto before = m.effective_state();
  const bool was_in_use = m.reported == MachineState::in_use;
  m.reported = status.state;
  if (status.category) m.category = status.category;
  if (status.type) m.type = *status.type;
  // A last will is the broker speaking for a machine that is gone: not a sign of life.
  if (status.state != MachineState::offline) {
    m.heard = true;
    m.silent = false;
    m.last_heard_ms = ms(now);
  }
  if (unavailable(status.state)) {
    end_link(m, now, status.state == MachineState::offline ? "machine_offline" : "maintenance", out, false);
  } else if (status.state == MachineState::idle && m.link && status.link_id && *status.link_id != m.link->id) {
    // The machine serves another link than ours (e.g. it rebooted): ours is over.
    end_link(m, now, "unlink", out, false);
  } else if (status.state == MachineState::idle && m.link && was_in_use) {
    // In use, then idle: the machine says the member is done (before they start, a linked
    // machine is idle and the link stays). Its last workout may still be on its way, on
    // the other connection: attribution.hpp keeps it the member's.
    end_link(m, now, "machine", out, false);
  }
  note_state(m, before, out);
  return out;
}

FloorChanges MachineFloor::on_activity(const std::string& id, bool keeps_link, WallTime now) {
  FloorChanges out;
  auto& m = machine(id);
  auto before = m.effective_state();
  if (!m.heard && m.reported == MachineState::offline) m.reported = MachineState::idle;  // alive before its first status
  m.heard = true;
  m.silent = false;
  m.last_heard_ms = ms(now);
  if (keeps_link && m.link) m.link->last_activity_ms = ms(now);
  note_state(m, before, out);
  return out;
}

FloorChanges MachineFloor::on_auth(const std::string& id, const protocol::MachineAuth& auth, WallTime now, std::string new_link_id,
                                   const DoorView& view, const QrCheck& qr) {
  FloorChanges out;
  auto& m = machine(id);
  auto reply = [&](Reason r, std::optional<std::string> link_id = std::nullopt, std::optional<std::string> name = std::nullopt) {
    out.auth_reply = {id, protocol::AuthReply{auth.req_id, r == Reason::ok ? protocol::AuthResult::linked : protocol::AuthResult::denied,
                                              r, std::move(link_id), std::move(name)}};
    return out;
  };
  auto who = identify(auth.credential, now, view, qr);
  if (!who.member) return reply(who.refusal);
  const auto& member = who.member;
  const auto& qr_id = who.qr;
  auto name = member->display_name.empty() ? std::nullopt : std::optional<std::string>(member->display_name);
  if (member->account_suspended) return reply(Reason::account_suspended, std::nullopt, name);
  // Machines are for members inside: the door checked their membership on the way in.
  auto session = view.open_session(member->id);
  if (!session || session->branch_id != branch_id_) return reply(Reason::not_inside, std::nullopt, name);
  if (auto why = entitlement(*member, view.memberships_of(member->id), branch_id_, ms(now))) {
    return reply(*why == Reason::account_suspended ? Reason::account_suspended : Reason::no_active_membership, std::nullopt, name);
  }
  if (m.held || m.silent || unavailable(m.reported)) return reply(Reason::machine_unavailable, std::nullopt, name);
  if (m.link) {
    if (m.link->member_id != member->id) return reply(Reason::machine_busy, std::nullopt, name);
    m.link->last_activity_ms = ms(now);  // a second tap by the same member keeps the link
    return reply(Reason::ok, m.link->id, name);
  }
  // One machine at a time: a member who taps a new machine has moved on from the old one.
  for (auto& [other_id, other] : machines_) {
    if (other_id == id || !other.link || other.link->member_id != member->id) continue;
    auto other_before = other.effective_state();
    end_link(other, now, "member_moved", out, true);
    note_state(other, other_before, out);
  }
  auto before = m.effective_state();
  m.link = MachineLink{std::move(new_link_id), id, member->id, session->id, ms(now), ms(now)};
  out.links_started.push_back(*m.link);
  out.qr_to_mark_used = qr_id;
  note_state(m, before, out);
  return reply(Reason::ok, m.link->id, name);
}

FloorChanges MachineFloor::on_maintenance(const std::string& id, const protocol::Maintenance& report, WallTime now) {
  FloorChanges out;
  auto& m = machine(id);
  m.heard = true;
  m.silent = false;
  m.last_heard_ms = ms(now);
  if (!protocol::takes_out_of_service(report.severity)) return out;
  auto before = m.effective_state();
  m.reported = MachineState::maintenance;
  end_link(m, now, "maintenance", out, false);
  note_state(m, before, out);
  return out;
}

FloorChanges MachineFloor::on_member_left(const std::string& member_id, WallTime now) {
  FloorChanges out;
  for (auto& [id, m] : machines_) {
    if (!m.link || m.link->member_id != member_id) continue;
    auto before = m.effective_state();
    end_link(m, now, "member_left", out, true);
    note_state(m, before, out);
  }
  return out;
}

FloorChanges MachineFloor::tick(WallTime now, const std::string& poll_req_prefix) {
  FloorChanges out;
  const auto t = ms(now);
  for (auto& [id, m] : machines_) {
    auto before = m.effective_state();
    if (m.heard && !m.silent && t - m.last_heard_ms >= timings_.offline_after.count()) {
      m.silent = true;
      end_link(m, now, "machine_offline", out, false);
    }
    // Poll machines not heard from lately (and those never heard: their status may be lost).
    bool quiet = !m.heard || t - m.last_heard_ms >= timings_.poll_after.count();
    if (quiet && t - m.last_poll_ms >= timings_.poll_after.count()) {
      m.last_poll_ms = t;
      out.commands.emplace_back(id, protocol::Command{poll_req_prefix + std::to_string(++command_counter_), protocol::CommandKind::poll, t});
    }
    if (m.link && t - m.link->last_activity_ms >= timings_.link_idle.count()) end_link(m, now, "idle", out, true);
    note_state(m, before, out);
  }
  return out;
}

}  // namespace spotter::edge
