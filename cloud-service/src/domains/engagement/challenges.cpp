// Challenges (cloud-api-2.md "Engagement"): a member challenges their buddies, staff
// challenge a branch's members with reward points; standings count what participants did
// between the start and the end, whenever they joined.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "engagement.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::engagement {

namespace {
Json challenge_json(const Challenge& c) {
  return {{"id", c.id},
          {"creator_id", c.creator_id},
          {"branch_id", c.branch_id ? Json(*c.branch_id) : Json(nullptr)},
          {"name", c.name},
          {"metric", c.metric},
          {"target", c.target},
          {"starts_at", rfc3339(c.starts_at)},
          {"ends_at", rfc3339(c.ends_at)},
          {"reward_points", c.reward_points}};
}
constexpr std::int64_t kLongestMs = 366LL * 86'400'000;
}  // namespace

void EngagementDomain::challenge_routes(RouteTable& t) {
  auto bind = [this](HttpResponse (EngagementDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/challenges", Access::user, bind(&EngagementDomain::create_challenge),
         "Start a challenge: name, metric (visits|training_sessions|volume_kg|distance_m), target, starts_at, ends_at; staff: branch_id, reward_points",
         "member (among buddies); admin, trainer (own branches)"});
  t.add({"GET", "/api/challenges", Access::user, bind(&EngagementDomain::my_challenges), "The challenges the caller takes part in", "member"});
  t.add({"POST", "/api/challenges/{id}/join", Access::user, bind(&EngagementDomain::join_challenge), "Take part in a challenge until it ends",
         "the creator's buddies; members of the challenge's branch"});
  t.add({"GET", "/api/challenges/{id}", Access::user, bind(&EngagementDomain::get_challenge), "A challenge with its standings (user_id, progress, completed)",
         "who may join it; staff of its branch"});
}

Try<bool> EngagementDomain::may_join(const Caller& who, const Challenge& c) {
  if (who.role != Role::member) return false;
  if (c.branch_id) return who.sees_branch(*c.branch_id);
  if (c.creator_id == who.id) return true;
  SPOTTER_TRY(buddies, checked(platform_.log, social_.are_buddies(c.creator_id, who.id), "challenge"));
  return buddies;
}

HttpResponse EngagementDomain::create_challenge(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  Challenge c;
  c.name = f.text("name", 100);
  c.metric = f.choice("metric", {"visits", "training_sessions", "volume_kg", "distance_m"});
  c.target = static_cast<double>(f.integer("target", 1, 100'000'000));
  const auto starts = f.optional_time_ms("starts_at"), ends = f.optional_time_ms("ends_at");
  c.branch_id = f.optional_id("branch_id");
  if (f.raw("reward_points")) c.reward_points = f.integer("reward_points", 0, 100'000);
  if (!starts && !f.raw("starts_at")) f.add_error("starts_at", "required (RFC 3339)");
  if (!ends && !f.raw("ends_at")) f.add_error("ends_at", "required (RFC 3339)");
  if (starts && ends && *ends <= *starts) f.add_error("ends_at", "must be after starts_at");
  if (starts && ends && *ends - *starts > kLongestMs) f.add_error("ends_at", "a challenge lasts at most a year");
  if (ends && *ends <= platform_.now_ms()) f.add_error("ends_at", "must be in the future");
  if (!f.ok()) return f.problem();
  c.starts_at = *starts;
  c.ends_at = *ends;
  if (who.is_staff()) {
    if (!c.branch_id) return validation_problem({{"branch_id", "staff challenges are for a branch"}});
    if (!who.manages_branch(*c.branch_id)) return forbidden("trainers challenge their own branches");
  } else {
    if (c.reward_points > 0) return forbidden("reward points come from staff challenges");
    if (c.branch_id) return forbidden("a branch challenge is started by its staff");
  }
  const std::int64_t now = platform_.now_ms();
  c.id = new_id("chl", now);
  c.creator_id = who.id;
  c.created_at = now;
  std::optional<bool> done_at_once;
  auto tx = platform_.db.transaction([&]() -> Status {
    SPOTTER_SQL(challenges_.insert(c));
    if (who.role != Role::member) return {};
    auto joined = challenges_.join(c, who.id, now);
    if (!joined) return Unexpected<Error>{joined.error()};
    done_at_once = *joined;
    if (done_at_once && *done_at_once) return challenge_completed(who.id, c.id, c.name, c.reward_points, now);
    return {};
  });
  SPOTTER_TRY(ok, checked(platform_.log, tx, "challenge"));
  (void)ok;
  platform_.audit.record(ctx, "challenge.create", c.id, {{"metric", c.metric}, {"reward_points", c.reward_points}});
  return json_response(201, challenge_json(c));
}

HttpResponse EngagementDomain::join_challenge(RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  if (!is_valid_id(id)) return not_found("challenge");
  SPOTTER_TRY(c, checked(platform_.log, challenges_.challenge(id), "challenge"));
  if (!c) return not_found("challenge");
  SPOTTER_TRY(allowed, may_join(ctx.who(), *c));
  if (!allowed) return not_found("challenge");
  const std::int64_t now = platform_.now_ms();
  if (now >= c->ends_at) return problem(409, "challenge-ended", "this challenge has ended");
  std::optional<bool> joined;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto j = challenges_.join(*c, ctx.who().id, now);
    if (!j) return Unexpected<Error>{j.error()};
    joined = *j;
    if (joined && *joined) return challenge_completed(ctx.who().id, c->id, c->name, c->reward_points, now);
    return {};
  });
  SPOTTER_TRY(ok, checked(platform_.log, tx, "challenge"));
  (void)ok;
  if (!joined) return problem(409, "already-joined", "you take part already");
  return get_challenge(ctx);
}

HttpResponse EngagementDomain::get_challenge(RequestContext& ctx) {
  const Caller& who = ctx.who();
  const std::string& id = ctx.param("id");
  if (!is_valid_id(id)) return not_found("challenge");
  SPOTTER_TRY(c, checked(platform_.log, challenges_.challenge(id), "challenge"));
  if (!c) return not_found("challenge");
  SPOTTER_TRY(allowed, may_join(who, *c));
  const bool staff = c->branch_id && who.manages_branch(*c->branch_id);
  if (!allowed && !staff && c->creator_id != who.id) return not_found("challenge");
  SPOTTER_TRY(rows, checked(platform_.log, challenges_.standings(id), "challenge"));
  std::vector<std::string> ids;
  for (const auto& s : rows) ids.push_back(s.user_id);
  SPOTTER_TRY(names, checked(platform_.log, org_.display_names(ids), "challenge"));
  Json standings = Json::array();
  for (const auto& s : rows) {
    auto n = names.find(s.user_id);
    standings.push_back({{"user_id", s.user_id}, {"display_name", n == names.end() ? "" : n->second}, {"progress", s.progress},
                         {"completed", s.completed_at.has_value()}, {"completed_at", rfc3339_or_null(s.completed_at)}});
  }
  Json out = challenge_json(*c);
  out["standings"] = standings;
  out["ended"] = platform_.now_ms() >= c->ends_at;
  return json_response(200, out);
}

HttpResponse EngagementDomain::my_challenges(RequestContext& ctx) {
  SPOTTER_TRY(rows, checked(platform_.log, challenges_.of_member(ctx.who().id, 200), "challenges"));
  Json items = Json::array();
  for (const auto& c : rows) items.push_back(challenge_json(c));
  return json_response(200, {{"items", items}});
}

}  // namespace spotter::cloud::engagement
