// Accounts' sign-in (story 1.2): registration, login with limits across instances, access
// tokens (JWT HS256 with kid, 15 min), refresh tokens (opaque, 7 days, stored hashed,
// rotated on every use; a spent one presented again revokes its login), logout, password
// reset; and who is behind a token, for every route (authenticate()).
#pragma once
#include "../../platform/platform.hpp"
#include "../org/org.hpp"
#include "../sync/sync.hpp"
#include "caches.hpp"
#include "device_name.hpp"
#include "store.hpp"

namespace spotter::cloud::auth {

inline constexpr std::int64_t kAccessLifetimeS = 15 * 60;
inline constexpr std::int64_t kRefreshLifetimeMs = 7LL * 24 * 3600 * 1000;

class AuthDomain final : public Domain {
 public:
  AuthDomain(Platform& platform, org::OrgDomain& org, sync::SyncDomain& gateways);
  std::string_view name() const override { return "auth"; }
  std::vector<Migration> migrations() const override { return AuthStore::migrations(); }
  void routes(RouteTable& table) override;
  void subscribe(EventBus& bus) override;

  // --- for the router ----------------------------------------------------------------
  // The caller behind a bearer access or gateway token, or the 401/503 to answer.
  Try<Caller> authenticate(std::string_view token);
  // The same from memory alone (an I/O thread's fast path): nullopt when that would take
  // the database, and for anything but a user's access token.
  std::optional<Caller> cached_user(std::string_view token);

 private:
  // Counts one request against `keys` (platform requests limiter): a 429 when over the
  // limit (audited as `action`), else nullopt.
  std::optional<HttpResponse> counted_request(RequestContext& ctx, const std::vector<std::string>& keys, const char* action, const std::string& target);
  HttpResponse register_user(RequestContext& ctx);
  HttpResponse login(RequestContext& ctx);
  HttpResponse refresh(RequestContext& ctx);
  HttpResponse logout(RequestContext& ctx);
  HttpResponse me(RequestContext& ctx);
  HttpResponse reset_request(RequestContext& ctx);
  HttpResponse reset_confirm(RequestContext& ctx);
  // devices.cpp: the caller's logins, and signing one out.
  HttpResponse list_devices(RequestContext& ctx);
  HttpResponse sign_out_device(RequestContext& ctx);

  // tokens.cpp
  // A new login (no `family`, made on `device_name`) or the next pair of one.
  Try<Json> issue_token_pair(const std::string& user_id, const std::optional<std::string>& family, const std::string& device_name = "");
  Try<Json> rotate_refresh_token(const RequestContext& ctx, const std::string& refresh_token);
  Status revoke_logins(const Json& which);
  std::shared_ptr<const AccessClaims> verified_claims(std::string_view token);
  Try<Caller> load_caller(const AccessClaims& claims);
  const std::string& dummy_password_hash();

  Platform& platform_;
  org::OrgDomain& org_;
  sync::SyncDomain& gateways_;
  AuthStore store_;
  CallerCache callers_;  // keys "fam:<family id>", "gw:<gateway id>"
  VerifiedTokens verified_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

}  // namespace spotter::cloud::auth
