// What a branch gateway reports of its machines (docs/sync.md): links, statuses,
// maintenance and workouts. Inside the upload batch's transaction.
#include "../../core/fields.hpp"
#include "machines.hpp"
#include "rules.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::cloud::machines {

void MachinesDomain::gateway_events(GatewayEventTable& table) {
  table.add("link_started", [this](const GatewayOrigin& g, std::int64_t, const Json& b) { return link_started(g, b); });
  table.add("link_ended", [this](const GatewayOrigin& g, std::int64_t, const Json& b) { return link_ended(g, b); });
  table.add("machine_status", [this](const GatewayOrigin& g, std::int64_t at, const Json& b) { return machine_status(g, at, b); });
  table.add("maintenance", [this](const GatewayOrigin& g, std::int64_t at, const Json& b) { return maintenance_report(g, at, b); });
  table.add("workout", [this](const GatewayOrigin& g, std::int64_t at, const Json& b) { return workout(g, at, b); });
}

Result<Applied> MachinesDomain::link_started(const GatewayOrigin& g, const Json& b) {
  auto id = id_field(b, "link_id");
  auto machine = id_field(b, "machine_id");
  auto member = id_field(b, "member_id");
  auto started = time_field(b, "started_at_ms");
  if (!id || !machine || !member || !started) return quarantine("malformed link_started");
  auto ours = store_.of_branch(*machine, g.branch_id);
  if (!ours) return Unexpected<Error>{ours.error()};
  if (!*ours) return quarantine("unknown machine " + *machine);
  auto known_member = org_.user_exists(*member);
  if (!known_member) return Unexpected<Error>{known_member.error()};
  if (!*known_member) return quarantine("unknown member " + *member);
  auto known = store_.link(*id);
  if (!known) return Unexpected<Error>{known.error()};
  if (*known) return Applied{false, "already known"};
  std::optional<std::string> session;
  if (auto sid = id_field(b, "session_id")) {
    auto resolved = sessions_.resolve(*sid);
    if (!resolved) return Unexpected<Error>{resolved.error()};
    session = *resolved;
  }
  // The machine is the truth about who is on it: a link it reports replaces any other.
  auto replaced = store_.active_links_of_machine_or_user(*machine, *member);
  if (!replaced) return Unexpected<Error>{replaced.error()};
  for (const auto& l : *replaced)
    if (auto r = end_link(l, *started, "superseded"); !r) return Unexpected<Error>{r.error()};
  const Link link{.id = *id, .machine_id = *machine, .user_id = *member, .session_id = session, .started_at = *started};
  SPOTTER_SQL(store_.insert_link(link));
  SPOTTER_SQL(store_.leave_queue(*machine, *member));
  // Workouts of this link that came first (the bulk lane overtook the live one) are hers now.
  auto waiting = store_.attribute_waiting(link);
  if (!waiting) return Unexpected<Error>{waiting.error()};
  for (const auto& w : *waiting) SPOTTER_SQL(workout_recorded(w));
  SPOTTER_SQL(changed(*machine, g.branch_id));
  return Applied{};
}

Result<Applied> MachinesDomain::link_ended(const GatewayOrigin& g, const Json& b) {
  auto id = id_field(b, "link_id");
  auto ended = time_field(b, "ended_at_ms");
  if (!id || !ended) return quarantine("malformed link_ended");
  auto link = store_.link(*id);
  if (!link) return Unexpected<Error>{link.error()};
  if (!*link) return quarantine("unknown link " + *id);
  // A gateway ends the links of its own branch's machines only.
  auto ours = store_.of_branch((*link)->machine_id, g.branch_id);
  if (!ours) return Unexpected<Error>{ours.error()};
  if (!*ours) return quarantine("link of another branch");
  if (auto r = end_link(**link, *ended, text_field(b, "ended_by", 32, "machine")); !r) return Unexpected<Error>{r.error()};
  return Applied{};
}

