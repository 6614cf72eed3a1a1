// Staff and member accounts, look-up by email, document id and phone; credentials (NFC
// cards) and the member's rotating access QR.
#include <cctype>

#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "../../core/passwords.hpp"
#include "events.hpp"
#include "org.hpp"
#include "rules_people.hpp"
#include "spotter/common/access_qr.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::org {

HttpResponse OrgDomain::create_user_route(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  NewUser u;
  u.email = f.email("email");
  u.full_name = f.text("full_name");
  u.role = f.choice("role", {"admin", "trainer", "member"});
  auto password = f.optional_text("password", 256);
  u.home_branch_id = f.optional_id("home_branch_id");
  u.branch_ids = f.id_list("branch_ids", 50);
  u.phone = f.optional_text("phone", 20);
  u.document_id = f.optional_text("document_id", 64);
  if (u.phone && !valid_phone(*u.phone)) f.add_error("phone", "must be 6-20 digits, optionally starting with +");
  if (password && !u.email.empty())
    if (auto weak = password_weakness(*password, u.email)) f.add_error("password", *weak);
  if (!u.branch_ids.empty() && u.role != "trainer") f.add_error("branch_ids", "only trainers work at branches");
  if (!f.ok()) return f.problem();
  // Trainers register members of their own branches, nothing else.
  if (who.role == Role::trainer && (u.role != "member" || !u.home_branch_id || !who.manages_branch(*u.home_branch_id)))
    return forbidden("trainers create members whose home branch is one of theirs");
  std::vector<std::string> referenced = u.branch_ids;
  if (u.home_branch_id) referenced.push_back(*u.home_branch_id);
  SPOTTER_TRY(exist, checked(platform_.log, store_.branches_exist(referenced), "branches"));
  if (!exist) return validation_problem({{u.home_branch_id ? "home_branch_id" : "branch_ids", "names a branch that does not exist"}});
  const std::int64_t now = platform_.now_ms();
  u.id = new_id("usr", now);
  if (password) u.password_hash = platform_.hasher.hash(*password);
  auto tx = platform_.db.transaction([&]() -> Status {
    if (auto r = store_.insert_user(u, now); !r) return r;
    return u.role == "member" ? member_changed(u.id) : Status{};
  });
  if (!tx) {
    if (tx.error().code == sql_error::conflict) return problem(409, "email-taken", "an account with this email exists");
    return storage_failure(platform_.log, tx.error(), "user");
  }
  platform_.audit.record(ctx, "user.create", u.id, {{"role", u.role}});
  SPOTTER_TRY(user, checked(platform_.log, store_.user(u.id), "user"));
  if (!user) return storage_failure(platform_.log, Error{"sql", "vanished"}, "user");
  return json_response(201, *user);
}

HttpResponse OrgDomain::search_users(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden();
  SPOTTER_TRY(page, read_page(ctx.req));
  UserSearch q;
  q.email = std::string(ctx.req.query_param("email"));
  for (auto& c : q.email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  q.phone = std::string(ctx.req.query_param("phone"));
  q.document_id = std::string(ctx.req.query_param("document_id"));
  q.role = std::string(ctx.req.query_param("role"));
  q.prefix = search_fold(ctx.req.query_param("q"));
  // Trainers find the people of their branches: home branch, or a subscription there.
  if (who.role == Role::trainer) q.within_branches = who.branch_ids;
  q.after = page.after.value_or("");
  q.limit = page.limit + 1;
  SPOTTER_TRY(items, checked(platform_.log, store_.search_users(q), "users"));
  return json_response(200, page_json(std::move(items), page, [](const Json& u) { return u["id"].get<std::string>(); }));
}

HttpResponse OrgDomain::get_user(RequestContext& ctx) {
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), ctx.param("id")), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  SPOTTER_TRY(user, checked(platform_.log, store_.user(ctx.param("id")), "user"));
  if (!user) return not_found("user");
  return json_response(200, *user);
}

HttpResponse OrgDomain::add_credential(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string kind = f.choice("kind", {"nfc", "fingerprint"});
  if (kind == "fingerprint") return add_fingerprint(ctx, f);
  std::string uid_text = f.text("uid", 32);
  auto uid = normalized_uid(uid_text);
  if (!uid_text.empty() && !uid) f.add_error("uid", "must be a 4, 7 or 10 byte UID in hex");
  if (!f.ok()) return f.problem();
  const std::string user_id = ctx.param("id");
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), user_id), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  const std::int64_t now = platform_.now_ms();
  const std::string id = new_id("cred", now);
  auto tx = platform_.db.transaction([&]() -> Status {
    if (auto r = store_.insert_credential(id, user_id, kind, *uid, now); !r) return r;
    return member_changed(user_id);
  });
  if (!tx) {
    if (tx.error().code == sql_error::conflict) return problem(409, "uid-taken", "this card belongs to another credential");
    return storage_failure(platform_.log, tx.error(), "credential");
  }
  platform_.audit.record(ctx, "credential.add", id, {{"user_id", user_id}});
  return json_response(201, {{"id", id}, {"user_id", user_id}, {"kind", kind}, {"uid", *uid}, {"created_at", rfc3339(now)}, {"revoked_at", nullptr}});
}

HttpResponse OrgDomain::delete_credential(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  const std::string user_id = ctx.param("id");
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), user_id), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  bool revoked = false;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       auto r = store_.revoke_credential(user_id, ctx.param("credential_id"), platform_.now_ms());
                       if (!r) return Unexpected<Error>{r.error()};
                       revoked = *r;
                       return revoked ? member_changed(user_id) : Status{};
                     }),
                     "credential"));
  if (!revoked) return not_found("credential");
  platform_.audit.record(ctx, "credential.revoke", ctx.param("credential_id"), {{"user_id", user_id}});
  return no_content();
}

HttpResponse OrgDomain::list_credentials(RequestContext& ctx) {
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), ctx.param("id")), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  SPOTTER_TRY(items, checked(platform_.log, store_.credentials_of(ctx.param("id")), "credentials"));
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

HttpResponse OrgDomain::access_qr_for_me(RequestContext& ctx) {
  if (ctx.who().role != Role::member) return forbidden("access QR codes are for members");
  auto payload = access_qr::mint(ctx.who().id, platform_.keys().signing.qr, platform_.clock);
  if (!payload) return storage_failure(platform_.log, Error{"sql", payload.error().message}, "QR signing");
  return json_response(200, {{"payload", *payload},
                             {"expires_at", rfc3339(platform_.now_ms() + std::chrono::milliseconds(access_qr::kMaxLifetime).count())},
                             {"refresh_after_s", std::chrono::seconds(access_qr::kMaxLifetime).count() / 2}});
}

}  // namespace spotter::cloud::org
