// A member's devices (cloud-api-2, Members): one per login (refresh-token family), and
// signing one out. Signing out revokes the family in the same transaction as the event that
// tells every instance to forget it and re-check that person's sockets: its access token
// stops working at once and its WebSockets close.
#include "../../platform/responses.hpp"
#include "auth.hpp"

namespace spotter::cloud::auth {

std::string device_from_user_agent(std::string_view user_agent) {
  // Shown back to the member, so only printable ASCII of it, and not much.
  std::string out;
  for (char c : user_agent.substr(0, 100)) out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  return out;
}

HttpResponse AuthDomain::list_devices(RequestContext& ctx) {
  SPOTTER_TRY(logins, checked(platform_.log, store_.logins_of(ctx.who().id, platform_.now_ms()), "devices"));
  Json items = Json::array();
  for (const auto& l : logins)
    items.push_back({{"id", l.id}, {"device_name", l.device_name}, {"created_at", rfc3339(l.created_at)}, {"last_used_at", rfc3339(l.last_used_at)},
                     {"current", l.id == ctx.who().family_id}});
  return json_response(200, {{"items", items}});
}

HttpResponse AuthDomain::sign_out_device(RequestContext& ctx) {
  const std::string id(ctx.param("id"));
  const std::string user_id = ctx.who().id;
  bool found = false;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       auto revoked = store_.revoke_login(id, user_id, platform_.now_ms());
                       if (!revoked) return Unexpected<Error>{revoked.error()};
                       found = *revoked;
                       return found ? revoke_logins({{"family_ids", Json::array({id})}, {"user_id", user_id}}) : Status{};
                     }),
                     "device sign-out"));
  if (!found) return not_found("device");
  platform_.audit.record(ctx, "auth.device_signed_out", user_id, {{"family_id", id}});
  return no_content();
}

}  // namespace spotter::cloud::auth
