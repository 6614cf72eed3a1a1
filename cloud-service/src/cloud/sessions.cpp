#include "sessions.hpp"

#include "floor.hpp"
#include "views.hpp"

namespace spotter::cloud {

Try<std::shared_ptr<const BranchCalendar>> load_calendar(App& app, const std::string& branch_id) {
  auto rows = app.db.query("SELECT timezone, opening_hours FROM branches WHERE id = ?", {branch_id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "branch")};
  if (rows->empty()) return std::shared_ptr<const BranchCalendar>{};
  const std::string timezone = rows->front().text(0);
  const std::string stored_hours = rows->front().text(1);
  if (auto cached = app.calendars.get(timezone, stored_hours)) return cached;
  auto zone = load_time_zone(timezone);
  auto hours_json = parse_json_strict(stored_hours);
  if (!zone || !hours_json) return Unexpected<HttpResponse>{storage_failure(app, Error{"sql", "stored branch calendar unreadable"}, "branch")};
  auto hours = OpeningHours::from_json(*hours_json);
  if (!hours) return Unexpected<HttpResponse>{storage_failure(app, Error{"sql", "stored opening hours unreadable"}, "branch")};
  auto calendar = std::make_shared<const BranchCalendar>(*zone, std::move(*hours));
  app.calendars.put(timezone, stored_hours, calendar);
  return calendar;
}

Try<std::optional<HttpResponse>> entry_refusal(App& app, const std::string& user_id, const std::string& branch_id, std::int64_t now) {
  auto rows = app.db.query("SELECT s.status, pb.branch_id FROM subscriptions s LEFT JOIN plan_branches pb ON pb.plan_id = s.plan_id "
                           "WHERE s.user_id = ? AND s.status IN ('active', 'suspended') AND s.starts_at <= ? AND s.expires_at > ?",
                           {user_id, now, now});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "memberships")};
  if (rows->empty()) return std::optional<HttpResponse>{problem(403, "no-membership", "no active membership")};
  bool suspended_here = false;
  for (const auto& r : *rows) {
    const bool opens = r.is_null(1) || r.text(1) == branch_id;
    if (!opens) continue;
    if (r.text(0) == "active") return std::optional<HttpResponse>{};
    suspended_here = true;
  }
  if (suspended_here) return std::optional<HttpResponse>{problem(403, "suspended", "the membership is suspended")};
  return std::optional<HttpResponse>{problem(403, "branch-not-allowed", "the membership does not open this branch")};
}

Try<bool> close_session(App& app, const std::string& session_id, std::int64_t ended_at, std::string_view ended_by) {
  auto r = app.db.execute("UPDATE gym_sessions SET status = 'ended', ended_at = ?, ended_by = ? WHERE id = ? AND status = 'active'",
                          {ended_at, std::string(ended_by), session_id});
  if (!r) return Unexpected<HttpResponse>{storage_failure(app, r.error(), "session")};
  if (*r == 0) return false;
  auto links = end_links_of_session(app, session_id, "session_end");
  if (!links) return Unexpected<HttpResponse>{storage_failure(app, links.error(), "machine links")};
  return true;
}

Try<std::optional<Json>> session_with_machines(App& app, const std::string& session_id) {
  auto rows = app.db.query(std::string("SELECT ") + kSessionColumns + " FROM gym_sessions WHERE id = ?", {session_id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "session")};
  if (rows->empty()) return std::optional<Json>{};
  SPOTTER_TRY(view, session_view(app, rows->front()));
  return std::optional<Json>{std::move(view)};
}

Try<Json> session_view(App& app, const SqlRow& session) {
  Json s = session_json(session, app.now_ms());
  auto links = app.db.query("SELECT id, machine_id, started_at, ended_at, ended_by FROM machine_links WHERE session_id = ? ORDER BY started_at", {session.text(0)});
  if (!links) return Unexpected<HttpResponse>{storage_failure(app, links.error(), "machine links")};
  Json machines = Json::array();
  for (const auto& l : *links)
    machines.push_back({{"link_id", l.text(0)}, {"machine_id", l.text(1)}, {"started_at", rfc3339(l.integer(2))},
                        {"ended_at", rfc3339_or_null(l.optional_integer(3))}, {"ended_by", l.is_null(4) ? Json(nullptr) : Json(l.text(4))}});
  s["machines"] = std::move(machines);
  return s;
}

}  // namespace spotter::cloud
