#include "flood_publisher.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "spotter/protocol/raw_mqtt.hpp"
#include "spotter/protocol/codec.hpp"
#include "spotter/protocol/sim/simulator.hpp"
#include "spotter/protocol/topic.hpp"

namespace spotter::sim {
namespace {
using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kBatch = 64;  // publishes per write()

struct Lane {
  Clock::time_point first, last;
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::string error;
};

// Counts PUBACKs on the lane's reader thread; the writer waits when its window is full.
class Acks {
 public:
  void add() {
    {
      std::lock_guard lock(mu_);
      ++acked_;
    }
    cv_.notify_one();
  }
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_one();
  }
  // False when the connection closed before enough acknowledgements came.
  bool wait_until_at_least(std::uint64_t n, Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return acked_ >= n || closed_; });
    return acked_ >= n;
  }
  std::uint64_t count() {
    std::lock_guard lock(mu_);
    return acked_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t acked_ = 0;
  bool closed_ = false;
};

void publish_lane(const FloodConfig& c, int lane, std::uint64_t quota, Clock::time_point deadline,
                  const std::atomic<bool>& stop, Lane& out) {
  std::vector<std::string> topics;
  std::vector<std::int64_t> msg_ids;
  for (int m = lane; m < c.machines; m += c.publishers) {
    char id[32];
    std::snprintf(id, sizeof id, "flood-%04d", m + 1);
    topics.push_back(protocol::build_topic(c.branch, id, protocol::MessageType::telemetry));
    msg_ids.push_back(0);
  }
  if (topics.empty()) return;
  char client_id[64];
  std::snprintf(client_id, sizeof client_id, "sim-flood-%d-%llx", lane, static_cast<unsigned long long>(c.boot_nonce & 0xFFFFFF));
  RawMqtt mqtt;
  if (auto s = mqtt.connect(c.uri, client_id, true, c.login); !s) {
    out.error = s.error().message;
    return;
  }
  Acks acks;
  std::thread reader([&] {
    while (true) {
      auto p = mqtt.read_packet();
      if (!p) break;
      if (p->type == 4) acks.add();  // PUBACK
    }
    acks.close();
  });
  std::string boot = "f" + std::to_string(c.boot_nonce % 1'000'000'007ULL);
  SimRandom rng(c.boot_nonce + static_cast<std::uint64_t>(lane));
  auto start = Clock::now();
  out.first = start;
  double per_msg_s = c.rate > 0 ? static_cast<double>(c.publishers) / static_cast<double>(c.rate) : 0;
  std::size_t next_machine = 0;
  std::uint16_t packet_id = 0;
  const auto window = static_cast<std::uint64_t>(c.window);
  while (!stop.load(std::memory_order_relaxed) && (quota == 0 || out.sent < quota) && Clock::now() < deadline) {
    if (out.sent >= window && !acks.wait_until_at_least(out.sent + kBatch - window, deadline)) break;
    if (per_msg_s > 0) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(per_msg_s * static_cast<double>(out.sent))));
    }
    std::uint64_t n = quota == 0 ? kBatch : std::min(kBatch, quota - out.sent);
    for (std::uint64_t i = 0; i < n; ++i) {
      protocol::Telemetry t;
      t.msg_id = ++msg_ids[next_machine];
      t.ts = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      t.boot_id = boot;
      t.metrics.speed_kmh = 8.0 + static_cast<double>(rng.range(0, 60)) / 10.0;
      t.metrics.heart_rate_bpm = rng.range(90, 170);
      t.metrics.distance_m = static_cast<double>(t.msg_id) * 2.5;
      t.metrics.elapsed_s = t.msg_id;
      if (++packet_id == 0) packet_id = 1;  // 0 is not a valid packet id
      mqtt.add_publish(topics[next_machine], protocol::encode(t), 1, packet_id);
      next_machine = (next_machine + 1) % topics.size();
    }
    if (auto s = mqtt.flush(); !s) {
      out.error = s.error().message;
      break;
    }
    out.sent += n;
  }
  acks.wait_until_at_least(out.sent, Clock::now() + std::chrono::seconds(10));
  out.last = Clock::now();
  out.acked = acks.count();
  (void)mqtt.disconnect();
  mqtt.shutdown();
  reader.join();
}
}  // namespace

FloodResult run_flood(const FloodConfig& c, const std::atomic<bool>& stop, const Logger& log) {
  std::vector<Lane> lanes(static_cast<std::size_t>(c.publishers));
  std::vector<std::thread> threads;
  auto start = Clock::now();
  auto deadline = c.count > 0 ? Clock::time_point::max() : start + std::chrono::milliseconds(c.duration_ms);
  for (int k = 0; k < c.publishers; ++k) {
    std::uint64_t quota = 0;
    if (c.count > 0) {
      quota = static_cast<std::uint64_t>(c.count / c.publishers + (k < c.count % c.publishers ? 1 : 0));
      if (quota == 0) continue;
    }
    threads.emplace_back(publish_lane, std::cref(c), k, quota, deadline, std::cref(stop), std::ref(lanes[static_cast<std::size_t>(k)]));
  }
  for (auto& t : threads) t.join();
  FloodResult r;
  // From the first publish to the last acknowledgement: connecting is not publishing.
  auto first = Clock::time_point::max(), last = start;
  for (const auto& l : lanes) {
    if (l.sent > 0) {
      first = std::min(first, l.first);
      last = std::max(last, l.last);
    }
  }
  r.seconds = first < last ? std::chrono::duration<double>(last - first).count() : 0;
  for (const auto& l : lanes) {
    if (!l.error.empty()) {
      if (l.sent == 0) throw std::runtime_error(l.error);
      log.warn("flood publisher stopped early", {{"error", l.error}});
    }
    r.sent += l.sent;
    r.acknowledged += l.acked;
  }
  return r;
}

}  // namespace spotter::sim
