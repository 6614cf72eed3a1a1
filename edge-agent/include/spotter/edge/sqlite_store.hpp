#pragma once
// The gateway's SQLite databases in --data-dir: `edge.db` (replica, sessions, door events,
// used QR codes, machine links, the outbox) and beside it `<name>.telemetry.db` (raw
// telemetry and workouts, and how far the inbound journal is applied). WAL mode; door and
// session writes commit with synchronous=FULL so they survive power loss.
//
// Two files, because a commit's fsync carries every page written to its file since the
// last one: with telemetry in the same file, each door decision waited for the disk to
// take the telemetry of the last few milliseconds (docs/edge-agent.md, BENCHMARKS.md).
//
// Threads: the "telemetry writer" methods (record_telemetry, set_applied, evict_telemetry)
// use their own connection and may run on one thread while every other method runs on
// another (the store thread); neither family is safe from two threads at once.
#include <filesystem>
#include <memory>

#include "spotter/edge/attribution.hpp"
#include "spotter/edge/door_store.hpp"
#include "spotter/edge/ingest.hpp"
#include "spotter/edge/machine_floor.hpp"
#include "spotter/edge/storage_budget.hpp"
#include "spotter/edge/replica.hpp"

namespace spotter::edge {

class SqliteEdgeStore final : public DoorStore {
 public:
  // Creates or migrates the schema. Throws std::runtime_error if the file cannot be opened
  // (a start-up error).
  explicit SqliteEdgeStore(const std::filesystem::path& file);
  ~SqliteEdgeStore() override;

  // Replaces the replica in one transaction: decisions see the old one or the new one.
  Status import_replica(const ReplicaSnapshot& snapshot);
  // Applies what changed since the last replica, in one transaction.
  Status apply_replica_delta(const ReplicaDelta& delta);
  std::optional<BranchRecord> branch() const;
  std::vector<QrKey> qr_keys() const;
  // Doors that have decided a scan here (devices export: accounts for the readers).
  std::vector<std::string> doors_seen() const;

  std::optional<MemberRecord> member_by_card(const std::string& uid) const override;
  std::optional<MemberRecord> member_by_fingerprint(const std::string& credential_id) const override;
  std::optional<MemberRecord> member(const std::string& id) const override;
  // The fingerprints the readers with a sensor are sent (fingerprint_delivery.hpp).
  std::vector<std::string> fingerprint_ids() const;
  std::optional<FingerprintRecord> fingerprint(const std::string& credential_id) const;
  std::vector<MembershipRecord> memberships_of(const std::string& member_id) const override;
  std::optional<SessionRecord> open_session(const std::string& member_id) const override;
  bool qr_used(const std::string& jti) const override;
  Status record_door(const DoorEvent& event, const DoorOutcome& outcome) override;

  std::vector<SessionRecord> open_sessions() const;
  // Ends an open session (the agent's own auto-end) with the cloud told through the outbox.
  // Error "storage" if it is no longer open or the write failed.
  Status end_session(const SessionRecord& session, std::int64_t ended_at_ms, const std::string& ended_by);

  // Machines: the registry, links open when the agent stopped, and the floor's changes
  // (links, states, a used QR code) with their outbox events, in one transaction.
  std::vector<MachineRecord> machine_registry() const;
  std::vector<MachineLink> open_links() const;
  std::vector<std::string> held_machines() const;  // staff holds (MachineInfo::held)
  // Links for attribution (attribution.hpp): those ended since `since_ms` (and the open ones),
  // one by id, and the one of a machine covering a gateway time, give or take `grace_ms`.
  std::vector<PastLink> recent_links(std::int64_t since_ms) const;
  std::optional<PastLink> link_by_id(const std::string& id) const;
  std::optional<PastLink> link_at(const std::string& machine_id, std::int64_t at_ms, std::int64_t grace_ms) const;
  // Ended links older than `before_ms` are dropped (30 days: past any machine's buffer).
  Result<int> prune_links(std::int64_t before_ms);
  Status record_floor(const FloorChanges& changes, std::int64_t now_ms);
  Status record_maintenance(const std::string& machine_id, const protocol::Maintenance& report, std::int64_t now_ms);

  // Telemetry writer: telemetry and workouts in one transaction (synchronous=NORMAL: the
  // inbound journal is what survives power loss), with the journal position they bring
  // the store up to. Each (machine, boot_id, msg_id) is stored once.
  Result<IngestResult> record_telemetry(const std::vector<TelemetryRow>& rows, JournalPosition applied);
  // Telemetry writer: the position, durable (synchronous=FULL) when this returns, so the
  // journal before it may go. Never moves back.
  Status set_applied(JournalPosition applied);
  // Store thread: a `workout` outbox event for each workout row, once per message (a
  // replayed one is left as it is). Called before the rows go to the telemetry writer.
  Status record_workout_events(const std::vector<TelemetryRow>& rows);

  JournalPosition applied_position() const;
  std::int64_t telemetry_count() const;

  StorageUse storage_use() const;
  // Telemetry writer: raw telemetry, oldest first, until at least `bytes` are freed.
  struct TelemetryEviction {
    std::int64_t rows = 0, bytes = 0, from_ms = 0, to_ms = 0;
  };
  Result<TelemetryEviction> evict_telemetry(std::int64_t bytes);
  // Store thread: after `evict_telemetry` freed `telemetry.bytes` of the `bytes` needed,
  // evictable outbox events oldest first for the rest; records what went (both parts) as
  // an `eviction` outbox event. Returns the bytes freed in all.
  Result<std::int64_t> evict(std::int64_t bytes, std::int64_t now_ms, const TelemetryEviction& telemetry);

  // What `spotter-edge outbox` shows: depth, bytes, the oldest event's age, counts by kind.
  Json outbox_summary(std::int64_t now_ms) const;
  std::int64_t member_count() const;

  std::int64_t outbox_depth() const;

  // Cloud sync (docs/sync.md). The oldest events first, at most `max_events` and about
  // `max_bytes`; then each is either gone (applied or a duplicate in the cloud) or moved to
  // the quarantine with the cloud's reason, so it never blocks the events behind it.
  struct OutboxEvent {
    std::int64_t seq = 0;
    std::string event_id, kind;
    std::int64_t at_ms = 0;
    std::string body;
  };
  // `live`: only the live lane's kinds (common/sync_api.hpp); otherwise only the others.
  std::vector<OutboxEvent> outbox_batch(std::size_t max_events, std::size_t max_bytes, bool live) const;
  Status outbox_settle(const std::vector<std::int64_t>& done, const std::vector<std::pair<std::int64_t, std::string>>& quarantined,
                       std::int64_t now_ms);
  std::int64_t quarantine_count() const;
  std::optional<std::string> sync_value(const std::string& key) const;
  Status set_sync_value(const std::string& key, const std::string& value);
  int schema_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spotter::edge
