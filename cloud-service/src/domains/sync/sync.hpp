// Gateway sync (docs/sync.md): gateway identities and tokens, the replica a gateway keeps
// (by version, as deltas), the ordered, exactly-once upload of what happened at the branch
// (dispatched to the domains that registered each kind), and commands for machines.
#pragma once
#include "../../platform/platform.hpp"
#include "../machines/machines.hpp"
#include "../org/org.hpp"
#include "store.hpp"

namespace spotter::cloud::sync {

inline constexpr std::int64_t kGatewayTokenLifetimeS = 10 * 60;

class SyncDomain final : public Domain {
 public:
  // `uploads`: the kinds other domains apply, filled while the service is assembled.
  SyncDomain(Platform& platform, org::OrgDomain& org, machines::MachinesDomain& machines, const GatewayEventTable& uploads);
  std::string_view name() const override { return "sync"; }
  std::vector<Migration> migrations() const override { return SyncStore::migrations(); }
  void routes(RouteTable& table) override;
  void subscribe(EventBus& bus) override;
  void gateway_events(GatewayEventTable& table) override;

  // --- for other domains and the service ---------------------------------------------
  // The branch of a gateway that is not revoked.
  Result<std::optional<GatewayAuth>> active_gateway(const std::string& gateway_id) { return store_.active_gateway(gateway_id); }
  // Every gateway fetches its whole replica again (the QR keys may have changed).
  Status everything_changed(const std::string& why);

 private:
  HttpResponse replica(RequestContext& ctx);
  HttpResponse upload(RequestContext& ctx);
  HttpResponse commands(RequestContext& ctx);
  HttpResponse quarantine_list(RequestContext& ctx);
  HttpResponse status(RequestContext& ctx);
  HttpResponse create_gateway(RequestContext& ctx);
  HttpResponse rotate_gateway(RequestContext& ctx);
  HttpResponse revoke_gateway(RequestContext& ctx);
  HttpResponse gateway_token(RequestContext& ctx);
  Try<Json> build_replica(const std::string& branch_id);
  Try<std::optional<Json>> build_delta(const std::string& branch_id, std::int64_t since);

  Platform& platform_;
  org::OrgDomain& org_;
  machines::MachinesDomain& machines_;
  const GatewayEventTable& uploads_;
  SyncStore store_;
};

}  // namespace spotter::cloud::sync
