// Gym sessions (seed 000 story 3.1): start with branch and membership validation, one active
// per member, end, current, history, analytics.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "sessions.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::sessions {
namespace {

HttpResponse entry_problem(org::Entry entry) {
  switch (entry) {
    case org::Entry::no_membership: return problem(403, "no-membership", "no active membership");
    case org::Entry::suspended: return problem(403, "suspended", "the membership is suspended");
    case org::Entry::branch_not_allowed: return problem(403, "branch-not-allowed", "the membership does not open this branch");
    case org::Entry::allowed: break;
  }
  return problem(500, "internal", "entry allowed");
}

}  // namespace

void SessionsDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (SessionsDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/sessions/start", Access::user, bind(&SessionsDomain::start),
         "Start a gym session (membership, branch and opening hours checked; one active per member)", "member (own), staff for a member"});
  t.add({"POST", "/api/sessions/end", Access::user, bind(&SessionsDomain::end), "End a gym session; its machine links end too", "member (own), staff"});
  t.add({"GET", "/api/sessions/current", Access::user, bind(&SessionsDomain::current), "The active session with machine links and live duration",
         "member; staff with ?user_id="});
  t.add({"GET", "/api/sessions/history", Access::user, bind(&SessionsDomain::history), "Past sessions, newest first; filters from, to, branch_id, user_id",
         "member (own), staff"});
  t.add({"GET", "/api/analytics/sessions", Access::user, bind(&SessionsDomain::analytics),
         "Visits per hour and weekday (branch time), average duration, peak hours", "admin, trainer (own branches)"});
  attendance_routes(t);
}

Json SessionsDomain::visit_json(const Visit& v) const {
  return {{"id", v.id},
          {"user_id", v.user_id},
          {"branch_id", v.branch_id},
          {"started_at", rfc3339(v.started_at)},
          {"ended_at", rfc3339_or_null(v.ended_at)},
          {"status", v.status},
          {"ended_by", v.ended_by ? Json(*v.ended_by) : Json(nullptr)},
          {"source", v.source},
          {"duration_s", (v.ended_at.value_or(platform_.now_ms()) - v.started_at) / 1000}};
}

Try<Json> SessionsDomain::visit_view(const Visit& v) {
  Json s = visit_json(v);
  s["machines"] = Json::array();
  if (machines_) {
    SPOTTER_TRY(machines, checked(platform_.log, machines_->machines_of_visit(v.id), "machine links"));
    s["machines"] = std::move(machines);
  }
  return s;
}

HttpResponse SessionsDomain::start(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string branch_id = f.id("branch_id");
  auto credential = org::read_credential("credential", f);
  auto for_user = f.optional_id("user_id");
  if (who.is_staff() && !credential && !for_user && !f.raw("credential")) f.add_error("credential", "staff start a session with the member's credential or user_id");
  if (!f.ok()) return f.problem();
  std::string user_id = who.id;
  if (credential) {
    SPOTTER_TRY(owner, org_.resolve_credential(*credential));
    user_id = owner;
  } else if (for_user) {
    user_id = *for_user;
  }
  if (who.role == Role::member && user_id != who.id) return forbidden("members start their own sessions");
  SPOTTER_TRY(calendar, checked(platform_.log, org_.calendar(branch_id), "branch"));
  if (!calendar) return not_found("branch");
  if (who.is_staff() && !who.manages_branch(branch_id)) return forbidden("not one of your branches");
  SPOTTER_TRY(branch, checked(platform_.log, org_.branch(branch_id), "branch"));
  if (branch && !branch->active) return problem(409, "branch-inactive", "the branch is closed for good; no visit starts there");
  if (who.is_staff()) {
    SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, user_id), "user"));
    if (access == org::UserAccess::not_found) return not_found("user");
  }
  const std::int64_t now = platform_.now_ms();
  SPOTTER_TRY(entry, checked(platform_.log, org_.entry(user_id, branch_id, now), "memberships"));
  if (entry != org::Entry::allowed) return entry_problem(entry);
  if (!calendar->is_open(WallTime{std::chrono::milliseconds(now)})) return problem(403, "branch-closed", "the branch is closed now");
  Visit v{.id = new_id("ses", now), .user_id = user_id, .branch_id = branch_id, .status = "active",
          .source = who.is_staff() ? "front_desk" : "app", .started_at = now, .ended_at = {}, .ended_by = {}};
  if (auto r = start_visit(v); !r) {
    if (r.error().code == sql_error::conflict) return problem(409, "already-inside", "this member already has an active session");
    return storage_failure(platform_.log, r.error(), "session");
  }
  // The audit log holds staff actions and auth events; a member's own visit is the session row.
  if (who.is_staff()) platform_.audit.record(ctx, "session.start", v.id, {{"user_id", user_id}, {"branch_id", branch_id}});
  // The row as inserted: no need to read it back. A session this new has no machine links.
  Json session = visit_json(v);
  session["machines"] = Json::array();
  return json_response(201, session);
}

