// Points, achievements and leaderboards (cloud-api-2.md "Engagement").
#include "../../core/dates.hpp"
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "engagement.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::engagement {

void EngagementDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (EngagementDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"GET", "/api/users/me/points", Access::user, bind(&EngagementDomain::my_points),
         "The caller's balance and ledger (points, reason, source_id, at), newest first; limit, cursor", "any user"});
  t.add({"GET", "/api/achievements", Access::user, bind(&EngagementDomain::achievement_catalogue), "The achievements there are", "any"});
  t.add({"GET", "/api/users/me/achievements", Access::user, bind(&EngagementDomain::my_achievements), "The caller's achievements with earned_at",
         "any user"});
  t.add({"GET", "/api/leaderboards", Access::user, bind(&EngagementDomain::leaderboard),
         "A branch's board: branch_id, period (week|month), metric (points|visits|volume_kg), limit -> items (rank, user_id, display_name, "
         "value) and me",
         "members of the branch; its staff"});
  reward_routes(t);
  social_routes(t);
  challenge_routes(t);
}

HttpResponse EngagementDomain::my_points(RequestContext& ctx) {
  const std::string& user = ctx.who().id;
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(before, integer_cursor(page));
  SPOTTER_TRY(balance, checked(platform_.log, store_.balance(user), "points"));
  SPOTTER_TRY(rows, checked(platform_.log, store_.ledger(user, before, page.limit + 1), "points"));
  Json items = Json::array();
  for (const auto& r : rows)
    items.push_back({{"points", r.points}, {"reason", r.reason}, {"source_id", r.source_id}, {"at", rfc3339(r.at)}, {"_key", std::to_string(r.id)}});
  Json out = page_json(std::move(items), page, [](const Json& item) { return item["_key"].get<std::string>(); });
  for (auto& item : out["items"]) item.erase("_key");
  return json_response(200, {{"balance", balance}, {"ledger", out["items"]}, {"next_cursor", out["next_cursor"]}});
}

HttpResponse EngagementDomain::achievement_catalogue(RequestContext&) {
  Json items = Json::array();
  for (const auto& a : achievements()) items.push_back(achievement_json(a));
  return json_response(200, {{"items", items}});
}

HttpResponse EngagementDomain::my_achievements(RequestContext& ctx) {
  SPOTTER_TRY(earned, checked(platform_.log, store_.earned(ctx.who().id), "achievements"));
  Json items = Json::array();
  for (const auto& [id, at] : earned) {
    const Achievement* a = achievement(id);
    if (!a) continue;  // retired from the catalogue
    Json item = achievement_json(*a);
    item["earned_at"] = rfc3339(at);
    items.push_back(std::move(item));
  }
  return json_response(200, {{"items", items}});
}

HttpResponse EngagementDomain::leaderboard(RequestContext& ctx) {
  const Caller& who = ctx.who();
  const std::string branch_id(ctx.req.query_param("branch_id"));
  const auto period = parse_period(ctx.req.query_param("period").empty() ? "week" : ctx.req.query_param("period"));
  const auto metric = parse_metric(ctx.req.query_param("metric").empty() ? "points" : ctx.req.query_param("metric"));
  std::vector<FieldError> errors;
  if (!is_valid_id(branch_id)) errors.push_back({"branch_id", "required: the branch's id"});
  if (!period) errors.push_back({"period", "must be week or month"});
  if (!metric) errors.push_back({"metric", "must be points, visits or volume_kg"});
  std::int64_t limit = 50;
  if (auto l = ctx.req.query_param("limit"); !l.empty()) {
    limit = 0;
    for (char c : l) limit = (c >= '0' && c <= '9' && limit < 1000) ? limit * 10 + (c - '0') : -1'000'000;
    if (limit < 1 || limit > 100) errors.push_back({"limit", "must be an integer from 1 to 100"});
  }
  if (!errors.empty()) return validation_problem(errors);
  if (!who.sees_branch(branch_id) && !who.manages_branch(branch_id)) return forbidden("only the branch's members and staff see its board");
  SPOTTER_TRY(today, checked(platform_.log, org_.member_day(who.id, platform_.now_ms()), "calendar"));
  const std::string key = period_key(*period, today);
  SPOTTER_TRY(rows, checked(platform_.log, store_.top(branch_id, key, *metric, limit), "leaderboard"));
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.user_id);
  SPOTTER_TRY(names, checked(platform_.log, org_.display_names(ids), "leaderboard"));
  Json items = Json::array();
  std::int64_t rank = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == 0 || rows[i].value != rows[i - 1].value) rank = static_cast<std::int64_t>(i) + 1;  // ties share a rank
    const auto name = names.find(rows[i].user_id);
    items.push_back({{"rank", rank}, {"user_id", rows[i].user_id}, {"display_name", name == names.end() ? "" : name->second}, {"value", rows[i].value}});
  }
  // The caller's own place, whether on the page or not (0 and no rank when not on the board).
  SPOTTER_TRY(mine, checked(platform_.log, store_.value_of(branch_id, key, *metric, who.id), "leaderboard"));
  Json me = {{"user_id", who.id}, {"value", mine.value_or(0.0)}, {"rank", nullptr}};
  if (mine) {
    const std::string board = branch_id + "/" + key + "/" + std::string(to_string(*metric));
    SPOTTER_TRY(my_rank, checked(platform_.log, ranks_.rank(board, *mine, platform_.now_ms(),
                                                             [this, branch_id, key, m = *metric](std::int64_t since) { return store_.board_changes(branch_id, key, m, since); }),
                              "leaderboard"));
    me["rank"] = my_rank;
  }
  return json_response(200, {{"branch_id", branch_id}, {"period", key.substr(2)}, {"metric", to_string(*metric)}, {"items", items}, {"me", me}});
}

}  // namespace spotter::cloud::engagement
