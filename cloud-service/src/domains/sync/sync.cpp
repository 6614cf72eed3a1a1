#include "sync.hpp"

#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "../machines/events.hpp"
#include "../org/events.hpp"
#include "spotter/common/encoding.hpp"

namespace spotter::cloud::sync {

SyncDomain::SyncDomain(Platform& platform, org::OrgDomain& org, machines::MachinesDomain& machines, const GatewayEventTable& uploads)
    : platform_(platform), org_(org), machines_(machines), uploads_(uploads), store_(platform.db) {}

// What gateways hold changes with what other domains do: each change is logged in the
// same transaction, and gateways fetch it with their next poll.
void SyncDomain::subscribe(EventBus& bus) {
  bus.on(org::events::kMemberChanged, [this](const Event& e) { return store_.replica_changed("user", e.body.value("user_id", "")); });
  bus.on(org::events::kBranchImported, [this](const Event& e) { return store_.replica_changed("all", e.body.value("branch_id", "")); });
  bus.on(org::events::kBranchChanged, [this](const Event& e) { return store_.replica_changed("all", e.body.value("branch_id", "")); });
  bus.on(org::events::kPlanChanged, [this](const Event& e) { return store_.replica_changed("all", e.body.value("plan_id", "")); });
  bus.on(machines::events::kRegistered, [this](const Event& e) { return store_.replica_changed("machine", e.body.value("machine_id", "")); });
  bus.on(machines::events::kCommand, [this](const Event& e) {
    return store_.insert_command(e.body.value("branch_id", ""), e.body.value("machine_id", ""), e.body.value("kind", ""),
                                 e.body.contains("body") ? e.body["body"] : Json::object(), platform_.now_ms());
  });
}

Status SyncDomain::everything_changed(const std::string& why) {
  return platform_.db.transaction([&] { return store_.replica_changed("all", why); });
}

void SyncDomain::gateway_events(GatewayEventTable& table) {
  table.add("door_event", [this](const GatewayOrigin& g, std::int64_t at, const Json& b) -> Result<Applied> {
    const std::string id = text_field(b, "event_id", 100);
    if (id.empty() || !b.contains("granted") || !b["granted"].is_boolean()) return quarantine("malformed door_event");
    SPOTTER_SQL(store_.insert_door_event(id, g.gateway_id, g.branch_id, b, time_field(b, "at_ms").value_or(at)));
    return Applied{};
  });
  // The gateway dropped telemetry to stay within its disk budget: recorded in the inbox.
  table.add("eviction", [](const GatewayOrigin&, std::int64_t, const Json&) -> Result<Applied> { return Applied{false, "recorded"}; });
}

Try<Json> SyncDomain::build_replica(const std::string& branch_id) {
  SPOTTER_TRY(branch, checked(platform_.log, org_.branch(branch_id), "branch"));
  if (!branch) return storage_error(platform_.log, Error{"sql", "branch gone"}, "branch");
  // An inactive branch goes to its gateway closed every day: no door opens.
  Json doc = {{"branch",
               {{"id", branch->id},
                {"name", branch->name},
                {"timezone", branch->timezone},
                {"opening_hours", branch->active ? parse_json_strict(branch->opening_hours).value_or(Json::object()) : Json::object()},
                {"active", branch->active}}}};
  SPOTTER_TRY(people, checked(platform_.log, org_.replica_people(branch_id, std::nullopt), "replica"));
  SPOTTER_TRY(machines, checked(platform_.log, machines_.replica_machines(branch_id, std::nullopt), "replica"));
  doc["members"] = std::move(people["members"]);
  doc["memberships"] = std::move(people["memberships"]);
  doc["cards"] = std::move(people["cards"]);
  doc["fingerprints"] = std::move(people["fingerprints"]);
  doc["machines"] = std::move(machines);
  Json keys = Json::array();
  for (const auto& [kid, sec1] : platform_.keys().signing.qr_public_sec1) keys.push_back({{"kid", kid}, {"public_key", base64url_encode(sec1)}});
  doc["qr_keys"] = std::move(keys);
  return doc;
}

// What changed after `since`: each changed member with all their memberships and cards (or
// their removal, when they no longer belong to this branch's replica), and machines. nullopt
// when only a whole snapshot will do (a change to everything, or too many changes).
Try<std::optional<Json>> SyncDomain::build_delta(const std::string& branch_id, std::int64_t since) {
  SPOTTER_TRY(changes, checked(platform_.log, store_.replica_changes_since(since, 5000), "replica changes"));
  if (!changes) return std::optional<Json>{};
  Json delta = {{"members", Json::array()}, {"removed_members", Json::array()}, {"machines", Json::array()}, {"removed_machines", Json::array()}};
  for (const auto& [entity, id] : *changes) {
    if (entity == "user") {
      SPOTTER_TRY(one, checked(platform_.log, org_.replica_people(branch_id, id), "replica"));
      if (one["members"].empty()) {
        delta["removed_members"].push_back(id);
        continue;
      }
      Json m = one["members"][0];
      m["memberships"] = std::move(one["memberships"]);
      m["cards"] = std::move(one["cards"]);
      m["fingerprints"] = std::move(one["fingerprints"]);
      delta["members"].push_back(std::move(m));
    } else if (entity == "machine") {
      SPOTTER_TRY(one, checked(platform_.log, machines_.replica_machines(branch_id, id), "replica"));
      if (one.empty()) delta["removed_machines"].push_back(id);
      else delta["machines"].push_back(std::move(one[0]));
    } else {
      return std::optional<Json>{};
    }
  }
  return std::optional<Json>{std::move(delta)};
}

}  // namespace spotter::cloud::sync
