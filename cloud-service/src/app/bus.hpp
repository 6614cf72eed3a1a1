// The event bus (platform/events.hpp) over the database's change feed. Thread-safe once
// assembled: registration happens before the service serves.
#pragma once
#include <map>
#include <vector>

#include "../platform/events.hpp"
#include "spotter/cloud/storage.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

class Bus final : public EventBus {
 public:
  Bus(SqlDatabase& db, ChangeFeed& feed, std::string instance_id, Logger log)
      : db_(db), feed_(feed), instance_id_(std::move(instance_id)), log_(std::move(log)) {}
  void on(std::string kind, std::function<Status(const Event&)> handler) override;
  void on_live(std::string kind, std::function<void(const Event&)> handler) override;
  void on_resync(std::function<void()> handler) override;
  Status publish(const Event& event) override;

  // Starts taking other instances' events from the feed (the service calls it once
  // everything is assembled, before it serves).
  void start();
  void stop() { feed_.stop(); }

 private:
  void deliver_live(const Event& event);
  void from_feed(std::string_view payload);

  SqlDatabase& db_;
  ChangeFeed& feed_;
  std::string instance_id_;
  Logger log_;
  std::map<std::string, std::vector<std::function<Status(const Event&)>>, std::less<>> in_transaction_;
  std::map<std::string, std::vector<std::function<void(const Event&)>>, std::less<>> live_;
  std::vector<std::function<void()>> resync_;
};

}  // namespace spotter::cloud
