// The machine floor: the one place machine changes are published, links end, and what
// every instance keeps in memory (availability, WebSocket pushes) is refreshed.
#include "../org/events.hpp"
#include "machines.hpp"

#include "../../core/fields.hpp"
#include "../sessions/events.hpp"
#include "events.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::cloud::machines {

protocol::Severity severity_level(std::string_view name) {
  if (name == "fault") return protocol::Severity::fault;
  return name == "warn" ? protocol::Severity::warn : protocol::Severity::info;
}

MachinesDomain::MachinesDomain(Platform& platform, org::OrgDomain& org, sessions::SessionsDomain& sessions)
    : platform_(platform), org_(org), sessions_(sessions), store_(platform.db) {
  sessions.show_machines_with(*this);
}

Status MachinesDomain::changed(const std::string& machine_id, const std::string& branch_id) {
  return platform_.events.publish({events::kChanged, {{"machine_id", machine_id}, {"branch_id", branch_id}}});
}

Status MachinesDomain::command(const std::string& machine_id, const std::string& branch_id, const std::string& kind, const Json& body) {
  return platform_.events.publish({events::kCommand, {{"machine_id", machine_id}, {"branch_id", branch_id}, {"kind", kind}, {"body", body}}});
}

Result<std::optional<std::string>> MachinesDomain::branch_of(const std::string& machine_id) {
  auto m = store_.machine(machine_id);
  if (!m) return Unexpected<Error>{m.error()};
  if (!*m) return std::optional<std::string>{};
  return std::optional<std::string>{(*m)->branch_id};
}

Status MachinesDomain::link_ended(const Link& link) {
  auto queue = store_.queue(link.machine_id);
  if (!queue) return Unexpected<Error>{queue.error()};
  if (!queue->empty())
    platform_.outbox.notify(queue->front(), "machine_free", {{"machine_id", link.machine_id}, {"message", "the machine you queued for is free"}});
  auto branch = branch_of(link.machine_id);
  if (!branch) return Unexpected<Error>{branch.error()};
  return changed(link.machine_id, branch->value_or(""));
}

