// The storage seam. Repositories (src/core/repo_*.cpp) are written in portable SQL (`?`
// placeholders, no SQLite-only syntax except where marked) against this interface; the
// SQLite adapter implements it, and a PostgreSQL adapter can be added later (translating `?`
// to `$n`) without touching repositories or handlers.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "spotter/common/result.hpp"

namespace spotter::cloud {

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

inline SqlValue sql_opt(const std::optional<std::string>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }
inline SqlValue sql_opt(const std::optional<std::int64_t>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }

struct SqlRow {
  std::vector<SqlValue> columns;

  bool is_null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(columns.at(i)); }
  std::int64_t integer(std::size_t i) const {
    const auto* v = std::get_if<std::int64_t>(&columns.at(i));
    return v ? *v : 0;
  }
  std::string text(std::size_t i) const {
    const auto* v = std::get_if<std::string>(&columns.at(i));
    return v ? *v : std::string{};
  }
  std::optional<std::int64_t> optional_integer(std::size_t i) const {
    if (is_null(i)) return std::nullopt;
    return integer(i);
  }
  std::optional<std::string> optional_text(std::size_t i) const {
    if (is_null(i)) return std::nullopt;
    return text(i);
  }
};

using SqlRows = std::vector<SqlRow>;

// Error codes: "conflict" (a unique or check constraint), "unavailable" (busy, I/O, disk
// full), "sql" (a programming error: bad statement). Messages never contain bound values.
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  // Thread-safe: any thread may call; reads run in parallel, writes are serialized.
  virtual Result<SqlRows> query(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // Rows changed.
  virtual Result<std::int64_t> execute(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // Runs `work` in one write transaction on the calling thread: committed when it returns ok,
  // rolled back when it fails. `work` uses the same SqlDatabase.
  virtual Status transaction(const std::function<Status()>& work) = 0;
  virtual Status ping() = 0;
};

}  // namespace spotter::cloud

// In a function returning Status or Result<T>: run a statement, return its error if it failed.
#define SPOTTER_SQL(expr)                                          \
  do {                                                             \
    auto spotter_sql_r_ = (expr);                                  \
    if (!spotter_sql_r_) return ::spotter::Unexpected<::spotter::Error>{spotter_sql_r_.error()}; \
  } while (0)
