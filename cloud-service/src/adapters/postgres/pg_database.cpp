#include "pg_database.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <unordered_map>

#include "pg_common.hpp"

namespace spotter::cloud {

struct PostgresDatabase::Connection {
  PGconn* conn = nullptr;
  std::unordered_map<std::string, std::string> prepared;  // type signature + SQL -> statement name
  bool broken = false;
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

Result<SqlRows> exec_prepared(PostgresDatabase::Connection& c, std::string_view sql, const std::vector<SqlValue>& params, std::int64_t* affected) {
  std::string key;
  key.reserve(params.size() + 1 + sql.size());
  for (const auto& p : params) key.push_back(type_code(p));
  key.push_back('|');
  key.append(sql);
  auto it = c.prepared.find(key);
  if (it == c.prepared.end()) {
    const std::string name = "s" + std::to_string(c.prepared.size() + 1);
    std::vector<Oid> types;
    for (const auto& p : params) types.push_back(type_oid(type_code(p)));
    PGresult* r = PQprepare(c.conn, name.c_str(), number_placeholders(sql).c_str(), static_cast<int>(types.size()), types.data());
    auto prepared = outcome(c.conn, r, nullptr);
    if (!prepared) {
      c.broken = c.broken || PQstatus(c.conn) != CONNECTION_OK;
      return prepared;
    }
    it = c.prepared.emplace(std::move(key), name).first;
  }
  std::vector<std::string> texts;
  std::vector<const char*> values;
  texts.reserve(params.size());
  for (const auto& p : params) {
    if (const auto* s = std::get_if<std::string>(&p); s && s->find('\0') != std::string::npos)
      return fail(std::string(sql_error::constraint), "text holds a NUL character");
    texts.push_back(text_of(p));
  }
  for (std::size_t i = 0; i < params.size(); ++i) values.push_back(std::holds_alternative<std::nullptr_t>(params[i]) ? nullptr : texts[i].c_str());
  PGresult* r = PQexecPrepared(c.conn, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
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
  if (Connection* c = bound()) return exec_simple(*c, "SET LOCAL statement_timeout = 0;\n" + script);
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
  if (auto s = exec_simple(**c, "BEGIN"); !s) {
    release(*c);
    return s;
  }
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
  Status s = exec_simple(*c, "COMMIT");
  // A failed COMMIT has rolled back on the server; a connection lost during it leaves the
  // outcome unknown to us, which unavailable (503, retry) says.
  release(c);
  return s;
}

void PostgresDatabase::rollback() {
  Connection* c = unbind(generation_);
  if (!exec_simple(*c, "ROLLBACK")) c->broken = true;
  release(c);
}

}  // namespace spotter::cloud
