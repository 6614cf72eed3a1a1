#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud {

// PostgreSQL through libpq: the engine of a chain, shared by several instances.
// A pool of connections (`pool_size`, opened as needed): a statement outside a transaction
// borrows one for itself; a transaction keeps one bound to its thread from begin() to
// commit()/rollback(). Statements are prepared once per connection (`?` numbered to `$n`),
// parameters typed (bool, int8, float8, text), results converted by column type. A
// connection that broke is dropped and replaced on demand, so the service recovers by
// itself when the database comes back; until then calls fail with
// sql_error::unavailable at once (connect timeout 3 s). Statements time out after 30 s.
class PostgresDatabase final : public SqlDatabase {
 public:
  struct Options {
    std::size_t pool_size = 8;
    std::chrono::milliseconds wait_for_connection{5000};  // pool exhausted: then unavailable
  };
  // Connects once to check the URL and the server; throws std::runtime_error with one line
  // for the operator (no password in it) when it cannot.
  static std::unique_ptr<PostgresDatabase> connect(const std::string& url, Options options);
  ~PostgresDatabase() override;

  Engine engine() const override { return Engine::postgresql; }
  Result<SqlRows> query(std::string_view sql, const std::vector<SqlValue>& params = {}) override;
  Result<std::int64_t> execute(std::string_view sql, const std::vector<SqlValue>& params = {}) override;
  Status execute_script(std::string_view sql) override;
  Status ping() override;

  struct Connection;

 protected:
  Status begin() override;
  Status commit() override;
  void rollback() override;

 private:
  PostgresDatabase(std::string url, Options options);
  Result<Connection*> acquire();
  void release(Connection* c);
  Connection* bound() const;  // this thread's transaction connection, if any
  // Runs one statement: on this thread's transaction connection, or a borrowed one.
  Result<SqlRows> run(std::string_view sql, const std::vector<SqlValue>& params, std::int64_t* affected);

  std::string url_;
  Options options_;
  std::uint64_t generation_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + lent
};

// A libpq connection URL (postgresql://user:password@host:port/db?…) without its password,
// for logs and messages.
std::string redacted_url(const std::string& url);

}  // namespace spotter::cloud
