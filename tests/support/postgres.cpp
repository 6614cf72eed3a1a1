#include "spotter/testing/postgres.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace spotter::testing {
namespace fs = std::filesystem;
namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

bool is_root() { return ::geteuid() == 0; }

int run(const std::vector<std::string>& argv, const fs::path& log_dir) {
  ChildProcess p(argv, log_dir);
  auto rc = p.wait(std::chrono::seconds(60));
  if (!rc || *rc != 0) throw std::runtime_error(argv.at(0) + " failed: " + p.stderr_text() + p.stdout_text());
  return 0;
}

}  // namespace

std::vector<std::string> Postgres::as_postgres(std::vector<std::string> argv) const {
  if (!is_root()) return argv;
  // setpriv execs the program itself (no fork), so signals reach postgres directly.
  std::vector<std::string> wrapped{"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

Postgres::Postgres(const fs::path& dir, bool durable) : dir_(dir / "pg"), durable_(durable), port_(free_port()) {
  fs::create_directories(dir_ / "run");
  if (is_root()) {
    const passwd* pg = ::getpwnam("postgres");
    if (!pg) throw std::runtime_error("no postgres user: install postgresql-15 (scripts/setup)");
    for (const auto& p : {dir_, dir_ / "run"})
      if (::chown(p.c_str(), pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("cannot chown " + p.string());
  }
  run(as_postgres({std::string(kBin) + "initdb", "-D", (dir_ / "data").string(), "-A", "trust", "-U", "spotter", "-E", "UTF8",
                   "--locale=C", "--no-sync"}),
      dir);
  start();
}

Postgres::~Postgres() {
  if (proc_) stop();
}

std::string Postgres::url(const std::string& database) const {
  return "postgresql://spotter@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void Postgres::start() {
  std::vector<std::string> argv{std::string(kBin) + "postgres", "-D", (dir_ / "data").string(), "-p", std::to_string(port_), "-k",
                                (dir_ / "run").string(), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c",
                                "shared_buffers=128MB"};
  if (!durable_)
    for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) argv.insert(argv.end(), {"-c", setting});
  proc_ = std::make_unique<ChildProcess>(as_postgres(argv), dir_.parent_path());
  const std::string probe = url("postgres") + "?connect_timeout=1";
  if (!eventually([&] { return PQping(probe.c_str()) == PQPING_OK || !proc_->running(); }, std::chrono::seconds(30)) || !proc_->running())
    throw std::runtime_error("postgres did not start: " + proc_->stderr_text());
}

void Postgres::stop() {
  if (!proc_) return;
  proc_->signal(SIGINT);  // fast shutdown: clients disconnected, a clean checkpoint
  proc_->wait(std::chrono::seconds(30));
  proc_.reset();
}

void Postgres::kill() {
  if (!proc_) return;
  proc_->signal(SIGKILL);
  proc_->wait(std::chrono::seconds(10));
  proc_.reset();
  // A killed postmaster leaves its children and the shared memory behind for a moment.
  std::error_code ec;
  fs::remove(dir_ / "data" / "postmaster.pid", ec);
}

void Postgres::psql(const std::string& database, const std::string& sql) const {
  run({"psql", "-v", "ON_ERROR_STOP=1", "-q", "-d", url(database), "-c", sql}, dir_.parent_path());
}

std::string Postgres::create_database() {
  const std::string name = "t" + std::to_string(++next_db_);
  psql("postgres", "CREATE DATABASE " + name);
  return url(name);
}

void Postgres::drop_database(const std::string& database_url) {
  const auto slash = database_url.rfind('/');
  if (!proc_ || slash == std::string::npos) return;
  psql("postgres", "DROP DATABASE IF EXISTS " + database_url.substr(slash + 1) + " WITH (FORCE)");
}

Postgres& shared_postgres() {
  static TempDir dir;
  static Postgres server(dir.path());
  return server;
}

bool testing_on_postgres() {
  const char* engine = std::getenv("SPOTTER_TEST_DB");
  return engine && std::string(engine) == "postgresql";
}

}  // namespace spotter::testing
