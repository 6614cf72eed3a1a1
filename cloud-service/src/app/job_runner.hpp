// Runs the domains' background jobs (platform/domain.hpp JobTable), each under a lease in
// the database so that, with several instances running this loop, each job runs in one of
// them at a time. Records each run (job_runs) for /health and /metrics.
// Thread: whoever calls run_once (the job thread, or a test with a manual clock).
#pragma once
#include <chrono>

#include "../platform/platform.hpp"

namespace spotter::cloud {

class JobRunner {
 public:
  JobRunner(Platform& platform, const JobTable& jobs, std::chrono::milliseconds lease) : platform_(platform), jobs_(jobs), lease_(lease) {}
  void run_once();
  // Each job's last run: {name: {last_run_at, ok, runs, detail}}; `ok` is false for a job
  // that failed or has not run for 5 minutes (they run every few seconds).
  Result<Json> status();

 private:
  bool acquire(const std::string& job);
  void record(const std::string& job, bool ok, const std::string& detail);

  Platform& platform_;
  const JobTable& jobs_;
  std::chrono::milliseconds lease_;
};

}  // namespace spotter::cloud
