#include "pg_database.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <optional>
#include <unordered_map>
#include <utility>

#include "pg_common.hpp"

namespace spotter::cloud {

struct PostgresDatabase::Connection {
  PGconn* conn = nullptr;
  std::unordered_map<std::string, std::string> prepared;  // type signature + SQL -> statement name
  bool broken = false;
  // begin() was called but BEGIN not sent yet: it goes with the transaction's first
  // statement, in one round trip (libpq's pipeline mode).
  bool begin_pending = false;
  int statements_named = 0;  // names are never reused: one may exist unrecorded after a failed pipeline
  ~Connection() {
    if (conn) PQfinish(conn);
  }
};

namespace {

std::atomic<std::uint64_t> g_generation{1};

// The transaction connection of this thread, per database (by generation, never reused).
thread_local std::vector<std::pair<std::uint64_t, PostgresDatabase::Connection*>> t_bound;

constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700, kText = 25;

char type_code(const SqlValue& v) {
  switch (v.index()) {
    case 0: return 'n';
    case 1: return 'b';
    case 2: return 'i';
    case 3: return 'd';
    default: return 't';
  }
}

Oid type_oid(char code) {
  switch (code) {
    case 'b': return kBool;
    case 'i': return kInt8;
    case 'd': return kFloat8;
    case 't': return kText;
    default: return 0;  // null: the server infers the type from the statement
  }
}

std::string text_of(const SqlValue& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return {};
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "t" : "f";
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

SqlValue column_value(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return nullptr;
  const char* text = PQgetvalue(r, row, col);
  const int length = PQgetlength(r, row, col);
  switch (PQftype(r, col)) {
    case kBool: return text[0] == 't';
    case kInt2:
    case kInt4:
    case kInt8: {
      std::int64_t n = 0;
      std::from_chars(text, text + length, n);
      return n;
    }
    case kFloat4:
    case kFloat8:
    case kNumeric: return std::strtod(text, nullptr);
    default: return std::string(text, static_cast<std::size_t>(length));
  }
}

// One statement's outcome: rows (for statements that return them) and rows changed.
Result<SqlRows> outcome(PGconn* conn, PGresult* r, std::int64_t* affected) {
  const auto status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Error e = pg_error(conn, r);
    PQclear(r);
    return Unexpected<Error>{std::move(e)};
  }
  SqlRows rows;
  const int n = PQntuples(r), m = PQnfields(r);
  rows.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    SqlRow row;
    row.columns.reserve(static_cast<std::size_t>(m));
    for (int j = 0; j < m; ++j) row.columns.push_back(column_value(r, i, j));
    rows.push_back(std::move(row));
  }
  if (affected) {
    const char* changed = PQcmdTuples(r);
    *affected = changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
  }
  PQclear(r);
  return rows;
}

// BEGIN, the statement's PREPARE when it is new, and the statement, sent together; their
// results read in order. A failure of one aborts the rest (PGRES_PIPELINE_ABORTED): the first
// error is the answer.
Result<SqlRows> exec_with_begin(PostgresDatabase::Connection& c, const std::string& name, const std::string* prepare_sql,
                                const std::vector<Oid>& types, const std::vector<const char*>& values, std::int64_t* affected) {
  PGconn* conn = c.conn;
  bool sent = PQenterPipelineMode(conn) == 1 && PQsendQueryParams(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  if (sent && prepare_sql) sent = PQsendPrepare(conn, name.c_str(), prepare_sql->c_str(), static_cast<int>(types.size()), types.data()) == 1;
  if (sent) sent = PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0) == 1;
  if (sent) sent = PQpipelineSync(conn) == 1;
  if (!sent) {
    c.broken = true;
    return Unexpected<Error>{pg_error(conn, nullptr)};
  }
  const int commands = prepare_sql ? 3 : 2;
  std::optional<Error> first_error;
  Result<SqlRows> answer = SqlRows{};
  for (int i = 0; i < commands; ++i) {
    PGresult* r = PQgetResult(conn);
    if (!r) {
      c.broken = true;
      return Unexpected<Error>{pg_error(conn, nullptr)};
    }
    const auto status = PQresultStatus(r);
    if (i == commands - 1 && !first_error) {
      answer = outcome(conn, r, affected);  // takes r
      if (!answer) first_error = answer.error();
    } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (!first_error) first_error = pg_error(conn, r);
      PQclear(r);
    } else {
      PQclear(r);
    }
    while (PGresult* rest = PQgetResult(conn)) PQclear(rest);  // the NULL that ends a command
  }
  PGresult* sync = PQgetResult(conn);
  const bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  if (sync) PQclear(sync);
  if (!synced || PQexitPipelineMode(conn) != 1) c.broken = true;
  if (first_error) {
    c.broken = c.broken || PQstatus(conn) != CONNECTION_OK;
    return Unexpected<Error>{*first_error};
  }
  return answer;
}

