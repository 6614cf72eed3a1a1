// Branches, membership plans and subscriptions (seed 002), staff and member accounts.
#include "../core/rules.hpp"
#include "people.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/opening_hours.hpp"
#include "sync_apply.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

Json branch_json(const SqlRow& r) {
  return {{"id", r.text(0)}, {"name", r.text(1)}, {"timezone", r.text(2)},
          {"opening_hours", parse_json_strict(r.text(3)).value_or(Json::object())}, {"created_at", rfc3339(r.integer(4))}};
}

HttpResponse create_branch(App& app, RequestContext& ctx) {
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
  const std::int64_t now = app.now_ms();
  const std::string id = new_id("br", now);
  auto r = app.db.execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                          {id, name, tz, dump_json(hours), now, now});
  if (!r) return storage_failure(app, r.error(), "branch");
  audit(app, ctx, "branch.create", id, {{"name", name}});
  return json_response(201, {{"id", id}, {"name", name}, {"timezone", tz}, {"opening_hours", hours}, {"created_at", rfc3339(now)}});
}

HttpResponse list_branches(App& app, RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  auto rows = app.db.query("SELECT id, name, timezone, opening_hours, created_at FROM branches WHERE id > ? ORDER BY id LIMIT ?",
                           {page.after.value_or(""), page.limit + 1});
  if (!rows) return storage_failure(app, rows.error(), "branches");
  Json items = Json::array();
  for (const auto& r : *rows) items.push_back(branch_json(r));
  return json_response(200, page_json(std::move(items), page, [](const Json& b) { return b["id"].get<std::string>(); }));
}

HttpResponse get_branch(App& app, RequestContext& ctx) {
  auto rows = app.db.query("SELECT id, name, timezone, opening_hours, created_at FROM branches WHERE id = ?", {ctx.param("id")});
  if (!rows) return storage_failure(app, rows.error(), "branch");
  if (rows->empty()) return not_found("branch");
  return json_response(200, branch_json(rows->front()));
}

// Every id in `ids` names an existing branch; otherwise a field error.
Try<bool> branches_exist(App& app, const std::vector<std::string>& ids) {
  if (ids.empty()) return true;
  std::vector<SqlValue> params(ids.begin(), ids.end());
  auto rows = app.db.query("SELECT COUNT(*) FROM branches WHERE id IN (" + placeholders(ids.size()) + ")", params);
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "branches")};
  std::set<std::string> distinct(ids.begin(), ids.end());
  return rows->front().integer(0) == static_cast<std::int64_t>(distinct.size());
}

HttpResponse create_plan(App& app, RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string name = f.text("name");
  std::int64_t price = f.integer("price_cents", 0, 100'000'000);
  std::int64_t days = f.integer("duration_days", 1, 3660);
  auto branch_ids = f.id_list("branch_ids");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(exist, branches_exist(app, branch_ids));
  if (!exist) return validation_problem({{"branch_ids", "names a branch that does not exist"}});
  const std::int64_t now = app.now_ms();
  const std::string id = new_id("plan", now);
  auto tx = app.db.transaction([&]() -> Status {
    auto r = app.db.execute("INSERT INTO plans (id, name, price_cents, duration_days, created_at) VALUES (?, ?, ?, ?, ?)", {id, name, price, days, now});
    if (!r) return Unexpected<Error>{r.error()};
    for (const auto& b : std::set<std::string>(branch_ids.begin(), branch_ids.end())) {
      auto pb = app.db.execute("INSERT INTO plan_branches (plan_id, branch_id) VALUES (?, ?)", {id, b});
      if (!pb) return Unexpected<Error>{pb.error()};
    }
    return {};
  });
  if (!tx) return storage_failure(app, tx.error(), "plan");
  audit(app, ctx, "plan.create", id, {{"name", name}});
  return json_response(201, {{"id", id}, {"name", name}, {"price_cents", price}, {"duration_days", days}, {"branch_ids", branch_ids}, {"created_at", rfc3339(now)}});
}

HttpResponse list_plans(App& app, RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  auto rows = app.db.query("SELECT p.id, p.name, p.price_cents, p.duration_days, p.created_at FROM plans p WHERE p.id > ? ORDER BY p.id LIMIT ?",
                           {page.after.value_or(""), page.limit + 1});
  if (!rows) return storage_failure(app, rows.error(), "plans");
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.text(0));
  SPOTTER_TRY(branches, plan_branch_ids(app, ids));
  Json items = Json::array();
  for (const auto& r : *rows) {
    auto b = branches.find(r.text(0));
    items.push_back({{"id", r.text(0)}, {"name", r.text(1)}, {"price_cents", r.integer(2)}, {"duration_days", r.integer(3)},
                     {"created_at", rfc3339(r.integer(4))}, {"branch_ids", b == branches.end() ? Json::array() : b->second}});
  }
  return json_response(200, page_json(std::move(items), page, [](const Json& p) { return p["id"].get<std::string>(); }));
}

