// Staff change a person (cloud-api-2.md "Chain operations": PATCH /api/users/{id}): name,
// phone, document id, home branch and status (a suspended user cannot log in, their tokens
// stop at once and no door opens for them); admins also change role and a trainer's
// branches. And the job that gives people from before the desk's search their keys.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "org.hpp"
#include "rules_people.hpp"

namespace spotter::cloud::org {
namespace {

// A text that null clears.
void read_clearable(Fields& f, const char* name, std::size_t max_len, std::optional<std::string>& into) {
  if (!f.has(name)) return;
  if (f.raw(name)->is_null()) into.reset();
  else into = f.text(name, max_len);
}

}  // namespace

HttpResponse OrgDomain::update_user(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  const std::string user_id = ctx.param("id");
  SPOTTER_TRY(access, checked(platform_.log, user_access(who, user_id), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  SPOTTER_TRY(found, checked(platform_.log, store_.person(user_id), "user"));
  if (!found) return not_found("user");
  if (!who.is_admin() && found->role != "member") return forbidden("trainers change members only");
  if (!who.is_admin() && (body.contains("role") || body.contains("branch_ids"))) return forbidden("only admins change a role or a trainer's branches");
  Person p = *found;
  Fields f(body);
  if (f.has("full_name")) p.full_name = f.text("full_name");
  read_clearable(f, "phone", 20, p.phone);
  if (p.phone && f.has("phone") && !valid_phone(*p.phone)) f.add_error("phone", "must be 6-20 digits, optionally starting with +");
  read_clearable(f, "document_id", 64, p.document_id);
  if (f.has("home_branch_id")) p.home_branch_id = f.raw("home_branch_id")->is_null() ? std::nullopt : std::optional<std::string>(f.id("home_branch_id"));
  if (f.has("status")) p.status = f.choice("status", {"active", "suspended"});
  if (f.has("role")) p.role = f.choice("role", {"admin", "trainer", "member"});
  if (f.has("branch_ids")) p.branch_ids = f.id_list("branch_ids", 50);
  if (p.role != "trainer" && f.has("branch_ids") && !p.branch_ids.empty()) f.add_error("branch_ids", "only trainers work at branches");
  if (p.role != "trainer") p.branch_ids.clear();
  // Nobody locks themselves out.
  if (user_id == who.id && p.status != found->status) f.add_error("status", "staff do not suspend themselves");
  if (user_id == who.id && p.role != found->role) f.add_error("role", "staff do not change their own role");
  if (!f.ok()) return f.problem();
  if (!who.is_admin() && p.home_branch_id != found->home_branch_id && (!p.home_branch_id || !who.manages_branch(*p.home_branch_id)))
    return forbidden("trainers move members to one of their own branches only");
  std::vector<std::string> referenced = p.branch_ids;
  if (p.home_branch_id) referenced.push_back(*p.home_branch_id);
  SPOTTER_TRY(exist, checked(platform_.log, store_.branches_exist(referenced), "branches"));
  if (!exist) return validation_problem({{p.home_branch_id ? "home_branch_id" : "branch_ids", "names a branch that does not exist"}});
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       if (auto r = store_.update_person(p, platform_.now_ms()); !r) return r;
                       return member_changed(user_id);
                     }),
                     "user"));
  Json changed = Json::array();
  for (const auto& [key, value] : body.items()) changed.push_back(key);
  platform_.audit.record(ctx, "user.update", user_id, {{"fields", changed}, {"status", p.status}, {"role", p.role}});
  return json_response(200, user_json(p));
}

Result<int> OrgDomain::index_people() {
  // A backfill after an upgrade, gently: 2,000 people a run in transactions of 500, from
  // where the last run stopped; after one whole pass that finds nobody it stops for good
  // (people created or imported since have their keys). Runs on the job thread only.
  constexpr std::int64_t kBatch = 500;
  if (people_indexed_) return 0;
  int indexed = 0;
  for (int round = 0; round < 4; ++round) {
    auto people = store_.people_without_search_keys(index_after_, kBatch);
    if (!people) return Unexpected<Error>{people.error()};
    auto tx = platform_.db.transaction([&]() -> Status {
      for (const auto& p : *people) SPOTTER_SQL(store_.set_search_keys(p.id, search_keys(p.full_name, p.email, p.phone, p.document_id)));
      return {};
    });
    if (!tx) return Unexpected<Error>{tx.error()};
    indexed += static_cast<int>(people->size());
    if (static_cast<std::int64_t>(people->size()) < kBatch) {
      people_indexed_ = true;
      break;
    }
    index_after_ = people->back().id;
  }
  return indexed;
}

}  // namespace spotter::cloud::org
