// Attendance (cloud-api-2.md "Chain operations"): who came to a branch on a day, what a
// member's visits add up to, and staff corrections, audited: a manual visit for a member
// who came without scanning, and a corrected end. Read from the gym sessions that doors,
// the app and the desk start; a manual visit is one of them (source "manual") and is
// published like any other, so points and challenges count it.
#include <set>

#include "../../core/dates.hpp"
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "rules_attendance.hpp"
#include "events.hpp"
#include "sessions.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::sessions {

namespace {
// A required RFC 3339 time: named when absent, null or malformed.
std::optional<std::int64_t> required_time(Fields& f, const char* name) {
  const Json* raw = f.raw(name);
  auto t = f.optional_time_ms(name);
  if (!t && (!raw || raw->is_null())) f.add_error(name, "is required (RFC 3339)");
  return t;
}
// [start, end) of a local date in `zone`, as instants.
std::pair<std::int64_t, std::int64_t> day_range(const TimeZone& zone, std::int64_t day) {
  auto at = [&](std::int64_t d) {
    const auto c = civil_from_days(d);
    return zone.to_instant(static_cast<int>(c.year), static_cast<int>(c.month), static_cast<int>(c.day), 0).time_since_epoch().count();
  };
  return {at(day), at(day + 1)};
}
std::int64_t local_day(const TimeZone& zone, std::int64_t at_ms) {
  const auto l = zone.to_local(WallTime{std::chrono::milliseconds(at_ms)});
  return days_from_civil(l.year, static_cast<unsigned>(l.month), static_cast<unsigned>(l.day));
}
// A date (in `zone`) or an RFC 3339 time; nullopt when it is neither.
std::optional<std::int64_t> day_param(std::string_view v, const TimeZone& zone) {
  if (auto d = parse_date(v)) return d;
  if (auto t = parse_rfc3339_ms(v)) return local_day(zone, *t);
  return std::nullopt;
}
}  // namespace

void SessionsDomain::attendance_routes(RouteTable& t) {
  auto bind = [this](HttpResponse (SessionsDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"GET", "/api/attendance/daily", Access::user, bind(&SessionsDomain::daily_attendance),
         "Visits started at a branch on a local date (?branch_id=&date=, default today): visits (user_id, started_at, ended_at, duration_s), "
         "count, unique_members",
         "staff of the branch"});
  t.add({"GET", "/api/users/{id}/attendance/summary", Access::user, bind(&SessionsDomain::attendance_summary),
         "A member's visits from..to (dates in their time zone; default the last 30 days): visits, total and average duration, last_visit_at, "
         "visits_by_weekday",
         "staff for their members; member (own)"});
  t.add({"POST", "/api/sessions/manual", Access::user, bind(&SessionsDomain::manual_visit),
         "Record a visit after the fact: user_id, branch_id, started_at, ended_at, reason (audited; 409 if it overlaps another)", "staff of the branch"});
  t.add({"PATCH", "/api/sessions/{id}", Access::user, bind(&SessionsDomain::correct_visit),
         "Correct a visit's end: ended_at, reason (audited; ends it if still in progress)", "staff of its branch"});
}

HttpResponse SessionsDomain::daily_attendance(RequestContext& ctx) {
  const Caller& who = ctx.who();
  const std::string branch_id(ctx.req.query_param("branch_id"));
  if (!is_valid_id(branch_id)) return validation_problem({{"branch_id", "required: the branch's id"}});
  if (!who.manages_branch(branch_id)) return forbidden("only the branch's staff see its attendance");
  SPOTTER_TRY(calendar, checked(platform_.log, org_.calendar(branch_id), "calendar"));
  if (!calendar) return not_found("branch");
  const std::int64_t now = platform_.now_ms();
  std::int64_t day = local_day(calendar->zone(), now);
  if (auto d = ctx.req.query_param("date"); !d.empty()) {
    auto parsed = day_param(d, calendar->zone());
    if (!parsed) return validation_problem({{"date", "must be a date (2026-03-02) or an RFC 3339 time"}});
    day = *parsed;
  }
  const auto [from, to] = day_range(calendar->zone(), day);
  SPOTTER_TRY(rows, checked(platform_.log, attendance_.started_at_branch(branch_id, from, to), "attendance"));
  Json visits = Json::array();
  std::set<std::string_view> members;
  for (const auto& v : rows) {
    members.insert(v.user_id);
    const std::int64_t end = v.ended_at.value_or(std::max(now, v.started_at));
    visits.push_back({{"session_id", v.id},
                      {"user_id", v.user_id},
                      {"started_at", rfc3339(v.started_at)},
                      {"ended_at", rfc3339_or_null(v.ended_at)},
                      {"duration_s", (end - v.started_at) / 1000},
                      {"source", v.source}});
  }
  return json_response(200, {{"branch_id", branch_id},
                             {"date", format_date(day)},
                             {"count", rows.size()},
                             {"unique_members", members.size()},
                             {"visits", std::move(visits)}});
}

