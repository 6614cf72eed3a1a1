// `--db`: which engine, and opening it.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "spotter/cloud/service.hpp"
#include "spotter/cloud/storage.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

struct DatabaseUrl {
  Engine engine = Engine::sqlite;
  std::string text;  // sqlite: the file's path; postgresql: the whole URL (libpq reads it)
};

// sqlite:PATH, or a libpq URL (postgresql://… or postgres://…). Error "invalid" with why.
Result<DatabaseUrl> parse_database_url(const std::string& url);
// For logs and messages: the path, or the URL without its password.
std::string display(const DatabaseUrl& url);

struct Storage {
  std::unique_ptr<SqlDatabase> db;
  std::unique_ptr<ChangeFeed> feed;
};

// `connections`: the PostgreSQL pool's size (SQLite opens one per thread). Throws
// DatabaseUnreachable when PostgreSQL cannot be reached, std::runtime_error otherwise.
Storage open_storage(const DatabaseUrl& url, std::size_t connections, const Logger& log);

}  // namespace spotter::cloud
