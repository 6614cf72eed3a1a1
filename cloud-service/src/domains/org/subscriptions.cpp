// Subscriptions (cloud-api-2.md "Chain operations"): sold at the plan's price of the moment
// (admins may give another), by whom, renewed once each (a unique index on what a renewal
// continues), listed for a branch. Selling follows sale_refusal() (rules_people.hpp): a
// trainer sells to members of their branches only, plans that open one of their branches,
// never to themselves. Both sales take an Idempotency-Key: a desk that retries after a
// timeout does not sell twice.
#include <charconv>

#include "../../core/fields.hpp"
#include "../../platform/idempotency.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "org.hpp"
#include "rules_people.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::org {
namespace {

constexpr std::int64_t kDayMs = 86'400'000, kMaxPriceCents = 100'000'000;

// A body that may be empty (renew takes none).
Try<Json> optional_body(const HttpRequest& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  return parse_body(req);
}

// price_cents, when given: admins only (trainers sell at the plan's price).
std::optional<std::int64_t> read_price(Fields& f, const Caller& who) {
  if (!f.has("price_cents")) return std::nullopt;
  const std::int64_t price = f.integer("price_cents", 0, kMaxPriceCents);
  if (!who.is_admin()) f.add_error("price_cents", "only admins set a price; trainers sell at the plan's price");
  return price;
}

}  // namespace

void OrgDomain::subscription_routes(RouteTable& t) {
  auto bind = [this](HttpResponse (OrgDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/subscriptions", Access::user, bind(&OrgDomain::create_subscription),
         "Sell a membership (Idempotency-Key): user_id, plan_id, starts_at?, price_cents? (admins; default the plan's price) -> price_cents, sold_by",
         "admin; trainer (members of own branches, plans opening one of them, never themselves)"});
  t.add({"POST", "/api/subscriptions/{id}/renew", Access::user, bind(&OrgDomain::renew_subscription),
         "Renew once (Idempotency-Key): a new subscription to the same plan from when this one ends (or now), at the plan's price; price_cents? (admins)",
         "as POST /api/subscriptions"});
  t.add({"GET", "/api/subscriptions", Access::user, bind(&OrgDomain::list_subscriptions),
         "Subscriptions: branch_id (plans opening it), status (active|suspended|expired), expiring_within_days; limit, cursor",
         "admin; trainer (own branches)"});
  t.add({"POST", "/api/subscriptions/{id}/suspend", Access::user, [this](RequestContext& c) { return set_suspended(c, true); },
         "Suspend a subscription: it opens no door", "admin, trainer (own branches)"});
  t.add({"POST", "/api/subscriptions/{id}/resume", Access::user, [this](RequestContext& c) { return set_suspended(c, false); },
         "Resume a suspended subscription", "admin, trainer (own branches)"});
  t.add({"GET", "/api/users/{id}/subscriptions", Access::user, bind(&OrgDomain::user_subscriptions), "A user's subscriptions",
         "the member, admin, trainer (own branches)"});
}

Json OrgDomain::subscription_json(const SubscriptionRecord& s) const {
  return {{"id", s.id},
          {"user_id", s.user_id},
          {"plan_id", s.plan_id},
          {"starts_at", rfc3339(s.starts_at)},
          {"expires_at", rfc3339(s.expires_at)},
          {"status", shown_subscription_status(s.status, s.expires_at, platform_.now_ms())},
          {"price_cents", s.price_cents ? Json(*s.price_cents) : Json(nullptr)},
          {"sold_by", s.sold_by ? Json(*s.sold_by) : Json(nullptr)},
          {"renews", s.renews ? Json(*s.renews) : Json(nullptr)},
          {"created_at", rfc3339(s.created_at)}};
}

HttpResponse OrgDomain::sell(RequestContext& ctx, const std::string& user_id, const PlanRecord& plan, std::int64_t start,
                             std::optional<std::int64_t> price, const std::optional<std::string>& renews) {
  const Caller& who = ctx.who();
  if (!plan.active) return problem(409, "plan-inactive", "the plan " + plan.name + " is no longer sold");
  SPOTTER_TRY(buyer, checked(platform_.log, store_.person(user_id), "user"));
  if (!buyer) return not_found("user");
  const auto refusal = sale_refusal({who.is_admin(), who.id, who.branch_ids}, {buyer->id, buyer->role, buyer->home_branch_id}, plan.branch_ids);
  if (refusal != SaleRefusal::none) return forbidden(std::string(sale_refusal_text(refusal)));
  const std::int64_t now = platform_.now_ms();
  SubscriptionRecord s{.id = new_id("sub", now), .user_id = user_id, .plan_id = plan.id, .status = "active", .starts_at = start,
                       .expires_at = start + plan.duration_days * kDayMs, .created_at = now, .price_cents = price.value_or(plan.price_cents),
                       .sold_by = who.id, .renews = renews};
  auto stored = platform_.db.atomically([&]() -> Status {
    if (auto r = store_.insert_subscription(s, now); !r) return r;
    return member_changed(user_id);
  });
  if (!stored) {
    if (renews && stored.error().code == sql_error::conflict) return problem(409, "already-renewed", "this subscription was renewed before");
    return storage_failure(platform_.log, stored.error(), "subscription");
  }
  platform_.audit.record(ctx, renews ? "subscription.renew" : "subscription.create", s.id,
                         {{"user_id", user_id}, {"plan_id", plan.id}, {"price_cents", *s.price_cents}});
  return json_response(201, subscription_json(s));
}

