// Measurements' routes (cloud-api-2.md "Chain operations").
#include "../../core/dates.hpp"
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "measurements.hpp"
#include "spotter/common/ids.hpp"

#include "../org/events.hpp"

namespace spotter::cloud::measurements {

namespace {
constexpr std::int64_t kFutureSkewMs = 5 * 60'000;

Json measurement_json(const MeasurementRow& m) {
  Json j = {{"id", m.id},
            {"user_id", m.user_id},
            {"measured_at", rfc3339(m.measured_at)},
            {"notes", m.notes ? Json(*m.notes) : Json(nullptr)},
            {"recorded_by", m.recorded_by},
            {"created_at", rfc3339(m.created_at)},
            {"updated_at", rfc3339(m.updated_at)}};
  for (std::size_t i = 0; i < kMetrics.size(); ++i) j[std::string(kMetrics[i].name)] = m.values[i] ? Json(*m.values[i]) : Json(nullptr);
  return j;
}

// The metrics a body sets (null clears one: PATCH), each checked against its bounds.
void read_metrics(const Json& body, Fields& f, MeasurementRow& m) {
  for (std::size_t i = 0; i < kMetrics.size(); ++i) {
    const std::string name(kMetrics[i].name);
    if (!body.contains(name)) continue;
    const Json& v = body[name];
    if (v.is_null()) {
      m.values[i].reset();
    } else if (!v.is_number()) {
      f.add_error(name, "must be a number");
    } else if (auto why = bound_problem(i, v.get<double>())) {
      f.add_error(name, *why);
    } else {
      m.values[i] = v.get<double>();
    }
  }
  if (body.contains("notes")) {
    if (body["notes"].is_null()) m.notes.reset();
    else m.notes = f.optional_text("notes", 500);
  }
}
bool any_metric(const MeasurementRow& m) {
  for (const auto& v : m.values)
    if (v) return true;
  return false;
}
std::string metric_names() {
  std::string s;
  for (const auto& m : kMetrics) s += (s.empty() ? "" : ", ") + std::string(m.name);
  return s;
}
}  // namespace

void MeasurementsDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (MeasurementsDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/users/{id}/measurements", Access::user, bind(&MeasurementsDomain::create),
         "Record a measurement: measured_at (default now), any of " + metric_names() + " (plausible bounds), notes", "the member; staff of their branches"});
  t.add({"GET", "/api/users/{id}/measurements/latest", Access::user, bind(&MeasurementsDomain::latest), "The newest measurement",
         "the member; admins; trainers while the member shares measurements"});
  t.add({"GET", "/api/users/{id}/measurements/progress", Access::user, bind(&MeasurementsDomain::progress_of),
         "From..to: for each metric measured, first, last, change, change_pct", "the member; admins; trainers while the member shares measurements"});
  t.add({"GET", "/api/users/{id}/measurements", Access::user, bind(&MeasurementsDomain::list), "Measurements, newest first; from, to, limit, cursor",
         "the member; admins; trainers while the member shares measurements"});
  t.add({"PATCH", "/api/measurements/{id}", Access::user, bind(&MeasurementsDomain::update),
         "Change a measurement's values (null clears one), measured_at, notes", "who may record it"});
  t.add({"DELETE", "/api/measurements/{id}", Access::user, bind(&MeasurementsDomain::remove), "Delete a measurement", "who may record it"});
}

Try<std::string> MeasurementsDomain::writable_member(const Caller& who, const std::string& user_id) {
  const std::string id = user_id == "me" ? who.id : user_id;
  if (id == who.id) return id;
  if (!who.is_staff()) return Unexpected<HttpResponse>{forbidden("members record their own measurements")};
  SPOTTER_TRY(access, checked(platform_.log, org_.user_access(who, id), "user"));
  if (access != org::UserAccess::ok) return Unexpected<HttpResponse>{org::user_access_problem(access)};
  return id;
}

Try<std::string> MeasurementsDomain::readable_member(const Caller& who, const std::string& user_id) {
  SPOTTER_TRY(id, writable_member(who, user_id));
  if (id == who.id || who.is_admin()) return id;
  SPOTTER_TRY(privacy, checked(platform_.log, org_.privacy(id), "privacy"));
  if (!privacy.share_measurements_with_trainers)
    return Unexpected<HttpResponse>{problem(403, "not-shared", "the member does not share measurements with trainers")};
  return id;
}

Try<std::pair<std::int64_t, std::int64_t>> MeasurementsDomain::span(RequestContext& ctx, const std::string& user_id) {
  std::int64_t from = 0, to = std::numeric_limits<std::int64_t>::max();
  std::vector<FieldError> errors;
  std::shared_ptr<const BranchCalendar> home;
  for (auto [name, target, end] : {std::tuple{"from", &from, false}, std::tuple{"to", &to, true}}) {
    const auto v = ctx.req.query_param(name);
    if (v.empty()) continue;
    if (auto t = parse_rfc3339_ms(v)) {
      *target = *t + (end ? 1 : 0);
    } else if (auto d = parse_date(v)) {
      if (!home) {
        SPOTTER_TRY(h, checked(platform_.log, org_.home_calendar(user_id), "calendar"));
        home = h;
      }
      const auto c = civil_from_days(*d + (end ? 1 : 0));
      *target = home ? home->zone().to_instant(static_cast<int>(c.year), static_cast<int>(c.month), static_cast<int>(c.day), 0).time_since_epoch().count()
                     : (*d + (end ? 1 : 0)) * 86'400'000;
    } else {
      errors.push_back({name, "must be a date (2026-03-02) or an RFC 3339 time"});
    }
  }
  if (!errors.empty()) return Unexpected<HttpResponse>{validation_problem(errors)};
  if (to <= from) return Unexpected<HttpResponse>{validation_problem({{"to", "must not be before from"}})};
  return std::pair{from, to};
}