Result<Applied> MachinesDomain::machine_status(const GatewayOrigin& g, std::int64_t at, const Json& b) {
  auto machine = id_field(b, "machine_id");
  const std::string state = text_field(b, "state", 16);
  if (!machine || (state != "idle" && state != "in_use" && state != "maintenance" && state != "error" && state != "offline"))
    return quarantine("malformed machine_status");
  auto ours = store_.of_branch(*machine, g.branch_id);
  if (!ours) return Unexpected<Error>{ours.error()};
  if (!*ours) return quarantine("unknown machine " + *machine);
  const std::int64_t when = time_field(b, "at_ms").value_or(at);
  SPOTTER_SQL(store_.reported_state(*machine, state, back_in_service(state), when, platform_.now_ms()));
  if (state == "offline" || state == "maintenance" || state == "error") SPOTTER_SQL(end_active_link_of_machine(*machine, when, state));
  SPOTTER_SQL(changed(*machine, g.branch_id));
  return Applied{};
}

Result<Applied> MachinesDomain::maintenance_report(const GatewayOrigin& g, std::int64_t at, const Json& b) {
  auto machine = id_field(b, "machine_id");
  const std::string code = text_field(b, "code", 64);
  const std::string severity = text_field(b, "severity", 8);
  if (!machine || code.empty() || (severity != "info" && severity != "warn" && severity != "fault")) return quarantine("malformed maintenance");
  auto row = store_.machine(*machine);
  if (!row) return Unexpected<Error>{row.error()};
  if (!*row || (*row)->branch_id != g.branch_id) return quarantine("unknown machine " + *machine);
  // The gateway applied the same rule to the machine when the report came in. The machine's
  // own report is no staff hold: its later status puts it back.
  if (protocol::takes_out_of_service(severity_level(severity))) {
    SPOTTER_SQL(store_.set_out_of_service(*machine, true, code, (*row)->held_by_staff, platform_.now_ms()));
    SPOTTER_SQL(end_active_link_of_machine(*machine, at, "maintenance"));
  }
  if (severity != "info")
    platform_.outbox.notify(std::nullopt, "maintenance", {{"machine_id", *machine}, {"branch_id", g.branch_id}, {"code", code}, {"severity", severity}});
  SPOTTER_SQL(changed(*machine, g.branch_id));
  return Applied{};
}

Result<Applied> MachinesDomain::workout(const GatewayOrigin& g, std::int64_t at, const Json& b) {
  auto machine = id_field(b, "machine_id");
  if (!machine || !b.contains("workout") || !b["workout"].is_object()) return quarantine("malformed workout");
  auto ours = store_.of_branch(*machine, g.branch_id);
  if (!ours) return Unexpected<Error>{ours.error()};
  if (!*ours) return quarantine("unknown machine " + *machine);
  const Json& w = b["workout"];
  std::string dedup;
  if (b.contains("msg_id") && b["msg_id"].is_number_integer())
    dedup = text_field(b, "boot_id", 64, "-") + ":" + std::to_string(b["msg_id"].get<std::int64_t>());
  else if (auto link = id_field(b, "link_id"))
    dedup = "agg:" + *link;
  else
    return quarantine("workout without msg_id or link_id");
  Workout record{.id = new_id("wk", platform_.now_ms()), .machine_id = *machine, .dedup_key = dedup, .data = dump_json(w),
                 .user_id = id_field(b, "member_id"), .session_id = {}, .link_id = id_field(b, "link_id"),
                 .started_at = time_field(w, "ts_start").value_or(at), .ended_at = time_field(w, "ts_end").value_or(at)};
  // The link it names decides whose it is (docs/sync.md, "Attribution"); a link not seen
  // yet gives it its member when it comes (link_started).
  if (record.link_id) {
    auto link = store_.link(*record.link_id);
    if (!link) return Unexpected<Error>{link.error()};
    if (*link && (*link)->machine_id == *machine) {
      record.user_id = (*link)->user_id;
      record.session_id = (*link)->session_id;
    }
  }
  if (record.user_id && !record.session_id) {
    auto known_member = org_.user_exists(*record.user_id);
    if (!known_member) return Unexpected<Error>{known_member.error()};
    if (!*known_member) record.user_id.reset();
    if (auto sid = id_field(b, "session_id"); sid && record.user_id) {
      auto resolved = sessions_.resolve(*sid);
      if (!resolved) return Unexpected<Error>{resolved.error()};
      record.session_id = *resolved;
    }
  }
  auto stored = record_workout(record);
  if (!stored) return Unexpected<Error>{stored.error()};
  return Applied{};
}

}  // namespace spotter::cloud::machines
