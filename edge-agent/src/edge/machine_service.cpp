#include "machine_service.hpp"

#include "spotter/common/ids.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {
using protocol::MessageType;

MachineService::MachineService(SqliteEdgeStore& store, std::shared_ptr<const QrCheck> qr, std::string branch_id, const Clock& clock,
                               Logger log, Publish publish, RejectionCounts& rejections, MachineTimings timings)
    : store_(store),
      qr_(std::move(qr)),
      branch_id_(std::move(branch_id)),
      clock_(clock),
      log_(std::move(log)),
      publish_(std::move(publish)),
      rejections_(rejections),
      floor_(branch_id_, timings) {
  for (const auto& m : store_.machine_registry()) floor_.add_machine(m.id, m.category, m.type);
  for (const auto& l : store_.open_links()) floor_.restore_link(l);
  for (const auto& id : store_.held_machines()) floor_.restore_hold(id);
  // A day of links back in memory: data a machine sends late still finds its member.
  const auto keep = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24)).count();
  for (const auto& p : store_.recent_links(clock_.now_ms() - keep)) {
    if (p.ended_at_ms) attribution_.link_ended(p.link, *p.ended_at_ms);
    else attribution_.link_started(p.link);
  }
}

void MachineService::reject(const std::string& device, const protocol::Rejection& why) {
  rejections_.add(device, protocol::to_string(why.reason));
  log_.debug("rejected machine message", {{"machine", device}, {"reason", protocol::to_string(why.reason)}, {"field", why.field}});
}

void MachineService::apply(const FloorChanges& c) {
  if (c.empty()) return;
  // Attribution follows the floor at once, whether or not the store below keeps up.
  for (const auto& l : c.links_started) attribution_.link_started(l);
  for (const auto& e : c.links_ended) attribution_.link_ended(e.link, e.ended_at_ms);
  if (!c.links_ended.empty() && before_links_end_) before_links_end_();
  if (auto saved = store_.record_floor(c, clock_.now_ms()); !saved) {
    // Not durable, so not announced: the machine's next tap or status tries again.
    log_.error("machine changes not stored; not answering", {{"error", saved.error().message}});
    return;
  }
  for (const auto& l : c.links_started) log_.info("machine linked", {{"machine", l.machine_id}, {"member", l.member_id}, {"link_id", l.id}});
  for (const auto& e : c.links_ended) log_.info("machine unlinked", {{"machine", e.link.machine_id}, {"link_id", e.link.id}, {"ended_by", e.ended_by}});
  if (c.auth_reply) {
    publish_(protocol::build_topic(branch_id_, c.auth_reply->first, MessageType::auth_reply), protocol::encode(c.auth_reply->second));
  }
  for (const auto& [machine, cmd] : c.commands) {
    publish_(protocol::build_topic(branch_id_, machine, MessageType::command), protocol::encode(cmd));
  }
}

void MachineService::on_message(const protocol::Topic& topic, const std::string& payload) {
  const auto now = clock_.now();
  const auto& id = topic.device;
  switch (topic.type) {
    case MessageType::machine_status: {
      auto s = protocol::decode_machine_status(payload);
      if (!s) return reject(id, s.error());
      if (s->ts) attribution_.heard(id, *s->ts, now.time_since_epoch().count());
      return apply(floor_.on_status(id, *s, now));
    }
    case MessageType::heartbeat: {
      auto h = protocol::decode_heartbeat(payload);
      if (!h) return reject(id, h.error());
      attribution_.heard(id, h->ts, now.time_since_epoch().count());
      return apply(floor_.on_activity(id, false, now));
    }
    case MessageType::machine_auth: {
      auto a = protocol::decode_machine_auth(payload);
      if (!a) {
        reject(id, a.error());
        if (auto req = protocol::salvage_req_id(payload)) {
          publish_(protocol::build_topic(branch_id_, id, MessageType::auth_reply),
                   protocol::encode(protocol::AuthReply{*req, protocol::AuthResult::denied, protocol::Reason::malformed, std::nullopt, std::nullopt}));
        }
        return;
      }
      return apply(floor_.on_auth(id, *a, now, new_id("lnk", now.time_since_epoch().count()), store_, *qr_));
    }
    case MessageType::maintenance: {
      auto m = protocol::decode_maintenance(payload);
      if (!m) return reject(id, m.error());
      if (auto r = store_.record_maintenance(id, *m, now.time_since_epoch().count()); !r) {
        log_.error("maintenance report not stored", {{"machine", id}, {"error", r.error().message}});
      }
      return apply(floor_.on_maintenance(id, *m, now));
    }
    default:
      return;  // replies and commands are ours
  }
}

