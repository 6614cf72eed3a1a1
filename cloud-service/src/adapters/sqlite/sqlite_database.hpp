#pragma once
#include <filesystem>
#include <memory>
#include <mutex>

#include "spotter/cloud/storage.hpp"
#include "wal_checkpointer.hpp"

namespace spotter::cloud {

// SQLite in WAL mode: the embedded engine for one instance (a single gym, the demo).
// Each calling thread reads on its own connection (readers in parallel). Every write goes
// through one writer connection behind a process-wide mutex, so writers queue here instead
// of spinning on SQLITE_BUSY, and the writer's page cache stays valid: SQLite drops a
// connection's whole cache when another connection has written since its last
// transaction. A transaction holds the writer from begin() to commit()/rollback() on its
// thread; reads inside it go to the writer, so they see its own rows. Statements are
// prepared once per connection. Several processes may open one file (SQLite's locks keep
// it sound), but only one instance should serve it: the caches are per process.
class SqliteDatabase final : public SqlDatabase {
 public:
  // Opens (creating, mode 0600) the file. A round-1 database (PRAGMA user_version 1-6) is
  // brought to version 6 and recorded as holding the domains' first migrations; the
  // domains' migrations themselves are run by the migration runner. Throws at startup on
  // failure (an unreadable file, a schema newer than this program).
  static std::unique_ptr<SqliteDatabase> open(const std::filesystem::path& file);
  ~SqliteDatabase() override;

  Engine engine() const override { return Engine::sqlite; }
  Result<SqlRows> query(std::string_view sql, const std::vector<SqlValue>& params = {}) override;
  Result<std::int64_t> execute(std::string_view sql, const std::vector<SqlValue>& params = {}) override;
  Status execute_script(std::string_view sql) override;
  Status ping() override;
  // WAL checkpoints run off the commit path so far (wal_checkpointer.hpp).
  std::uint64_t checkpoints() const { return checkpointer_ ? checkpointer_->runs() : 0; }

  struct Connection;
  // PRAGMA user_version of a database whose schema is recorded in schema_migrations (a
  // round-1 program refuses it as newer than it knows).
  static constexpr int kNamedMigrations = 1000;

 protected:
  Status begin() override;
  Status commit() override;
  void rollback() override;

 private:
  explicit SqliteDatabase(std::filesystem::path file);
  Connection& connection();  // this thread's reader
  Connection& reader();      // the writer inside this thread's transaction, else connection()
  Connection& writer();      // write_mu_ held
  void adopt_round1_schema();

  std::filesystem::path file_;
  std::uint64_t generation_;
  std::recursive_mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  std::unique_ptr<WalCheckpointer> checkpointer_;  // the writer's WAL, moved to the file off the commit path
};

}  // namespace spotter::cloud
