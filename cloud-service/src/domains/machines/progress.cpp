// Live progress (docs/sync.md, "Live progress"): a gateway forwards the telemetry of its
// linked machines, throttled; each item goes to the WebSockets of the member the machine
// is linked to now, on whichever instance they are connected. Never stored: an item for a
// machine nobody is linked to, or not the gateway's, is dropped and counted.
#include <cctype>

#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "machines.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/sync_api.hpp"

namespace spotter::cloud::machines {
namespace {

constexpr std::size_t kMaxMetrics = 24;
constexpr std::int64_t kYear2100Ms = 4'102'444'800'000;

// Metrics as the firmware protocol names them (3.5): short snake_case names, numbers or
// short texts. What else a gateway might send is not passed on to apps.
bool plain_metrics(const Json& m) {
  if (!m.is_object() || m.empty() || m.size() > kMaxMetrics) return false;
  for (const auto& [name, value] : m.items()) {
    if (name.empty() || name.size() > 32) return false;
    for (char c : name)
      if (!(std::islower(static_cast<unsigned char>(c)) || c == '_')) return false;
    if (!(value.is_number() || (value.is_string() && value.get_ref<const std::string&>().size() <= 64))) return false;
  }
  return true;
}

}  // namespace

HttpResponse MachinesDomain::progress(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  const Json* items = body.contains("items") ? &body["items"] : nullptr;
  if (!items || !items->is_array() || items->size() > sync_api::kMaxProgressItems)
    return validation_problem({{"items", "must be an array of at most " + std::to_string(sync_api::kMaxProgressItems) + " items"}});
  const Caller& gateway = ctx.who();
  if (gateway.branch_ids.size() != 1) return forbidden("gateways only");
  const std::string& branch_id = *gateway.branch_ids.begin();
  std::int64_t delivered = 0, dropped = 0;
  std::vector<Event> pushes;
  for (const auto& item : *items) {
    const bool well_formed = item.is_object() && item.contains("machine_id") && item["machine_id"].is_string() &&
                             is_valid_id(item["machine_id"].get_ref<const std::string&>()) && item.contains("ts") && item["ts"].is_number_integer() &&
                             item["ts"].get<std::int64_t>() >= 0 && item["ts"].get<std::int64_t>() < kYear2100Ms &&
                             item.contains("metrics") && plain_metrics(item["metrics"]) &&
                             (!item.contains("link_id") || (item["link_id"].is_string() && is_valid_id(item["link_id"].get_ref<const std::string&>())));
    if (!well_formed) {
      ++dropped;
      continue;
    }
    const std::string machine_id = item["machine_id"].get<std::string>();
    SPOTTER_TRY(link, checked(platform_.log, store_.active_link_in_branch(machine_id, branch_id), "link"));
    // Only the machine's current link: a link that ended (or another member's) gets nothing.
    if (!link || (item.contains("link_id") && item["link_id"].get_ref<const std::string&>() != link->id)) {
      ++dropped;
      continue;
    }
    pushes.push_back({events::kProgress, {{"user_id", link->user_id}, {"machine_id", machine_id}, {"metrics", item["metrics"]}, {"ts_ms", item["ts"]}}});
    ++delivered;
  }
  if (!pushes.empty())
    SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                         for (const auto& e : pushes) SPOTTER_SQL(platform_.events.publish(e));
                         return {};
                       }),
                       "live progress"));
  platform_.metrics.progress_delivered += delivered;
  platform_.metrics.progress_dropped += dropped;
  return json_response(200, {{"delivered", delivered}, {"dropped", dropped}});
}

void MachinesDomain::push_progress(const Event& e) {
  const Json& b = e.body;
  if (!b.contains("user_id") || !b["user_id"].is_string() || !b.contains("machine_id") || !b["machine_id"].is_string()) return;
  const std::string machine_id = b["machine_id"].get<std::string>();
  const std::int64_t ts = b.contains("ts_ms") && b["ts_ms"].is_number_integer() ? b["ts_ms"].get<std::int64_t>() : platform_.now_ms();
  platform_.live.to_user(b["user_id"].get<std::string>(), "progress:" + machine_id,
                         {{"type", "workout_progress"}, {"machine_id", machine_id}, {"metrics", b.contains("metrics") ? b["metrics"] : Json::object()},
                          {"ts", rfc3339(ts)}});
}

}  // namespace spotter::cloud::machines
