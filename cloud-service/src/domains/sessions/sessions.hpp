// Gym visits (seed 000 story 3.1): a member inside a branch from entry (app, desk or door)
// to exit, one at a time; auto-ended at 4 hours or at closing time; history and analytics.
#pragma once
#include "../../platform/platform.hpp"
#include "../org/org.hpp"
#include "attendance_store.hpp"
#include "store.hpp"

namespace spotter::cloud::sessions {

// The machines a visit used, shown with it. Provided by the machines domain, which comes
// later (it depends on visits, so visits cannot depend on it).
class MachinesOfVisit {
 public:
  virtual ~MachinesOfVisit() = default;
  // [{link_id, machine_id, started_at, ended_at, ended_by, workouts}], oldest first.
  virtual Result<Json> machines_of_visit(const std::string& session_id) = 0;
};

class SessionsDomain final : public Domain {
 public:
  SessionsDomain(Platform& platform, org::OrgDomain& org);
  std::string_view name() const override { return "sessions"; }
  std::vector<Migration> migrations() const override {
    auto all = SessionStore::migrations();
    for (auto& m : AttendanceStore::migrations()) all.push_back(std::move(m));
    return all;
  }
  void routes(RouteTable& table) override;
  void jobs(JobTable& table) override;
  void gateway_events(GatewayEventTable& table) override;

  // --- for other domains -------------------------------------------------------------
  void show_machines_with(MachinesOfVisit& machines) { machines_ = &machines; }
  // The member's active visit at the branch, if any.
  Result<std::optional<std::string>> active_visit_at(const std::string& user_id, const std::string& branch_id) {
    return store_.active_at(user_id, branch_id);
  }
  // The visit a (gateway's) session id stands for: itself, or the one it was merged into.
  Result<std::optional<std::string>> resolve(const std::string& session_id) { return store_.resolve(session_id); }

 private:
  HttpResponse start(RequestContext& ctx);
  HttpResponse end(RequestContext& ctx);
  HttpResponse current(RequestContext& ctx);
  HttpResponse history(RequestContext& ctx);
  HttpResponse analytics(RequestContext& ctx);
  // Attendance and staff corrections (attendance.cpp).
  void attendance_routes(RouteTable& table);
  HttpResponse daily_attendance(RequestContext& ctx);
  HttpResponse attendance_summary(RequestContext& ctx);
  HttpResponse manual_visit(RequestContext& ctx);
  HttpResponse correct_visit(RequestContext& ctx);
  Result<int> auto_end();
  Result<Applied> door_entry(const GatewayOrigin& gateway, const Json& body);
  Result<Applied> door_exit(const GatewayOrigin& g, const Json& body);
  // Ends an active visit and publishes it in one transaction; false when it had ended.
  Result<bool> end_visit(const Visit& visit, std::int64_t ended_at, const std::string& ended_by);
  // The member's active visit, ended and published in one transaction; nullopt if none.
  Result<std::optional<Visit>> end_own_visit(const std::string& user_id, std::int64_t ended_at, const std::string& ended_by);
  // A new visit, with its event, in the caller's transaction or its own.
  Status start_visit(const Visit& v);
  Status publish_ended(const Visit& ended);
  Json visit_json(const Visit& v) const;
  Try<Json> visit_view(const Visit& v);

  Platform& platform_;
  org::OrgDomain& org_;
  SessionStore store_;
  AttendanceStore attendance_;
  MachinesOfVisit* machines_ = nullptr;
};

}  // namespace spotter::cloud::sessions
