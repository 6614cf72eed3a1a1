#include "fingerprint_delivery.hpp"

#include "private_files.hpp"
#include "spotter/edge/fingerprint_plan.hpp"
#include "spotter/protocol/fingerprint.hpp"

namespace spotter::edge {
namespace {
// At most this many templates sealed and published per tick (about 6 KiB each).
constexpr std::size_t kSendsPerTick = 200;
// Even with nothing known to have changed, compare every this many ticks.
constexpr unsigned kFullCheckEvery = 15;
}  // namespace

FingerprintDelivery::FingerprintDelivery(SqliteEdgeStore& store, std::string branch, crypto::Bytes gateway_key, const Clock& clock,
                                         Logger log, PublishRetained publish)
    : store_(store),
      branch_(std::move(branch)),
      gateway_key_(std::move(gateway_key)),
      clock_(clock),
      log_(std::move(log)),
      publish_(std::move(publish)) {}

void FingerprintDelivery::on_reader(const std::string& door, bool has_sensor) {
  const bool had = sensors_.count(door) > 0;
  if (has_sensor == had) return;
  if (has_sensor) sensors_.insert(door);
  else sensors_.erase(door);
  dirty_ = true;
}

bool FingerprintDelivery::on_message(const std::string& topic, const std::string& payload) {
  auto t = protocol::parse_fingerprint_topic(topic);
  if (!t || t->branch != branch_) return false;
  if (payload.empty()) {
    held_[t->door].erase(t->credential_id);
  } else {
    held_[t->door].insert(t->credential_id);
  }
  dirty_ = true;
  return true;
}

void FingerprintDelivery::tick() {
  if (dirty_ || ++ticks_ % kFullCheckEvery == 0) reconcile();
}

void FingerprintDelivery::reconcile() {
  dirty_ = false;
  auto plan = plan_fingerprints(sensors_, store_.fingerprint_ids(), held_, kSendsPerTick);
  for (const auto& [door, id] : plan.take_back) {
    // An empty retained message removes the broker's copy; the reader is told the same way.
    if (!publish_(protocol::fingerprint_topic(branch_, door, id), "")) {
      dirty_ = true;
      continue;
    }
    held_[door].erase(id);
    ++taken_back_;
  }
  for (const auto& [door, id] : plan.send) {
    auto record = store_.fingerprint(id);
    if (!record) continue;  // deleted since the plan was made: the next round takes it back
    const auto topic = protocol::fingerprint_topic(branch_, door, id);
    auto key = protocol::door_fingerprint_key(gateway_key_, door);
    auto sealed = protocol::seal_template(key, topic, crypto::as_bytes(record->template_));
    if (!sealed) {
      log_.error("fingerprint template not sealed", {{"door", door}, {"credential_id", id}, {"error", sealed.error().message}});
      continue;
    }
    if (!publish_(topic, protocol::encode(protocol::FingerprintTemplate{id, record->finger, *sealed, clock_.now_ms()}))) {
      dirty_ = true;
      continue;
    }
    held_[door].insert(id);
    ++sent_;
  }
  if (plan.more) dirty_ = true;
  if (!plan.send.empty() || !plan.take_back.empty())
    log_.info("fingerprint templates delivered", {{"sent", plan.send.size()}, {"taken_back", plan.take_back.size()}, {"more", plan.more}});
}

Json FingerprintDelivery::status_json() const {
  std::size_t held = 0;
  for (const auto& [door, ids] : held_) held += ids.size();
  return {{"readers_with_sensor", sensors_.size()}, {"templates_at_readers", held}, {"sent", sent_}, {"taken_back", taken_back_}};
}

crypto::Bytes load_gateway_key(const std::string& file, bool create) { return load_key_file(file, create, "fingerprint key"); }

}  // namespace spotter::edge