HttpResponse OrgDomain::create_subscription(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string user_id = f.id("user_id");
  std::string plan_id = f.id("plan_id");
  auto starts = f.optional_time_ms("starts_at");
  auto price = read_price(f, ctx.who());
  if (!f.ok()) return f.problem();
  return idempotent(platform_, ctx, "subscription", [&]() -> HttpResponse {
    SPOTTER_TRY(plan, checked(platform_.log, store_.plan(plan_id), "plan"));
    if (!plan) return not_found("plan");
    return sell(ctx, user_id, *plan, starts.value_or(platform_.now_ms()), price, std::nullopt);
  });
}

HttpResponse OrgDomain::renew_subscription(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(body, optional_body(ctx.req));
  Fields f(body);
  auto price = read_price(f, ctx.who());
  if (!f.ok()) return f.problem();
  return idempotent(platform_, ctx, "subscription-renewal", [&]() -> HttpResponse {
    SPOTTER_TRY(sub, checked(platform_.log, store_.subscription(ctx.param("id")), "subscription"));
    if (!sub) return not_found("subscription");
    SPOTTER_TRY(plan, checked(platform_.log, store_.plan(sub->plan_id), "plan"));
    if (!plan) return storage_failure(platform_.log, Error{"sql", "plan gone"}, "plan");
    // From when this one ends; a lapsed one is renewed from now.
    return sell(ctx, sub->user_id, *plan, std::max(sub->expires_at, platform_.now_ms()), price, sub->id);
  });
}

HttpResponse OrgDomain::list_subscriptions(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden();
  SPOTTER_TRY(page, read_page(ctx.req));
  SubscriptionFilter filter;
  filter.now = platform_.now_ms();
  std::vector<FieldError> errors;
  const std::string branch(ctx.req.query_param("branch_id"));
  if (!branch.empty()) {
    if (!who.manages_branch(branch)) return forbidden("not one of your branches");
    filter.opening = std::set<std::string, std::less<>>{branch};
  } else if (!who.is_admin()) {
    filter.opening = who.branch_ids;
  }
  filter.status = std::string(ctx.req.query_param("status"));
  if (!filter.status.empty() && filter.status != "active" && filter.status != "suspended" && filter.status != "expired")
    errors.push_back({"status", "must be active, suspended or expired"});
  if (const auto within = ctx.req.query_param("expiring_within_days"); !within.empty()) {
    std::int64_t days = 0;
    const auto [end, ec] = std::from_chars(within.data(), within.data() + within.size(), days);
    if (ec != std::errc() || end != within.data() + within.size() || days < 1 || days > 366)
      errors.push_back({"expiring_within_days", "must be a whole number of days from 1 to 366"});
    else filter.expiring_before = filter.now + days * kDayMs;
  }
  if (!errors.empty()) return validation_problem(errors);
  filter.after = page.after.value_or("");
  filter.limit = page.limit + 1;
  SPOTTER_TRY(rows, checked(platform_.log, store_.subscriptions(filter), "subscriptions"));
  Json items = Json::array();
  for (const auto& s : rows) items.push_back(subscription_json(s));
  return json_response(200, page_json(std::move(items), page, [](const Json& s) { return s["id"].get<std::string>(); }));
}

HttpResponse OrgDomain::set_suspended(RequestContext& ctx, bool suspend) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(sub, checked(platform_.log, store_.subscription(ctx.param("id")), "subscription"));
  if (!sub) return not_found("subscription");
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), sub->user_id), "user"));
  if (access != UserAccess::ok) return forbidden("this subscription is not yours to change");
  const std::int64_t now = platform_.now_ms();
  if (sub->status == "expired" || sub->expires_at <= now) return problem(409, "expired", "an expired subscription cannot change");
  sub->status = suspend ? "suspended" : "active";
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       if (auto r = store_.set_subscription_status(sub->id, sub->status, now); !r) return r;
                       return member_changed(sub->user_id);
                     }),
                     "subscription"));
  platform_.audit.record(ctx, suspend ? "subscription.suspend" : "subscription.resume", sub->id);
  return json_response(200, subscription_json(*sub));
}

HttpResponse OrgDomain::user_subscriptions(RequestContext& ctx) {
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), ctx.param("id")), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(rows, checked(platform_.log, store_.subscriptions_of(ctx.param("id"), page.after.value_or(""), page.limit + 1), "subscriptions"));
  Json items = Json::array();
  for (const auto& s : rows) items.push_back(subscription_json(s));
  return json_response(200, page_json(std::move(items), page, [](const Json& s) { return s["id"].get<std::string>(); }));
}

}  // namespace spotter::cloud::org
