// The exercise catalogue and workout plans (cloud-api-2.md "Training").
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "spotter/common/ids.hpp"
#include "training.hpp"

namespace spotter::cloud::training {

void TrainingDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (TrainingDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"GET", "/api/exercises", Access::user, bind(&TrainingDomain::exercises),
         "The exercise catalogue and the custom exercises of the caller's branches; filters q, category, equipment", "any"});
  t.add({"POST", "/api/exercises", Access::user, bind(&TrainingDomain::create_exercise),
         "Add a custom exercise for a branch: branch_id, name, category, muscles, equipment, machine_type?", "admin, trainer (own branches)"});
  t.add({"POST", "/api/workout-plans", Access::user, bind(&TrainingDomain::create_plan), "Write a workout plan: name, days",
         "member (own); trainer for a member of their branches (user_id)"});
  t.add({"GET", "/api/workout-plans", Access::user, bind(&TrainingDomain::list_plans),
         "The caller's plans (?archived=true to include archived); staff with ?user_id= see the ones they wrote", "owner; the trainer who wrote it"});
  t.add({"GET", "/api/workout-plans/{id}", Access::user, bind(&TrainingDomain::get_plan), "One plan", "owner; the trainer who wrote it"});
  t.add({"PATCH", "/api/workout-plans/{id}", Access::user, bind(&TrainingDomain::update_plan),
         "Change a plan's name or days; training sessions keep the snapshot they started with", "owner; the trainer who wrote it"});
  t.add({"DELETE", "/api/workout-plans/{id}", Access::user, bind(&TrainingDomain::delete_plan),
         "Remove a plan; one with training sessions is archived instead", "owner; the trainer who wrote it"});
  t.add({"POST", "/api/training-sessions", Access::user, bind(&TrainingDomain::start_session),
         "Start a training session from a plan day (plan_id, day, date?): a snapshot of the day; one in progress per member", "member"});
  t.add({"GET", "/api/training-sessions", Access::user, bind(&TrainingDomain::list_sessions),
         "Training sessions, newest first, without snapshot and entries; filters from, to, status, plan_id", "owner; staff of the member (?user_id=)"});
  t.add({"GET", "/api/training-sessions/{id}", Access::user, bind(&TrainingDomain::get_session), "A whole training session",
         "owner; staff of the member"});
  t.add({"PATCH", "/api/training-sessions/{id}", Access::user, bind(&TrainingDomain::update_session),
         "Replace the member-written entries (machine sets stay); 409 once completed", "owner"});
  t.add({"POST", "/api/training-sessions/{id}/complete", Access::user, bind(&TrainingDomain::complete_session),
         "Complete a training session (optional final entries): status, completed_at, summary", "owner"});
  t.add({"GET", "/api/analytics/workouts", Access::user, bind(&TrainingDomain::analytics_workouts),
         "Totals per day or week (member's dates): training_sessions, sets, volume_kg, duration_s, distance_m, calories_kcal; machine workouts included",
         "member (own); staff (?user_id=)"});
  t.add({"GET", "/api/analytics/records", Access::user, bind(&TrainingDomain::analytics_records),
         "Personal records per exercise: heaviest_weight_kg, best_1rm_kg, most_reps, longest_distance_m, fastest_pace_s_per_km",
         "member (own); staff (?user_id=)"});
  t.add({"GET", "/api/analytics/streaks", Access::user, bind(&TrainingDomain::analytics_streaks),
         "current_weeks, longest_weeks (weeks with a visit or a training session), current_days", "member (own); staff (?user_id=)"});
}

Result<std::optional<std::string>> TrainingDomain::machine_type_of(const std::string& exercise_id) {
  if (const auto* e = catalogue_exercise(exercise_id)) return e->machine_type;
  auto custom = store_.custom_exercise(exercise_id);
  if (!custom) return Unexpected<Error>{custom.error()};
  return *custom ? (*custom)->machine_type : std::optional<std::string>{};
}

