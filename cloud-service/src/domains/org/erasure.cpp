// Erasure (cloud-api-2.md: DELETE /api/users/me by the member with their password, DELETE
// /api/users/{id} by an admin). One transaction: org clears its own rows (erasure_store.cpp)
// and publishes kMemberErased, to which every domain holding personal data reacts inside
// the same transaction (events.hpp says what stays); the platform forgets the person's
// messages, stored answers and the audit entries that named them by email. The gateways drop
// the person with the next replica delta, and their tokens stop at once.
#include "../../core/fields.hpp"
#include "../../platform/idempotency.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "org.hpp"

namespace spotter::cloud::org {

HttpResponse OrgDomain::erase_me(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (who.role != Role::member) return forbidden("staff accounts are erased by an admin");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  const std::string password = f.text("password", 1024);
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(hash, checked(platform_.log, store_.password_hash_of(who.id), "user"));
  if (!hash || !platform_.hasher.verify(*hash, password)) {
    platform_.audit.record(ctx, "user.erase_refused", who.id);
    return problem(401, "invalid-credentials", "the password is wrong: nothing was erased");
  }
  return erase(ctx, who.id);
}

HttpResponse OrgDomain::erase_user(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_admin()) return forbidden("only admins erase people");
  const std::string user_id = ctx.param("id");
  if (user_id == who.id) return problem(409, "erase-self", "an admin is erased by another admin");
  SPOTTER_TRY(found, checked(platform_.log, store_.person(user_id), "user"));
  if (!found) return not_found("user");
  if (found->role == "admin") return problem(409, "erase-admin", "make the admin a member or trainer first");
  return erase(ctx, user_id);
}

HttpResponse OrgDomain::erase(RequestContext& ctx, const std::string& user_id) {
  const std::int64_t now = platform_.now_ms();
  auto tx = platform_.db.transaction([&]() -> Status {
    auto email = store_.erase_person(user_id, now);
    if (!email) return Unexpected<Error>{email.error()};
    if (auto r = platform_.events.publish(events::member_erased(user_id)); !r) return r;
    if (auto r = platform_.outbox.forget(user_id); !r) return r;
    if (auto r = forget_idempotency_keys(platform_.db, user_id); !r) return r;
    if (auto r = platform_.audit.forget(*email); !r) return r;
    return member_changed(user_id);  // the gateways' replicas, every instance's caches
  });
  if (!tx) {
    if (tx.error().code == "not_found") return not_found("user");
    return storage_failure(platform_.log, tx.error(), "erasure");
  }
  platform_.audit.record(ctx, "user.erase", user_id);
  return no_content();
}

}  // namespace spotter::cloud::org
