// Branches, membership plans and subscriptions (seed 002). People: people_routes.cpp.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "org.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::org {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

Json branch_json(const BranchRecord& b) {
  return {{"id", b.id}, {"name", b.name}, {"timezone", b.timezone},
          {"opening_hours", parse_json_strict(b.opening_hours).value_or(Json::object())}, {"created_at", rfc3339(b.created_at)}};
}

}  // namespace

void OrgDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (OrgDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/branches", Access::user, bind(&OrgDomain::create_branch), "Create a branch with its time zone and opening hours", "admin"});
  t.add({"GET", "/api/branches", Access::user, bind(&OrgDomain::list_branches), "List branches", "any user"});
  t.add({"GET", "/api/branches/{id}", Access::user, bind(&OrgDomain::get_branch), "One branch", "any user"});
  t.add({"POST", "/api/membership-plans", Access::user, bind(&OrgDomain::create_plan), "Create a membership plan", "admin"});
  t.add({"GET", "/api/membership-plans", Access::user, bind(&OrgDomain::list_plans), "List membership plans", "any user"});
  t.add({"POST", "/api/subscriptions", Access::user, bind(&OrgDomain::create_subscription), "Subscribe a user to a plan", "admin, trainer (own branches)"});
  t.add({"POST", "/api/subscriptions/{id}/suspend", Access::user, [this](RequestContext& c) { return set_suspended(c, true); },
         "Suspend a subscription: it opens no door", "admin, trainer (own branches)"});
  t.add({"POST", "/api/subscriptions/{id}/resume", Access::user, [this](RequestContext& c) { return set_suspended(c, false); },
         "Resume a suspended subscription", "admin, trainer (own branches)"});
  t.add({"GET", "/api/users/{id}/subscriptions", Access::user, bind(&OrgDomain::user_subscriptions), "A user's subscriptions",
         "the member, admin, trainer (own branches)"});
  t.add({"POST", "/api/users", Access::user, bind(&OrgDomain::create_user_route), "Create a staff or member account", "admin; trainer (members of own branches)"});
  t.add({"GET", "/api/users", Access::user, bind(&OrgDomain::search_users), "Find users by email, document_id, phone or role", "admin, trainer (own branches)"});
  t.add({"GET", "/api/users/{id}", Access::user, bind(&OrgDomain::get_user), "One user", "the user, admin, trainer (own branches)"});
  t.add({"POST", "/api/users/{id}/credentials", Access::user, bind(&OrgDomain::add_credential), "Give a user an NFC card (a UID belongs to one user)",
         "admin, trainer (own branches)"});
  t.add({"GET", "/api/users/{id}/credentials", Access::user, bind(&OrgDomain::list_credentials), "A user's credentials", "the user, admin, trainer (own branches)"});
  t.add({"DELETE", "/api/users/{id}/credentials/{credential_id}", Access::user, bind(&OrgDomain::delete_credential),
         "Revoke a credential: the card stops opening doors", "admin, trainer (own branches)"});
  t.add({"GET", "/api/users/me/privacy", Access::user, bind(&OrgDomain::get_privacy),
         "The caller's privacy switches: share_measurements_with_trainers, show_on_leaderboards, allow_buddy_requests", "any user"});
  t.add({"PATCH", "/api/users/me/privacy", Access::user, bind(&OrgDomain::update_privacy), "Change any of the privacy switches", "any user"});
  t.add({"GET", "/api/users/me/access-qr", Access::user, bind(&OrgDomain::access_qr_for_me), "A rotating, signed access QR payload (valid 60 s)", "member"});
}

