#include "sqlite_database.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "schema.hpp"

namespace spotter::cloud {

struct SqliteDatabase::Connection {
  explicit Connection(const std::filesystem::path& file)
      : db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 10'000) {
    db.exec("PRAGMA journal_mode=WAL");
    // WAL + NORMAL: a commit survives a process kill; power loss may take the last few
    // commits (docs/cloud-service.md says why that is the trade chosen).
    db.exec("PRAGMA synchronous=NORMAL");
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
  SQLite::Database db;
  std::map<std::string, std::unique_ptr<SQLite::Statement>, std::less<>> statements;
};

namespace {
std::atomic<std::uint64_t> g_generation{1};

// The database whose transaction() this thread is inside (it holds that one's write_mu_).
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
    else if (const auto* n = std::get_if<std::int64_t>(&p)) st.bind(i, *n);
    else st.bind(i, std::get<std::string>(p));
    ++i;
  }
}

Error to_error(const SQLite::Exception& e) {
  int code = e.getErrorCode();
  if (code == SQLITE_CONSTRAINT) return Error{"conflict", e.getExtendedErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY ? "foreign key" : "constraint"};
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN)
    return Error{"unavailable", e.getErrorStr()};
  return Error{"sql", e.what()};
}
}  // namespace

std::unique_ptr<SqliteDatabase> SqliteDatabase::open(const std::filesystem::path& file) {
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(file));
  Connection& c = db->connection();
  int version = c.db.execAndGet("PRAGMA user_version").getInt();
  if (version > static_cast<int>(schema::kMigrations.size()))
    throw std::runtime_error("database schema version " + std::to_string(version) + " is newer than this spotter-cloud knows");
  for (int v = version; v < static_cast<int>(schema::kMigrations.size()); ++v) {
    SQLite::Transaction t(c.db);
    c.db.exec(schema::kMigrations[static_cast<std::size_t>(v)]);
    c.db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    t.commit();
  }
  return db;
}

SqliteDatabase::SqliteDatabase(std::filesystem::path file) : file_(std::move(file)), generation_(g_generation++) {}

SqliteDatabase::~SqliteDatabase() { thread_connections().erase(generation_); }

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

Result<SqlRows> SqliteDatabase::query(std::string_view sql, const std::vector<SqlValue>& params) {
  try {
    auto& st = reader().prepare(sql);
    bind_all(st, params);
    SqlRows rows;
    const int n = st.getColumnCount();
    while (st.executeStep()) {
      SqlRow row;
      row.columns.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        auto col = st.getColumn(i);
        if (col.isNull()) row.columns.emplace_back(nullptr);
        else if (col.isInteger()) row.columns.emplace_back(col.getInt64());
        else row.columns.emplace_back(col.getString());
      }
      rows.push_back(std::move(row));
    }
    st.reset();
    return rows;
  } catch (const SQLite::Exception& e) {
    return Unexpected<Error>{to_error(e)};
  }
}

Result<std::int64_t> SqliteDatabase::execute(std::string_view sql, const std::vector<SqlValue>& params) {
  std::lock_guard lock(write_mu_);
  try {
    auto& st = writer().prepare(sql);
    bind_all(st, params);
    int changed = st.exec();
    st.reset();
    return static_cast<std::int64_t>(changed);
  } catch (const SQLite::Exception& e) {
    try { writer().prepare(sql).reset(); } catch (...) {}
    return Unexpected<Error>{to_error(e)};
  }
}

Status SqliteDatabase::transaction(const std::function<Status()>& work) {
  std::lock_guard lock(write_mu_);
  Connection* c = nullptr;
  try {
    c = &writer();
    c->db.exec("BEGIN IMMEDIATE");
  } catch (const SQLite::Exception& e) {
    return Unexpected<Error>{to_error(e)};
  }
  Status result = [&] {
    // Reads inside the transaction go to the writer so that they see its uncommitted rows.
    struct Inside {
      const SqliteDatabase* outer;
      ~Inside() { t_transaction_of = outer; }
    } inside{std::exchange(t_transaction_of, this)};
    return work();
  }();
  try {
    c->db.exec(result.ok() ? "COMMIT" : "ROLLBACK");
  } catch (const SQLite::Exception& e) {
    try { c->db.exec("ROLLBACK"); } catch (...) {}
    return Unexpected<Error>{to_error(e)};
  }
  return result;
}

Status SqliteDatabase::ping() {
  auto r = query("SELECT 1", {});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

int SqliteDatabase::schema_version() {
  auto r = query("PRAGMA user_version", {});
  return r && !r->empty() ? static_cast<int>(r->front().integer(0)) : -1;
}

}  // namespace spotter::cloud