HttpResponse SessionsDomain::attendance_summary(RequestContext& ctx) {
  const Caller& who = ctx.who();
  const std::string user_id = ctx.param("id") == "me" ? who.id : ctx.param("id");
  SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, user_id), "user"));
  if (access != org::UserAccess::ok) return org::user_access_problem(access);
  SPOTTER_TRY(home, checked(platform_.log, org_.home_calendar(user_id), "calendar"));
  static const auto utc = load_time_zone("UTC");
  if (!home && !utc) return storage_failure(platform_.log, Error{std::string(sql_error::sql), "no UTC zone (tzdata)"}, "calendar");
  const TimeZone& zone = home ? home->zone() : **utc;
  const std::int64_t now = platform_.now_ms(), today = local_day(zone, now);
  std::int64_t from = today - 29, to = today;
  std::vector<FieldError> errors;
  for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    const auto v = ctx.req.query_param(name);
    if (v.empty()) continue;
    if (auto d = day_param(v, zone)) *target = *d;
    else errors.push_back({name, "must be a date (2026-03-02) or an RFC 3339 time"});
  }
  if (!errors.empty()) return validation_problem(errors);
  if (to < from) return validation_problem({{"to", "must not be before from"}});
  if (to - from > 5 * 366) return validation_problem({{"from", "spans more than five years"}});
  SPOTTER_TRY(rows, checked(platform_.log, attendance_.of_member(user_id, day_range(zone, from).first, day_range(zone, to).second), "attendance"));
  std::vector<VisitSpan> spans;
  for (const auto& v : rows) spans.push_back({v.started_at, v.ended_at, local_day(zone, v.started_at)});
  const auto s = summarize(spans, now);
  Json weekdays = Json::object();
  for (std::size_t i = 0; i < 7; ++i) weekdays[kWeekdays[i]] = s.by_weekday[i];
  return json_response(200, {{"user_id", user_id},
                             {"from", format_date(from)},
                             {"to", format_date(to)},
                             {"visits", s.visits},
                             {"total_duration_s", s.total_duration_s},
                             {"average_duration_s", s.average_duration_s},
                             {"last_visit_at", rfc3339_or_null(s.last_visit_at)},
                             {"visits_by_weekday", weekdays}});
}

HttpResponse SessionsDomain::manual_visit(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden("staff record visits by hand");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  Visit v;
  v.user_id = f.id("user_id");
  v.branch_id = f.id("branch_id");
  const auto started = required_time(f, "started_at"), ended = required_time(f, "ended_at");
  const std::string reason = f.text("reason", 200);
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  if (auto p = manual_span_problem(*started, *ended, now)) return validation_problem({{p->field, p->message}});
  if (!who.manages_branch(v.branch_id)) return forbidden("only the branch's staff record its visits");
  SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, v.user_id), "user"));
  if (access == org::UserAccess::not_found) return validation_problem({{"user_id", "no such member"}});
  if (access != org::UserAccess::ok) return org::user_access_problem(access);
  v.id = new_id("ses", now);
  v.status = "ended";
  v.source = "manual";
  v.started_at = *started;
  v.ended_at = *ended;
  v.ended_by = "staff";
  std::optional<HttpResponse> refused;
  auto tx = platform_.db.atomically([&]() -> Status {
    SPOTTER_SQL(attendance_.lock_member(v.user_id));
    auto overlap = attendance_.overlaps(v.user_id, v.started_at, *v.ended_at, now, v.id);
    if (!overlap) return Unexpected<Error>{overlap.error()};
    if (*overlap) return refused = problem(409, "visit-overlaps", "the member has another visit in that time"), Status{};
    SPOTTER_SQL(attendance_.insert_closed(v));
    SPOTTER_SQL(platform_.events.publish({events::kVisitStarted,
                                          {{"session_id", v.id}, {"user_id", v.user_id}, {"branch_id", v.branch_id}, {"started_at_ms", v.started_at},
                                           {"source", v.source}}}));
    SPOTTER_SQL(publish_ended(v));
    platform_.audit.record(ctx, "session.manual", v.id,
                           {{"user_id", v.user_id}, {"branch_id", v.branch_id}, {"started_at", rfc3339(v.started_at)}, {"ended_at", rfc3339(*v.ended_at)},
                            {"reason", reason}});
    return {};
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "visit");
  if (refused) return *refused;
  return json_response(201, visit_json(v));
}

HttpResponse SessionsDomain::correct_visit(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden("staff correct visits");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  const auto ended = required_time(f, "ended_at");
  const std::string reason = f.text("reason", 200);
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(found, checked(platform_.log, store_.visit(ctx.param("id")), "visit"));
  if (!found || !who.manages_branch(found->branch_id)) return not_found("session");
  const std::int64_t now = platform_.now_ms();
  if (auto p = manual_span_problem(found->started_at, *ended, now)) return validation_problem({{p->field, p->message}});
  std::optional<HttpResponse> refused;
  auto tx = platform_.db.atomically([&]() -> Status {
    SPOTTER_SQL(attendance_.lock_member(found->user_id));
    auto overlap = attendance_.overlaps(found->user_id, found->started_at, *ended, now, found->id);
    if (!overlap) return Unexpected<Error>{overlap.error()};
    if (*overlap) return refused = problem(409, "visit-overlaps", "the member has another visit in that time"), Status{};
    if (found->status == "active") {
      // Still in progress: this ends it, as any end does (links and points follow).
      auto ended_now = end_visit(*found, *ended, "staff");
      if (!ended_now) return Unexpected<Error>{ended_now.error()};
    } else {
      auto moved = attendance_.move_end(found->id, *ended, "staff");
      if (!moved) return Unexpected<Error>{moved.error()};
    }
    platform_.audit.record(ctx, "session.correct_end", found->id,
                           {{"user_id", found->user_id}, {"from", rfc3339_or_null(found->ended_at)}, {"to", rfc3339(*ended)}, {"reason", reason}});
    return {};
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "visit");
  if (refused) return *refused;
  SPOTTER_TRY(now_visit, checked(platform_.log, store_.visit(found->id), "visit"));
  return json_response(200, visit_json(now_visit ? *now_visit : *found));
}

}  // namespace spotter::cloud::sessions
