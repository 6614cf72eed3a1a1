// The gateway's link to the cloud (docs/sync.md), on its own thread: a gateway token from
// the id and secret, the outbox uploaded in order in batches, the replica downloaded when
// its version moves, and commands for machines polled. Outbound connections only (gateways
// sit behind NAT). Failures back off with jitter and honour Retry-After.
// Threading: start/stop from the main thread; status() from any thread; the callbacks run on
// the sync thread and hand work to the store thread.
#pragma once
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "spotter/common/clock.hpp"
#include "spotter/common/json.hpp"
#include "spotter/common/log.hpp"
#include "spotter/edge/live_progress.hpp"
#include "spotter/edge/sync_backoff.hpp"

namespace spotter::edge {

class CloudClient;
class SqliteEdgeStore;

struct SyncSettings {
  std::string cloud_url;
  std::string gateway_id;
  std::string gateway_secret;
  std::string cloud_ca;  // PEM file trusted instead of the system's CA store (https only)
  std::filesystem::path db_file;  // the sync thread opens its own connection for the outbox
  std::chrono::milliseconds replica_every{3000};
  std::chrono::milliseconds commands_every{500};
  std::chrono::milliseconds idle_poll{100};  // how soon a new outbox event leaves
  std::size_t batch_events = 500;
};

class SyncService {
 public:
  // {"replica": snapshot} or {"delta": changes}, applied on the store thread.
  using ApplyReplica = std::function<Status(Json update)>;
  using OnCommand = std::function<void(const std::string& machine_id, const std::string& kind)>;

  SyncService(SyncSettings settings, const Clock& clock, Logger log, ApplyReplica apply, OnCommand command,
              std::shared_ptr<LiveProgress> progress = nullptr);
  ~SyncService();
  void start();
  void stop();
  // The outbox has something new: upload now rather than at the next poll.
  void wake();
  Json status() const;

 private:
  void run();
  // True when there is more to send at once (a catch-up).
  Result<bool> step();
  Status ensure_token();
  Result<bool> upload();
  // One batch of one lane: how many events went (0: the lane is empty).
  Result<std::size_t> send_batch(bool live);
  // A 413 for a batch of `events` starting with (seq, event_id, kind): halves `cap`, or sets
  // a lone event aside; how many events went (0 or 1).
  Result<std::size_t> too_large(std::size_t events, std::int64_t seq, const std::string& event_id, const std::string& kind, std::size_t& cap);
  Status poll_replica();
  Status poll_commands();
  // The live thread: linked machines' latest telemetry as soon as it is due, on a connection
  // of its own so that it never waits behind an upload; only while the link is online, and
  // a failure drops it (live or nothing).
  void run_live();
  void send_progress(CloudClient& client, const std::vector<ProgressItem>& due);
  void set_state(const std::string& state, const std::string& error);

  SyncSettings settings_;
  const Clock& clock_;
  Logger log_;
  ApplyReplica apply_;
  OnCommand command_;
  std::shared_ptr<LiveProgress> progress_;
  std::unique_ptr<CloudClient> client_;
  std::unique_ptr<SqliteEdgeStore> store_;
  // Capped at 10 s: when the link comes back, draining starts within that.
  SyncBackoff backoff_{std::chrono::milliseconds(500), std::chrono::seconds(10)};
  std::mt19937_64 rng_{std::random_device{}()};
  std::string token_;
  std::chrono::steady_clock::time_point token_renew_at_{}, next_replica_{}, next_commands_{};
  std::optional<std::chrono::seconds> retry_after_;
  // Events a batch of each lane (live, bulk) may hold now: halved by a 413 (a body larger
  // than the cloud takes), doubled back to batch_events by each success. Sync thread only.
  std::size_t batch_cap_[2] = {0, 0};
  bool resend_now_ = false;  // a batch was halved: send again without waiting

  std::thread thread_, live_thread_;
  std::atomic<bool> online_{false};
  std::mutex token_mu_;
  std::string live_token_;  // the sync thread's token_, for the live thread
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false;
  mutable std::mutex status_mu_;
  Json status_ = Json::object();
};

}  // namespace spotter::edge
