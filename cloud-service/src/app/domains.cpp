#include "domains.hpp"

#include "spotter/common/ids.hpp"

namespace spotter::cloud {

Domains::Domains(Platform& platform, ops::Health health) : platform_(platform) {
  // One line per domain; each gets the domains it asks things of (built before it).
  auto& org = add<org::OrgDomain>(platform);
  auto& sessions = add<sessions::SessionsDomain>(platform, org);
  auto& machines = add<machines::MachinesDomain>(platform, org, sessions);
  auto& sync = add<sync::SyncDomain>(platform, org, machines, uploads_);
  auto& auth = add<auth::AuthDomain>(platform, org, sync);
  add<training::TrainingDomain>(platform, org);
  add<engagement::EngagementDomain>(platform, org);
  add<shop::ShopDomain>(platform, org);
  add<measurements::MeasurementsDomain>(platform, org);
  add<desk::DeskDomain>(platform);
  add<ops::OpsDomain>(platform, routes_, std::move(health));

  org_ = &org;
  machines_ = &machines;
  sync_ = &sync;
  auth_ = &auth;
  for (auto& d : all_) {
    d->routes(routes_);
    d->jobs(jobs_);
    d->gateway_events(uploads_);
    d->subscribe(platform.events);
  }
}

std::vector<Migration> Domains::migrations() const {
  std::vector<Migration> all = platform_migrations();
  for (const auto& d : all_)
    for (auto& m : d->migrations()) all.push_back(std::move(m));
  return all;
}

Result<std::string> Domains::import_branch(const Json& doc) {
  if (!doc.is_object() || !doc.contains("branch") || !doc["branch"].is_object()) return fail("invalid", "branch: missing");
  const Json& b = doc["branch"];
  const std::string branch_id = b.contains("id") && b["id"].is_string() ? b["id"].get<std::string>() : "";
  if (!is_valid_id(branch_id)) return fail("invalid", "branch.id: must match [A-Za-z0-9_-]{1,64}");
  if (doc.contains("machines") && !doc["machines"].is_array()) return fail("invalid", "machines: must be an array");
  std::string summary;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto people = org_->import_branch(branch_id, doc);
    if (!people) return Unexpected<Error>{people.error()};
    auto machines = machines_->import_machines(branch_id, doc.value("machines", Json::array()));
    if (!machines) return Unexpected<Error>{machines.error()};
    summary = std::to_string(people->members) + " members, " + std::to_string(people->subscriptions) + " subscriptions, " +
              std::to_string(people->cards) + " cards, " + std::to_string(*machines) + " machines";
    return {};
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return summary;
}

}  // namespace spotter::cloud
