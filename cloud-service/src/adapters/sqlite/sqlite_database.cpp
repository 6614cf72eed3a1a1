#include "sqlite_database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "round1_schema.hpp"

namespace spotter::cloud {

struct SqliteDatabase::Connection {
  explicit Connection(const std::filesystem::path& file)
      : db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 10'000) {
    db.exec("PRAGMA journal_mode=WAL");
    // WAL + FULL: a commit is on disk when it returns. A gateway deletes a batch once it is
    // acknowledged, and a member's sale or points must not vanish with the power either.
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA foreign_keys=ON");
  }
  SQLite::Statement& prepare(std::string_view sql) {
    auto it = statements.find(sql);
    if (it == statements.end())
      it = statements.emplace(std::string(sql), std::make_unique<SQLite::Statement>(db, std::string(sql))).first;
    it->second->reset();
    it->second->clearBindings();
    return *it->second;
  }
  // Whether a statement only reads (a write that returns rows, … RETURNING, must go
  // through the writer). Asked of SQLite once per statement text.
  bool reads_only(std::string_view sql) {
    auto it = read_only.find(sql);
    if (it != read_only.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db.getHandle(), sql.data(), static_cast<int>(sql.size()), &st, nullptr);
    const bool ro = st == nullptr || sqlite3_stmt_readonly(st) != 0;  // a bad statement fails on prepare() anyway
    sqlite3_finalize(st);
    return read_only.emplace(std::string(sql), ro).first->second;
  }
  SQLite::Database db;
  std::map<std::string, std::unique_ptr<SQLite::Statement>, std::less<>> statements;
  std::map<std::string, bool, std::less<>> read_only;
};

namespace {
std::atomic<std::uint64_t> g_generation{1};

// The database whose transaction this thread is inside (it holds that one's write_mu_).
thread_local const SqliteDatabase* t_transaction_of = nullptr;

// Connections of this thread, by database generation (never reused, unlike an address).
std::unordered_map<std::uint64_t, std::unique_ptr<SqliteDatabase::Connection>>& thread_connections() {
  thread_local std::unordered_map<std::uint64_t, std::unique_ptr<SqliteDatabase::Connection>> map;
  return map;
}

void bind_all(SQLite::Statement& st, const std::vector<SqlValue>& params) {
  int i = 1;
  for (const auto& p : params) {
    if (std::holds_alternative<std::nullptr_t>(p)) st.bind(i);
    else if (const auto* b = std::get_if<bool>(&p)) st.bind(i, *b ? 1 : 0);
    else if (const auto* n = std::get_if<std::int64_t>(&p)) st.bind(i, *n);
    else if (const auto* d = std::get_if<double>(&p)) st.bind(i, *d);
    else st.bind(i, std::get<std::string>(p));
    ++i;
  }
}

SqlValue column_value(const SQLite::Column& col) {
  switch (col.getType()) {
    case SQLITE_NULL: return nullptr;
    case SQLITE_INTEGER: return col.getInt64();
    case SQLITE_FLOAT: return col.getDouble();
    default: return col.getString();
  }
}

Error to_error(int code, int extended, const std::string& what) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return Error{std::string(sql_error::conflict), "unique constraint"};
    case SQLITE_CONSTRAINT_FOREIGNKEY: return Error{std::string(sql_error::reference), "foreign key"};
    default: break;
  }
  switch (code) {
    case SQLITE_CONSTRAINT: return Error{std::string(sql_error::constraint), "check or not-null constraint"};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL: return Error{std::string(sql_error::unavailable), sqlite3_errstr(code)};
    default: return Error{std::string(sql_error::sql), what};
  }
}

Error to_error(const SQLite::Exception& e) { return to_error(e.getErrorCode(), e.getExtendedErrorCode(), e.what()); }

// Created 0600 before SQLite opens it: members' data is nobody else's to read. SQLite gives
// the -wal and -shm files the database file's mode.
void create_private(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
}

}  // namespace

std::unique_ptr<SqliteDatabase> SqliteDatabase::open(const std::filesystem::path& file) {
  create_private(file);
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(file));
  db->adopt_round1_schema();
  db->checkpointer_ = std::make_unique<WalCheckpointer>(file);
  db->checkpointer_->attach(db->writer_->db.getHandle());
  return db;
}

