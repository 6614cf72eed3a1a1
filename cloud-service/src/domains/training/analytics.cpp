// A member's workout analytics (cloud-api-2.md "Training"): read from what training keeps
// as sets and visits happen (totals per member and day, the best of each record), so a
// member with five years of data is answered from a few hundred rows at most.
#include "../../core/dates.hpp"
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "spotter/common/ids.hpp"
#include "training.hpp"

namespace spotter::cloud::training {

Try<std::string> TrainingDomain::subject(RequestContext& ctx) {
  const Caller& who = ctx.who();
  const auto u = ctx.req.query_param("user_id");
  if (u.empty() || u == who.id) return who.id;
  if (!who.is_staff()) return Unexpected<HttpResponse>{forbidden("members see their own")};
  if (!is_valid_id(u)) return Unexpected<HttpResponse>{validation_problem({{"user_id", "must be an id"}})};
  SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, std::string(u)), "user"));
  if (access != org::UserAccess::ok) return Unexpected<HttpResponse>{org::user_access_problem(access)};
  return std::string(u);
}

HttpResponse TrainingDomain::analytics_workouts(RequestContext& ctx) {
  SPOTTER_TRY(user_id, subject(ctx));
  const auto period = ctx.req.query_param("period");
  if (!period.empty() && period != "day" && period != "week") return validation_problem({{"period", "must be day or week"}});
  const bool weekly = period == "week";
  SPOTTER_TRY(today, checked(platform_.log, member_day(user_id, platform_.now_ms()), "calendar"));
  // Defaults: the last four weeks by day, the last twelve weeks by week.
  std::int64_t to = today, from = weekly ? week_start(today) - 11 * 7 : today - 27;
  std::vector<FieldError> errors;
  for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    const auto v = ctx.req.query_param(name);
    if (v.empty()) continue;
    if (auto d = parse_date(v)) {
      *target = *d;
    } else if (auto t = parse_rfc3339_ms(v)) {
      SPOTTER_TRY(d2, checked(platform_.log, member_day(user_id, *t), "calendar"));
      *target = d2;
    } else {
      errors.push_back({name, "must be a date (2026-03-02) or an RFC 3339 time"});
    }
  }
  if (!errors.empty()) return validation_problem(errors);
  if (to < from) return validation_problem({{"to", "must not be before from"}});
  const std::int64_t max_span = weekly ? 5 * 366 : 366;
  if (to - from > max_span) return validation_problem({{"from", "spans more than " + std::string(weekly ? "five years" : "a year") + "; ask by week"}});
  SPOTTER_TRY(days, checked(platform_.log, store_.days_of(user_id, weekly ? week_start(from) : from, to), "analytics"));
  return json_response(200, {{"user_id", user_id}, {"period", weekly ? "week" : "day"}, {"from", format_date(from)}, {"to", format_date(to)},
                             {"items", periods_json(days, weekly ? week_start(from) : from, to, weekly)}, {"next_cursor", nullptr}});
}

HttpResponse TrainingDomain::analytics_records(RequestContext& ctx) {
  SPOTTER_TRY(user_id, subject(ctx));
  SPOTTER_TRY(rows, checked(platform_.log, store_.records_of(user_id), "records"));
  Json items = Json::array();
  for (const auto& r : rows) {
    if (items.empty() || items.back()["exercise_id"] != r.exercise_id) items.push_back({{"exercise_id", r.exercise_id}, {"records", Json::object()}});
    items.back()["records"][r.kind] = {{"value", r.value}, {"at", rfc3339(r.at)}};
  }
  return json_response(200, {{"user_id", user_id}, {"items", std::move(items)}, {"next_cursor", nullptr}});
}

HttpResponse TrainingDomain::analytics_streaks(RequestContext& ctx) {
  SPOTTER_TRY(user_id, subject(ctx));
  SPOTTER_TRY(today, checked(platform_.log, member_day(user_id, platform_.now_ms()), "calendar"));
  SPOTTER_TRY(days, checked(platform_.log, store_.active_days(user_id), "streaks"));
  const auto s = streaks(days, today);
  return json_response(200, {{"user_id", user_id}, {"current_weeks", s.current_weeks}, {"longest_weeks", s.longest_weeks}, {"current_days", s.current_days}});
}

}  // namespace spotter::cloud::training
