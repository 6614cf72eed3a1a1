// The service's shared state and the seams handlers use: the database (SqlDatabase), the
// clock, password hashing, and the machine-event publisher (WebSocket hub). Handlers are
// plain functions of (App, RequestContext); they never see Beast or SQLite.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../core/authz.hpp"
#include "../core/fields.hpp"
#include "../core/http.hpp"
#include "../core/rate_limiter.hpp"
#include "caches.hpp"
#include "metrics.hpp"
#include "spotter/cloud/sql.hpp"
#include "spotter/common/clock.hpp"
#include "spotter/common/jwt.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;
  virtual std::string hash(const std::string& password) = 0;
  virtual bool verify(const std::string& encoded, const std::string& password) = 0;
};

// Receives every machine change to fan out. Thread-safe; never blocks on a client.
class MachineEvents {
 public:
  virtual ~MachineEvents() = default;
  virtual void publish(const std::string& branch_id, const std::string& machine_id, const Json& event) = 0;
};

struct SigningKeys {
  jwt::Key access;              // newest HS256 key: signs access and gateway tokens
  std::vector<jwt::Key> access_all;
  jwt::Key qr;                  // ES256: signs access QR payloads; gateways get the public half
  std::vector<jwt::Key> qr_public;
  std::vector<std::pair<std::string, crypto::Bytes>> qr_public_sec1;  // what gateways verify QR codes with
};

struct App {
  SqlDatabase& db;
  const Clock& clock;
  Logger log;
  PasswordHasher& hasher;
  Metrics& metrics;
  SigningKeys keys;
  jwt::Verifier access_verifier;
  jwt::Verifier qr_verifier;
  MachineEvents* events = nullptr;  // set once the hub exists
  FailureLimiter login_by_ip;
  FailureLimiter login_by_account;
  std::string instance_id;  // job leases name their holder by it
  CallerCache callers;       // keys "fam:<family id>", "gw:<gateway id>"
  VerifiedTokens verified_tokens;
  AvailabilityCache availability;
  CalendarCache calendars;

  App(SqlDatabase& d, const Clock& c, Logger l, PasswordHasher& h, Metrics& m, SigningKeys k);
  std::int64_t now_ms() const { return clock.now_ms(); }
};

using Params = std::map<std::string, std::string, std::less<>>;

struct RequestContext {
  const HttpRequest& req;
  Params params;
  std::optional<Caller> caller;
  const std::string& param(const char* name) const { return params.at(name); }
  const Caller& who() const { return *caller; }
};

enum class Access { open, user, gateway, user_or_gateway };

using Handler = std::function<HttpResponse(App&, RequestContext&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/users/{id}/credentials/{credential_id}"
  Access access = Access::user;
  Handler handler;
  std::string summary;  // for the OpenAPI document
  std::string who;      // roles, for the OpenAPI document
};

std::vector<Route> auth_routes();
std::vector<Route> org_routes();
std::vector<Route> user_routes();
std::vector<Route> session_routes();
std::vector<Route> machine_routes();
std::vector<Route> ops_routes();
std::vector<Route> sync_routes();
std::vector<Route> all_routes();

// --- helpers shared by handlers -------------------------------------------------------

// 500 for a database failure, logged without bound values; 409 for "conflict".
HttpResponse storage_failure(App& app, const Error& e, std::string_view what);

struct Page {
  std::int64_t limit = 50;
  std::optional<std::string> after;  // the last id of the previous page
};
Try<Page> read_page(const HttpRequest& req);
// `items` fetched with LIMIT page.limit + 1; `key_of` gives each item's cursor key.
Json page_json(Json items, const Page& page, const std::function<std::string(const Json&)>& key_of);

void audit(App& app, const RequestContext& ctx, std::string_view action, std::string_view target, const Json& detail = Json::object());
void notify(App& app, const std::optional<std::string>& user_id, std::string_view kind, const Json& payload);

HttpResponse forbidden(std::string_view detail = "your role or branch does not allow this");
HttpResponse not_found(std::string_view what);

}  // namespace spotter::cloud
