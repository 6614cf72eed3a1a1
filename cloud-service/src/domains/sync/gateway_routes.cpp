// Gateway identities: issued by an admin (the secret shown once, stored as SHA-256),
// exchanged for 10-minute tokens, rotated, revoked.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "sync.hpp"

namespace spotter::cloud::sync {
using crypto::sha256_hex;

HttpResponse SyncDomain::create_gateway(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string branch_id = f.id("branch_id");
  std::string name = f.text("name");
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  const std::string id = new_id("gw", now);
  const std::string secret = "gws_" + crypto::random_token(32);
  if (auto r = store_.insert_gateway(id, branch_id, name, sha256_hex(secret), now); !r) {
    if (r.error().code == sql_error::reference) return validation_problem({{"branch_id", "no such branch"}});
    return storage_failure(platform_.log, r.error(), "gateway");
  }
  platform_.audit.record(ctx, "gateway.create", id, {{"branch_id", branch_id}});
  return json_response(201, {{"gateway_id", id}, {"branch_id", branch_id}, {"name", name}, {"secret", secret}, {"created_at", rfc3339(now)}});
}

HttpResponse SyncDomain::rotate_gateway(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  const std::string secret = "gws_" + crypto::random_token(32);
  bool rotated = false;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       auto r = store_.rotate_secret(ctx.param("id"), sha256_hex(secret), platform_.now_ms());
                       if (!r) return Unexpected<Error>{r.error()};
                       rotated = *r;
                       return rotated ? platform_.events.publish({events::kGatewayChanged, {{"gateway_id", ctx.param("id")}}}) : Status{};
                     }),
                     "gateway"));
  if (!rotated) return not_found("active gateway");
  platform_.audit.record(ctx, "gateway.rotate", ctx.param("id"));
  return json_response(200, {{"gateway_id", ctx.param("id")}, {"secret", secret}});
}

HttpResponse SyncDomain::revoke_gateway(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden();
  bool revoked = false;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       auto r = store_.revoke(ctx.param("id"), platform_.now_ms());
                       if (!r) return Unexpected<Error>{r.error()};
                       revoked = *r;
                       return revoked ? platform_.events.publish({events::kGatewayChanged, {{"gateway_id", ctx.param("id")}}}) : Status{};
                     }),
                     "gateway"));
  if (!revoked) return not_found("active gateway");
  platform_.audit.record(ctx, "gateway.revoke", ctx.param("id"));
  return no_content();
}

HttpResponse SyncDomain::gateway_token(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string gateway_id = f.id("gateway_id");
  std::string secret = f.text("secret", 200);
  if (!f.ok()) return f.problem();
  const std::vector<std::string> keys{"gw-ip:" + ctx.req.remote_ip};
  SPOTTER_TRY(wait, checked(platform_.log, platform_.attempts.retry_after_s(keys), "attempt limits"));
  if (wait > 0) {
    HttpResponse r = problem(429, "too-many-attempts", "too many failed attempts");
    r.headers.emplace_back("Retry-After", std::to_string(wait));
    return r;
  }
  SPOTTER_TRY(stored, checked(platform_.log, store_.secret_of(gateway_id), "gateway"));
  const std::string presented = sha256_hex(secret);
  const bool match = stored && crypto::constant_time_equal(std::string_view(stored->secret_hash), std::string_view(presented));
  if (!match || stored->revoked) {
    if (auto r = platform_.attempts.record_failure(keys); !r) platform_.log.error("attempt not recorded", {{"error", r.error().message}});
    platform_.audit.record(ctx, "gateway.auth_failed", gateway_id);
    return problem(401, "invalid-credentials", "unknown, revoked or wrong gateway credentials");
  }
  const std::int64_t now_s = platform_.now_ms() / 1000;
  Json claims = {{"iss", "spotter-cloud"}, {"aud", "spotter-api"}, {"sub", gateway_id}, {"typ", "gateway"},
                 {"branch_id", stored->branch_id}, {"iat", now_s}, {"exp", now_s + kGatewayTokenLifetimeS},
                 // The secret it was issued for: a rotation ends the tokens of the old one at once.
                 {"sv", stored->secret_version}};
  auto token = jwt::sign(claims, platform_.keys().signing.access);
  if (!token) return storage_failure(platform_.log, Error{"sql", token.error().message}, "gateway token");
  return json_response(200, {{"access_token", *token}, {"token_type", "Bearer"}, {"expires_in", kGatewayTokenLifetimeS}, {"branch_id", stored->branch_id}});
}

}  // namespace spotter::cloud::sync
