// A domain is one room of the cloud (org, sessions, machines, …): a folder under
// src/domains/ with its routes, its store (all of its SQL) and its pure rules. The service
// asks every domain, in the order src/app/domains.cpp builds them, for its migrations,
// routes, background jobs and event subscriptions; that file is the only place that names
// them all. A domain reads and writes its own tables only: it asks another domain through
// that domain's public methods, and reacts to what others do through their events
// (platform/events.hpp). docs/architecture.md says how to add one.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/authz.hpp"
#include "../core/http.hpp"
#include "gateway_events.hpp"
#include "spotter/cloud/storage.hpp"

namespace spotter::cloud {

using Params = std::map<std::string, std::string, std::less<>>;

// One request as a handler sees it: the request, the path's {parameters}, and the caller
// once authenticated (set for every route whose access is not `open`).
struct RequestContext {
  const HttpRequest& req;
  Params params;
  std::optional<Caller> caller;
  const std::string& param(const char* name) const { return params.at(name); }
  const Caller& who() const { return *caller; }
};

enum class Access { open, user, gateway, user_or_gateway };

// Runs on a worker thread; may block on the database.
using Handler = std::function<HttpResponse(RequestContext&)>;
// Runs on an I/O thread and must not block: the answer from memory alone, shared by every
// request that gets the same one, or null to take the normal path (Handler).
using MemoryHandler = std::function<std::shared_ptr<const HttpResponse>(const HttpRequest&, const Caller&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/users/{id}/credentials/{credential_id}"
  Access access = Access::user;
  Handler handler;
  std::string summary;  // for the OpenAPI document
  std::string who;      // roles, for the OpenAPI document
  MemoryHandler from_memory = nullptr;  // only for GET routes without {parameters}
};

class RouteTable {
 public:
  void add(Route route) { routes_.push_back(std::move(route)); }
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// A background job returns how many rows it changed, or why it failed. Each runs in one
// instance at a time (a lease in the database), every --job-interval.
using JobRun = std::function<Result<int>()>;

class JobTable {
 public:
  void add(std::string name, JobRun run) { jobs_.emplace_back(std::move(name), std::move(run)); }
  const std::vector<std::pair<std::string, JobRun>>& jobs() const { return jobs_; }

 private:
  std::vector<std::pair<std::string, JobRun>> jobs_;
};

class EventBus;

class Domain {
 public:
  virtual ~Domain() = default;
  virtual std::string_view name() const = 0;
  // Its tables, in order, for both engines (ids "<name>/<n>").
  virtual std::vector<Migration> migrations() const = 0;
  virtual void routes(RouteTable&) {}
  virtual void jobs(JobTable&) {}
  virtual void subscribe(EventBus&) {}
  // Kinds of gateway upload it applies (the sync domain dispatches them).
  virtual void gateway_events(GatewayEventTable&) {}
};

}  // namespace spotter::cloud
