// Gym sessions (seed 000 story 3.1): start with branch and membership validation, one active
// per member, end, current, history, analytics.
#include "../core/rules.hpp"
#include "floor.hpp"
#include "people.hpp"
#include "sessions.hpp"
#include "spotter/common/ids.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

HttpResponse start_session(App& app, RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string branch_id = f.id("branch_id");
  auto credential = f.optional_text("credential", 4096);
  auto for_user = f.optional_id("user_id");
  if (who.is_staff() && !credential && !for_user) f.add_error("credential", "staff start a session with the member's credential or user_id");
  if (!f.ok()) return f.problem();
  std::string user_id = who.id;
  if (credential) {
    SPOTTER_TRY(owner, resolve_credential(app, *credential));
    user_id = owner;
  } else if (for_user) {
    user_id = *for_user;
  }
  if (who.role == Role::member && user_id != who.id) return forbidden("members start their own sessions");
  SPOTTER_TRY(calendar, load_calendar(app, branch_id));
  if (!calendar) return not_found("branch");
  if (who.is_staff() && !who.manages_branch(branch_id)) return forbidden("not one of your branches");
  if (who.is_staff()) {
    SPOTTER_TRY(access, user_access(app, who, user_id));
    if (access == UserAccess::not_found) return not_found("user");
  }
  const std::int64_t now = app.now_ms();
  SPOTTER_TRY(refusal, entry_refusal(app, user_id, branch_id, now));
  if (refusal) return *refusal;
  if (!calendar->is_open(WallTime{std::chrono::milliseconds(now)})) return problem(403, "branch-closed", "the branch is closed now");
  const std::string id = new_id("ses", now);
  const std::string source = who.is_staff() ? "front_desk" : "app";
  auto r = app.db.execute("INSERT INTO gym_sessions (id, user_id, branch_id, started_at, status, source) VALUES (?, ?, ?, ?, 'active', ?)",
                          {id, user_id, branch_id, now, source});
  if (!r) {
    if (r.error().code == "conflict") return problem(409, "already-inside", "this member already has an active session");
    return storage_failure(app, r.error(), "session");
  }
  // The audit log holds staff actions and auth events; a member's own visit is the session row.
  if (who.is_staff()) audit(app, ctx, "session.start", id, {{"user_id", user_id}, {"branch_id", branch_id}});
  // The row as inserted (kSessionColumns order): no need to read it back. A session this new
  // has no machine links.
  SqlRow row;
  row.columns = {id, user_id, branch_id, now, nullptr, std::string("active"), nullptr, source};
  Json session = session_json(row, now);
  session["machines"] = Json::array();
  return json_response(201, session);
}

HttpResponse end_session(App& app, RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  auto session_id = f.optional_id("session_id");
  if (who.is_staff() && !session_id) f.add_error("session_id", "staff end a session by its id");
  if (!f.ok()) return f.problem();
  SqlRows rows;
  if (session_id) {
    auto r = app.db.query(std::string("SELECT ") + kSessionColumns + " FROM gym_sessions WHERE id = ?", {*session_id});
    if (!r) return storage_failure(app, r.error(), "session");
    rows = std::move(r).value();
  } else {
    auto r = app.db.query(std::string("SELECT ") + kSessionColumns + " FROM gym_sessions WHERE user_id = ? AND status = 'active'", {who.id});
    if (!r) return storage_failure(app, r.error(), "session");
    rows = std::move(r).value();
  }
  if (rows.empty()) return not_found(session_id ? "session" : "active session");
  const auto& s = rows.front();
  if (who.role == Role::member && s.text(1) != who.id) return session_id ? not_found("session") : forbidden();
  if (who.is_staff() && !who.manages_branch(s.text(2))) return forbidden("not one of your branches");
  if (s.text(5) != "active") return problem(409, "already-ended", "this session has ended");
  const std::int64_t now = app.now_ms();
  const std::string ended_by = who.is_staff() ? "staff" : "member";
  SPOTTER_TRY(ended, close_session(app, s.text(0), now, ended_by));
  if (!ended) return problem(409, "already-ended", "this session has ended");
  if (who.is_staff()) audit(app, ctx, "session.end", s.text(0), {{"user_id", s.text(1)}});
  // The row as close_session() left it (kSessionColumns order): ended_at, status, ended_by.
  SqlRow closed = s;
  closed.columns.at(4) = now;
  closed.columns.at(5) = std::string("ended");
  closed.columns.at(6) = ended_by;
  SPOTTER_TRY(session, session_view(app, closed));
  return json_response(200, session);
}

HttpResponse current_session(App& app, RequestContext& ctx) {
  std::string user_id = ctx.who().id;
  if (ctx.who().is_staff() && !ctx.req.query_param("user_id").empty()) {
    user_id = std::string(ctx.req.query_param("user_id"));
    SPOTTER_TRY(access, user_access(app, ctx.who(), user_id));
    if (access != UserAccess::ok) return user_access_problem(access);
  }
  auto rows = app.db.query("SELECT id FROM gym_sessions WHERE user_id = ? AND status = 'active'", {user_id});
  if (!rows) return storage_failure(app, rows.error(), "session");
  if (rows->empty()) return problem(404, "no-active-session", "no active session");
  SPOTTER_TRY(session, session_with_machines(app, rows->front().text(0)));
  return json_response(200, *session);
}

