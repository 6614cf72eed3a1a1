// The cloud's domains, built in dependency order on one platform: the one place that
// names them all (docs/architecture.md, "Adding a domain").
#pragma once
#include <memory>
#include <vector>

#include "../domains/auth/auth.hpp"
#include "../domains/machines/machines.hpp"
#include "../domains/desk/desk.hpp"
#include "../domains/ops/ops.hpp"
#include "../domains/org/org.hpp"
#include "../domains/measurements/measurements.hpp"
#include "../domains/sessions/sessions.hpp"
#include "../domains/shop/shop.hpp"
#include "../domains/sync/sync.hpp"
#include "../domains/engagement/engagement.hpp"
#include "../domains/training/training.hpp"
#include "../platform/platform.hpp"

namespace spotter::cloud {

class Domains {
 public:
  // Builds every domain and collects their routes, jobs, gateway uploads and event
  // subscriptions. Touches no database: that starts with migrations().
  Domains(Platform& platform, ops::Health health);
  // The platform's, then each domain's, in the order they were built.
  std::vector<Migration> migrations() const;
  const RouteTable& routes() const { return routes_; }
  const JobTable& jobs() const { return jobs_; }
  auth::AuthDomain& auth() { return *auth_; }
  org::OrgDomain& org() { return *org_; }
  sync::SyncDomain& sync() { return *sync_; }
  // `spotter-cloud import`: a branch in the replica format, people and machines together.
  Result<std::string> import_branch(const Json& doc);

 private:
  template <class D, class... Args>
  D& add(Args&&... args) {
    auto domain = std::make_unique<D>(std::forward<Args>(args)...);
    D& ref = *domain;
    all_.push_back(std::move(domain));
    return ref;
  }

  Platform& platform_;
  std::vector<std::unique_ptr<Domain>> all_;
  RouteTable routes_;
  JobTable jobs_;
  GatewayEventTable uploads_;
  org::OrgDomain* org_ = nullptr;
  machines::MachinesDomain* machines_ = nullptr;
  sync::SyncDomain* sync_ = nullptr;
  auth::AuthDomain* auth_ = nullptr;
};

}  // namespace spotter::cloud