void SqliteDatabase::adopt_round1_schema() {
  std::lock_guard lock(write_mu_);
  Connection& c = writer();
  const int version = c.db.execAndGet("PRAGMA user_version").getInt();
  if (version == kNamedMigrations) return;
  if (version == 0) {  // a new database
    c.db.exec("PRAGMA user_version = " + std::to_string(kNamedMigrations));
    return;
  }
  if (version > static_cast<int>(round1::kMigrations.size()))
    throw std::runtime_error("database schema version " + std::to_string(version) + " is newer than this spotter-cloud knows");
  SQLite::Transaction t(c.db);
  for (auto v = static_cast<std::size_t>(version); v < round1::kMigrations.size(); ++v) c.db.exec(round1::kMigrations[v]);
  c.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
  for (auto id : round1::kEquivalents) {
    SQLite::Statement insert(c.db, "INSERT INTO schema_migrations (id, applied_at) VALUES (?, 0) ON CONFLICT (id) DO NOTHING");
    insert.bind(1, std::string(id));
    insert.exec();
  }
  c.db.exec("PRAGMA user_version = " + std::to_string(kNamedMigrations));
  t.commit();
}

SqliteDatabase::SqliteDatabase(std::filesystem::path file) : file_(std::move(file)), generation_(g_generation++) {}

SqliteDatabase::~SqliteDatabase() {
  if (writer_) WalCheckpointer::detach(writer_->db.getHandle());
  checkpointer_.reset();
  thread_connections().erase(generation_);
}

SqliteDatabase::Connection& SqliteDatabase::reader() {
  if (t_transaction_of == this) return *writer_;
  return connection();
}

SqliteDatabase::Connection& SqliteDatabase::writer() {
  if (!writer_) writer_ = std::make_unique<Connection>(file_);
  return *writer_;
}

SqliteDatabase::Connection& SqliteDatabase::connection() {
  auto& map = thread_connections();
  auto it = map.find(generation_);
  if (it == map.end()) it = map.emplace(generation_, std::make_unique<Connection>(file_)).first;
  return *it->second;
}

namespace {
SqlRows step_all(SQLite::Statement& st) {
  SqlRows rows;
  const int n = st.getColumnCount();
  while (st.executeStep()) {
    SqlRow row;
    row.columns.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) row.columns.push_back(column_value(st.getColumn(i)));
    rows.push_back(std::move(row));
  }
  st.reset();
  return rows;
}
}  // namespace

Result<SqlRows> SqliteDatabase::query(std::string_view sql, const std::vector<SqlValue>& params) {
  try {
    Connection& r = reader();
    if (t_transaction_of != this && !r.reads_only(sql)) {
      // A write that returns rows (… RETURNING): through the writer, like execute().
      std::lock_guard lock(write_mu_);
      auto& w = writer().prepare(sql);
      bind_all(w, params);
      return step_all(w);
    }
    auto& st = r.prepare(sql);
    bind_all(st, params);
    return step_all(st);
  } catch (const SQLite::Exception& e) {
    return Unexpected<Error>{to_error(e)};
  }
}

Result<std::int64_t> SqliteDatabase::execute(std::string_view sql, const std::vector<SqlValue>& params) {
  std::lock_guard lock(write_mu_);
  try {
    auto& st = writer().prepare(sql);
    bind_all(st, params);
    // executeStep, not exec: a statement with RETURNING yields rows, which exec refuses.
    while (st.executeStep()) {
    }
    const auto changed = static_cast<std::int64_t>(sqlite3_changes(writer().db.getHandle()));
    st.reset();
    return changed;
  } catch (const SQLite::Exception& e) {
    try { writer().prepare(sql).reset(); } catch (...) {}
    return Unexpected<Error>{to_error(e)};
  }
}

Status SqliteDatabase::execute_script(std::string_view sql) {
  std::lock_guard lock(write_mu_);
  try {
    writer().db.exec(expand_dialect(sql, Engine::sqlite));
    return {};
  } catch (const SQLite::Exception& e) {
    return Unexpected<Error>{to_error(e)};
  }
}

Status SqliteDatabase::begin() {
  write_mu_.lock();
  try {
    writer().db.exec("BEGIN IMMEDIATE");
  } catch (const SQLite::Exception& e) {
    write_mu_.unlock();
    return Unexpected<Error>{to_error(e)};
  }
  t_transaction_of = this;
  return {};
}

Status SqliteDatabase::commit() {
  Status result;
  try {
    writer_->db.exec("COMMIT");
  } catch (const SQLite::Exception& e) {
    try { writer_->db.exec("ROLLBACK"); } catch (...) {}
    result = Unexpected<Error>{to_error(e)};
  }
  t_transaction_of = nullptr;
  write_mu_.unlock();
  return result;
}

void SqliteDatabase::rollback() {
  try {
    writer_->db.exec("ROLLBACK");
  } catch (...) {
    // A writer that cannot roll back is replaced: its successor starts clean.
    writer_.reset();
  }
  t_transaction_of = nullptr;
  write_mu_.unlock();
}

Status SqliteDatabase::ping() {
  auto r = query("SELECT 1", {});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

}  // namespace spotter::cloud
