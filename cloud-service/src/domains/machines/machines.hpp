// Machines (seed 000 stories 3.2, 3.3): the registry, availability, links between a member
// and a machine with a queue for busy ones, device heartbeats, workout data, maintenance,
// and what the branch gateways report of them.
#pragma once
#include "../../platform/platform.hpp"
#include "../org/org.hpp"
#include "../sessions/sessions.hpp"
#include "availability.hpp"
#include "spotter/protocol/messages.hpp"
#include "store.hpp"

namespace spotter::cloud::machines {

class MachinesDomain final : public Domain, public sessions::MachinesOfVisit {
 public:
  MachinesDomain(Platform& platform, org::OrgDomain& org, sessions::SessionsDomain& sessions);
  std::string_view name() const override { return "machines"; }
  std::vector<Migration> migrations() const override { return MachineStore::migrations(); }
  void routes(RouteTable& table) override;
  void jobs(JobTable& table) override;
  void subscribe(EventBus& bus) override;
  void gateway_events(GatewayEventTable& table) override;

  // --- for other domains -------------------------------------------------------------
  Result<Json> machines_of_visit(const std::string& session_id) override { return store_.links_of_visit(session_id); }
  Result<Json> replica_machines(const std::string& branch_id, const std::optional<std::string>& one) {
    return store_.replica_machines(branch_id, one);
  }
  Result<std::size_t> import_machines(const std::string& branch_id, const Json& list);

 private:
  // Routes (routes.cpp, queue_routes.cpp)
  HttpResponse create(RequestContext& ctx);
  HttpResponse availability(RequestContext& ctx);
  std::shared_ptr<const HttpResponse> availability_from_memory(const HttpRequest& req, const Caller& caller);
  HttpResponse link(RequestContext& ctx);
  HttpResponse unlink(RequestContext& ctx);
  HttpResponse heartbeat(RequestContext& ctx);
  HttpResponse workout_data(RequestContext& ctx);
  HttpResponse maintenance(RequestContext& ctx, bool clear);
  HttpResponse my_workouts(RequestContext& ctx);
  HttpResponse usage(RequestContext& ctx);
  HttpResponse progress(RequestContext& ctx);
  HttpResponse join_queue(RequestContext& ctx);
  HttpResponse leave_queue(RequestContext& ctx);
  HttpResponse queue_status(RequestContext& ctx);
  Try<Json> queue_position(const std::string& machine_id, const std::string& user_id);
  Try<MachineRow> device_machine(const Caller& who, const std::string& machine_id);

  // Gateway uploads (gateway.cpp)
  Result<Applied> link_started(const GatewayOrigin& g, const Json& b);
  Result<Applied> link_ended(const GatewayOrigin& g, const Json& b);
  Result<Applied> machine_status(const GatewayOrigin& g, std::int64_t at, const Json& b);
  Result<Applied> maintenance_report(const GatewayOrigin& g, std::int64_t at, const Json& b);
  Result<Applied> workout(const GatewayOrigin& g, std::int64_t at, const Json& b);

  // The floor (machines.cpp). Each runs inside the caller's transaction, or its own.
  Status changed(const std::string& machine_id, const std::string& branch_id);
  Status command(const std::string& machine_id, const std::string& branch_id, const std::string& kind, const Json& body);
  // Ends a link if still active, tells the first member queued for the machine, publishes
  // the change. False when it had ended.
  Result<bool> end_link(const Link& link, std::int64_t at, const std::string& ended_by);
  // What follows a link's end: the first member queued is told, the change published.
  Status link_ended(const Link& link);
  Status end_active_link_of_machine(const std::string& machine_id, std::int64_t at, const std::string& ended_by);
  Status visit_ended(const Event& e);
  // Stores a workout and tells who listens (kWorkoutRecorded once it has its member, and
  // kWorkoutWithdrawn for a link summary it replaced), in one transaction. False: it was
  // there already.
  Result<bool> record_workout(const Workout& w);
  Status workout_recorded(const Workout& w);
  void refresh(const Event& e);
  void push_progress(const Event& e);
  void resync();
  Result<int> mark_silent_offline();
  Result<std::optional<std::string>> branch_of(const std::string& machine_id);

  Platform& platform_;
  org::OrgDomain& org_;
  sessions::SessionsDomain& sessions_;
  MachineStore store_;
  AvailabilityCache availability_;
};

// A maintenance severity already checked to be "info", "warn" or "fault".
protocol::Severity severity_level(std::string_view name);

}  // namespace spotter::cloud::machines
