// Measurements' table and SQL: one row per measurement, a column per metric (typed, null
// when not measured), newest found through (user_id, measured_at).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "rules.hpp"
#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::measurements {

struct MeasurementRow {
  std::string id, user_id;
  std::int64_t measured_at = 0;
  MetricValues values;
  std::optional<std::string> notes;
  std::string recorded_by;
  std::int64_t created_at = 0, updated_at = 0;
};

class MeasurementStore {
 public:
  explicit MeasurementStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();
  // An erased person's measurements (org::events::kMemberErased).
  Status erase_member(const std::string& user_id);

  Status insert(const MeasurementRow& m);
  Result<std::optional<MeasurementRow>> get(const std::string& id);
  // The member's, measured in [from, to), newest first (by measured_at, then id); the page
  // after (measured_at, id) when given.
  Result<std::vector<MeasurementRow>> list(const std::string& user_id, std::int64_t from, std::int64_t to,
                                           std::optional<std::pair<std::int64_t, std::string>> after, std::int64_t limit);
  // Oldest first, for progress (at most `limit`).
  Result<std::vector<MeasurementRow>> oldest_first(const std::string& user_id, std::int64_t from, std::int64_t to, std::int64_t limit);
  Status update(const MeasurementRow& m);
  Status remove(const std::string& id);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::measurements
