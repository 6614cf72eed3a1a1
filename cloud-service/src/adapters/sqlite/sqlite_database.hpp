#pragma once
#include <filesystem>
#include <memory>
#include <mutex>

#include "spotter/cloud/sql.hpp"

namespace spotter::cloud {

// SQLite in WAL mode. Each calling thread gets its own connection (readers in parallel); a
// process-wide mutex makes this process the single writer, so writers queue here instead of
// spinning on SQLITE_BUSY. Statements are prepared once per connection.
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
  Connection& connection();

  std::filesystem::path file_;
  std::uint64_t generation_;
  std::recursive_mutex write_mu_;
};

}  // namespace spotter::cloud
