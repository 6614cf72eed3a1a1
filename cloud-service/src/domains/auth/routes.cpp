// Story 1.2: register, login, refresh (rotation, reuse detection), logout, me, password reset.
#include "../../core/fields.hpp"
#include "../../core/passwords.hpp"
#include "../../platform/responses.hpp"
#include "auth.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::auth {
namespace {

constexpr std::int64_t kResetLifetimeMs = 30LL * 60 * 1000;

HttpResponse too_many(std::int64_t retry_after_s) {
  HttpResponse r = problem(429, "too-many-attempts", "too many failed logins; try again later");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

}  // namespace

void AuthDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (AuthDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/auth/register", Access::open, bind(&AuthDomain::register_user), "Create a member account", "anyone"});
  t.add({"POST", "/api/auth/login", Access::open, bind(&AuthDomain::login), "Exchange email and password for an access and a refresh token", "anyone"});
  t.add({"POST", "/api/auth/refresh", Access::open, bind(&AuthDomain::refresh), "Rotate a refresh token: a new pair, the old one spent",
         "anyone holding a refresh token"});
  t.add({"POST", "/api/auth/logout", Access::open, bind(&AuthDomain::logout), "Revoke the refresh token's family and the bearer's access token", "anyone"});
  t.add({"GET", "/api/auth/me", Access::user, bind(&AuthDomain::me), "The caller", "any user"});
  t.add({"GET", "/api/users/me/devices", Access::user, bind(&AuthDomain::list_devices), "The caller's logins, one per refresh-token family", "any user"});
  t.add({"DELETE", "/api/users/me/devices/{id}", Access::user, bind(&AuthDomain::sign_out_device),
         "Sign one login out: its access and refresh tokens stop working and its WebSockets close at once", "any user"});
  t.add({"POST", "/api/auth/password-reset", Access::open, bind(&AuthDomain::reset_request),
         "Send a single-use, expiring reset token (through the notification outbox)", "anyone"});
  t.add({"POST", "/api/auth/password-reset/confirm", Access::open, bind(&AuthDomain::reset_confirm), "Set a new password with a reset token",
         "anyone holding a reset token"});
}

std::optional<HttpResponse> AuthDomain::counted_request(RequestContext& ctx, const std::vector<std::string>& keys, const char* action,
                                                        const std::string& target) {
  auto wait = platform_.requests.retry_after_s(keys);
  if (!wait) return storage_failure(platform_.log, wait.error(), "request limits");
  if (*wait > 0) {
    platform_.audit.record(ctx, action, target);
    return too_many(*wait);
  }
  if (auto r = platform_.requests.record_failure(keys); !r) return storage_failure(platform_.log, r.error(), "request limits");
  return std::nullopt;
}

HttpResponse AuthDomain::register_user(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string email = f.email("email");
  std::string password = f.text("password", 256);
  std::string full_name = f.text("full_name");
  if (!password.empty())
    if (auto weak = password_weakness(password, email)) f.add_error("password", *weak);
  if (!f.ok()) return f.problem();
  if (auto limited = counted_request(ctx, {"register-ip:" + ctx.req.remote_ip}, "auth.register_throttled", email)) return *limited;
  const std::int64_t now = platform_.now_ms();
  org::NewUser u{.id = new_id("usr", now), .email = email, .full_name = full_name, .role = "member", .password_hash = platform_.hasher.hash(password),
                 .home_branch_id = {}, .phone = {}, .document_id = {}, .branch_ids = {}};
  if (auto r = org_.create_user(u); !r) {
    if (r.error().code == sql_error::conflict) return problem(409, "email-taken", "an account with this email exists");
    return storage_failure(platform_.log, r.error(), "register");
  }
  platform_.audit.record(ctx, "auth.register", u.id);
  SPOTTER_TRY(user, checked(platform_.log, org_.user_view(u.id), "user"));
  if (!user) return storage_failure(platform_.log, Error{"sql", "vanished"}, "user");
  return json_response(201, *user);
}

HttpResponse AuthDomain::login(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string email = f.email("email");
  std::string password = f.text("password", 256);
  auto device_name = f.optional_text("device_name", 100);
  if (!f.ok()) return f.problem();
  const std::vector<std::string> keys{"ip:" + ctx.req.remote_ip, "acct:" + email};
  SPOTTER_TRY(wait, checked(platform_.log, platform_.attempts.retry_after_s(keys), "attempt limits"));
  if (wait > 0) {
    platform_.audit.record(ctx, "auth.login_throttled", email);
    return too_many(wait);
  }
  SPOTTER_TRY(record, checked(platform_.log, org_.login_record(email), "login"));
  // The hash is checked even for an unknown email, so timing does not tell which exist.
  const bool known = record && record->password_hash;
  const std::string stored = known ? *record->password_hash : dummy_password_hash();
  const bool good = platform_.hasher.verify(stored, password) && known;
  if (!good) {
    if (auto r = platform_.attempts.record_failure(keys); !r) platform_.log.error("attempt not recorded", {{"error", r.error().message}});
    platform_.audit.record(ctx, "auth.login_failed", email);
    return problem(401, "invalid-credentials", "the email or password is wrong");
  }
  // Said only to who knows the password.
  if (record->suspended) {
    platform_.audit.record(ctx, "auth.login_suspended", email);
    return problem(403, "account-suspended", "this account is suspended; the front desk can tell why");
  }
  SPOTTER_TRY(pair, issue_token_pair(record->id, std::nullopt, device_name ? *device_name : device_from_user_agent(ctx.req.user_agent)));
  RequestContext as_user{ctx.req, {}, Caller{.role = Role::member, .id = record->id, .family_id = {}, .branch_ids = {}}};
  platform_.audit.record(as_user, "auth.login", record->id);
  return json_response(200, pair);
}

HttpResponse AuthDomain::refresh(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string token = f.text("refresh_token", 200);
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(pair, rotate_refresh_token(ctx, token));
  return json_response(200, pair);
}

HttpResponse AuthDomain::logout(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  auto token = f.optional_text("refresh_token", 200);
  if (!f.ok()) return f.problem();
  Json families = Json::array();
  std::string user_id;
  const std::int64_t now = platform_.now_ms();
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       families = Json::array();
                       user_id.clear();
                       if (token) {
                         auto fam = store_.revoke_family_of(crypto::sha256_hex(*token), "logout", now);
                         if (!fam) return Unexpected<Error>{fam.error()};
                         if (*fam) families.push_back(**fam);
                       }
                       // The bearer's own family too, so the access token in hand stops working at once.
                       if (ctx.req.authorization.size() > 7)
                         if (auto claims = verified_claims(std::string_view(ctx.req.authorization).substr(7)); claims && !claims->fam.empty()) {
                           if (auto r = store_.revoke_family(claims->fam, "logout", now); !r) return r;
                           families.push_back(claims->fam);
                           user_id = claims->sub;
                         }
                       if (families.empty()) return Status{};
                       // With the person known, their sockets are re-checked at once too.
                       return revoke_logins(user_id.empty() ? Json{{"family_ids", families}} : Json{{"family_ids", families}, {"user_id", user_id}});
                     }),
                     "logout"));
  platform_.audit.record(ctx, "auth.logout", "");
  return no_content();
}

