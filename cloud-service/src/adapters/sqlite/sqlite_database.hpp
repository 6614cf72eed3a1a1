#pragma once
#include <filesystem>
#include <memory>
#include <mutex>

#include "spotter/cloud/sql.hpp"

namespace spotter::cloud {

// SQLite in WAL mode. Each calling thread reads on its own connection (readers in parallel).
// Every write goes through one writer connection behind a process-wide mutex, so writers queue
// here instead of spinning on SQLITE_BUSY, and the writer's page cache stays valid: SQLite
// drops a connection's whole cache when another connection has written since its last
// transaction, which with a writer per thread meant re-reading every page of every write.
// Statements are prepared once per connection.
class SqliteDatabase final : public SqlDatabase {
 public:
  // Opens (creating) the file and applies the migrations; throws at startup on failure.
  static std::unique_ptr<SqliteDatabase> open(const std::filesystem::path& file);
  ~SqliteDatabase() override;

  Result<SqlRows> query(std::string_view sql, const std::vector<SqlValue>& params) override;
  Result<std::int64_t> execute(std::string_view sql, const std::vector<SqlValue>& params) override;
  Status transaction(const std::function<Status()>& work) override;
  Status ping() override;
  int schema_version();

  struct Connection;

 private:
  explicit SqliteDatabase(std::filesystem::path file);
  Connection& connection();  // this thread's reader
  Connection& reader();      // the writer inside this thread's transaction(), else connection()
  Connection& writer();      // write_mu_ held


  std::filesystem::path file_;
  std::uint64_t generation_;
  std::recursive_mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
};

}  // namespace spotter::cloud
