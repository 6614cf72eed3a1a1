// Operations: health, Prometheus metrics, the OpenAPI document, the audit log and the
// notification outbox for admins, and the platform's housekeeping jobs.
#pragma once
#include <functional>

#include "../../platform/platform.hpp"

namespace spotter::cloud::ops {

// What the service knows of itself, for /health.
struct Health {
  std::function<Result<Json>()> jobs;  // {name: {last_run_at, ok, runs, detail}}, each fresh or not
  std::function<Json()> cluster;       // the change feed to the other instances: {"state", ...}
};

class OpsDomain final : public Domain {
 public:
  // `routes` is the service's whole table (filled before the first request).
  OpsDomain(Platform& platform, const RouteTable& routes, Health health);
  std::string_view name() const override { return "ops"; }
  std::vector<Migration> migrations() const override { return {}; }
  void routes(RouteTable& table) override;
  void jobs(JobTable& table) override;

 private:
  HttpResponse health(RequestContext& ctx);
  HttpResponse metrics(RequestContext& ctx);
  HttpResponse openapi(RequestContext& ctx);
  HttpResponse audit_log(RequestContext& ctx);
  HttpResponse notifications(RequestContext& ctx);

  Platform& platform_;
  const RouteTable& all_routes_;
  Health health_;
};

}  // namespace spotter::cloud::ops
