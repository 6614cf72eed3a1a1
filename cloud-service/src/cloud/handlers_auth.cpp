// Story 1.2: register, login, refresh (rotation, reuse detection), logout, me, password reset.
#include "../core/rules.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/ids.hpp"
#include "tokens.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

constexpr std::int64_t kResetLifetimeMs = 30LL * 60 * 1000;

HttpResponse register_user(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string email = f.email("email");
  std::string password = f.text("password", 256);
  std::string full_name = f.text("full_name");
  if (!password.empty())
    if (auto weak = password_weakness(password, email)) f.add_error("password", *weak);
  if (!f.ok()) return f.problem();
  const std::int64_t now = app.now_ms();
  std::string id = new_id("usr", now);
  auto r = app.db.execute("INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at) VALUES (?, ?, ?, ?, 'member', ?, ?)",
                          {id, email, app.hasher.hash(password), full_name, now, now});
  if (!r) {
    if (r.error().code == "conflict") return problem(409, "email-taken", "an account with this email exists");
    return storage_failure(app, r.error(), "register");
  }
  audit(app, ctx, "auth.register", id);
  SPOTTER_TRY(user, load_user(app, id));
  return json_response(201, *user);
}

HttpResponse too_many(std::int64_t retry_after_s) {
  HttpResponse r = problem(429, "too-many-attempts", "too many failed logins; try again later");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

HttpResponse login(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string email = f.email("email");
  std::string password = f.text("password", 256);
  if (!f.ok()) return f.problem();
  const std::string ip_key = "ip:" + ctx.req.remote_ip, account_key = "acct:" + email;
  if (auto wait = std::max(app.login_by_ip.retry_after_s(ip_key), app.login_by_account.retry_after_s(account_key)); wait > 0) {
    audit(app, ctx, "auth.login_throttled", email);
    return too_many(wait);
  }
  auto rows = app.db.query("SELECT id, password_hash FROM users WHERE email = ?", {email});
  if (!rows) return storage_failure(app, rows.error(), "login");
  // The hash is checked even for an unknown email, so timing does not tell which exist.
  const bool known = !rows->empty() && !rows->front().is_null(1);
  const std::string stored = known ? rows->front().text(1) : dummy_password_hash(app);
  const bool good = app.hasher.verify(stored, password) && known;
  if (!good) {
    app.login_by_ip.record_failure(ip_key);
    app.login_by_account.record_failure(account_key);
    audit(app, ctx, "auth.login_failed", email);
    return problem(401, "invalid-credentials", "the email or password is wrong");
  }
  const std::string user_id = rows->front().text(0);
  SPOTTER_TRY(pair, issue_token_pair(app, user_id, std::nullopt));
  RequestContext as_user{ctx.req, {}, Caller{.role = Role::member, .id = user_id, .family_id = {}, .branch_ids = {}}};
  audit(app, as_user, "auth.login", user_id);
  return json_response(200, pair);
}

HttpResponse refresh(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string token = f.text("refresh_token", 200);
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(pair, rotate_refresh_token(app, ctx, token));
  return json_response(200, pair);
}

HttpResponse logout(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  auto token = f.optional_text("refresh_token", 200);
  if (!f.ok()) return f.problem();
  if (token) revoke_family_of_refresh(app, *token, "logout");
  // The bearer's own family too, so the access token in hand stops working at once.
  if (ctx.req.authorization.size() > 7) revoke_family_of_access(app, ctx.req.authorization.substr(7), "logout");
  audit(app, ctx, "auth.logout", "");
  return no_content();
}

HttpResponse me(App& app, RequestContext& ctx) {
  SPOTTER_TRY(user, load_user(app, ctx.who().id));
  if (!user) return not_found("user");
  return json_response(200, *user);
}

HttpResponse reset_request(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string email = f.email("email");
  if (!f.ok()) return f.problem();
  auto rows = app.db.query("SELECT id FROM users WHERE email = ?", {email});
  if (!rows) return storage_failure(app, rows.error(), "password reset");
  if (!rows->empty()) {
    const std::string token = "pr_" + crypto::random_token(32);
    const std::string user_id = rows->front().text(0);
    auto r = app.db.execute("INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                            {sha256_hex(token), user_id, app.now_ms() + kResetLifetimeMs});
    if (!r) return storage_failure(app, r.error(), "password reset");
    // The mail is sent from this outbox row (delivery is a later job); the row is the proof.
    notify(app, user_id, "password_reset", {{"email", email}, {"token", token}, {"expires_at", rfc3339(app.now_ms() + kResetLifetimeMs)}});
    audit(app, ctx, "auth.password_reset_requested", user_id);
  }
  // The same answer whether or not the account exists.
  return json_response(202, {{"status", "if the account exists, a reset message is on its way"}});
}

HttpResponse reset_confirm(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string token = f.text("token", 200);
  std::string password = f.text("password", 256);
  if (!f.ok()) return f.problem();
  std::optional<std::string> user_id;
  const std::int64_t now = app.now_ms();
  auto tx = app.db.transaction([&]() -> Status {
    auto rows = app.db.query("SELECT r.user_id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id "
                             "WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ?", {sha256_hex(token), now});
    if (!rows) return Unexpected<Error>{rows.error()};
    if (rows->empty()) return {};
    if (auto weak = password_weakness(password, rows->front().text(1))) return fail("weak", *weak);
    auto used = app.db.execute("UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL", {now, sha256_hex(token)});
    if (!used) return Unexpected<Error>{used.error()};
    user_id = rows->front().text(0);
    auto set = app.db.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", {app.hasher.hash(password), now, *user_id});
    if (!set) return Unexpected<Error>{set.error()};
    // Every signed-in device signs in again with the new password.
    auto revoke = app.db.execute("UPDATE token_families SET revoked_at = ?, revoked_reason = 'password_reset' WHERE user_id = ? AND revoked_at IS NULL", {now, *user_id});
    if (!revoke) return Unexpected<Error>{revoke.error()};
    return {};
  });
  if (!tx) {
    if (tx.error().code == "weak") return validation_problem({{"password", tx.error().message}});
    return storage_failure(app, tx.error(), "password reset");
  }
  if (!user_id) return problem(400, "invalid-token", "the reset token is unknown, used or expired");
  app.callers.clear();
  audit(app, ctx, "auth.password_reset", *user_id);
  return no_content();
}

}  // namespace

std::vector<Route> auth_routes() {
  return {
      {"POST", "/api/auth/register", Access::open, register_user, "Create a member account", "anyone"},
      {"POST", "/api/auth/login", Access::open, login, "Exchange email and password for an access and a refresh token", "anyone"},
      {"POST", "/api/auth/refresh", Access::open, refresh, "Rotate a refresh token: a new pair, the old one spent", "anyone holding a refresh token"},
      {"POST", "/api/auth/logout", Access::open, logout, "Revoke the refresh token's family and the bearer's access token", "anyone"},
      {"GET", "/api/auth/me", Access::user, me, "The caller", "any user"},
      {"POST", "/api/auth/password-reset", Access::open, reset_request, "Send a single-use, expiring reset token (through the notification outbox)", "anyone"},
      {"POST", "/api/auth/password-reset/confirm", Access::open, reset_confirm, "Set a new password with a reset token", "anyone holding a reset token"},
  };
}

}  // namespace spotter::cloud