HttpResponse OrgDomain::create_branch(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string name = f.text("name");
  std::string tz = f.text("timezone", 64);
  if (!tz.empty() && !load_time_zone(tz)) f.add_error("timezone", "is not an IANA time zone this server knows");
  Json hours = Json::object();
  if (const Json* h = f.raw("opening_hours")) {
    auto parsed = OpeningHours::from_json(*h);
    if (!parsed) f.add_error("opening_hours", parsed.error().message);
    else hours = parsed->to_json();
  } else {
    f.add_error("opening_hours", "is required");
  }
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  BranchRecord b{.id = new_id("br", now), .name = name, .timezone = tz, .opening_hours = dump_json(hours), .created_at = now};
  SPOTTER_DO(checked(platform_.log, store_.insert_branch(b), "branch"));
  platform_.audit.record(ctx, "branch.create", b.id, {{"name", name}});
  return json_response(201, branch_json(b));
}

HttpResponse OrgDomain::list_branches(RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(rows, checked(platform_.log, store_.branches(page.after.value_or(""), page.limit + 1), "branches"));
  Json items = Json::array();
  for (const auto& b : rows) items.push_back(branch_json(b));
  return json_response(200, page_json(std::move(items), page, [](const Json& b) { return b["id"].get<std::string>(); }));
}

HttpResponse OrgDomain::get_branch(RequestContext& ctx) {
  SPOTTER_TRY(b, checked(platform_.log, store_.branch(ctx.param("id")), "branch"));
  if (!b) return not_found("branch");
  return json_response(200, branch_json(*b));
}

HttpResponse OrgDomain::create_plan(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string name = f.text("name");
  std::int64_t price = f.integer("price_cents", 0, 100'000'000);
  std::int64_t days = f.integer("duration_days", 1, 3660);
  auto branch_ids = f.id_list("branch_ids");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(exist, checked(platform_.log, store_.branches_exist(branch_ids), "branches"));
  if (!exist) return validation_problem({{"branch_ids", "names a branch that does not exist"}});
  const std::int64_t now = platform_.now_ms();
  const std::string id = new_id("plan", now);
  SPOTTER_DO(checked(platform_.log, store_.insert_plan(id, name, price, days, {branch_ids.begin(), branch_ids.end()}, now), "plan"));
  platform_.audit.record(ctx, "plan.create", id, {{"name", name}});
  return json_response(201, {{"id", id}, {"name", name}, {"price_cents", price}, {"duration_days", days}, {"branch_ids", branch_ids}, {"created_at", rfc3339(now)}});
}

HttpResponse OrgDomain::list_plans(RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(items, checked(platform_.log, store_.plans(page.after.value_or(""), page.limit + 1), "plans"));
  return json_response(200, page_json(std::move(items), page, [](const Json& p) { return p["id"].get<std::string>(); }));
}

Json OrgDomain::subscription_json(const SubscriptionRecord& s) const {
  return {{"id", s.id},
          {"user_id", s.user_id},
          {"plan_id", s.plan_id},
          {"starts_at", rfc3339(s.starts_at)},
          {"expires_at", rfc3339(s.expires_at)},
          {"status", shown_subscription_status(s.status, s.expires_at, platform_.now_ms())},
          {"created_at", rfc3339(s.created_at)}};
}

HttpResponse OrgDomain::create_subscription(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string user_id = f.id("user_id");
  std::string plan_id = f.id("plan_id");
  auto starts = f.optional_time_ms("starts_at");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), user_id), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  SPOTTER_TRY(days, checked(platform_.log, store_.plan_duration_days(plan_id), "plan"));
  if (!days) return not_found("plan");
  const std::int64_t now = platform_.now_ms();
  const std::int64_t start = starts.value_or(now);
  SubscriptionRecord s{.id = new_id("sub", now), .user_id = user_id, .plan_id = plan_id, .status = "active",
                       .starts_at = start, .expires_at = start + *days * kDayMs, .created_at = now};
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                                if (auto r = store_.insert_subscription(s, now); !r) return r;
                                return member_changed(user_id);
                              }),
                              "subscription"));
  platform_.audit.record(ctx, "subscription.create", s.id, {{"user_id", user_id}, {"plan_id", plan_id}});
  return json_response(201, subscription_json(s));
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
