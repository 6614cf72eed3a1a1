#pragma once
// Live progress (docs/sync.md, "Live progress"): while a member is linked to a machine, that
// machine's telemetry goes to the cloud for the member's app, at most twice a second per
// machine, and only while the cloud can be reached. It is live or nothing: never stored,
// never queued behind an outage (an item older than `max_age` when the sync thread comes
// for it is dropped), so a catch-up never replays minutes of a treadmill.
// Thread-safe: the store thread offers; the sync service's live thread takes, and waits for
// an offer between takes.
#include <chrono>
#include <condition_variable>
#include <optional>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace spotter::edge {

struct ProgressItem {
  std::string machine_id, link_id, member_id;
  std::string telemetry;  // the device's payload as received (its `metrics`, `ts`)
  std::int64_t received_ms = 0;
};

struct LiveProgressRules {
  std::chrono::milliseconds every{500};   // per machine: at most one item per this
  std::chrono::milliseconds max_age{2000};
};

class LiveProgress {
 public:
  explicit LiveProgress(LiveProgressRules rules = {}) : rules_(rules) {}
  // The machine's latest telemetry for its linked member (a newer one replaces one not yet
  // taken).
  void offer(ProgressItem item);
  // What is due at `now_ms`: per machine the latest item, if the last one taken for that
  // machine is at least `every` old; items older than `max_age` are dropped.
  std::vector<ProgressItem> take(std::int64_t now_ms);
  // How long until a held item becomes due (its machine's throttle ends); nullopt when
  // nothing is waiting.
  std::optional<std::chrono::milliseconds> next_due_in(std::int64_t now_ms) const;
  // Blocks until an offer newer than the last take or wait, interrupt(), or the timeout.
  void wait_for_offer(std::chrono::milliseconds timeout);
  void interrupt();
  struct Counts {
    std::uint64_t offered = 0, taken = 0, stale = 0;
  };
  Counts counts() const;

 private:
  LiveProgressRules rules_;
  mutable std::mutex mu_;
  std::condition_variable offered_;
  bool fresh_ = false, interrupted_ = false;
  std::map<std::string, ProgressItem> pending_;       // per machine
  std::map<std::string, std::int64_t> last_taken_;    // per machine
  Counts counts_;
};

}  // namespace spotter::edge
