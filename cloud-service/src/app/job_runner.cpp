#include "job_runner.hpp"

#include "../core/fields.hpp"

namespace spotter::cloud {

bool JobRunner::acquire(const std::string& job) {
  const std::int64_t now = platform_.now_ms();
  // One conditional upsert: taken when free, expired, or already this instance's.
  auto r = platform_.db.execute(
      "INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?) "
      "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
      "WHERE job_leases.expires_at <= ? OR job_leases.holder = excluded.holder",
      {job, platform_.instance_id, now + lease_.count(), now});
  return r && *r == 1;
}

void JobRunner::record(const std::string& job, bool ok, const std::string& detail) {
  platform_.metrics.job_run(job, ok);
  auto r = platform_.db.execute(
      "INSERT INTO job_runs (name, last_run_at, last_ok, last_detail, runs) VALUES (?, ?, ?, ?, 1) "
      "ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at, last_ok = excluded.last_ok, "
      "last_detail = excluded.last_detail, runs = job_runs.runs + 1",
      {job, platform_.now_ms(), ok, detail});
  if (!r) platform_.log.error("job record failed", {{"job", job}, {"error", r.error().message}});
}

void JobRunner::run_once() {
  for (const auto& [name, run] : jobs_.jobs()) {
    if (!acquire(name)) continue;
    auto result = run();
    if (result) {
      record(name, true, std::to_string(*result) + " changed");
      if (*result > 0) platform_.log.info("job ran", {{"job", name}, {"changed", *result}});
    } else {
      record(name, false, result.error().code);
      platform_.log.error("job failed", {{"job", name}, {"error", result.error().message}});
    }
  }
}

Result<Json> JobRunner::status() {
  auto rows = platform_.db.query("SELECT name, last_run_at, last_ok, last_detail, runs FROM job_runs ORDER BY name");
  if (!rows) return Unexpected<Error>{rows.error()};
  Json jobs = Json::object();
  for (const auto& r : *rows) {
    const bool fresh = platform_.now_ms() - r.integer(1) < 5 * 60 * 1000;
    jobs[r.text(0)] = {{"last_run_at", rfc3339(r.integer(1))}, {"ok", r.boolean(2) && fresh}, {"runs", r.integer(4)},
                       {"detail", r.is_null(3) ? Json(nullptr) : Json(r.text(3))}};
  }
  return jobs;
}

}  // namespace spotter::cloud