HttpResponse SessionsDomain::end(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  auto session_id = f.optional_id("session_id");
  if (who.is_staff() && !session_id) f.add_error("session_id", "staff end a session by its id");
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  if (!session_id) {
    // A member leaving: their own active visit, ended in one statement.
    SPOTTER_TRY(own, checked(platform_.log, end_own_visit(who.id, now, "member"), "session"));
    if (!own) return not_found("active session");
    SPOTTER_TRY(session, visit_view(*own));
    return json_response(200, session);
  }
  SPOTTER_TRY(found, checked(platform_.log, store_.visit(*session_id), "session"));
  if (!found) return not_found("session");
  Visit v = *found;
  if (who.role == Role::member && v.user_id != who.id) return not_found("session");
  if (who.is_staff() && !who.manages_branch(v.branch_id)) return forbidden("not one of your branches");
  if (v.status != "active") return problem(409, "already-ended", "this session has ended");
  const std::string ended_by = who.is_staff() ? "staff" : "member";
  SPOTTER_TRY(ended, checked(platform_.log, end_visit(v, now, ended_by), "session"));
  if (!ended) return problem(409, "already-ended", "this session has ended");
  if (who.is_staff()) platform_.audit.record(ctx, "session.end", v.id, {{"user_id", v.user_id}});
  v.ended_at = now;
  v.status = "ended";
  v.ended_by = ended_by;
  SPOTTER_TRY(session, visit_view(v));
  return json_response(200, session);
}

HttpResponse SessionsDomain::current(RequestContext& ctx) {
  std::string user_id = ctx.who().id;
  if (ctx.who().is_staff() && !ctx.req.query_param("user_id").empty()) {
    user_id = std::string(ctx.req.query_param("user_id"));
    SPOTTER_TRY(access, checked(platform_.log, org_.user_access(ctx.who(), user_id), "user"));
    if (access != org::UserAccess::ok) return org::user_access_problem(access);
  }
  SPOTTER_TRY(active, checked(platform_.log, store_.active_of(user_id), "session"));
  if (!active) return problem(404, "no-active-session", "no active session");
  SPOTTER_TRY(session, visit_view(*active));
  return json_response(200, session);
}

HttpResponse SessionsDomain::history(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(page, read_page(ctx.req));
  HistoryQuery q{.user_id = std::string(ctx.req.query_param("user_id")), .branch_id = std::string(ctx.req.query_param("branch_id")),
                 .from = {}, .to = {}, .before_id = page.after, .limit = page.limit + 1};
  if (who.role == Role::member) {
    if (!q.user_id.empty() && q.user_id != who.id) return forbidden("members see their own history");
    q.user_id = who.id;
  } else if (q.user_id.empty() && q.branch_id.empty()) {
    return validation_problem({{"user_id", "staff filter by user_id or branch_id"}});
  }
  if (!q.branch_id.empty() && who.is_staff() && !who.manages_branch(q.branch_id)) return forbidden("not one of your branches");
  if (!q.user_id.empty() && who.is_staff() && q.branch_id.empty()) {
    SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, q.user_id), "user"));
    if (access != org::UserAccess::ok) return org::user_access_problem(access);
  }
  for (auto [name, target] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
    if (auto text = ctx.req.query_param(name); !text.empty()) {
      auto t = parse_rfc3339_ms(text);
      if (!t) return validation_problem({{name, "must be an RFC 3339 time"}});
      *target = *t;
    }
  }
  SPOTTER_TRY(rows, checked(platform_.log, store_.history(q), "sessions"));
  Json items = Json::array();
  for (const auto& v : rows) items.push_back(visit_json(v));
  return json_response(200, page_json(std::move(items), page, [](const Json& s) { return s["id"].get<std::string>(); }));
}

HttpResponse SessionsDomain::analytics(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden("analytics are for staff");
  std::string branch_id(ctx.req.query_param("branch_id"));
  if (branch_id.empty()) return validation_problem({{"branch_id", "is required"}});
  if (!ctx.who().manages_branch(branch_id)) return forbidden("not one of your branches");
  const std::int64_t now = platform_.now_ms();
  std::int64_t from = now - 30LL * 86'400'000, to = now;
  for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (auto text = ctx.req.query_param(name); !text.empty()) {
      auto t = parse_rfc3339_ms(text);
      if (!t) return validation_problem({{name, "must be an RFC 3339 time"}});
      *target = *t;
    }
  }
  if (to <= from) return validation_problem({{"to", "must be after from"}});
  SPOTTER_TRY(branch, checked(platform_.log, org_.branch(branch_id), "branch"));
  if (!branch) return not_found("branch");
  auto zone = load_time_zone(branch->timezone);
  if (!zone) return storage_failure(platform_.log, Error{"sql", "time zone"}, "branch time zone");
  SPOTTER_TRY(samples, checked(platform_.log, store_.samples(branch_id, from, to), "sessions"));
  Json out = session_analytics(samples, **zone);
  out["branch_id"] = branch_id;
  out["from"] = rfc3339(from);
  out["to"] = rfc3339(to);
  return json_response(200, out);
}

}  // namespace spotter::cloud::sessions