Result<SqlRows> exec_prepared(PostgresDatabase::Connection& c, std::string_view sql, const std::vector<SqlValue>& params, std::int64_t* affected) {
  std::string key;
  key.reserve(params.size() + 1 + sql.size());
  for (const auto& p : params) key.push_back(type_code(p));
  key.push_back('|');
  key.append(sql);
  std::vector<std::string> texts;
  std::vector<const char*> values;
  texts.reserve(params.size());
  for (const auto& p : params) {
    if (const auto* s = std::get_if<std::string>(&p); s && s->find('\0') != std::string::npos)
      return fail(std::string(sql_error::constraint), "text holds a NUL character");
    texts.push_back(text_of(p));
  }
  for (std::size_t i = 0; i < params.size(); ++i) values.push_back(std::holds_alternative<std::nullptr_t>(params[i]) ? nullptr : texts[i].c_str());
  std::vector<Oid> types;
  for (const auto& p : params) types.push_back(type_oid(type_code(p)));
  auto it = c.prepared.find(key);
  const std::string name = it != c.prepared.end() ? it->second : "s" + std::to_string(++c.statements_named);
  const std::string numbered = it != c.prepared.end() ? std::string() : number_placeholders(sql);
  if (c.begin_pending) {
    c.begin_pending = false;
    auto result = exec_with_begin(c, name, it == c.prepared.end() ? &numbered : nullptr, types, values, affected);
    // A statement prepared in a pipeline that failed may or may not exist: prepared again next time.
    if (result && it == c.prepared.end()) c.prepared.emplace(std::move(key), name);
    return result;
  }
  if (it == c.prepared.end()) {
    PGresult* r = PQprepare(c.conn, name.c_str(), numbered.c_str(), static_cast<int>(types.size()), types.data());
    auto prepared = outcome(c.conn, r, nullptr);
    if (!prepared) {
      c.broken = c.broken || PQstatus(c.conn) != CONNECTION_OK;
      return prepared;
    }
    c.prepared.emplace(std::move(key), name);
  }
  PGresult* r = PQexecPrepared(c.conn, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
  auto result = outcome(c.conn, r, affected);
  if (!result) c.broken = c.broken || PQstatus(c.conn) != CONNECTION_OK;
  return result;
}

Status exec_simple(PostgresDatabase::Connection& c, const std::string& sql) {
  auto result = outcome(c.conn, PQexec(c.conn, sql.c_str()), nullptr);
  if (!result) {
    c.broken = c.broken || PQstatus(c.conn) != CONNECTION_OK;
    return Unexpected<Error>{result.error()};
  }
  return {};
}

}  // namespace

std::unique_ptr<PostgresDatabase> PostgresDatabase::connect(const std::string& url, Options options) {
  std::unique_ptr<PostgresDatabase> db(new PostgresDatabase(url, options));
  auto first = db->acquire();
  if (!first) throw std::runtime_error("database " + redacted_url(url) + " cannot be reached: " + first.error().message);
  db->release(*first);
  return db;
}

PostgresDatabase::PostgresDatabase(std::string url, Options options) : url_(std::move(url)), options_(options), generation_(g_generation++) {}

PostgresDatabase::~PostgresDatabase() = default;

PostgresDatabase::Connection* PostgresDatabase::bound() const {
  for (const auto& [generation, c] : t_bound)
    if (generation == generation_) return c;
  return nullptr;
}

