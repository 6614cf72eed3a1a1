#include "jobs.hpp"

#include <map>

#include "../core/rules.hpp"
#include "floor.hpp"
#include "sessions.hpp"
#include "sync_apply.hpp"

namespace spotter::cloud {

bool Jobs::acquire(const std::string& job) {
  const std::int64_t now = app_.now_ms();
  auto r = app_.db.execute(
      "INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?) "
      "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
      "WHERE job_leases.expires_at <= ? OR job_leases.holder = excluded.holder",
      {job, app_.instance_id, now + settings_.lease.count(), now});
  return r && *r == 1;
}

void Jobs::record(const std::string& job, bool ok, const std::string& detail) {
  app_.metrics.job_run(job, ok);
  auto r = app_.db.execute(
      "INSERT INTO job_runs (name, last_run_at, last_ok, last_detail, runs) VALUES (?, ?, ?, ?, 1) "
      "ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at, last_ok = excluded.last_ok, "
      "last_detail = excluded.last_detail, runs = job_runs.runs + 1",
      {job, app_.now_ms(), std::int64_t{ok ? 1 : 0}, detail});
  if (!r) app_.log.error("job record failed", {{"job", job}, {"error", r.error().message}});
}

void Jobs::run_once() {
  const std::pair<const char*, Result<int> (Jobs::*)()> jobs[] = {
      {"session_auto_end", &Jobs::auto_end_sessions},
      {"subscription_expiry", &Jobs::expire_subscriptions},
      {"machine_offline", &Jobs::mark_machines_offline},
  };
  for (const auto& [name, run] : jobs) {
    if (!acquire(name)) continue;
    auto result = (this->*run)();
    if (result) {
      record(name, true, std::to_string(*result) + " changed");
      if (*result > 0) app_.log.info("job ran", {{"job", name}, {"changed", *result}});
    } else {
      record(name, false, result.error().code);
      app_.log.error("job failed", {{"job", name}, {"error", result.error().message}});
    }
  }
}

Result<int> Jobs::auto_end_sessions() {
  const std::int64_t now = app_.now_ms();
  auto rows = app_.db.query("SELECT id, user_id, branch_id, started_at FROM gym_sessions WHERE status = 'active' ORDER BY started_at");
  if (!rows) return Unexpected<Error>{rows.error()};
  std::map<std::string, std::shared_ptr<const BranchCalendar>> calendars;
  int ended = 0;
  for (const auto& r : *rows) {
    const std::string branch = r.text(2);
    if (!calendars.count(branch)) {
      auto cal = load_calendar(app_, branch);
      calendars[branch] = cal ? *cal : nullptr;
    }
    const auto& calendar = calendars[branch];
    if (!calendar) continue;
    auto due = session_auto_end(r.integer(3), now, *calendar);
    if (!due) continue;
    auto closed = close_session(app_, r.text(0), due->ended_at_ms, due->ended_by);
    if (!closed) return fail("unavailable", "closing a session failed");
    if (*closed) {
      ++ended;
      notify(app_, r.text(1), "session_auto_ended", {{"session_id", r.text(0)}, {"ended_by", due->ended_by}, {"ended_at", rfc3339(due->ended_at_ms)}});
    }
  }
  return ended;
}

Result<int> Jobs::expire_subscriptions() {
  const std::int64_t now = app_.now_ms();
  auto due = app_.db.query("SELECT id, user_id FROM subscriptions WHERE status <> 'expired' AND expires_at <= ?", {now});
  if (!due) return Unexpected<Error>{due.error()};
  int changed = 0;
  for (const auto& r : *due) {
    auto u = app_.db.execute("UPDATE subscriptions SET status = 'expired', updated_at = ? WHERE id = ? AND status IN ('active', 'suspended')", {now, r.text(0)});
    if (!u) return Unexpected<Error>{u.error()};
    if (*u == 1) {
      ++changed;
      notify(app_, r.text(1), "subscription_expired", {{"subscription_id", r.text(0)}});
      replica_changed(app_, "user", r.text(1));
    }
  }
  return changed;
}

Result<int> Jobs::mark_machines_offline() {
  const std::int64_t now = app_.now_ms();
  const std::int64_t cutoff = now - settings_.machine_offline_after.count();
  // A machine staff hold out of service stays `maintenance` while silent: see
  // shown_machine_state().
  auto due = app_.db.query("SELECT id FROM machines WHERE state <> 'offline' AND staff_hold = 0 "
                           "AND (last_seen_at IS NULL OR last_seen_at < ?)", {cutoff});
  if (!due) return Unexpected<Error>{due.error()};
  int changed = 0;
  for (const auto& r : *due) {
    auto u = app_.db.execute("UPDATE machines SET state = 'offline', updated_at = ? WHERE id = ? AND state <> 'offline' AND staff_hold = 0", {now, r.text(0)});
    if (!u) return Unexpected<Error>{u.error()};
    if (*u == 0) continue;
    ++changed;
    auto links = app_.db.query("SELECT id FROM machine_links WHERE machine_id = ? AND ended_at IS NULL", {r.text(0)});
    if (links && !links->empty()) (void)end_link(app_, links->front().text(0), r.text(0), "offline");
    publish_machine(app_, r.text(0));
  }
  return changed;
}

}  // namespace spotter::cloud
