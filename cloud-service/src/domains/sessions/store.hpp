// Every SQL statement of the sessions domain: gym visits (gym_sessions) and the aliases a
// door's session id gets when it joins a visit already open. Thread-safe.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "rules.hpp"
#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::sessions {

struct Visit {
  std::string id, user_id, branch_id, status, source;
  std::int64_t started_at = 0;
  std::optional<std::int64_t> ended_at;
  std::optional<std::string> ended_by;
};

struct HistoryQuery {
  std::string user_id, branch_id;  // either may be empty
  std::optional<std::int64_t> from, to;
  std::optional<std::string> before_id;
  std::int64_t limit = 50;
};

class SessionStore {
 public:
  explicit SessionStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  // sql_error::conflict when the member already has an active visit (a unique index).
  Status insert(const Visit& v);
  Result<std::optional<Visit>> visit(const std::string& id);
  Result<std::optional<Visit>> active_of(const std::string& user_id);
  Result<std::optional<std::string>> active_at(const std::string& user_id, const std::string& branch_id);
  // Ends an active visit; false when it was not active any more. Never before its start.
  Result<bool> end(const std::string& id, std::int64_t ended_at, const std::string& ended_by);
  // Ends the member's active visit, if any, in one statement: the visit as ended.
  Result<std::optional<Visit>> end_active_of(const std::string& user_id, std::int64_t ended_at, const std::string& ended_by);
  Result<std::vector<Visit>> history(const HistoryQuery& q);
  Result<std::vector<SessionSample>> samples(const std::string& branch_id, std::int64_t from, std::int64_t to);
  Result<std::vector<Visit>> all_active();
  // The visit an id names: itself, or the visit it was merged into.
  Result<std::optional<std::string>> resolve(const std::string& id);
  Status add_alias(const std::string& alias_id, const std::string& session_id);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::sessions