Try<bool> TrainingDomain::check_exercises(const std::vector<std::string>& ids, const std::vector<std::string>& fields) {
  std::vector<FieldError> unknown;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (catalogue_exercise(ids[i])) continue;
    SPOTTER_TRY(custom, checked(platform_.log, store_.custom_exercise(ids[i]), "exercise"));
    if (!custom) unknown.push_back({fields[i], "is not an exercise of the catalogue (GET /api/exercises)"});
  }
  if (!unknown.empty()) return Unexpected<HttpResponse>{validation_problem(unknown)};
  return true;
}

HttpResponse TrainingDomain::exercises(RequestContext& ctx) {
  const auto q = ctx.req.query_param("q"), category = ctx.req.query_param("category"), equipment = ctx.req.query_param("equipment");
  if (q.size() > 100) return validation_problem({{"q", "must be at most 100 characters"}});
  Json items = Json::array();
  for (const auto& e : catalogue())
    if (exercise_matches(e, q, category, equipment)) items.push_back(exercise_json(e));
  SPOTTER_TRY(custom, checked(platform_.log, store_.custom_exercises(), "exercises"));
  for (const auto& e : custom)
    if (ctx.who().sees_branch(e.branch_id.value_or("")) && exercise_matches(e, q, category, equipment)) items.push_back(exercise_json(e));
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

HttpResponse TrainingDomain::create_exercise(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden("staff add exercises");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  Exercise e;
  e.branch_id = f.id("branch_id");
  e.name = f.text("name", 100);
  e.category = f.choice("category", {"strength", "cardio", "functional"});
  e.equipment = f.text("equipment", 64);
  e.machine_type = f.optional_text("machine_type", 64);
  const Json* muscles = f.raw("muscles");
  if (!muscles || !muscles->is_array() || muscles->empty() || muscles->size() > 12) {
    f.add_error("muscles", "must be an array of 1 to 12 names");
  } else {
    for (const auto& m : *muscles) {
      if (!m.is_string() || m.get_ref<const std::string&>().empty() || m.get_ref<const std::string&>().size() > 64) {
        f.add_error("muscles", "each must be a text of 1 to 64 characters");
        break;
      }
      e.muscles.push_back(m.get<std::string>());
    }
  }
  if (!f.ok()) return f.problem();
  if (!ctx.who().manages_branch(*e.branch_id)) return forbidden("not one of your branches");
  SPOTTER_TRY(branch, checked(platform_.log, org_.branch(*e.branch_id), "branch"));
  if (!branch) return not_found("branch");
  const std::int64_t now = platform_.now_ms();
  e.id = new_id("exc", now);
  SPOTTER_DO(checked(platform_.log, store_.insert_exercise(e, ctx.who().id, now), "exercise"));
  platform_.audit.record(ctx, "exercise.create", e.id, {{"branch_id", *e.branch_id}, {"name", e.name}});
  return json_response(201, exercise_json(e));
}

namespace {
Json plan_json(const PlanRow& p) {
  return {{"id", p.id},
          {"user_id", p.user_id},
          {"author_id", p.author_id},
          {"name", p.name},
          {"days", parse_json_strict(p.days).value_or(Json::array())},
          {"archived", p.archived},
          {"has_sessions", p.used},
          {"created_at", rfc3339(p.created_at)},
          {"updated_at", rfc3339(p.updated_at)}};
}

// The exercise ids of parsed days with the field path of each, for check_exercises.
std::pair<std::vector<std::string>, std::vector<std::string>> exercise_fields(const std::vector<PlanDay>& days) {
  std::vector<std::string> ids, fields;
  for (std::size_t d = 0; d < days.size(); ++d)
    for (std::size_t x = 0; x < days[d].exercises.size(); ++x) {
      ids.push_back(days[d].exercises[x].exercise_id);
      fields.push_back("days[" + std::to_string(d) + "].exercises[" + std::to_string(x) + "].exercise_id");
    }
  return {ids, fields};
}
}  // namespace

HttpResponse TrainingDomain::create_plan(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  const std::string name = f.text("name", 100);
  const auto for_user = f.optional_id("user_id");
  Problems p;
  auto days = parse_days(f.raw("days"), p);
  for (auto& e : p.errors) f.add_error(e.field, e.message);
  if (!f.ok()) return f.problem();
  std::string user_id = for_user.value_or(who.id);
  if (user_id != who.id) {
    if (!who.is_staff()) return forbidden("members write their own plans");
    SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, user_id), "user"));
    if (access != org::UserAccess::ok) return org::user_access_problem(access);
  }
  auto [ids, fields] = exercise_fields(days);
  SPOTTER_DO(check_exercises(ids, fields));
  const std::int64_t now = platform_.now_ms();
  PlanRow plan{new_id("pln", now), user_id, who.id, name, dump_json(days_json(days)), false, false, now, now};
  SPOTTER_DO(checked(platform_.log, store_.insert_plan(plan), "plan"));
  return json_response(201, plan_json(plan));
}

