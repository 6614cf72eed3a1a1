// A member's privacy switches (cloud-api-2.md "Members"): what trainers, leaderboards and
// other members may see or do. Other domains ask (privacy()) or follow org.privacy_changed.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "org.hpp"

namespace spotter::cloud::org {
namespace {
Json privacy_json(const Privacy& p) {
  return {{"share_measurements_with_trainers", p.share_measurements_with_trainers},
          {"show_on_leaderboards", p.show_on_leaderboards},
          {"allow_buddy_requests", p.allow_buddy_requests}};
}
}  // namespace

HttpResponse OrgDomain::get_privacy(RequestContext& ctx) {
  SPOTTER_TRY(p, checked(platform_.log, store_.privacy(ctx.who().id), "privacy"));
  return json_response(200, privacy_json(p));
}

HttpResponse OrgDomain::update_privacy(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  std::vector<FieldError> errors;
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "share_measurements_with_trainers" && it.key() != "show_on_leaderboards" && it.key() != "allow_buddy_requests")
      errors.push_back({it.key(), "is not a privacy switch"});
    else if (!it.value().is_boolean())
      errors.push_back({it.key(), "must be true or false"});
  if (!errors.empty()) return validation_problem(errors);
  const std::string& user = ctx.who().id;
  Privacy p;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto now = store_.privacy(user);
    if (!now) return Unexpected<Error>{now.error()};
    p = *now;
    if (body.contains("share_measurements_with_trainers")) p.share_measurements_with_trainers = body["share_measurements_with_trainers"].get<bool>();
    if (body.contains("show_on_leaderboards")) p.show_on_leaderboards = body["show_on_leaderboards"].get<bool>();
    if (body.contains("allow_buddy_requests")) p.allow_buddy_requests = body["allow_buddy_requests"].get<bool>();
    SPOTTER_SQL(store_.set_privacy(user, p, platform_.now_ms()));
    Json event = privacy_json(p);
    event["user_id"] = user;
    return platform_.events.publish({events::kPrivacyChanged, event});
  });
  SPOTTER_TRY(ok, checked(platform_.log, tx, "privacy"));
  (void)ok;
  platform_.audit.record(ctx, "privacy.update", user, privacy_json(p));
  return json_response(200, privacy_json(p));
}

}  // namespace spotter::cloud::org
