// Rewards and their redemption (cloud-api-2.md "Engagement"): points and stock move exactly
// once, never below zero, whatever retries and concurrent requests do: a conditional
// UPDATE for each (stock > 0, balance >= cost) in one transaction with the ledger row and
// the redemption, under the caller's Idempotency-Key (platform/idempotency.hpp).
#include "../../core/fields.hpp"
#include "../../platform/idempotency.hpp"
#include "../../platform/responses.hpp"
#include "engagement.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::engagement {

namespace {
Json reward_json(const RewardRow& w) {
  return {{"id", w.id},       {"branch_id", w.branch_id}, {"name", w.name},          {"cost_points", w.cost_points},
          {"stock", w.stock}, {"active", w.active},       {"created_at", rfc3339(w.created_at)}, {"product_id", w.product_id ? Json(*w.product_id) : Json(nullptr)}};
}
Json redemption_json(const RedemptionRow& r) {
  return {{"id", r.id},
          {"code", r.code},
          {"user_id", r.user_id},
          {"reward_id", r.reward_id},
          {"branch_id", r.branch_id},
          {"points", r.points},
          {"note", r.note ? Json(*r.note) : Json(nullptr)},
          {"status", r.status},
          {"created_at", rfc3339(r.created_at)},
          {"handed_out_at", rfc3339_or_null(r.handed_out_at)}};
}
// Ten characters a desk can read out and type: no 0/O, 1/I/L.
std::string redemption_code() {
  static constexpr std::string_view kAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  const auto bytes = crypto::random_bytes(10);
  std::string code;
  for (auto b : bytes) code.push_back(kAlphabet[b % kAlphabet.size()]);
  return code;
}
bool plausible_code(std::string_view c) {
  if (c.size() != 10) return false;
  for (char ch : c)
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '9'))) return false;
  return true;
}
}  // namespace

void EngagementDomain::reward_routes(RouteTable& t) {
  auto bind = [this](HttpResponse (EngagementDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/rewards", Access::user, bind(&EngagementDomain::create_reward),
         "Offer a reward at a branch: branch_id, name, cost_points, stock, product_id?", "admin"});
  t.add({"GET", "/api/rewards", Access::user, bind(&EngagementDomain::list_rewards), "A branch's rewards (?branch_id=)", "any user"});
  t.add({"POST", "/api/rewards/{id}/redeem", Access::user, bind(&EngagementDomain::redeem),
         "Spend points on a reward (note?; Idempotency-Key): 201 with the code to show at the desk; 409 without points or stock", "member"});
  t.add({"GET", "/api/users/me/redemptions", Access::user, bind(&EngagementDomain::my_redemptions),
         "The caller's redemptions with their codes and status, newest first; limit, cursor", "member"});
  t.add({"GET", "/api/redemptions/{code}", Access::user, bind(&EngagementDomain::get_redemption), "A redemption by its code", "staff of its branch"});
  t.add({"POST", "/api/redemptions/{code}/hand-out", Access::user, bind(&EngagementDomain::hand_out_redemption),
         "The desk hands the reward out (once)", "staff of its branch"});
}

HttpResponse EngagementDomain::create_reward(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("admins offer rewards");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  RewardRow w;
  w.branch_id = f.id("branch_id");
  w.name = f.text("name", 100);
  w.cost_points = f.integer("cost_points", 1, 1'000'000);
  w.stock = f.integer("stock", 0, 1'000'000);
  w.product_id = f.optional_id("product_id");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(branch, checked(platform_.log, org_.branch(w.branch_id), "branch"));
  if (!branch) return validation_problem({{"branch_id", "no such branch"}});
  w.id = new_id("rwd", platform_.now_ms());
  w.created_at = platform_.now_ms();
  SPOTTER_TRY(ok, checked(platform_.log, store_.insert_reward(w), "reward"));
  (void)ok;
  platform_.audit.record(ctx, "reward.create", w.id, {{"branch_id", w.branch_id}, {"cost_points", w.cost_points}, {"stock", w.stock}});
  return json_response(201, reward_json(w));
}

