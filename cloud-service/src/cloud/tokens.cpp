#include "tokens.hpp"

#include <mutex>

#include "spotter/common/crypto.hpp"
#include "spotter/common/ids.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

Result<std::string> mint_access(App& app, const std::string& user_id, const std::string& family) {
  const std::int64_t now_s = app.now_ms() / 1000;
  Json claims = {{"iss", "spotter-cloud"}, {"aud", "spotter-api"}, {"sub", user_id}, {"typ", "access"},
                 {"fam", family}, {"iat", now_s}, {"exp", now_s + kAccessLifetimeS}, {"jti", new_id(app.now_ms())}};
  return jwt::sign(claims, app.keys.access);
}

}  // namespace

Try<Json> issue_token_pair(App& app, const std::string& user_id, const std::optional<std::string>& family) {
  const std::int64_t now = app.now_ms();
  std::string fam = family.value_or(new_id("fam", now));
  const std::string refresh = "rt_" + crypto::random_token(32);
  auto tx = app.db.transaction([&]() -> Status {
    if (!family) {
      auto f = app.db.execute("INSERT INTO token_families (id, user_id, created_at) VALUES (?, ?, ?)", {fam, user_id, now});
      if (!f) return Unexpected<Error>{f.error()};
    }
    auto r = app.db.execute("INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                            {sha256_hex(refresh), fam, user_id, now + kRefreshLifetimeMs, now});
    if (!r) return Unexpected<Error>{r.error()};
    return {};
  });
  if (!tx) return Unexpected<HttpResponse>{storage_failure(app, tx.error(), "token issue")};
  auto access = mint_access(app, user_id, fam);
  if (!access) return Unexpected<HttpResponse>{storage_failure(app, Error{"sql", access.error().message}, "token signing")};
  return Json{{"access_token", *access}, {"refresh_token", refresh}, {"token_type", "Bearer"}, {"expires_in", kAccessLifetimeS},
              {"refresh_expires_in", kRefreshLifetimeMs / 1000}};
}

Try<Json> rotate_refresh_token(App& app, const RequestContext& ctx, const std::string& refresh_token) {
  const std::int64_t now = app.now_ms();
  const std::string hash = sha256_hex(refresh_token);
  enum class Outcome { ok, unknown, reused, revoked, expired } outcome = Outcome::unknown;
  std::string user_id, family;
  auto tx = app.db.transaction([&]() -> Status {
    auto rows = app.db.query("SELECT t.family_id, t.user_id, t.expires_at, t.spent_at, f.revoked_at FROM refresh_tokens t "
                             "JOIN token_families f ON f.id = t.family_id WHERE t.token_hash = ?", {hash});
    if (!rows) return Unexpected<Error>{rows.error()};
    if (rows->empty()) return {};
    const auto& r = rows->front();
    family = r.text(0);
    user_id = r.text(1);
    if (!r.is_null(4)) { outcome = Outcome::revoked; return {}; }
    if (!r.is_null(3)) {
      // A spent token presented again: someone holds a copy. The whole family goes.
      outcome = Outcome::reused;
      app.callers.clear();
      auto v = app.db.execute("UPDATE token_families SET revoked_at = ?, revoked_reason = 'reuse' WHERE id = ?", {now, family});
      return v ? Status{} : Status{Unexpected<Error>{v.error()}};
    }
    if (r.integer(2) <= now) { outcome = Outcome::expired; return {}; }
    auto spent = app.db.execute("UPDATE refresh_tokens SET spent_at = ? WHERE token_hash = ? AND spent_at IS NULL", {now, hash});
    if (!spent) return Unexpected<Error>{spent.error()};
    outcome = *spent == 1 ? Outcome::ok : Outcome::reused;
    return {};
  });
  if (!tx) return Unexpected<HttpResponse>{storage_failure(app, tx.error(), "refresh")};
  switch (outcome) {
    case Outcome::ok: break;
    case Outcome::reused:
      audit(app, ctx, "auth.refresh_reuse_detected", user_id, {{"family_id", family}});
      return reject(401, "token-reused", "this refresh token was already used; every session of its family is revoked");
    case Outcome::revoked: return reject(401, "revoked", "this refresh token was revoked");
    case Outcome::expired: return reject(401, "expired", "this refresh token has expired");
    case Outcome::unknown: return reject(401, "invalid-token", "unknown refresh token");
  }
  return issue_token_pair(app, user_id, family);
}

void revoke_family_of_refresh(App& app, const std::string& refresh_token, const char* reason) {
  auto r = app.db.execute("UPDATE token_families SET revoked_at = ?, revoked_reason = ? WHERE revoked_at IS NULL AND id = "
                          "(SELECT family_id FROM refresh_tokens WHERE token_hash = ?)",
                          {app.now_ms(), std::string(reason), sha256_hex(refresh_token)});
  if (!r) app.log.error("revoke failed", {{"error", r.error().message}});
  app.callers.clear();
}

void revoke_family_of_access(App& app, const std::string& access_token, const char* reason) {
  auto claims = app.access_verifier.verify(access_token, app.clock, {.leeway = std::chrono::seconds(5), .require_exp = true, .issuer = "spotter-cloud", .audience = "spotter-api"});
  if (!claims || !claims->contains("fam") || !(*claims)["fam"].is_string()) return;
  auto r = app.db.execute("UPDATE token_families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
                          {app.now_ms(), std::string(reason), (*claims)["fam"].get<std::string>()});
  if (!r) app.log.error("revoke failed", {{"error", r.error().message}});
  app.callers.clear();
}

Result<std::string> mint_gateway_token(App& app, const std::string& gateway_id, const std::string& branch_id) {
  const std::int64_t now_s = app.now_ms() / 1000;
  Json claims = {{"iss", "spotter-cloud"}, {"aud", "spotter-api"}, {"sub", gateway_id}, {"typ", "gateway"},
                 {"branch_id", branch_id}, {"iat", now_s}, {"exp", now_s + kGatewayTokenLifetimeS}};
  return jwt::sign(claims, app.keys.access);
}

const std::string& dummy_password_hash(App& app) {
  static std::once_flag once;
  static std::string hash;
  std::call_once(once, [&] { hash = app.hasher.hash(crypto::random_token(16)); });
  return hash;
}

}  // namespace spotter::cloud
