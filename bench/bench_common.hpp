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
#include <functional>
#include <map>
#include <tuple>
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


// A JSON request to the cloud on loopback, with the bearer token and the Idempotency-Key
// when there are ones.
inline http::request<http::string_body> request(http::verb verb, const std::string& target, const std::string& body, const std::string& token,
                                                const std::string& idempotency_key = "") {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!idempotency_key.empty()) req.set("Idempotency-Key", idempotency_key);
  req.body() = body;
  req.prepare_payload();
  return req;
}

struct HttpConn {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  explicit HttpConn(net::any_io_executor ex) : stream(ex) {}
  net::awaitable<http::response<http::string_body>> call(http::verb verb, const std::string& target, const std::string& body, const std::string& token,
                                                         const std::string& idempotency_key = "") {
    auto req = request(verb, target, body, token, idempotency_key);
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
    auto req = request(verb, target, body, token);
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

// Many members at once on one io thread: each logs in as its bench member, then sends the
// request `request_of` gives for its round, closed loop (again as soon as answered) or paced
// (once every `interval`, phases spread; latency from the scheduled send, so a slow answer
// that delays the next send still counts).
struct LoadPlan {
  int port = 8080, clients = 200;
  std::chrono::seconds seconds{15};
  std::chrono::milliseconds interval{0};
  std::chrono::seconds warmup{0};  // sent first, not counted (caches filling after a start)
  std::function<int(int client)> member_of;  // -> N of usr_bench_N / mN@bench.test
  std::function<std::tuple<http::verb, std::string, std::string>(int client, int round)> request_of;
  std::function<std::string(int client, int round)> idempotency_key_of = nullptr;  // none when null
};

struct LoadResult {
  std::vector<double> ms;
  int errors = 0;
  std::map<std::string, int> error_kinds;
  Json json(const std::string& mode, const LoadPlan& plan) const {
    return {{"mode", mode}, {"clients", plan.clients}, {"each_client_every_ms", plan.interval.count()}, {"warmup_s", plan.warmup.count()}, {"requests", ms.size()},
            {"requests_per_s", static_cast<double>(ms.size()) / static_cast<double>(plan.seconds.count())}, {"errors", errors},
            {"error_kinds", error_kinds}, {"p50_ms", percentile(ms, 0.5)}, {"p99_ms", percentile(ms, 0.99)}, {"max_ms", percentile(ms, 1.0)}};
  }
};

namespace detail {
struct LoadState {
  const LoadPlan& plan;
  LoadResult result;
  int ready = 0;
  bool go = false;
  Clock::time_point start{}, stop{};
};

inline std::string login_body(int member) {
  return Json{{"email", "m" + std::to_string(member) + "@bench.test"}, {"password", kPassword}}.dump();
}

inline net::awaitable<void> load_client_once(LoadState& st, int c) {
  auto ex = co_await net::this_coro::executor;
  HttpConn conn(ex);
  co_await conn.stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(st.plan.port)), net::use_awaitable);
  const std::string login_path = "/api/auth/login", none, body = login_body(st.plan.member_of(c));
  auto login = co_await conn.call(http::verb::post, login_path, body, none);
  if (login.result_int() != 200) {
    ++st.result.errors, ++st.result.error_kinds["login " + std::to_string(login.result_int())];
    co_return;
  }
  const std::string token = access_token_of(login.body());
  ++st.ready;
  net::steady_timer wait(ex);
  while (!st.go) {
    wait.expires_after(std::chrono::milliseconds(10));
    co_await wait.async_wait(net::use_awaitable);
  }
  const bool paced = st.plan.interval.count() > 0;
  auto scheduled = st.start + st.plan.interval * c / std::max(1, st.plan.clients);
  for (int round = 0; Clock::now() < st.stop; ++round) {
    auto [verb, target, payload] = st.plan.request_of(c, round);
    if (paced) {
      wait.expires_at(scheduled);
      co_await wait.async_wait(net::use_awaitable);
    }
    const auto t0 = paced ? scheduled : Clock::now();
    scheduled += st.plan.interval;
    const std::string key = st.plan.idempotency_key_of ? st.plan.idempotency_key_of(c, round) : std::string();
    auto r = co_await conn.call(verb, target, payload, token, key);
    if (t0 < st.start + st.plan.warmup) continue;
    if (r.result_int() / 100 != 2) {
      ++st.result.errors, ++st.result.error_kinds[std::to_string(r.result_int())];
      continue;
    }
    st.result.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
}

inline net::awaitable<void> load_client(LoadState& st, int c) {
  std::string failure;
  try {
    co_await load_client_once(st, c);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) ++st.result.errors, ++st.result.error_kinds["connection: " + failure];
}
}  // namespace detail

inline LoadResult run_load(const LoadPlan& plan) {
  net::io_context io;  // one thread: the bookkeeping is unsynchronized on purpose
  detail::LoadState st{plan, {}, 0, false, {}, {}};
  for (int c = 0; c < plan.clients; ++c) net::co_spawn(io, detail::load_client(st, c), net::detached);
  net::steady_timer starter(io);
  std::function<void()> poll = [&] {
    if (st.ready + st.result.errors < plan.clients) {
      starter.expires_after(std::chrono::milliseconds(20));
      starter.async_wait([&](beast::error_code) { poll(); });
      return;
    }
    st.start = Clock::now();
    st.stop = st.start + plan.warmup + plan.seconds;
    st.go = true;
  };
  poll();
  io.run();
  return std::move(st.result);
}

}  // namespace bench
