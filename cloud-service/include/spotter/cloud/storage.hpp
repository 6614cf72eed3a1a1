// The storage interface every domain's store is written against, and that the SQLite and
// PostgreSQL adapters implement (one contract suite, tests/cloud-service/storage_test.cpp,
// runs on both).
//
// SQL is written once, in the subset both engines accept: `?` placeholders (the PostgreSQL
// adapter numbers them), `ON CONFLICT … DO UPDATE … excluded`, `RETURNING`, partial
// indexes, `CASE` instead of SQLite's two-argument MAX, `BIGINT` for times and counts,
// `BOOLEAN` columns compared with bound booleans or TRUE/FALSE. Migrations may use
// `{{AUTO_ID}}` for an auto-numbered primary key (see expand_dialect()).
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

enum class Engine { sqlite, postgresql };
std::string_view to_string(Engine engine);

// A bound parameter or a column value: null, boolean, 64-bit integer, double, text.
// Construct from the C++ value: SqlValue(true) is a boolean, SqlValue(42) an integer,
// SqlValue(std::string("x")) or SqlValue("x") text.
using SqlValue = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string>;

template <class T>
SqlValue sql_opt(const std::optional<T>& v) {
  return v ? SqlValue(*v) : SqlValue(nullptr);
}

// One result row. Accessors never throw on a value of another type: they convert where
// that is meaningful (an integer 0/1 is a boolean: SQLite keeps booleans as integers) and
// give the type's zero otherwise. An index past the row is a programming error (throws).
struct SqlRow {
  std::vector<SqlValue> columns;

  bool is_null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(columns.at(i)); }
  std::int64_t integer(std::size_t i) const;
  double number(std::size_t i) const;
  bool boolean(std::size_t i) const;
  std::string text(std::size_t i) const;
  std::optional<std::int64_t> optional_integer(std::size_t i) const;
  std::optional<double> optional_number(std::size_t i) const;
  std::optional<std::string> optional_text(std::size_t i) const;
};

using SqlRows = std::vector<SqlRow>;

// Error codes of storage failures (Error::code). Adapters classify by the engine's own
// codes (SQLSTATE, SQLite's extended result codes), never by message text. Messages never
// contain bound values.
namespace sql_error {
inline constexpr std::string_view conflict = "conflict";      // a unique (or exclusion) constraint
inline constexpr std::string_view reference = "reference";    // a foreign key
inline constexpr std::string_view constraint = "constraint";  // a check or not-null constraint
inline constexpr std::string_view retry = "retry";            // serialization failure or deadlock
inline constexpr std::string_view unavailable = "unavailable";  // connection, I/O, disk full, busy, timeout
inline constexpr std::string_view sql = "sql";                // a bad statement: a programming error
}  // namespace sql_error

// A schema change owned by a domain. `id` ("org/1") is recorded in `schema_migrations`
// when applied and never renamed; a database holds every id it has applied.
struct Migration {
  std::string id;
  std::string sql;  // several statements; {{AUTO_ID}} and {{BYTEWISE}} expand per engine
};

// Thread-safe: any thread may call any member. Reads outside a transaction may run in
// parallel with everything else; transactions see their own writes.
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  virtual Engine engine() const = 0;

  virtual Result<SqlRows> query(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // Rows changed.
  virtual Result<std::int64_t> execute(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // Statements without parameters, run as one script (migrations).
  virtual Status execute_script(std::string_view sql) = 0;
  virtual Status ping() = 0;

  // Runs `work` in one transaction on the calling thread; everything `work` does through
  // this database is part of it. Committed when `work` returns ok; rolled back when it fails
  // or throws (the exception goes on). Nested calls are savepoints. A serialization failure
  // or deadlock (sql_error::retry, from `work` or the commit) rolls back and runs `work`
  // again, a few times with backoff: `work` must start from scratch each time (reset what
  // it collects at its top, do nothing outside the database).
  Status transaction(const std::function<Status()>& work);
  // Part of the caller's transaction when there is one (no savepoint: a failure fails it
  // whole), else a transaction of its own. For steps that are atomic on their own and also
  // run inside bigger ones.
  Status atomically(const std::function<Status()>& work) { return in_transaction() ? work() : transaction(work); }
  // `fn` runs on this thread once the outermost transaction commits (at once when there is
  // none); it is dropped if the transaction (or the savepoint it was registered in) rolls back.
  void after_commit(std::function<void()> fn);
  // The same, once per `key` in a transaction: false (and `fn` dropped) when a hook with
  // this key is already waiting for the same commit.
  bool after_commit_once(const std::string& key, std::function<void()> fn);
  bool in_transaction() const;

 protected:
  // Start, end or abandon this thread's transaction (the adapter binds a connection to the
  // thread between begin and commit/rollback). rollback() never fails: a connection that
  // cannot roll back is discarded.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  // A failed statement inside a PostgreSQL transaction poisons it until the savepoint is
  // rolled back; both engines name savepoints the same way.
  Status run_once(const std::function<Status()>& work);
  Status run_nested(const std::function<Status()>& work);
};

// Messages to every instance serving one database, each delivered once the transaction that
// sent it commits, in commit order (PostgreSQL's LISTEN/NOTIFY). What the instances keep in
// memory follows the database through it (platform/events.hpp). SQLite has no other
// instance: its feed sends nothing and never interrupts.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Inside a transaction of the database: delivered when it commits, dropped if it rolls
  // back. At most ~7,900 bytes.
  virtual Status send(std::string_view payload) = 0;
  // Delivers every message any instance sends (this one's too) on a thread of its own,
  // until stop(). After an interruption (messages may have been lost meanwhile) `on_gap`
  // runs once the feed is back, before the messages that follow. Returns once listening.
  virtual void start(std::function<void(std::string_view)> on_message, std::function<void()> on_gap) = 0;
  virtual void stop() = 0;
  // "single" (no other instance can share the database), "listening" or "reconnecting".
  virtual std::string state() const = 0;
};

// {{AUTO_ID}} -> the engine's auto-numbered 64-bit primary key; {{BYTEWISE}} -> a collation
// ordering text by its bytes.
std::string expand_dialect(std::string_view sql, Engine engine);
// `?` -> `$1`, `$2`, … outside string literals, quoted identifiers and comments.
std::string number_placeholders(std::string_view sql);
// "?, ?, ?": the placeholders of an IN list of n values (n > 0).
std::string placeholders(std::size_t n);

}  // namespace spotter::cloud

// In a function returning Status or Result<T>: run a statement, return its error if it failed.
#define SPOTTER_SQL(expr)                                          \
  do {                                                             \
    auto spotter_sql_r_ = (expr);                                  \
    if (!spotter_sql_r_) return ::spotter::Unexpected<::spotter::Error>{spotter_sql_r_.error()}; \
  } while (0)