HttpResponse create_subscription(App& app, RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string user_id = f.id("user_id");
  std::string plan_id = f.id("plan_id");
  auto starts = f.optional_time_ms("starts_at");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(access, user_access(app, ctx.who(), user_id));
  if (access != UserAccess::ok) return user_access_problem(access);
  auto plan = app.db.query("SELECT duration_days FROM plans WHERE id = ?", {plan_id});
  if (!plan) return storage_failure(app, plan.error(), "plan");
  if (plan->empty()) return not_found("plan");
  const std::int64_t now = app.now_ms();
  const std::int64_t start = starts.value_or(now);
  const std::int64_t expires = start + plan->front().integer(0) * kDayMs;
  const std::string id = new_id("sub", now);
  auto r = app.db.execute("INSERT INTO subscriptions (id, user_id, plan_id, starts_at, expires_at, status, created_at, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, 'active', ?, ?)", {id, user_id, plan_id, start, expires, now, now});
  if (!r) return storage_failure(app, r.error(), "subscription");
  audit(app, ctx, "subscription.create", id, {{"user_id", user_id}, {"plan_id", plan_id}});
  replica_changed(app, "user", user_id);
  auto row = app.db.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE id = ?", {id});
  if (!row || row->empty()) return storage_failure(app, row ? Error{"sql", "vanished"} : row.error(), "subscription");
  return json_response(201, subscription_json(row->front(), now));
}

HttpResponse set_suspended(App& app, RequestContext& ctx, bool suspend) {
  if (!ctx.who().is_staff()) return forbidden();
  auto row = app.db.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE id = ?", {ctx.param("id")});
  if (!row) return storage_failure(app, row.error(), "subscription");
  if (row->empty()) return not_found("subscription");
  SPOTTER_TRY(access, user_access(app, ctx.who(), row->front().text(1)));
  if (access != UserAccess::ok) return forbidden("this subscription is not yours to change");
  const std::int64_t now = app.now_ms();
  if (row->front().text(5) == "expired" || row->front().integer(4) <= now) return problem(409, "expired", "an expired subscription cannot change");
  auto r = app.db.execute("UPDATE subscriptions SET status = ?, updated_at = ? WHERE id = ?", {std::string(suspend ? "suspended" : "active"), now, ctx.param("id")});
  if (!r) return storage_failure(app, r.error(), "subscription");
  audit(app, ctx, suspend ? "subscription.suspend" : "subscription.resume", ctx.param("id"));
  replica_changed(app, "user", row->front().text(1));
  auto again = app.db.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE id = ?", {ctx.param("id")});
  if (!again || again->empty()) return storage_failure(app, again ? Error{"sql", "vanished"} : again.error(), "subscription");
  return json_response(200, subscription_json(again->front(), now));
}

HttpResponse user_subscriptions(App& app, RequestContext& ctx) {
  SPOTTER_TRY(access, user_access(app, ctx.who(), ctx.param("id")));
  if (access != UserAccess::ok) return user_access_problem(access);
  SPOTTER_TRY(page, read_page(ctx.req));
  auto rows = app.db.query(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
                           {ctx.param("id"), page.after.value_or(""), page.limit + 1});
  if (!rows) return storage_failure(app, rows.error(), "subscriptions");
  Json items = Json::array();
  for (const auto& r : *rows) items.push_back(subscription_json(r, app.now_ms()));
  return json_response(200, page_json(std::move(items), page, [](const Json& s) { return s["id"].get<std::string>(); }));
}

}  // namespace

std::vector<Route> org_routes() {
  return {
      {"POST", "/api/branches", Access::user, create_branch, "Create a branch with its time zone and opening hours", "admin"},
      {"GET", "/api/branches", Access::user, list_branches, "List branches", "any user"},
      {"GET", "/api/branches/{id}", Access::user, get_branch, "One branch", "any user"},
      {"POST", "/api/membership-plans", Access::user, create_plan, "Create a membership plan", "admin"},
      {"GET", "/api/membership-plans", Access::user, list_plans, "List membership plans", "any user"},
      {"POST", "/api/subscriptions", Access::user, create_subscription, "Subscribe a user to a plan", "admin, trainer (own branches)"},
      {"POST", "/api/subscriptions/{id}/suspend", Access::user, [](App& a, RequestContext& c) { return set_suspended(a, c, true); }, "Suspend a subscription: it opens no door", "admin, trainer (own branches)"},
      {"POST", "/api/subscriptions/{id}/resume", Access::user, [](App& a, RequestContext& c) { return set_suspended(a, c, false); }, "Resume a suspended subscription", "admin, trainer (own branches)"},
      {"GET", "/api/users/{id}/subscriptions", Access::user, user_subscriptions, "A user's subscriptions", "the member, admin, trainer (own branches)"},
  };
}

}  // namespace spotter::cloud
