// Tokens: issuing and rotating refresh-token families, revoking them, and recognising the
// caller behind an access or gateway token (with the caches that keep that off the
// database on the hot path).
#include <algorithm>
#include <cmath>

#include "../org/events.hpp"
#include "../sync/events.hpp"
#include "../../platform/responses.hpp"
#include "auth.hpp"
#include "events.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::auth {
namespace {

const jwt::VerifyOptions kAccessOptions{.leeway = std::chrono::seconds(5), .require_exp = true, .issuer = "spotter-cloud", .audience = "spotter-api"};

}  // namespace

AuthDomain::AuthDomain(Platform& platform, org::OrgDomain& org, sync::SyncDomain& gateways)
    : platform_(platform), org_(org), gateways_(gateways), store_(platform.db) {}

// Every instance drops what it remembers of a login, an account or a gateway that changed.
void AuthDomain::subscribe(EventBus& bus) {
  bus.on_live(events::kLoginsRevoked, [this](const Event& e) {
    if (e.body.contains("family_ids") && e.body["family_ids"].is_array()) {
      for (const auto& f : e.body["family_ids"])
        if (f.is_string()) callers_.forget("fam:" + f.get<std::string>());
    } else {
      callers_.clear();
    }
    // Their open sockets are checked now, not at the next periodic check.
    if (auto u = e.body.find("user_id"); u != e.body.end() && u->is_string()) platform_.live.recheck(u->get<std::string>());
  });
  bus.on(org::events::kMemberErased, [this](const Event& e) {
    const std::string user_id = e.body.value("user_id", "");
    if (auto r = store_.erase_member(user_id, platform_.now_ms()); !r) return r;
    return revoke_logins({{"user_id", user_id}});
  });
  // Branches a member may see follow their subscriptions.
  bus.on_live(org::events::kMemberChanged, [this](const Event&) { callers_.clear(); });
  // Members' branches come from their plans' branches.
  bus.on_live(org::events::kPlanChanged, [this](const Event&) { callers_.clear(); });
  // Rare (a rotation, a revocation): every entry goes rather than finding the gateway's.
  bus.on_live(sync::events::kGatewayChanged, [this](const Event&) { callers_.clear(); });
  bus.on_resync([this] { callers_.clear(); });
}

Status AuthDomain::revoke_logins(const Json& which) { return platform_.events.publish({events::kLoginsRevoked, which}); }

Try<Json> AuthDomain::issue_token_pair(const std::string& user_id, const std::optional<std::string>& family, const std::string& device_name) {
  const std::int64_t now = platform_.now_ms();
  const std::string fam = family.value_or(new_id("fam", now));
  const std::string refresh = "rt_" + crypto::random_token(32);
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       if (!family)
                         if (auto r = store_.insert_family(fam, user_id, now, device_name); !r) return r;
                       if (family)
                         if (auto r = store_.touch_family(fam, now); !r) return r;
                       return store_.insert_refresh(crypto::sha256_hex(refresh), fam, user_id, now + kRefreshLifetimeMs, now);
                     }),
                     "token issue"));
  const std::int64_t now_s = now / 1000;
  Json claims = {{"iss", "spotter-cloud"}, {"aud", "spotter-api"}, {"sub", user_id}, {"typ", "access"},
                 {"fam", fam}, {"iat", now_s}, {"exp", now_s + kAccessLifetimeS}, {"jti", new_id(now)}};
  auto access = jwt::sign(claims, platform_.keys().signing.access);
  if (!access) return storage_error(platform_.log, Error{"sql", access.error().message}, "token signing");
  return Json{{"access_token", *access}, {"refresh_token", refresh}, {"token_type", "Bearer"}, {"expires_in", kAccessLifetimeS},
              {"refresh_expires_in", kRefreshLifetimeMs / 1000}};
}

Try<Json> AuthDomain::rotate_refresh_token(const RequestContext& ctx, const std::string& refresh_token) {
  const std::int64_t now = platform_.now_ms();
  const std::string hash = crypto::sha256_hex(refresh_token);
  enum class Outcome { ok, unknown, reused, revoked, expired } outcome = Outcome::unknown;
  std::string user_id, family;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       outcome = Outcome::unknown;
                       auto found = store_.refresh(hash);
                       if (!found) return Unexpected<Error>{found.error()};
                       if (!*found) return {};
                       const auto& r = **found;
                       family = r.family_id;
                       user_id = r.user_id;
                       if (r.family_revoked) return outcome = Outcome::revoked, Status{};
                       // A spent token presented again: someone holds a copy. The whole login goes.
                       auto reuse = [&]() -> Status {
                         outcome = Outcome::reused;
                         if (auto v = store_.revoke_family(family, "reuse", now); !v) return v;
                         return revoke_logins({{"family_ids", Json::array({family})}});
                       };
                       if (r.spent) return reuse();
                       if (r.expires_at <= now) return outcome = Outcome::expired, Status{};
                       auto spent = store_.spend(hash, now);
                       if (!spent) return Unexpected<Error>{spent.error()};
                       if (!*spent) return reuse();
                       outcome = Outcome::ok;
                       return {};
                     }),
                     "refresh"));
  switch (outcome) {
    case Outcome::ok: break;
    case Outcome::reused:
      platform_.audit.record(ctx, "auth.refresh_reuse_detected", user_id, {{"family_id", family}});
      return reject(401, "token-reused", "this refresh token was already used; every session of its family is revoked");
    case Outcome::revoked: return reject(401, "revoked", "this refresh token was revoked");
    case Outcome::expired: return reject(401, "expired", "this refresh token has expired");
    case Outcome::unknown: return reject(401, "invalid-token", "unknown refresh token");
  }
  SPOTTER_TRY(account, checked(platform_.log, org_.account(user_id, now), "account"));
  if (!account) return reject(401, "revoked", "this account no longer exists");
  if (account->suspended) return reject(401, "account-suspended", "this account is suspended");
  return issue_token_pair(user_id, family);
}

