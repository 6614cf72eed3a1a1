// Background jobs: sessions auto-ended (4 h, closing time in the branch's zone), expired
// subscriptions marked, silent machines marked offline. Each run takes a lease per job in
// the database, so several instances can run the loop and each job runs in one at a time.
// Thread: whoever calls run_once (the job thread, or a test with a manual clock).
#pragma once
#include <chrono>

#include "app.hpp"

namespace spotter::cloud {

struct JobSettings {
  std::chrono::milliseconds machine_offline_after{60'000};
  std::chrono::milliseconds lease{30'000};
};

class Jobs {
 public:
  Jobs(App& app, JobSettings settings) : app_(app), settings_(settings) {}
  void run_once();

  // Each returns how many rows it changed, or the failure.
  Result<int> auto_end_sessions();
  Result<int> expire_subscriptions();
  Result<int> mark_machines_offline();

 private:
  bool acquire(const std::string& job);
  void record(const std::string& job, bool ok, const std::string& detail);
  App& app_;
  JobSettings settings_;
};

}  // namespace spotter::cloud
