// Training sessions (seed 004, as cloud-api-2.md "Training" has them): a snapshot of the plan
// day, one in progress per member (a unique index, so also with several instances), the
// member's entries replaced by PATCH while the machines' sets stay, immutable once completed.
#include "../../core/dates.hpp"
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "spotter/common/ids.hpp"
#include "training.hpp"

namespace spotter::cloud::training {

Try<std::optional<std::vector<Entry>>> TrainingDomain::body_entries(const Json& body, bool required) {
  if (!body.contains("entries")) {
    if (required) return Unexpected<HttpResponse>{validation_problem({{"entries", "is required"}})};
    return std::optional<std::vector<Entry>>{};
  }
  Problems p;
  auto entries = parse_entries(&body["entries"], p);
  if (!p.ok()) return Unexpected<HttpResponse>{validation_problem(p.errors)};
  std::vector<std::string> ids, fields;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    ids.push_back(*entries[i].exercise_id);
    fields.push_back("entries[" + std::to_string(i) + "].exercise_id");
  }
  SPOTTER_DO(check_exercises(ids, fields));
  return std::optional<std::vector<Entry>>{std::move(entries)};
}

Try<Json> TrainingDomain::session_view(const SessionRow& s, bool whole) {
  Json j = {{"id", s.id},
            {"user_id", s.user_id},
            {"plan_id", s.plan_id},
            {"day", s.day_index},
            {"date", s.date},
            {"status", s.status},
            {"started_at", rfc3339(s.started_at)},
            {"completed_at", rfc3339_or_null(s.completed_at)}};
  if (s.summary) j["summary"] = parse_json_strict(*s.summary).value_or(Json::object());
  if (!whole) return j;
  j["snapshot"] = parse_json_strict(s.snapshot).value_or(Json::object());
  Json entries = Json::array();
  if (auto stored = parse_json_strict(s.entries); stored && stored->is_array())
    for (const auto& e : *stored)
      if (auto entry = entry_from_json(e)) entries.push_back(entry_json(*entry));
  SPOTTER_TRY(machine, checked(platform_.log, store_.machine_sets_of(s.id), "machine sets"));
  for (const auto& e : machine) entries.push_back(entry_json(e));
  j["entries"] = std::move(entries);
  return j;
}

Try<SessionRow> TrainingDomain::own_session(const Caller& who, const std::string& id) {
  if (!is_valid_id(id)) return Unexpected<HttpResponse>{not_found("training session")};
  SPOTTER_TRY(s, checked(platform_.log, store_.session(id), "training session"));
  if (!s || s->user_id != who.id) return Unexpected<HttpResponse>{not_found("training session")};
  return *s;
}

HttpResponse TrainingDomain::start_session(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  const std::string plan_id = f.id("plan_id");
  const std::int64_t day = f.integer("day", 0, static_cast<std::int64_t>(kMaxPlanDays) - 1);
  auto date_text = f.optional_text("date", 10);
  std::optional<std::int64_t> date;
  if (date_text && !(date = parse_date(*date_text))) f.add_error("date", "must be a date such as 2026-03-02");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(plan, checked(platform_.log, store_.plan(plan_id), "plan"));
  if (!plan || plan->user_id != who.id) return validation_problem({{"plan_id", "is not one of your plans"}});
  if (plan->archived) return validation_problem({{"plan_id", "is archived"}});
  auto days = parse_json_strict(plan->days);
  if (!days || !days->is_array() || day >= static_cast<std::int64_t>(days->size()))
    return validation_problem({{"day", "the plan has no such day (days are numbered from 0)"}});
  const std::int64_t now = platform_.now_ms();
  if (!date) {
    SPOTTER_TRY(today, checked(platform_.log, member_day(who.id, now), "calendar"));
    date = today;
  }
  SessionRow s{new_id("trs", now), who.id, plan_id, day, format_date(*date), "in_progress", now, std::nullopt,
               dump_json((*days)[static_cast<std::size_t>(day)]), "[]", std::nullopt};
  if (auto r = store_.insert_session(s, now); !r) {
    if (r.error().code == sql_error::conflict) return problem(409, "training-in-progress", "you have a training session in progress");
    return storage_failure(platform_.log, r.error(), "training session");
  }
  platform_.audit.record(ctx, "training_session.start", s.id, {{"plan_id", plan_id}, {"day", day}});
  SPOTTER_TRY(view, session_view(s, true));
  return json_response(201, view);
}

HttpResponse TrainingDomain::update_session(RequestContext& ctx) {
  SPOTTER_TRY(s, own_session(ctx.who(), ctx.param("id")));
  if (s.status != "in_progress") return problem(409, "training-completed", "a completed training session does not change");
  SPOTTER_TRY(body, parse_body(ctx.req));
  SPOTTER_TRY(entries, body_entries(body, true));
  const std::int64_t now = platform_.now_ms();
  const std::string text = dump_json(entries_json(*entries));
  SPOTTER_TRY(updated, checked(platform_.log, store_.set_entries(s.id, text, now), "training session"));
  if (!updated) return problem(409, "training-completed", "a completed training session does not change");
  s.entries = text;
  SPOTTER_TRY(view, session_view(s, true));
  return json_response(200, view);
}