HttpResponse MeasurementsDomain::create(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(body, parse_body(ctx.req));
  SPOTTER_TRY(user_id, writable_member(who, ctx.param("id")));
  Fields f(body);
  const std::int64_t now = platform_.now_ms();
  MeasurementRow m;
  m.measured_at = f.optional_time_ms("measured_at").value_or(now);
  read_metrics(body, f, m);
  if (f.ok() && !any_metric(m)) f.add_error("weight_kg", "a measurement needs at least one of " + metric_names());
  if (m.measured_at > now + kFutureSkewMs) f.add_error("measured_at", "must not be in the future");
  if (!f.ok()) return f.problem();
  m.id = new_id("msr", now);
  m.user_id = user_id;
  m.recorded_by = who.id;
  m.created_at = m.updated_at = now;
  SPOTTER_TRY(stored, checked(platform_.log, store_.insert(m), "measurement"));
  (void)stored;
  if (user_id != who.id) platform_.audit.record(ctx, "measurement.create", m.id, {{"user_id", user_id}});
  return json_response(201, measurement_json(m));
}

HttpResponse MeasurementsDomain::list(RequestContext& ctx) {
  SPOTTER_TRY(user_id, readable_member(ctx.who(), ctx.param("id")));
  SPOTTER_TRY(range, span(ctx, user_id));
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(after, time_id_cursor(page));
  SPOTTER_TRY(rows, checked(platform_.log, store_.list(user_id, range.first, range.second, after, page.limit + 1), "measurements"));
  Json items = Json::array();
  for (const auto& m : rows) items.push_back(measurement_json(m));
  return json_response(200, page_json(std::move(items), page, [](const Json& i) { return time_id_key(i, "measured_at"); }));
}

HttpResponse MeasurementsDomain::latest(RequestContext& ctx) {
  SPOTTER_TRY(user_id, readable_member(ctx.who(), ctx.param("id")));
  SPOTTER_TRY(rows, checked(platform_.log, store_.list(user_id, 0, std::numeric_limits<std::int64_t>::max(), std::nullopt, 1), "measurements"));
  if (rows.empty()) return not_found("measurement");
  return json_response(200, measurement_json(rows.front()));
}

HttpResponse MeasurementsDomain::progress_of(RequestContext& ctx) {
  SPOTTER_TRY(user_id, readable_member(ctx.who(), ctx.param("id")));
  SPOTTER_TRY(range, span(ctx, user_id));
  SPOTTER_TRY(rows, checked(platform_.log, store_.oldest_first(user_id, range.first, range.second, 10'000), "measurements"));
  std::vector<MetricValues> values;
  for (const auto& m : rows) values.push_back(m.values);
  Json metrics = Json::object();
  for (const auto& p : progress(values))
    metrics[std::string(kMetrics[p.metric].name)] = {
        {"first", p.first}, {"last", p.last}, {"change", p.change}, {"change_pct", p.change_pct ? Json(*p.change_pct) : Json(nullptr)}};
  return json_response(200, {{"user_id", user_id}, {"measurements", rows.size()}, {"metrics", metrics}});
}

HttpResponse MeasurementsDomain::update(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  SPOTTER_TRY(found, checked(platform_.log, store_.get(ctx.param("id")), "measurement"));
  if (!found) return not_found("measurement");
  auto allowed = writable_member(ctx.who(), found->user_id);
  if (!allowed) return allowed.error().status == 403 ? not_found("measurement") : allowed.error();
  MeasurementRow m = *found;
  Fields f(body);
  const std::int64_t now = platform_.now_ms();
  if (body.contains("measured_at")) m.measured_at = f.optional_time_ms("measured_at").value_or(m.measured_at);
  read_metrics(body, f, m);
  if (f.ok() && !any_metric(m)) f.add_error("weight_kg", "a measurement keeps at least one of " + metric_names() + " (delete it instead)");
  if (m.measured_at > now + kFutureSkewMs) f.add_error("measured_at", "must not be in the future");
  if (!f.ok()) return f.problem();
  m.updated_at = now;
  SPOTTER_TRY(stored, checked(platform_.log, store_.update(m), "measurement"));
  (void)stored;
  if (m.user_id != ctx.who().id) platform_.audit.record(ctx, "measurement.update", m.id, {{"user_id", m.user_id}});
  return json_response(200, measurement_json(m));
}

HttpResponse MeasurementsDomain::remove(RequestContext& ctx) {
  SPOTTER_TRY(found, checked(platform_.log, store_.get(ctx.param("id")), "measurement"));
  if (!found) return not_found("measurement");
  auto allowed = writable_member(ctx.who(), found->user_id);
  if (!allowed) return allowed.error().status == 403 ? not_found("measurement") : allowed.error();
  SPOTTER_TRY(removed, checked(platform_.log, store_.remove(found->id), "measurement"));
  (void)removed;
  if (found->user_id != ctx.who().id) platform_.audit.record(ctx, "measurement.delete", found->id, {{"user_id", found->user_id}});
  HttpResponse r;
  r.status = 204;
  return r;
}

void MeasurementsDomain::subscribe(EventBus& bus) {
  bus.on(org::events::kMemberErased, [this](const Event& e) { return store_.erase_member(e.body.value("user_id", "")); });
}

}  // namespace spotter::cloud::measurements
