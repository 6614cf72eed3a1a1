#pragma once
// Door scans from MQTT readers: decode, decide, make durable, then reply. Runs on the
// agent's store thread (the only one that touches the SQLite store).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "spotter/common/clock.hpp"
#include "spotter/common/log.hpp"
#include "spotter/edge/door_decision.hpp"
#include "spotter/edge/sqlite_store.hpp"
#include "spotter/protocol/topic.hpp"

namespace spotter::edge {

// Rejected device messages, per device and reason (PROTOCOL.md section 5).
class RejectionCounts {
 public:
  void add(const std::string& device, std::string_view reason) { ++counts_[device + "/" + std::string(reason)]; }
  const std::map<std::string, std::uint64_t>& all() const { return counts_; }
  std::uint64_t total() const {
    std::uint64_t n = 0;
    for (const auto& [k, v] : counts_) n += v;
    return n;
  }

 private:
  std::map<std::string, std::uint64_t> counts_;
};

class DoorService {
 public:
  using Publish = std::function<bool(const std::string& topic, const std::string& payload)>;
  DoorService(SqliteEdgeStore& store, BranchCalendar calendar, std::shared_ptr<const QrCheck> qr, std::string branch_id,
              const Clock& clock, Logger log, Publish publish, RejectionCounts& rejections);
  // Told whenever a member's session ends (door or auto-end), so their machines free up.
  void on_member_left(std::function<void(const std::string& member_id)> f) { member_left_ = std::move(f); }

  void on_scan(const protocol::Topic& topic, const std::string& payload);
  // A reader's retained online/offline status (PROTOCOL.md 4.3); nullopt if malformed.
  std::optional<protocol::DoorStatus> on_reader_status(const protocol::Topic& topic, const std::string& payload);
  // `spotter-edge scan`: decided and recorded exactly as if the door's reader sent it; the
  // reply also goes to the door.
  protocol::DoorDecision scan_locally(const std::string& door, const protocol::DoorScan& scan);
  Json doors_json() const;
  // Ends sessions past 4 hours or past the closing of the opening they began in.
  void end_overdue_sessions();
  // After a new replica: the branch's calendar and QR keys.
  void reload(BranchCalendar calendar, std::shared_ptr<const QrCheck> qr) {
    calendar_ = std::move(calendar);
    qr_ = std::move(qr);
  }

 private:
  SqliteEdgeStore& store_;
  BranchCalendar calendar_;
  struct DoorStats {
    std::string reader_state = "unknown";
    std::int64_t last_scan_ms = 0;
    std::uint64_t scans = 0, granted = 0;
  };
  struct Decided {
    protocol::DoorDecision reply;  // empty req_id: nothing durable, so no answer
    std::optional<std::string> member_left;
  };
  Decided decide_and_record(const std::string& door, const protocol::DoorScan& scan);
  // After the reply is out: the member's machines are freed (which may commit telemetry).
  void after_reply(const Decided& d) {
    if (d.member_left && member_left_) member_left_(*d.member_left);
  }

  std::map<std::string, DoorStats> doors_;
  std::shared_ptr<const QrCheck> qr_;
  std::function<void(const std::string&)> member_left_;
  std::string branch_id_;
  const Clock& clock_;
  Logger log_;
  Publish publish_;
  RejectionCounts& rejections_;
};

// Verifies access QR codes with the branch's public keys (common/access_qr.hpp).
std::shared_ptr<const QrCheck> make_qr_check(const std::vector<QrKey>& keys, const Logger& log);

}  // namespace spotter::edge
