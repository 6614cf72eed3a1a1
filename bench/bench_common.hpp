// What the cloud benchmarks share (bench_cloud, bench_training): arguments, percentiles,
// seeding rows in bulk, and an HTTP/1.1 connection for coroutines. Benchmarks assert nothing.
#pragma once
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/postgres/pg_database.hpp"
#include "adapters/sqlite/sqlite_database.hpp"
#include "spotter/common/json.hpp"

namespace bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using spotter::Json;

// The seeded chain (bench_cloud seed): branches br_bench_0..9, members usr_bench_N with
// e-mail mN@bench.test and this password.
inline constexpr int kBranches = 10;
inline constexpr const char* kPassword = "Bench-Passw0rd!";

inline std::string arg(const std::vector<std::string>& args, const std::string& name, const std::string& fallback) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--" + name) return args[i + 1];
  return fallback;
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

inline void check(const spotter::Result<std::int64_t>& r) {
  if (!r) throw std::runtime_error(r.error().message);
}

inline std::unique_ptr<spotter::cloud::SqlDatabase> open_db(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) return spotter::cloud::SqliteDatabase::open(url.substr(7));
  return spotter::cloud::PostgresDatabase::connect(url, {});
}

// Rows inserted 500 to a statement: one round trip each, so PostgreSQL seeds as fast as SQLite.
inline void insert_rows(spotter::cloud::SqlDatabase& db, const std::string& head, std::size_t width, const std::vector<spotter::cloud::SqlValue>& values) {
  const std::size_t rows = values.size() / width;
  const std::string one = "(" + spotter::cloud::placeholders(width) + ")";
  for (std::size_t at = 0; at < rows; at += 500) {
    const std::size_t n = std::min<std::size_t>(500, rows - at);
    std::string sql = head + " VALUES ";
    for (std::size_t i = 0; i < n; ++i) sql += (i ? ", " : "") + one;
    check(db.execute(sql, std::vector<spotter::cloud::SqlValue>(values.begin() + static_cast<std::ptrdiff_t>(at * width),
                                                                 values.begin() + static_cast<std::ptrdiff_t>((at + n) * width))));
  }
}


// Helpers kept out of coroutines: GCC 12 miscompiles string-literal arguments there.
inline std::string access_token_of(const std::string& body) {
  auto j = spotter::parse_json_strict(body);
  return j && j->contains("access_token") ? (*j)["access_token"].get<std::string>() : std::string();
}


struct HttpConn {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  explicit HttpConn(net::any_io_executor ex) : stream(ex) {}
  net::awaitable<http::response<http::string_body>> call(http::verb verb, const std::string& target, const std::string& body, const std::string& token) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    co_await http::async_write(stream, req, net::use_awaitable);
    http::response<http::string_body> res;
    co_await http::async_read(stream, buffer, res, net::use_awaitable);
    co_return res;
  }
};


// One blocking HTTP/1.1 connection (analytics and live: a few requests at a time).
struct Blocking {
  net::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  explicit Blocking(int port) { stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port))); }
  http::response<http::string_body> call(http::verb verb, const std::string& target, const std::string& body, const std::string& token) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res;
  }
  Json json(http::verb verb, const std::string& target, const std::string& body, const std::string& token) {
    auto r = call(verb, target, body, token);
    if (r.result_int() / 100 != 2) throw std::runtime_error(target + " -> " + std::to_string(r.result_int()) + " " + r.body());
    return spotter::parse_json_strict(r.body()).value_or(Json::object());
  }
};

}  // namespace bench