HttpResponse EngagementDomain::list_rewards(RequestContext& ctx) {
  const std::string branch_id(ctx.req.query_param("branch_id"));
  if (!is_valid_id(branch_id)) return validation_problem({{"branch_id", "required: the branch's id"}});
  // Any signed-in user may look (cloud-api-2.md: "any"): what a branch offers is no secret,
  // and a member choosing a branch may compare. Redeeming needs a membership there.
  SPOTTER_TRY(rows, checked(platform_.log, store_.rewards(branch_id), "rewards"));
  Json items = Json::array();
  for (const auto& w : rows) items.push_back(reward_json(w));
  return json_response(200, {{"items", items}});
}

HttpResponse EngagementDomain::redeem(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (who.role != Role::member) return forbidden("members redeem their own points");
  const std::string& id = ctx.param("id");
  if (!is_valid_id(id)) return not_found("reward");
  std::optional<std::string> note;
  if (!ctx.req.body.empty()) {
    SPOTTER_TRY(body, parse_body(ctx.req));
    Fields f(body);
    note = f.optional_text("note", 200);
    if (!f.ok()) return f.problem();
  }
  return idempotent(platform_, ctx, "reward.redeem", [&]() -> HttpResponse {
    SPOTTER_TRY(reward, checked(platform_.log, store_.reward(id), "reward"));
    if (!reward || !reward->active || !who.sees_branch(reward->branch_id)) return not_found("reward");
    SPOTTER_TRY(taken, checked(platform_.log, store_.take_one(id), "reward"));
    if (!taken) return problem(409, "out-of-stock", "this reward is out of stock");
    const std::int64_t now = platform_.now_ms();
    RedemptionRow r{new_id("rdm", now), redemption_code(), who.id, id, reward->branch_id, reward->cost_points, note, "issued", now, {}, {}};
    SPOTTER_TRY(paid, checked(platform_.log, store_.spend({"redemption:" + r.id, who.id, -reward->cost_points, "redemption", r.id, now}), "points"));
    if (!paid) return problem(409, "not-enough-points", "your balance does not cover this reward");
    SPOTTER_TRY(stored, checked(platform_.log, store_.insert_redemption(r), "redemption"));
    (void)stored;
    platform_.audit.record(ctx, "reward.redeem", r.id, {{"reward_id", id}, {"points", r.points}});
    return json_response(201, redemption_json(r));
  });
}

HttpResponse EngagementDomain::my_redemptions(RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(after, time_id_cursor(page));
  SPOTTER_TRY(rows, checked(platform_.log, store_.redemptions_of(ctx.who().id, after, page.limit + 1), "redemptions"));
  Json items = Json::array();
  for (const auto& r : rows) items.push_back(redemption_json(r));
  return json_response(200, page_json(std::move(items), page, [](const Json& i) { return time_id_key(i, "created_at"); }));
}

HttpResponse EngagementDomain::get_redemption(RequestContext& ctx) {
  const std::string& code = ctx.param("code");
  if (!plausible_code(code)) return not_found("redemption");
  SPOTTER_TRY(r, checked(platform_.log, store_.redemption_by_code(code), "redemption"));
  if (!r || !ctx.who().manages_branch(r->branch_id)) return not_found("redemption");
  return json_response(200, redemption_json(*r));
}

HttpResponse EngagementDomain::hand_out_redemption(RequestContext& ctx) {
  const std::string& code = ctx.param("code");
  if (!plausible_code(code)) return not_found("redemption");
  SPOTTER_TRY(r, checked(platform_.log, store_.redemption_by_code(code), "redemption"));
  if (!r || !ctx.who().manages_branch(r->branch_id)) return not_found("redemption");
  const std::int64_t now = platform_.now_ms();
  SPOTTER_TRY(done, checked(platform_.log, store_.hand_out(r->id, ctx.who().id, now), "redemption"));
  if (!done) return problem(409, "already-handed-out", "this reward was handed out before");
  platform_.audit.record(ctx, "reward.hand_out", r->id, {{"code", code}});
  r->status = "handed_out";
  r->handed_out_at = now;
  return json_response(200, redemption_json(*r));
}

}  // namespace spotter::cloud::engagement