HttpResponse TrainingDomain::complete_session(RequestContext& ctx) {
  SPOTTER_TRY(s, own_session(ctx.who(), ctx.param("id")));
  if (s.status != "in_progress") return problem(409, "training-completed", "this training session is already completed");
  Json body = Json::object();
  if (!ctx.req.body.empty()) {
    SPOTTER_TRY(parsed, parse_body(ctx.req));
    body = std::move(parsed);
  }
  SPOTTER_TRY(final_entries, body_entries(body, false));
  std::vector<Entry> written;
  if (final_entries) {
    written = *final_entries;
  } else if (auto stored = parse_json_strict(s.entries); stored && stored->is_array()) {
    for (const auto& e : *stored)
      if (auto entry = entry_from_json(e)) written.push_back(*entry);
  }
  const std::int64_t now = platform_.now_ms();
  std::optional<std::string> entries_text;
  if (final_entries) entries_text = dump_json(entries_json(*final_entries));
  Summary summary;
  bool completed = false;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto machine = store_.machine_sets_of(s.id);
    if (!machine) return Unexpected<Error>{machine.error()};
    summary = summarise(written);
    for (const auto& e : *machine) summary.add(e);
    auto done = store_.complete(s.id, entries_text, dump_json(summary_json(summary)), now);
    if (!done) return Unexpected<Error>{done.error()};
    completed = *done;
    if (!completed) return {};
    auto day = parse_date(s.date);
    // The machines' sets were counted when they came; the member's are counted now.
    SPOTTER_SQL(count_sets(s.user_id, day.value_or(0), written, now, true));
    return platform_.events.publish({events::kSessionCompleted,
                                     {{"training_session_id", s.id}, {"user_id", s.user_id}, {"plan_id", s.plan_id}, {"date", s.date},
                                      {"completed_at_ms", now}, {"summary", summary_json(summary)}}});
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "training session");
  if (!completed) return problem(409, "training-completed", "this training session is already completed");
  platform_.audit.record(ctx, "training_session.complete", s.id, {{"sets", summary.sets}});
  s.status = "completed";
  s.completed_at = now;
  s.summary = dump_json(summary_json(summary));
  if (entries_text) s.entries = *entries_text;
  SPOTTER_TRY(view, session_view(s, true));
  return json_response(200, view);
}

HttpResponse TrainingDomain::list_sessions(RequestContext& ctx) {
  SPOTTER_TRY(user_id, subject(ctx));
  SPOTTER_TRY(page, read_page(ctx.req));
  SessionFilter filter{.user_id = user_id, .from_date = {}, .to_date = {}, .status = {}, .plan_id = {}, .before = {}, .limit = page.limit + 1};
  std::vector<FieldError> errors;
  for (auto [name, target] : {std::pair{"from", &filter.from_date}, std::pair{"to", &filter.to_date}}) {
    const auto v = ctx.req.query_param(name);
    if (v.empty()) continue;
    if (parse_date(v)) {
      *target = std::string(v);
    } else if (auto t = parse_rfc3339_ms(v)) {
      SPOTTER_TRY(d, checked(platform_.log, member_day(user_id, *t), "calendar"));
      *target = format_date(d);
    } else {
      errors.push_back({name, "must be a date (2026-03-02) or an RFC 3339 time"});
    }
  }
  if (auto st = ctx.req.query_param("status"); !st.empty()) {
    if (st != "in_progress" && st != "completed") errors.push_back({"status", "must be in_progress or completed"});
    else filter.status = std::string(st);
  }
  if (auto p = ctx.req.query_param("plan_id"); !p.empty()) {
    if (!is_valid_id(p)) errors.push_back({"plan_id", "must be an id"});
    else filter.plan_id = std::string(p);
  }
  if (page.after) {
    // The cursor is "<started_at>_<id>" of the last one shown.
    const auto cut = page.after->find('_');
    std::int64_t at = 0;
    bool ok = cut != std::string::npos && cut > 0 && cut <= 15;
    for (std::size_t i = 0; ok && i < cut; ++i) ok = (*page.after)[i] >= '0' && (*page.after)[i] <= '9', at = at * 10 + ((*page.after)[i] - '0');
    if (!ok || !is_valid_id(page.after->substr(cut + 1))) errors.push_back({"cursor", "is not a cursor this service gave out"});
    else filter.before = std::pair{at, page.after->substr(cut + 1)};
  }
  if (!errors.empty()) return validation_problem(errors);
  SPOTTER_TRY(rows, checked(platform_.log, store_.sessions(filter), "training sessions"));
  Json items = Json::array();
  for (const auto& r : rows) {
    SPOTTER_TRY(view, session_view(r, false));
    items.push_back(std::move(view));
  }
  return json_response(200, page_json(std::move(items), page, [](const Json& j) {
    return std::to_string(parse_rfc3339_ms(j["started_at"].get<std::string>()).value_or(0)) + "_" + j["id"].get<std::string>();
  }));
}

HttpResponse TrainingDomain::get_session(RequestContext& ctx) {
  const Caller& who = ctx.who();
  const std::string& id = ctx.param("id");
  if (!is_valid_id(id)) return not_found("training session");
  SPOTTER_TRY(s, checked(platform_.log, store_.session(id), "training session"));
  if (!s) return not_found("training session");
  if (s->user_id != who.id) {
    if (!who.is_staff()) return not_found("training session");
    SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, s->user_id), "user"));
    if (access != org::UserAccess::ok) return not_found("training session");
  }
  SPOTTER_TRY(view, session_view(*s, true));
  return json_response(200, view);
}

}  // namespace spotter::cloud::training