HttpResponse history(App& app, RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(page, read_page(ctx.req));
  std::string sql = std::string("SELECT ") + kSessionColumns + " FROM gym_sessions WHERE 1 = 1";
  std::vector<SqlValue> params;
  std::string user_id(ctx.req.query_param("user_id")), branch_id(ctx.req.query_param("branch_id"));
  if (who.role == Role::member) {
    if (!user_id.empty() && user_id != who.id) return forbidden("members see their own history");
    user_id = who.id;
  } else if (user_id.empty() && branch_id.empty()) {
    return validation_problem({{"user_id", "staff filter by user_id or branch_id"}});
  }
  if (!branch_id.empty() && who.is_staff() && !who.manages_branch(branch_id)) return forbidden("not one of your branches");
  if (!user_id.empty() && who.is_staff() && branch_id.empty()) {
    SPOTTER_TRY(access, user_access(app, who, user_id));
    if (access != UserAccess::ok) return user_access_problem(access);
  }
  if (!user_id.empty()) sql += " AND user_id = ?", params.emplace_back(user_id);
  if (!branch_id.empty()) sql += " AND branch_id = ?", params.emplace_back(branch_id);
  for (const char* bound : {"from", "to"}) {
    if (auto text = ctx.req.query_param(bound); !text.empty()) {
      auto t = parse_rfc3339_ms(text);
      if (!t) return validation_problem({{bound, "must be an RFC 3339 time"}});
      sql += std::string(" AND started_at ") + (bound[0] == 'f' ? ">= ?" : "< ?");
      params.emplace_back(*t);
    }
  }
  if (page.after) sql += " AND id < ?", params.emplace_back(*page.after);
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto rows = app.db.query(sql, params);
  if (!rows) return storage_failure(app, rows.error(), "sessions");
  Json items = Json::array();
  for (const auto& r : *rows) items.push_back(session_json(r, app.now_ms()));
  return json_response(200, page_json(std::move(items), page, [](const Json& s) { return s["id"].get<std::string>(); }));
}

HttpResponse analytics(App& app, RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden("analytics are for staff");
  std::string branch_id(ctx.req.query_param("branch_id"));
  if (branch_id.empty()) return validation_problem({{"branch_id", "is required"}});
  if (!ctx.who().manages_branch(branch_id)) return forbidden("not one of your branches");
  const std::int64_t now = app.now_ms();
  std::int64_t from = now - 30LL * 86'400'000, to = now;
  for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (auto text = ctx.req.query_param(name); !text.empty()) {
      auto t = parse_rfc3339_ms(text);
      if (!t) return validation_problem({{name, "must be an RFC 3339 time"}});
      *target = *t;
    }
  }
  if (to <= from) return validation_problem({{"to", "must be after from"}});
  auto branch = app.db.query("SELECT timezone FROM branches WHERE id = ?", {branch_id});
  if (!branch) return storage_failure(app, branch.error(), "branch");
  if (branch->empty()) return not_found("branch");
  auto zone = load_time_zone(branch->front().text(0));
  if (!zone) return storage_failure(app, Error{"sql", "time zone"}, "branch time zone");
  auto rows = app.db.query("SELECT started_at, ended_at FROM gym_sessions WHERE branch_id = ? AND started_at >= ? AND started_at < ?", {branch_id, from, to});
  if (!rows) return storage_failure(app, rows.error(), "sessions");
  std::vector<SessionSample> samples;
  samples.reserve(rows->size());
  for (const auto& r : *rows) samples.push_back({r.integer(0), r.optional_integer(1)});
  Json out = session_analytics(samples, **zone);
  out["branch_id"] = branch_id;
  out["from"] = rfc3339(from);
  out["to"] = rfc3339(to);
  return json_response(200, out);
}

}  // namespace

std::vector<Route> session_routes() {
  return {
      {"POST", "/api/sessions/start", Access::user, start_session, "Start a gym session (membership, branch and opening hours checked; one active per member)", "member (own), staff for a member"},
      {"POST", "/api/sessions/end", Access::user, end_session, "End a gym session; its machine links end too", "member (own), staff"},
      {"GET", "/api/sessions/current", Access::user, current_session, "The active session with machine links and live duration", "member; staff with ?user_id="},
      {"GET", "/api/sessions/history", Access::user, history, "Past sessions, newest first; filters from, to, branch_id, user_id", "member (own), staff"},
      {"GET", "/api/analytics/sessions", Access::user, analytics, "Visits per hour and weekday (branch time), average duration, peak hours", "admin, trainer (own branches)"},
  };
}

}  // namespace spotter::cloud
