// The org domain's routes, and branches (seed 002). Plans: plans.cpp; subscriptions:
// subscriptions.cpp; people: people_routes.cpp, user_updates.cpp.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "org.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::org {
namespace {

Json branch_json(const BranchRecord& b) {
  return {{"id", b.id},
          {"name", b.name},
          {"timezone", b.timezone},
          {"opening_hours", parse_json_strict(b.opening_hours).value_or(Json::object())},
          {"currency", b.currency},
          {"active", b.active},
          {"created_at", rfc3339(b.created_at)}};
}

// The branch fields a body may carry (create: all but currency and active required).
void read_branch(Fields& f, BranchRecord& b, bool create) {
  if (create || f.has("name")) b.name = f.text("name");
  if (create || f.has("timezone")) {
    b.timezone = f.text("timezone", 64);
    if (!b.timezone.empty() && !load_time_zone(b.timezone)) f.add_error("timezone", "is not an IANA time zone this server knows");
  }
  if (create || f.has("opening_hours")) {
    const Json* h = f.raw("opening_hours");
    auto parsed = h ? OpeningHours::from_json(*h) : Result<OpeningHours>{fail("invalid", "is required")};
    if (!parsed) f.add_error("opening_hours", parsed.error().message);
    else b.opening_hours = dump_json(parsed->to_json());
  }
  if (f.has("currency")) {
    b.currency = f.text("currency", 3);
    if (!b.currency.empty() && !valid_currency(b.currency)) f.add_error("currency", "must be an ISO 4217 code: three capital letters");
  }
  if (f.has("active")) b.active = f.boolean("active");
}

}  // namespace

void OrgDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (OrgDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/branches", Access::user, bind(&OrgDomain::create_branch),
         "Create a branch: name, timezone, opening_hours, currency (ISO 4217, default EUR)", "admin"});
  t.add({"GET", "/api/branches", Access::user, bind(&OrgDomain::list_branches), "List branches (members: active ones)", "any user"});
  t.add({"GET", "/api/branches/{id}", Access::user, bind(&OrgDomain::get_branch), "One branch (members: if active)", "any user"});
  t.add({"PATCH", "/api/branches/{id}", Access::user, bind(&OrgDomain::update_branch),
         "Change name, timezone, opening_hours, currency, active (inactive: no door opens, no visit starts, members no longer see it)", "admin"});
  plan_routes(t);
  subscription_routes(t);
  t.add({"POST", "/api/users", Access::user, bind(&OrgDomain::create_user_route), "Create a staff or member account", "admin; trainer (members of own branches)"});
  t.add({"GET", "/api/users", Access::user, bind(&OrgDomain::search_users),
         "Find people: q (prefix of a name or any of its words, email, phone or document id; accents and case ignored), or exactly email, "
         "document_id, phone; role",
         "admin, trainer (own branches)"});
  t.add({"GET", "/api/users/{id}", Access::user, bind(&OrgDomain::get_user), "One user", "the user, admin, trainer (own branches)"});
  t.add({"PATCH", "/api/users/{id}", Access::user, bind(&OrgDomain::update_user),
         "Change full_name, phone, document_id, home_branch_id, status (active|suspended); role and branch_ids by admins",
         "admin; trainer (members of own branches)"});
  t.add({"POST", "/api/users/{id}/credentials", Access::user, bind(&OrgDomain::add_credential), "Give a user an NFC card {kind: nfc, uid} (a UID belongs to one user) or enrol a finger {kind: fingerprint, finger, template: base64 of at most 4096 bytes} (sealed at rest, never returned; 503 without --fingerprint-key)",
         "admin, trainer (own branches)"});
  t.add({"GET", "/api/users/{id}/credentials", Access::user, bind(&OrgDomain::list_credentials), "A user's credentials", "the user, admin, trainer (own branches)"});
  // /me first: the router takes the first pattern that matches, and "me" is a valid id.
  t.add({"DELETE", "/api/users/me", Access::user, bind(&OrgDomain::erase_me),
         "Erase my account (body: password): personal data deleted or anonymised, every token ends, the doors refuse my cards; "
         "visits and sales stay, anonymised", "member"});
  t.add({"DELETE", "/api/users/{id}", Access::user, bind(&OrgDomain::erase_user), "Erase a person, as DELETE /api/users/me", "admin"});
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
  BranchRecord b;
  read_branch(f, b, true);
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  b.id = new_id("br", now);
  b.created_at = now;
  SPOTTER_DO(checked(platform_.log, store_.insert_branch(b), "branch"));
  platform_.audit.record(ctx, "branch.create", b.id, {{"name", b.name}});
  return json_response(201, branch_json(b));
}

HttpResponse OrgDomain::update_branch(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  SPOTTER_TRY(found, checked(platform_.log, store_.branch(ctx.param("id")), "branch"));
  if (!found) return not_found("branch");
  BranchRecord b = *found;
  Fields f(body);
  read_branch(f, b, false);
  if (!f.ok()) return f.problem();
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       if (auto r = store_.update_branch(b, platform_.now_ms()); !r) return r;
                       return platform_.events.publish(events::branch_changed(b.id));
                     }),
                     "branch"));
  Json changed = Json::array();
  for (const auto& [key, value] : body.items()) changed.push_back(key);
  platform_.audit.record(ctx, "branch.update", b.id, {{"fields", changed}, {"active", b.active}});
  return json_response(200, branch_json(b));
}

HttpResponse OrgDomain::list_branches(RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  // Members no longer see an inactive branch.
  SPOTTER_TRY(rows, checked(platform_.log, store_.branches(page.after.value_or(""), page.limit + 1, ctx.who().is_staff()), "branches"));
  Json items = Json::array();
  for (const auto& b : rows) items.push_back(branch_json(b));
  return json_response(200, page_json(std::move(items), page, [](const Json& b) { return b["id"].get<std::string>(); }));
}

HttpResponse OrgDomain::get_branch(RequestContext& ctx) {
  SPOTTER_TRY(b, checked(platform_.log, store_.branch(ctx.param("id")), "branch"));
  if (!b || (!b->active && !ctx.who().is_staff())) return not_found("branch");
  return json_response(200, branch_json(*b));
}

}  // namespace spotter::cloud::org
