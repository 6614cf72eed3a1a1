#pragma once
// Machine messages on the store thread: state and links through the MachineFloor, made
// durable, then replies and commands published. Telemetry and workouts are validated and
// keep links alive; storing them is the ingest work still to come (docs/edge-agent.md).
#include <functional>
#include <memory>
#include <string>

#include "door_service.hpp"
#include "spotter/edge/attribution.hpp"
#include "spotter/edge/ingest.hpp"
#include "spotter/edge/live_progress.hpp"
#include "spotter/edge/machine_floor.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {

class MachineService {
 public:
  using Publish = DoorService::Publish;
  MachineService(SqliteEdgeStore& store, std::shared_ptr<const QrCheck> qr, std::string branch_id, const Clock& clock,
                 Logger log, Publish publish, RejectionCounts& rejections, MachineTimings timings);

  void on_message(const protocol::Topic& topic, const std::string& payload);
  // Telemetry or a workout: validated, the machine marked alive, and the row to store,
  // attributed to a link by what the device says (attribution.hpp): the link it names,
  // else the link covering its time; nullopt when rejected (and counted).
  std::optional<TelemetryRow> ingest(const protocol::Topic& topic, const std::string& payload, std::int64_t received_at_ms);
  void on_member_left(const std::string& member_id);
  // Called before a link's end is recorded: the link's telemetry still in memory must be in
  // SQLite first, because the end summarises it (store thread).
  void before_links_end(std::function<void()> f) { before_links_end_ = std::move(f); }
  // Telemetry of a machine while it is linked, for the member's live view (live_progress.hpp).
  void on_progress(std::function<void(ProgressItem)> f) { on_progress_ = std::move(f); }
  void tick();
  // Ended links older than 30 days leave the store (now and then, from the store thread).
  Result<int> prune();
  // A command from the cloud; false for a machine this branch does not have.
  bool on_cloud_command(const std::string& machine_id, protocol::CommandKind kind);
  // After a new replica: the QR keys and the machine registry.
  void reload(std::shared_ptr<const QrCheck> qr);
  const MachineFloor& floor() const { return floor_; }
  Json machines_json() const;

 private:
  void apply(const FloorChanges& changes);
  void reject(const std::string& device, const protocol::Rejection& why);
  // The link of a message of `machine`, asking the store for what memory no longer holds.
  std::optional<MachineLink> attribute(const std::string& machine, const std::optional<std::string>& link_id, std::int64_t device_ms);

  SqliteEdgeStore& store_;
  std::shared_ptr<const QrCheck> qr_;
  std::string branch_id_;
  const Clock& clock_;
  Logger log_;
  Publish publish_;
  RejectionCounts& rejections_;
  std::function<void()> before_links_end_;
  std::function<void(ProgressItem)> on_progress_;
  MachineFloor floor_;
  Attribution attribution_;
  std::map<std::string, std::int64_t> unattributed_;  // per machine: telemetry and workouts no link covers
};

}  // namespace spotter::edge
