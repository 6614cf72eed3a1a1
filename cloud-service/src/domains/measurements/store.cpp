#include "store.hpp"

namespace spotter::cloud::measurements {

namespace {
std::string columns() {
  std::string c = "id, user_id, measured_at, notes, recorded_by, created_at, updated_at";
  for (const auto& m : kMetrics) c += ", " + std::string(m.name);
  return c;
}
constexpr std::size_t kFirstMetric = 7;

MeasurementRow row_of(const SqlRow& r) {
  MeasurementRow m;
  m.id = r.text(0);
  m.user_id = r.text(1);
  m.measured_at = r.integer(2);
  m.notes = r.optional_text(3);
  m.recorded_by = r.text(4);
  m.created_at = r.integer(5);
  m.updated_at = r.integer(6);
  for (std::size_t i = 0; i < kMetrics.size(); ++i)
    if (!r.is_null(kFirstMetric + i)) m.values[i] = r.number(kFirstMetric + i);
  return m;
}

std::vector<SqlValue> values_of(const MeasurementRow& m) {
  std::vector<SqlValue> v{m.id, m.user_id, m.measured_at, sql_opt(m.notes), m.recorded_by, m.created_at, m.updated_at};
  for (const auto& x : m.values) v.push_back(sql_opt(x));
  return v;
}
Result<std::vector<MeasurementRow>> rows(SqlDatabase& db, const std::string& sql, const std::vector<SqlValue>& params) {
  auto r = db.query(sql, params);
  if (!r) return Unexpected<Error>{r.error()};
  std::vector<MeasurementRow> out;
  for (const auto& x : *r) out.push_back(row_of(x));
  return out;
}
}  // namespace

std::vector<Migration> MeasurementStore::migrations() {
  std::string metrics;
  for (const auto& m : kMetrics) metrics += ", " + std::string(m.name) + " DOUBLE PRECISION";
  return {
      {"measurements/1", "CREATE TABLE measurements (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, measured_at BIGINT NOT NULL, notes TEXT, "
                         "recorded_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL" +
                             metrics + ");\nCREATE INDEX measurements_user ON measurements(user_id, measured_at, id);\n"},
  };
}

Status MeasurementStore::insert(const MeasurementRow& m) {
  const auto v = values_of(m);
  SPOTTER_SQL(db_.execute("INSERT INTO measurements (" + columns() + ") VALUES (" + placeholders(v.size()) + ")", v));
  return {};
}

Result<std::optional<MeasurementRow>> MeasurementStore::get(const std::string& id) {
  auto r = rows(db_, "SELECT " + columns() + " FROM measurements WHERE id = ?", {id});
  if (!r) return Unexpected<Error>{r.error()};
  if (r->empty()) return std::optional<MeasurementRow>{};
  return std::optional<MeasurementRow>{r->front()};
}

Result<std::vector<MeasurementRow>> MeasurementStore::list(const std::string& user_id, std::int64_t from, std::int64_t to,
                                                           std::optional<std::pair<std::int64_t, std::string>> after, std::int64_t limit) {
  std::string sql = "SELECT " + columns() + " FROM measurements WHERE user_id = ? AND measured_at >= ? AND measured_at < ?";
  std::vector<SqlValue> params{user_id, from, to};
  if (after) {
    sql += " AND (measured_at < ? OR (measured_at = ? AND id < ?))";
    params.insert(params.end(), {after->first, after->first, after->second});
  }
  sql += " ORDER BY measured_at DESC, id DESC LIMIT ?";
  params.emplace_back(limit);
  return rows(db_, sql, params);
}

Result<std::vector<MeasurementRow>> MeasurementStore::oldest_first(const std::string& user_id, std::int64_t from, std::int64_t to, std::int64_t limit) {
  return rows(db_, "SELECT " + columns() + " FROM measurements WHERE user_id = ? AND measured_at >= ? AND measured_at < ? ORDER BY measured_at, id LIMIT ?",
              {user_id, from, to, limit});
}

Status MeasurementStore::update(const MeasurementRow& m) {
  std::string sql = "UPDATE measurements SET measured_at = ?, notes = ?, updated_at = ?";
  std::vector<SqlValue> params{m.measured_at, sql_opt(m.notes), m.updated_at};
  for (std::size_t i = 0; i < kMetrics.size(); ++i) {
    sql += ", " + std::string(kMetrics[i].name) + " = ?";
    params.push_back(sql_opt(m.values[i]));
  }
  sql += " WHERE id = ?";
  params.emplace_back(m.id);
  SPOTTER_SQL(db_.execute(sql, params));
  return {};
}

Status MeasurementStore::remove(const std::string& id) {
  SPOTTER_SQL(db_.execute("DELETE FROM measurements WHERE id = ?", {id}));
  return {};
}

Status MeasurementStore::erase_member(const std::string& user_id) {
  SPOTTER_SQL(db_.execute("DELETE FROM measurements WHERE user_id = ?", {user_id}));
  return {};
}

}  // namespace spotter::cloud::measurements
