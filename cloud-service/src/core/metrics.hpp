// Prometheus counters and histograms, in memory. Thread-safe; cheap enough for every request.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace spotter::cloud {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  void observe_request(std::string_view route, int status, double seconds);
  void job_run(const std::string& job, bool ok);
  std::atomic<std::int64_t> ws_clients{0};
  std::atomic<std::int64_t> ws_messages_sent{0};
  std::atomic<std::int64_t> ws_messages_coalesced{0};
  std::atomic<std::int64_t> ws_refused{0};  // upgrades refused: the instance's WebSocket cap
  std::atomic<std::int64_t> ws_connections{0};  // open WebSocket connections, authenticated or not (what the cap counts)
  std::atomic<std::int64_t> http_connections{0};
  std::atomic<std::int64_t> rejected_bodies{0};
  // Live progress items from gateways: pushed to the member, or dropped (machine not linked,
  // not the gateway's, malformed).
  std::atomic<std::int64_t> progress_delivered{0};
  std::atomic<std::int64_t> progress_dropped{0};

  std::string prometheus_text() const;

 private:
  struct Route {
    std::map<int, std::int64_t> by_status;
    std::array<std::int64_t, kBuckets.size()> buckets{};
    std::int64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Route, std::less<>> routes_;  // std::less<>: looked up without a copy
  std::map<std::pair<std::string, bool>, std::int64_t> jobs_;
};

}  // namespace spotter::cloud
