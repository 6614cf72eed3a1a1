#pragma once
// A real PostgreSQL 15 for tests (Debian's postgresql-15): a cluster made with initdb in a
// directory of the test's, a `postgres` process on a free loopback port under the test's
// control. The server refuses to run as root, so as root it runs as the `postgres` user.
#include <memory>
#include <string>

#include "spotter/testing/process.hpp"

namespace spotter::testing {

class Postgres {
 public:
  // `durable`: fsync on, for tests that kill the database itself; off, the rest go faster.
  explicit Postgres(const std::filesystem::path& dir, bool durable = false);
  ~Postgres();
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& database) const;
  // A new empty database (its URL), dropped when this server's drop_database() or
  // destructor runs.
  std::string create_database();
  void drop_database(const std::string& url);
  // Runs SQL as the superuser on `database` (psql -c), REQUIREs success.
  void psql(const std::string& database, const std::string& sql) const;
  void stop();   // fast shutdown, waits
  void kill();   // SIGKILL (a crash)
  void start();  // on the same port and data directory
  bool running() const { return proc_ != nullptr; }

 private:
  std::vector<std::string> as_postgres(std::vector<std::string> argv) const;
  std::filesystem::path dir_;
  bool durable_;
  int port_;
  int next_db_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

// The process's shared server, started on first use and stopped at exit; tests that only
// need a database take one from it.
Postgres& shared_postgres();

// The engine the cloud tests run on: SPOTTER_TEST_DB=postgresql, else SQLite.
bool testing_on_postgres();

}  // namespace spotter::testing
