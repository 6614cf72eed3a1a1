// Training (seed 004; cloud-api-2.md "Training"): the exercise catalogue with staff's own
// exercises, workout plans, training sessions with a snapshot of the plan day, sets the
// machines report joining the session in progress, and the member's analytics (totals per
// day and week, personal records, streaks), kept incrementally as sets and visits happen.
// Reacts to machines (workout recorded / withdrawn) and sessions (visit started); asks org
// for who may see whom and the member's time zone.
#pragma once
#include "../../platform/platform.hpp"
#include "../org/org.hpp"
#include "rules.hpp"
#include "store.hpp"

namespace spotter::cloud::training {

class TrainingDomain final : public Domain {
 public:
  TrainingDomain(Platform& platform, org::OrgDomain& org);
  std::string_view name() const override { return "training"; }
  std::vector<Migration> migrations() const override { return TrainingStore::migrations(); }
  void routes(RouteTable& table) override;
  void subscribe(EventBus& bus) override;

 private:
  // Exercises and plans (routes.cpp)
  HttpResponse exercises(RequestContext& ctx);
  HttpResponse create_exercise(RequestContext& ctx);
  HttpResponse create_plan(RequestContext& ctx);
  HttpResponse list_plans(RequestContext& ctx);
  HttpResponse get_plan(RequestContext& ctx);
  HttpResponse update_plan(RequestContext& ctx);
  HttpResponse delete_plan(RequestContext& ctx);
  // The plan if the caller owns it, wrote it, or is an admin; 404 otherwise.
  Try<PlanRow> plan_for(const Caller& who, const std::string& id);
  // 400 naming each exercise_id that is neither the catalogue's nor a custom one.
  Try<bool> check_exercises(const std::vector<std::string>& ids, const std::vector<std::string>& fields);
  Result<std::optional<std::string>> machine_type_of(const std::string& exercise_id);

  // Training sessions (session_routes.cpp)
  HttpResponse start_session(RequestContext& ctx);
  HttpResponse update_session(RequestContext& ctx);
  HttpResponse complete_session(RequestContext& ctx);
  HttpResponse list_sessions(RequestContext& ctx);
  HttpResponse get_session(RequestContext& ctx);
  Try<SessionRow> own_session(const Caller& who, const std::string& id);
  Try<Json> session_view(const SessionRow& s, bool whole);
  // Member-written entries of a body, checked (fields, exercises); nullopt when absent.
  Try<std::optional<std::vector<Entry>>> body_entries(const Json& body, bool required);

  // Analytics (analytics.cpp)
  HttpResponse analytics_workouts(RequestContext& ctx);
  HttpResponse analytics_records(RequestContext& ctx);
  HttpResponse analytics_streaks(RequestContext& ctx);
  // Whose analytics: the caller, or ?user_id= for staff who may see them.
  Try<std::string> subject(RequestContext& ctx);
  // Days since 1970-01-01 of an instant in the member's time zone.
  Result<std::int64_t> member_day(const std::string& user_id, std::int64_t at_ms);
  // What the sets add up to, and the records they may beat; in the caller's transaction.
  Status count_sets(const std::string& user_id, std::int64_t day, const std::vector<Entry>& sets, std::int64_t at_ms, bool session_done);

  // Reactions (recording.cpp)
  Status workout_recorded(const Event& e);
  Status workout_withdrawn(const Event& e);
  Status visit_started(const Event& e);

  Platform& platform_;
  org::OrgDomain& org_;
  TrainingStore store_;
};

}  // namespace spotter::cloud::training
