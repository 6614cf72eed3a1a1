// Attendance's SQL (cloud-api-2.md "Chain operations"): visits by branch and day, a
// member's visits over a span, and staff corrections (a manual visit, a corrected end).
// The same gym_sessions rows the rest of sessions keeps; the indexes (branch_id,
// started_at) and (user_id, started_at) answer both reads as one range each.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store.hpp"

namespace spotter::cloud::sessions {

class AttendanceStore {
 public:
  explicit AttendanceStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  // Visits started at the branch in [from, to).
  Result<std::vector<Visit>> started_at_branch(const std::string& branch_id, std::int64_t from, std::int64_t to);
  // The member's visits started in [from, to).
  Result<std::vector<Visit>> of_member(const std::string& user_id, std::int64_t from, std::int64_t to);
  // Holds the member's attendance row lock until the transaction ends, so that two staff
  // correcting one member's visits at once take turns (PostgreSQL; SQLite has one writer).
  Status lock_member(const std::string& user_id);
  // Whether another visit of the member (not `except_id`) overlaps [from, to); one in
  // progress lasts until `now`.
  Result<bool> overlaps(const std::string& user_id, std::int64_t from, std::int64_t to, std::int64_t now, const std::string& except_id);
  // A visit that is over: status ended, source manual.
  Status insert_closed(const Visit& v);
  // An ended visit's end, moved; false when it is not (or no longer) ended.
  Result<bool> move_end(const std::string& id, std::int64_t ended_at, const std::string& ended_by);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::sessions