Result<PostgresDatabase::Connection*> PostgresDatabase::acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.wait_for_connection;
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      // A connection the server closed while it sat idle (a restart, a failover) is
      // noticed here, without a round trip, and replaced.
      if (PQconsumeInput(c->conn) == 1 && PQstatus(c->conn) == CONNECTION_OK) return c.release();
      --open_;
    }
    if (open_ < options_.pool_size) break;
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= options_.pool_size)
      return fail(std::string(sql_error::unavailable), "every database connection is busy");
  }
  ++open_;
  lock.unlock();
  auto c = std::make_unique<Connection>();
  auto opened = open_connection(url_);
  if (!opened) {
    std::lock_guard relock(mu_);
    --open_;
    freed_.notify_one();
    return Unexpected<Error>{opened.error()};
  }
  c->conn = *opened;
  return c.release();
}

void PostgresDatabase::release(Connection* raw) {
  std::unique_ptr<Connection> c(raw);
  std::lock_guard lock(mu_);
  if (c->broken || PQstatus(c->conn) != CONNECTION_OK || PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
    --open_;
  } else {
    idle_.push_back(std::move(c));
  }
  freed_.notify_one();
}

Result<SqlRows> PostgresDatabase::run(std::string_view sql, const std::vector<SqlValue>& params, std::int64_t* affected) {
  if (Connection* c = bound()) return exec_prepared(*c, sql, params, affected);
  // Outside a transaction a statement commits alone; a deadlock or serialization failure
  // means it did not happen, so it runs again.
  for (int attempt = 1;; ++attempt) {
    auto c = acquire();
    if (!c) return Unexpected<Error>{c.error()};
    auto result = exec_prepared(**c, sql, params, affected);
    release(*c);
    if (result || result.error().code != sql_error::retry || attempt == 3) return result;
  }
}

Result<SqlRows> PostgresDatabase::query(std::string_view sql, const std::vector<SqlValue>& params) { return run(sql, params, nullptr); }

Result<std::int64_t> PostgresDatabase::execute(std::string_view sql, const std::vector<SqlValue>& params) {
  std::int64_t affected = 0;
  auto r = run(sql, params, &affected);
  if (!r) return Unexpected<Error>{r.error()};
  return affected;
}

Status PostgresDatabase::execute_script(std::string_view sql) {
  std::string script = expand_dialect(sql, Engine::postgresql);
  if (Connection* c = bound()) {
    const bool begin = std::exchange(c->begin_pending, false);
    return exec_simple(*c, std::string(begin ? "BEGIN;\n" : "") + "SET LOCAL statement_timeout = 0;\n" + script);
  }
  auto c = acquire();
  if (!c) return Unexpected<Error>{c.error()};
  auto result = exec_simple(**c, script);
  release(*c);
  return result;
}

Status PostgresDatabase::ping() {
  auto r = query("SELECT 1");
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Status PostgresDatabase::begin() {
  auto c = acquire();
  if (!c) return Unexpected<Error>{c.error()};
  (*c)->begin_pending = true;  // sent with the first statement
  t_bound.emplace_back(generation_, *c);
  return {};
}

namespace {
PostgresDatabase::Connection* unbind(std::uint64_t generation) {
  for (auto it = t_bound.begin(); it != t_bound.end(); ++it)
    if (it->first == generation) {
      auto* c = it->second;
      t_bound.erase(it);
      return c;
    }
  return nullptr;
}
}  // namespace

Status PostgresDatabase::commit() {
  Connection* c = unbind(generation_);
  if (c->begin_pending) {  // nothing was done: nothing to commit
    c->begin_pending = false;
    release(c);
    return {};
  }
  Status s = exec_simple(*c, "COMMIT");
  // A failed COMMIT has rolled back on the server; a connection lost during it leaves the
  // outcome unknown to us, which unavailable (503, retry) says.
  release(c);
  return s;
}

void PostgresDatabase::rollback() {
  Connection* c = unbind(generation_);
  if (c->begin_pending) c->begin_pending = false;
  else if (!exec_simple(*c, "ROLLBACK")) c->broken = true;
  release(c);
}

}  // namespace spotter::cloud
