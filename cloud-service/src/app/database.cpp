#include "database.hpp"

#include <libpq-fe.h>

#include "../adapters/postgres/pg_database.hpp"
#include "../adapters/postgres/pg_feed.hpp"
#include "../adapters/sqlite/sqlite_database.hpp"

namespace spotter::cloud {
namespace {

// SQLite serves one instance: there is nobody to tell, and nothing to miss.
class SingleInstanceFeed final : public ChangeFeed {
 public:
  Status send(std::string_view) override { return {}; }
  void start(std::function<void(std::string_view)>, std::function<void()>) override {}
  void stop() override {}
  std::string state() const override { return "single"; }
};

// The channel every instance of one database listens on.
constexpr const char* kChannel = "spotter_changes";

}  // namespace

Result<DatabaseUrl> parse_database_url(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) {
    if (url.size() == 7) return fail("invalid", "sqlite: needs a file path (sqlite:/var/lib/spotter/cloud.db)");
    return DatabaseUrl{Engine::sqlite, url.substr(7)};
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
    if (!options) {
      std::string why = error ? error : "not a PostgreSQL connection URL";
      PQfreemem(error);
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      return fail("invalid", why);
    }
    // libpq reads a port only when it connects: a typo there should stop the start instead.
    std::string bad_port;
    for (auto* o = options; o->keyword; ++o) {
      if (std::string_view(o->keyword) != "port" || !o->val) continue;
      std::string_view ports(o->val);
      while (!ports.empty()) {
        const auto comma = ports.find(',');
        const auto port = ports.substr(0, comma);
        int n = 0;
        bool ok = !port.empty() && port.size() <= 5;
        for (char c : port) ok = ok && c >= '0' && c <= '9', n = n * 10 + (c - '0');
        if (!ok || n < 1 || n > 65535) bad_port = std::string(port);
        ports = comma == std::string_view::npos ? std::string_view{} : ports.substr(comma + 1);
      }
    }
    PQconninfoFree(options);
    if (!bad_port.empty()) return fail("invalid", "'" + bad_port + "' is not a port number");
    return DatabaseUrl{Engine::postgresql, url};
  }
  return fail("invalid", "must be sqlite:PATH or postgresql://USER:PASSWORD@HOST:PORT/DB");
}

std::string display(const DatabaseUrl& url) {
  return url.engine == Engine::sqlite ? "sqlite:" + url.text : redacted_url(url.text);
}

Storage open_storage(const DatabaseUrl& url, std::size_t connections, const Logger& log) {
  if (url.engine == Engine::sqlite) return Storage{SqliteDatabase::open(url.text), std::make_unique<SingleInstanceFeed>()};
  std::unique_ptr<PostgresDatabase> db;
  try {
    db = PostgresDatabase::connect(url.text, PostgresDatabase::Options{.pool_size = connections});
  } catch (const std::runtime_error& e) {
    throw DatabaseUnreachable(e.what());
  }
  auto feed = std::make_unique<PgChangeFeed>(*db, url.text, kChannel, log.with({{"part", "change-feed"}}));
  return Storage{std::move(db), std::move(feed)};
}

}  // namespace spotter::cloud
