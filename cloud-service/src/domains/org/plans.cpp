// Membership plans (cloud-api-2.md "Chain operations"): a price, a duration and the branches
// they open (none: all). A price change applies to new sales only (a subscription keeps what
// it cost); an inactive plan is not sold; changing the branches changes the doors of every
// subscription to the plan, so their gateways get whole replicas.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "org.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::org {
namespace {

constexpr std::int64_t kMaxPriceCents = 100'000'000, kMaxDays = 3660;

Json plan_json(const PlanRecord& p) {
  return {{"id", p.id},         {"name", p.name},     {"price_cents", p.price_cents}, {"duration_days", p.duration_days},
          {"branch_ids", p.branch_ids}, {"active", p.active}, {"created_at", rfc3339(p.created_at)}};
}

void read_plan(Fields& f, PlanRecord& p, bool create) {
  if (create || f.has("name")) p.name = f.text("name");
  if (create || f.has("price_cents")) p.price_cents = f.integer("price_cents", 0, kMaxPriceCents);
  if (create || f.has("duration_days")) p.duration_days = f.integer("duration_days", 1, kMaxDays);
  if (f.has("branch_ids")) {
    p.branch_ids = f.id_list("branch_ids");
    std::sort(p.branch_ids.begin(), p.branch_ids.end());
    p.branch_ids.erase(std::unique(p.branch_ids.begin(), p.branch_ids.end()), p.branch_ids.end());
  }
  if (f.has("active")) p.active = f.boolean("active");
}

}  // namespace

void OrgDomain::plan_routes(RouteTable& t) {
  auto bind = [this](HttpResponse (OrgDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/membership-plans", Access::user, bind(&OrgDomain::create_plan),
         "Create a membership plan: name, price_cents, duration_days, branch_ids (none: every branch)", "admin"});
  t.add({"GET", "/api/membership-plans", Access::user, bind(&OrgDomain::list_plans), "List membership plans (members: those on sale)", "any user"});
  t.add({"GET", "/api/membership-plans/{id}", Access::user, bind(&OrgDomain::get_plan), "One membership plan", "any user"});
  t.add({"PATCH", "/api/membership-plans/{id}", Access::user, bind(&OrgDomain::update_plan),
         "Change name, price_cents (new sales only), duration_days (new sales only), branch_ids, active (inactive: not sold)", "admin"});
}

HttpResponse OrgDomain::create_plan(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  PlanRecord p;
  read_plan(f, p, true);
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(exist, checked(platform_.log, store_.branches_exist(p.branch_ids), "branches"));
  if (!exist) return validation_problem({{"branch_ids", "names a branch that does not exist"}});
  const std::int64_t now = platform_.now_ms();
  p.id = new_id("plan", now);
  p.created_at = now;
  SPOTTER_DO(checked(platform_.log, store_.insert_plan(p.id, p.name, p.price_cents, p.duration_days, {p.branch_ids.begin(), p.branch_ids.end()}, now),
                     "plan"));
  platform_.audit.record(ctx, "plan.create", p.id, {{"name", p.name}});
  return json_response(201, plan_json(p));
}

HttpResponse OrgDomain::list_plans(RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(items, checked(platform_.log, store_.plans(page.after.value_or(""), page.limit + 1, ctx.who().is_staff()), "plans"));
  return json_response(200, page_json(std::move(items), page, [](const Json& p) { return p["id"].get<std::string>(); }));
}

HttpResponse OrgDomain::get_plan(RequestContext& ctx) {
  SPOTTER_TRY(p, checked(platform_.log, store_.plan(ctx.param("id")), "plan"));
  if (!p || (!p->active && !ctx.who().is_staff())) return not_found("plan");
  return json_response(200, plan_json(*p));
}

HttpResponse OrgDomain::update_plan(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  SPOTTER_TRY(found, checked(platform_.log, store_.plan(ctx.param("id")), "plan"));
  if (!found) return not_found("plan");
  PlanRecord p = *found;
  Fields f(body);
  read_plan(f, p, false);
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(exist, checked(platform_.log, store_.branches_exist(p.branch_ids), "branches"));
  if (!exist) return validation_problem({{"branch_ids", "names a branch that does not exist"}});
  const bool doors_changed = p.branch_ids != found->branch_ids;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       if (auto r = store_.update_plan(p, platform_.now_ms()); !r) return r;
                       return doors_changed ? platform_.events.publish(events::plan_changed(p.id)) : Status{};
                     }),
                     "plan"));
  Json changed = Json::array();
  for (const auto& [key, value] : body.items()) changed.push_back(key);
  platform_.audit.record(ctx, "plan.update", p.id, {{"fields", changed}, {"price_cents", p.price_cents}, {"active", p.active}});
  return json_response(200, plan_json(p));
}

}  // namespace spotter::cloud::org
