#include "sessions.hpp"

#include <map>

#include "../../core/fields.hpp"
#include "events.hpp"

namespace spotter::cloud::sessions {

SessionsDomain::SessionsDomain(Platform& platform, org::OrgDomain& org) : platform_(platform), org_(org), store_(platform.db), attendance_(platform.db) {}

Status SessionsDomain::start_visit(const Visit& v) {
  return platform_.db.atomically([&]() -> Status {
    SPOTTER_SQL(store_.insert(v));
    return platform_.events.publish({events::kVisitStarted,
                                     {{"session_id", v.id}, {"user_id", v.user_id}, {"branch_id", v.branch_id}, {"started_at_ms", v.started_at},
                                      {"source", v.source}}});
  });
}

Status SessionsDomain::publish_ended(const Visit& v) {
  return platform_.events.publish({events::kVisitEnded,
                                   {{"session_id", v.id}, {"user_id", v.user_id}, {"branch_id", v.branch_id}, {"started_at_ms", v.started_at},
                                    {"ended_at_ms", v.ended_at.value_or(v.started_at)}, {"ended_by", v.ended_by.value_or("")}}});
}

Result<bool> SessionsDomain::end_visit(const Visit& visit, std::int64_t ended_at, const std::string& ended_by) {
  bool ended = false;
  auto tx = platform_.db.atomically([&]() -> Status {
    auto r = store_.end(visit.id, ended_at, ended_by);
    if (!r) return Unexpected<Error>{r.error()};
    ended = *r;
    if (!ended) return {};
    Visit closed = visit;
    closed.status = "ended";
    closed.ended_at = std::max(ended_at, visit.started_at);
    closed.ended_by = ended_by;
    return publish_ended(closed);
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return ended;
}

Result<std::optional<Visit>> SessionsDomain::end_own_visit(const std::string& user_id, std::int64_t ended_at, const std::string& ended_by) {
  std::optional<Visit> ended;
  auto tx = platform_.db.atomically([&]() -> Status {
    auto r = store_.end_active_of(user_id, ended_at, ended_by);
    if (!r) return Unexpected<Error>{r.error()};
    ended = *r;
    return ended ? publish_ended(*ended) : Status{};
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return ended;
}

Result<int> SessionsDomain::auto_end() {
  const std::int64_t now = platform_.now_ms();
  auto active = store_.all_active();
  if (!active) return Unexpected<Error>{active.error()};
  std::map<std::string, std::shared_ptr<const BranchCalendar>> calendars;
  int ended = 0;
  for (const auto& v : *active) {
    if (!calendars.count(v.branch_id)) {
      auto cal = org_.calendar(v.branch_id);
      calendars[v.branch_id] = cal ? *cal : nullptr;
    }
    const auto& calendar = calendars[v.branch_id];
    if (!calendar) continue;
    auto due = session_auto_end(v.started_at, now, *calendar);
    if (!due) continue;
    auto closed = end_visit(v, due->ended_at_ms, due->ended_by);
    if (!closed) return Unexpected<Error>{closed.error()};
    if (*closed) {
      ++ended;
      platform_.outbox.notify(v.user_id, "session_auto_ended",
                              {{"session_id", v.id}, {"ended_by", due->ended_by}, {"ended_at", rfc3339(due->ended_at_ms)}});
    }
  }
  return ended;
}

void SessionsDomain::jobs(JobTable& table) {
  table.add("session_auto_end", [this] { return auto_end(); });
}

void SessionsDomain::gateway_events(GatewayEventTable& table) {
  table.add("session_started", [this](const GatewayOrigin& g, std::int64_t, const Json& b) { return door_entry(g, b); });
  table.add("session_ended", [this](const GatewayOrigin& g, std::int64_t, const Json& b) { return door_exit(g, b); });
}

Result<Applied> SessionsDomain::door_entry(const GatewayOrigin& g, const Json& b) {
  auto id = id_field(b, "session_id");
  auto member = id_field(b, "member_id");
  auto started = time_field(b, "started_at_ms");
  if (!id || !member || !started) return quarantine("malformed session_started");
  if (auto branch = id_field(b, "branch_id"); branch && *branch != g.branch_id) return quarantine("session of another branch");
  auto known = store_.resolve(*id);
  if (!known) return Unexpected<Error>{known.error()};
  if (*known) return Applied{false, "already known"};
  auto known_member = org_.user_exists(*member);
  if (!known_member) return Unexpected<Error>{known_member.error()};
  if (!*known_member) return quarantine("unknown member " + *member);
  auto active = store_.active_of(*member);
  if (!active) return Unexpected<Error>{active.error()};
  if (*active) {
    // One active visit per member: the door's entry joins the one already open (an app
    // start, or an entry through another gateway).
    SPOTTER_SQL(store_.add_alias(*id, (*active)->id));
    return Applied{false, "merged into " + (*active)->id};
  }
  SPOTTER_SQL(start_visit(Visit{.id = *id, .user_id = *member, .branch_id = g.branch_id, .status = "active", .source = "door",
                                .started_at = *started, .ended_at = {}, .ended_by = {}}));
  return Applied{};
}

Result<Applied> SessionsDomain::door_exit(const GatewayOrigin& g, const Json& b) {
  auto id = id_field(b, "session_id");
  auto ended = time_field(b, "ended_at_ms");
  if (!id || !ended) return quarantine("malformed session_ended");
  std::string by = text_field(b, "ended_by", 32, "door");
  if (by != "door" && by != "timeout" && by != "closing") by = "door";
  auto target = store_.resolve(*id);
  if (!target) return Unexpected<Error>{target.error()};
  if (!*target) return quarantine("unknown session " + *id);
  auto visit = store_.visit(**target);
  if (!visit) return Unexpected<Error>{visit.error()};
  // A gateway ends the visits of its own branch only.
  if (*visit && (*visit)->branch_id != g.branch_id) return quarantine("session of another branch");
  // The first end wins: an app or job end already recorded stays.
  if (*visit && (*visit)->status == "active") {
    auto closed = end_visit(**visit, *ended, by);
    if (!closed) return Unexpected<Error>{closed.error()};
  }
  return Applied{};
}

}  // namespace spotter::cloud::sessions