HttpResponse AuthDomain::me(RequestContext& ctx) {
  SPOTTER_TRY(user, checked(platform_.log, org_.user_view(ctx.who().id), "user"));
  if (!user) return not_found("user");
  return json_response(200, *user);
}

HttpResponse AuthDomain::reset_request(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string email = f.email("email");
  if (!f.ok()) return f.problem();
  // Counted whether or not the account exists (the answer must not tell): a mailbox is not
  // flooded, and an address cannot ask for thousands.
  if (auto limited = counted_request(ctx, {"reset-ip:" + ctx.req.remote_ip, "reset-acct:" + email}, "auth.reset_throttled", email)) return *limited;
  SPOTTER_TRY(record, checked(platform_.log, org_.login_record(email), "password reset"));
  if (record) {
    const std::string token = "pr_" + crypto::random_token(32);
    const std::int64_t expires = platform_.now_ms() + kResetLifetimeMs;
    SPOTTER_DO(checked(platform_.log, store_.insert_reset(crypto::sha256_hex(token), record->id, expires), "password reset"));
    // The mail is sent from this outbox row (delivery is a later job); the row is the proof.
    platform_.outbox.notify(record->id, "password_reset", {{"email", email}, {"token", token}, {"expires_at", rfc3339(expires)}});
    platform_.audit.record(ctx, "auth.password_reset_requested", record->id);
  }
  // The same answer whether or not the account exists.
  return json_response(202, {{"status", "if the account exists, a reset message is on its way"}});
}

HttpResponse AuthDomain::reset_confirm(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string token = f.text("token", 200);
  std::string password = f.text("password", 256);
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  const std::string hash = crypto::sha256_hex(token);
  SPOTTER_TRY(pending, checked(platform_.log, store_.pending_reset(hash, now), "password reset"));
  if (!pending) return problem(400, "invalid-token", "the reset token is unknown, used or expired");
  SPOTTER_TRY(user, checked(platform_.log, org_.user_view(*pending), "user"));
  if (!user) return problem(400, "invalid-token", "the reset token is unknown, used or expired");
  if (auto weak = password_weakness(password, user->value("email", ""))) return validation_problem({{"password", *weak}});
  const std::string new_hash = platform_.hasher.hash(password);
  std::optional<std::string> user_id;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       auto used = store_.use_reset(hash, now);
                       if (!used) return Unexpected<Error>{used.error()};
                       user_id = *used;
                       if (!user_id) return {};  // another confirm took it first
                       if (auto r = org_.set_password_hash(*user_id, new_hash); !r) return r;
                       // Every signed-in device signs in again with the new password.
                       if (auto r = store_.revoke_all_of(*user_id, "password_reset", now); !r) return r;
                       return revoke_logins({{"user_id", *user_id}});
                     }),
                     "password reset"));
  if (!user_id) return problem(400, "invalid-token", "the reset token is unknown, used or expired");
  platform_.audit.record(ctx, "auth.password_reset", *user_id);
  return no_content();
}

}  // namespace spotter::cloud::auth