std::optional<TelemetryRow> MachineService::ingest(const protocol::Topic& topic, const std::string& payload, std::int64_t received_at_ms) {
  const auto& id = topic.device;
  TelemetryRow row;
  row.machine_id = id;
  row.received_at_ms = received_at_ms;
  std::optional<std::string> link_id;
  if (topic.type == MessageType::telemetry) {
    auto t = protocol::decode_telemetry(payload, floor_.category_of(id));
    if (!t) {
      reject(id, t.error());
      return std::nullopt;
    }
    row.boot_id = t->boot_id.value_or("");
    row.msg_id = t->msg_id;
    row.device_ts_ms = t->ts;
    link_id = t->link_id;
  } else {
    auto w = protocol::decode_workout(payload);
    if (!w) {
      reject(id, w.error());
      return std::nullopt;
    }
    row.workout = true;
    row.boot_id = w->boot_id.value_or("");
    row.msg_id = w->msg_id;
    row.device_ts_ms = w->ts_end;
    link_id = w->link_id;
  }
  attribution_.heard(id, row.device_ts_ms, received_at_ms);
  apply(floor_.on_activity(id, true, clock_.now()));
  if (auto link = attribute(id, link_id, row.device_ts_ms)) {
    row.link_id = link->id;
    row.session_id = link->session_id;
    row.member_id = link->member_id;
    // Live only for the link the machine serves now; workouts travel in the outbox.
    if (!row.workout && on_progress_)
      if (auto m = floor_.machines().find(id); m != floor_.machines().end() && m->second.link && m->second.link->id == link->id)
        on_progress_(ProgressItem{id, link->id, link->member_id, payload, received_at_ms});
  } else {
    // Kept with the link it names, if any: the cloud may know that link.
    row.link_id = link_id;
    ++unattributed_[id];
  }
  row.body = payload;
  return row;
}

std::optional<MachineLink> MachineService::attribute(const std::string& machine, const std::optional<std::string>& link_id, std::int64_t device_ms) {
  auto verdict = attribution_.attribute(machine, link_id, device_ms);
  if (verdict.link) return verdict.link;
  // Older than memory holds: the store keeps links for 30 days.
  std::optional<PastLink> stored;
  if (verdict.how == Attribution::How::unknown_link) stored = store_.link_by_id(*link_id);
  else if (attribution_.gateway_time(machine, device_ms) < clock_.now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24)).count())
    stored = store_.link_at(machine, attribution_.gateway_time(machine, device_ms), attribution_.grace().count());
  if (stored && stored->link.machine_id == machine) return stored->link;
  return std::nullopt;
}

void MachineService::on_member_left(const std::string& member_id) { apply(floor_.on_member_left(member_id, clock_.now())); }

bool MachineService::on_cloud_command(const std::string& machine_id, protocol::CommandKind kind) {
  if (floor_.machines().find(machine_id) == floor_.machines().end()) return false;
  apply(floor_.on_cloud_command(machine_id, kind, clock_.now()));
  return true;
}

void MachineService::reload(std::shared_ptr<const QrCheck> qr) {
  qr_ = std::move(qr);
  for (const auto& m : store_.machine_registry()) floor_.add_machine(m.id, m.category, m.type);
}

void MachineService::tick() {
  apply(floor_.tick(clock_.now(), "p-"));
  attribution_.forget_before(clock_.now_ms());
}

Result<int> MachineService::prune() {
  const auto month = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24 * 30)).count();
  return store_.prune_links(clock_.now_ms() - month);
}

}  // namespace spotter::edge

namespace spotter::edge {

Json MachineService::machines_json() const {
  Json list = Json::array();
  auto now = clock_.now_ms();
  for (const auto& [id, m] : floor_.machines()) {
    Json j = {{"machine", id}, {"state", protocol::to_string(m.effective_state())}, {"type", m.type},
              {"category", m.category ? Json(protocol::to_string(*m.category)) : Json(nullptr)},
              {"last_heard_s_ago", m.heard ? Json((now - m.last_heard_ms) / 1000) : Json(nullptr)}};
    if (m.link) {
      j["member"] = m.link->member_id;
      j["link_id"] = m.link->id;
    }
    auto u = unattributed_.find(id);
    j["unattributed"] = u == unattributed_.end() ? 0 : u->second;
    list.push_back(std::move(j));
  }
  return list;
}

}  // namespace spotter::edge