Result<bool> MachinesDomain::end_link(const Link& link, std::int64_t at, const std::string& ended_by) {
  bool ended = false;
  auto tx = platform_.db.atomically([&]() -> Status {
    auto r = store_.end_link(link.id, at, ended_by);
    if (!r) return Unexpected<Error>{r.error()};
    ended = *r;
    return ended ? link_ended(link) : Status{};
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return ended;
}

Status MachinesDomain::end_active_link_of_machine(const std::string& machine_id, std::int64_t at, const std::string& ended_by) {
  auto active = store_.active_link_of_machine(machine_id);
  if (!active) return Unexpected<Error>{active.error()};
  if (!*active) return {};
  auto ended = end_link(**active, at, ended_by);
  if (!ended) return Unexpected<Error>{ended.error()};
  return {};
}

Result<bool> MachinesDomain::record_workout(const Workout& w) {
  bool stored = false;
  auto tx = platform_.db.atomically([&]() -> Status {
    auto r = store_.insert_workout(w, platform_.now_ms());
    if (!r) return Unexpected<Error>{r.error()};
    stored = r->stored;
    if (r->withdrawn) SPOTTER_SQL(platform_.events.publish({events::kWorkoutWithdrawn, {{"workout_id", *r->withdrawn}}}));
    return stored && w.user_id ? workout_recorded(w) : Status{};
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return stored;
}

Status MachinesDomain::workout_recorded(const Workout& w) {
  if (!w.user_id) return {};
  auto machine = store_.machine(w.machine_id);
  if (!machine) return Unexpected<Error>{machine.error()};
  if (!*machine) return {};
  auto record = parse_json_strict(w.data);
  return platform_.events.publish({events::kWorkoutRecorded,
                                   {{"workout_id", w.id},
                                    {"user_id", *w.user_id},
                                    {"session_id", w.session_id ? Json(*w.session_id) : Json(nullptr)},
                                    {"machine_id", w.machine_id},
                                    {"branch_id", (*machine)->branch_id},
                                    {"machine_type", (*machine)->type},
                                    {"workout", record ? *record : Json::object()},
                                    {"started_at_ms", w.started_at},
                                    {"ended_at_ms", w.ended_at}}});
}

// A visit that ended takes its links with it, and its places in the branch's queues: a
// member who left no longer holds anyone back.
Status MachinesDomain::visit_ended(const Event& e) {
  const std::string session_id = e.body.value("session_id", "");
  const std::string user_id = e.body.value("user_id", "");
  const std::int64_t at = e.body.value("ended_at_ms", platform_.now_ms());
  const std::string branch_id = e.body.value("branch_id", "");
  auto left = store_.leave_visit(session_id, user_id, branch_id, at);
  if (!left) return Unexpected<Error>{left.error()};
  for (const auto& l : left->ended)
    if (auto s = link_ended(l); !s) return s;
  for (const auto& machine_id : left->queues_left)
    if (auto s = changed(machine_id, branch_id); !s) return s;
  return {};
}

// Every instance, after the change committed: the availability answer is rebuilt on the
// next request, and WebSocket clients get the machine as it is now.
void MachinesDomain::refresh(const Event& e) {
  const std::string machine_id = e.body.value("machine_id", "");
  if (auto branch = e.body.value("branch_id", ""); !branch.empty()) availability_.invalidate(branch);
  if (!e.body.value("push", true)) return;
  auto item = store_.item(machine_id);
  if (!item) {
    platform_.log.warn("machine change not pushed", {{"machine_id", machine_id}, {"error", item.error().message}});
    return;
  }
  if (!*item) return;
  auto& [branch, event] = **item;
  availability_.invalidate(branch);
  event["type"] = "machine_status";
  event["at"] = rfc3339(platform_.now_ms());
  platform_.live.to_branch(branch, machine_id, event);
}

// The channel to the other instances was interrupted: changes may have been missed. Every
// answer is rebuilt, and every machine is pushed again as it is now.
void MachinesDomain::resync() {
  availability_.invalidate_all();
  auto all = store_.all_machines();
  if (!all) {
    platform_.log.warn("machines not pushed after a resync", {{"error", all.error().message}});
    return;
  }
  for (const auto& [id, branch] : *all) refresh(Event{events::kChanged, {{"machine_id", id}, {"branch_id", branch}}});
}

void MachinesDomain::subscribe(EventBus& bus) {
  bus.on(sessions::events::kVisitEnded, [this](const Event& e) { return visit_ended(e); });
  bus.on(org::events::kMemberErased, [this](const Event& e) { return store_.erase_member(e.body.value("user_id", "")); });
  bus.on_live(events::kChanged, [this](const Event& e) { refresh(e); });
  bus.on_live(events::kProgress, [this](const Event& e) { push_progress(e); });
  bus.on_resync([this] { resync(); });
}

Result<int> MachinesDomain::mark_silent_offline() {
  const std::int64_t now = platform_.now_ms();
  auto due = store_.silent_since(now - platform_.settings.machine_offline_after.count());
  if (!due) return Unexpected<Error>{due.error()};
  int count = 0;
  for (const auto& id : *due) {
    bool marked = false;
    auto tx = platform_.db.transaction([&]() -> Status {
      auto r = store_.mark_offline(id, now);
      if (!r) return Unexpected<Error>{r.error()};
      marked = *r;
      if (!marked) return {};
      if (auto s = end_active_link_of_machine(id, now, "offline"); !s) return s;
      auto branch = branch_of(id);
      if (!branch) return Unexpected<Error>{branch.error()};
      return changed(id, branch->value_or(""));
    });
    if (!tx) return Unexpected<Error>{tx.error()};
    if (marked) ++count;
  }
  return count;
}

void MachinesDomain::jobs(JobTable& table) {
  table.add("machine_offline", [this] { return mark_silent_offline(); });
}

Result<std::size_t> MachinesDomain::import_machines(const std::string& branch_id, const Json& list) {
  auto count = store_.import_machines(branch_id, list, platform_.now_ms());
  if (!count) return count;
  for (const auto& m : list)
    if (auto s = changed(m["id"].get<std::string>(), branch_id); !s) return Unexpected<Error>{s.error()};
  return count;
}

}  // namespace spotter::cloud::machines