const std::string& AuthDomain::dummy_password_hash() {
  std::call_once(dummy_once_, [&] { dummy_hash_ = platform_.hasher.hash(crypto::random_token(16)); });
  return dummy_hash_;
}

std::shared_ptr<const AccessClaims> AuthDomain::verified_claims(std::string_view token) {
  const std::int64_t now = platform_.now_ms();
  if (auto known = verified_.get(token, now)) return known;
  auto verified = platform_.keys().access.verify(token, platform_.clock, kAccessOptions);
  if (!verified) return nullptr;
  const Json& c = *verified;
  auto text = [&c](const char* name) { return c.contains(name) && c[name].is_string() ? c[name].get<std::string>() : std::string(); };
  auto claims = std::make_shared<AccessClaims>(AccessClaims{.typ = text("typ"), .sub = text("sub"), .fam = text("fam")});
  if (claims->typ.empty() || claims->sub.empty()) return nullptr;
  if (c.contains("sv") && c["sv"].is_number_integer()) claims->secret_version = c["sv"].get<std::int64_t>();
  // The verifier accepted exp and nbf as finite numbers (exp is required); keep its window.
  const double leeway_ms = static_cast<double>(std::chrono::milliseconds(kAccessOptions.leeway).count());
  auto to_ms = [](double ms) { return static_cast<std::int64_t>(std::clamp(ms, -9.0e18, 9.0e18)); };
  claims->valid_until_ms = to_ms(std::floor(c["exp"].get<double>() * 1000.0 + leeway_ms));
  claims->valid_from_ms = c.contains("nbf") ? to_ms(std::ceil(c["nbf"].get<double>() * 1000.0 - leeway_ms)) : 0;
  verified_.put(token, claims);
  return claims;
}

Try<Caller> AuthDomain::authenticate(std::string_view token) {
  if (token.empty()) return reject(401, "unauthenticated", "a bearer access token is required");
  auto claims = verified_claims(token);
  if (!claims) return reject(401, "invalid-token", "the access token is invalid or expired");
  const bool is_gateway = claims->typ == "gateway";
  // A gateway's entry is per secret, so a token of a rotated secret never finds the new one's.
  const std::string cache_key =
      is_gateway ? "gw:" + claims->sub + ":" + std::to_string(claims->secret_version) : (claims->fam.empty() ? "" : "fam:" + claims->fam);
  if (!cache_key.empty())
    if (auto cached = callers_.get(cache_key); cached && cached->id == claims->sub) return *cached;
  auto loaded = load_caller(*claims);
  if (!cache_key.empty()) {
    if (loaded) callers_.put(cache_key, *loaded);
    else callers_.forget(cache_key);  // no one keeps using an entry the database refused
  }
  return loaded;
}

std::optional<Caller> AuthDomain::cached_user(std::string_view token) {
  auto claims = verified_.get(token, platform_.now_ms());
  if (!claims || claims->typ != "access" || claims->fam.empty()) return std::nullopt;
  auto caller = callers_.get("fam:" + claims->fam, CallerCache::OnExpiry::skip);
  if (!caller || caller->id != claims->sub) return std::nullopt;
  return caller;
}

Try<Caller> AuthDomain::load_caller(const AccessClaims& c) {
  Caller caller;
  caller.id = c.sub;
  if (c.typ == "gateway") {
    SPOTTER_TRY(gateway, checked(platform_.log, gateways_.active_gateway(caller.id), "gateway lookup"));
    if (!gateway) return reject(401, "revoked", "this gateway is revoked");
    if (gateway->secret_version != c.secret_version) return reject(401, "revoked", "this token was issued for a secret that was rotated since");
    caller.role = Role::gateway;
    caller.branch_ids.insert(gateway->branch_id);
    return caller;
  }
  if (c.typ != "access" || c.fam.empty()) return reject(401, "invalid-token", "the access token is invalid or expired");
  caller.family_id = c.fam;
  // Logout and reuse detection revoke the family: its access tokens stop working at once.
  SPOTTER_TRY(active, checked(platform_.log, store_.family_active(caller.family_id, caller.id), "token family lookup"));
  if (!active) return reject(401, "revoked", "this session was logged out or revoked");
  SPOTTER_TRY(account, checked(platform_.log, org_.account(caller.id, platform_.now_ms()), "account"));
  if (!account) return reject(401, "revoked", "this account no longer exists");
  if (account->suspended) return reject(401, "account-suspended", "this account is suspended");
  auto role = parse_role(account->role);
  if (!role) return reject(401, "invalid-token", "unknown role");
  caller.role = *role;
  caller.all_branches = caller.role == Role::admin || account->all_branches;
  caller.branch_ids = account->branch_ids;
  return caller;
}

}  // namespace spotter::cloud::auth