Try<PlanRow> TrainingDomain::plan_for(const Caller& who, const std::string& id) {
  if (!is_valid_id(id)) return Unexpected<HttpResponse>{not_found("plan")};
  SPOTTER_TRY(plan, checked(platform_.log, store_.plan(id), "plan"));
  // Someone else's plan is "not found": its existence is not theirs to learn.
  if (!plan || (plan->user_id != who.id && plan->author_id != who.id && !who.is_admin())) return Unexpected<HttpResponse>{not_found("plan")};
  return *plan;
}

HttpResponse TrainingDomain::list_plans(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(page, read_page(ctx.req));
  std::string user_id = who.id;
  if (auto u = ctx.req.query_param("user_id"); !u.empty() && u != who.id) {
    if (!who.is_staff()) return forbidden("members see their own plans");
    SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, std::string(u)), "user"));
    if (access != org::UserAccess::ok) return org::user_access_problem(access);
    user_id = std::string(u);
  }
  const bool archived = ctx.req.query_param("archived") == "true";
  if (page.after && !is_valid_id(*page.after)) return validation_problem({{"cursor", "is not a cursor this service gave out"}});
  SPOTTER_TRY(rows, checked(platform_.log, store_.plans_of(user_id, archived, page.after, page.limit + 1), "plans"));
  Json items = Json::array();
  for (const auto& p : rows)
    if (user_id == who.id || who.is_admin() || p.author_id == who.id) items.push_back(plan_json(p));
  return json_response(200, page_json(std::move(items), page, [](const Json& p) { return p["id"].get<std::string>(); }));
}

HttpResponse TrainingDomain::get_plan(RequestContext& ctx) {
  SPOTTER_TRY(plan, plan_for(ctx.who(), ctx.param("id")));
  return json_response(200, plan_json(plan));
}

HttpResponse TrainingDomain::update_plan(RequestContext& ctx) {
  SPOTTER_TRY(plan, plan_for(ctx.who(), ctx.param("id")));
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  if (auto n = f.optional_text("name", 100)) plan.name = *n;
  if (f.raw("days")) {
    Problems p;
    auto days = parse_days(f.raw("days"), p);
    for (auto& e : p.errors) f.add_error(e.field, e.message);
    if (f.ok()) {
      auto [ids, fields] = exercise_fields(days);
      SPOTTER_DO(check_exercises(ids, fields));
      plan.days = dump_json(days_json(days));
    }
  }
  if (!f.ok()) return f.problem();
  plan.updated_at = platform_.now_ms();
  SPOTTER_DO(checked(platform_.log, store_.update_plan(plan.id, plan.name, plan.days, plan.updated_at), "plan"));
  return json_response(200, plan_json(plan));
}

HttpResponse TrainingDomain::delete_plan(RequestContext& ctx) {
  SPOTTER_TRY(plan, plan_for(ctx.who(), ctx.param("id")));
  SPOTTER_DO(checked(platform_.log, store_.delete_plan(plan.id, platform_.now_ms()), "plan"));
  return no_content();
}

}  // namespace spotter::cloud::training
