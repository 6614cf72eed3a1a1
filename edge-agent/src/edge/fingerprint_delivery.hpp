#pragma once
// Fingerprint templates to the branch's readers with a sensor (PROTOCOL.md 4.4): one retained
// message per door and credential, sealed with the door's key; an empty retained message
// takes one back. The broker's retained messages are the record of what each reader was
// given: the agent subscribes to them, so after a restart it learns what is out there and
// takes back what was deleted meanwhile. Runs on the store thread; not thread-safe.
#include <functional>
#include <map>
#include <set>
#include <string>

#include "spotter/common/clock.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/log.hpp"
#include "spotter/edge/sqlite_store.hpp"

namespace spotter::edge {

class FingerprintDelivery {
 public:
  // QoS 1, retained.
  using PublishRetained = std::function<bool(const std::string& topic, const std::string& payload)>;
  FingerprintDelivery(SqliteEdgeStore& store, std::string branch, crypto::Bytes gateway_key, const Clock& clock, Logger log,
                      PublishRetained publish);

  // A reader's status said whether it has a sensor (an offline will says nothing).
  void on_reader(const std::string& door, bool has_sensor);
  // True if `topic` is one of this branch's template topics: the broker holds (or no longer
  // holds, if `payload` is empty) that template for that door.
  bool on_message(const std::string& topic, const std::string& payload);
  // The replica changed: reconcile at the next tick.
  void replica_changed() { dirty_ = true; }
  // Sends and takes back what the replica and the readers call for; a bounded amount per
  // call, so doors waiting behind it wait little. Cheap when nothing changed.
  void tick();
  Json status_json() const;

 private:
  void reconcile();

  SqliteEdgeStore& store_;
  std::string branch_;
  crypto::Bytes gateway_key_;
  const Clock& clock_;
  Logger log_;
  PublishRetained publish_;
  std::set<std::string> sensors_;
  std::map<std::string, std::set<std::string>> held_;
  bool dirty_ = true;
  unsigned ticks_ = 0;
  std::uint64_t sent_ = 0, taken_back_ = 0;
};

// The gateway's fingerprint key: `file` (32 random bytes, mode 0600), created by the agent
// on its first run (`create`). Throws std::runtime_error if it cannot be read or written (a
// start-up error).
crypto::Bytes load_gateway_key(const std::string& file, bool create);

}  // namespace spotter::edge
