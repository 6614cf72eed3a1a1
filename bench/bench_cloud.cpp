// Cloud benchmarks (bench/run cloud drives them; numbers go to BENCHMARKS.md):
//   bench_cloud seed --db URL                  100,000 members, 1,000 machines in 10 branches
//                                              (sqlite:PATH or postgresql://…; migrated first)
//   bench_cloud pairs --port P [--clients 200 --seconds 10]
//                                              POST /api/sessions/start + /end per client
//   bench_cloud e2e --port P --mqtt URI --branch B --token T   machine status -> edge -> cloud -> WebSocket
//   bench_cloud fanout --port P --token T [--clients 1000 --changes 40 --ws-port Q]
//                                              a machine status change made through P -> the
//                                              last of N WebSocket clients of Q (default P)
//                                              has it
// Reports JSON lines; asserts nothing.
#include "bench_common.hpp"

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include "adapters/argon2/argon2_hasher.hpp"
#include "domains/org/rules_people.hpp"
#include "spotter/cloud/service.hpp"
#include "spotter/protocol/raw_mqtt.hpp"

using namespace bench;

namespace {

int seed(const std::vector<std::string>& args) {
  const int members = std::stoi(arg(args, "members", "100000")), machines = std::stoi(arg(args, "machines", "1000"));
  const std::string url = arg(args, "db", "sqlite:bench.db");
  if (spotter::cloud::Main({"migrate", "--db", url}) != 0) throw std::runtime_error("migrate failed");
  auto db = open_db(url);
  spotter::cloud::Argon2Hasher hasher;
  const std::string hash = hasher.hash(kPassword);  // one hash for all: seeding is not the benchmark
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  Json hours = Json::object();
  for (const char* d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) hours[d] = Json::array({Json::array({"00:00", "24:00"})});
  auto s = db->transaction([&]() -> spotter::Status {
    for (int b = 0; b < kBranches; ++b)
      check(db->execute("INSERT INTO branches (id, name, timezone, opening_hours, created_at, updated_at) VALUES (?, ?, 'Europe/Madrid', ?, ?, ?)",
                        {"br_bench_" + std::to_string(b), "Bench " + std::to_string(b), spotter::dump_json(hours), now, now}));
    check(db->execute("INSERT INTO plans (id, name, price_cents, duration_days, created_at) VALUES ('plan_bench', 'All', 3000, 365, ?)", {now}));
    for (int m = 0; m < machines; ++m)
      check(db->execute("INSERT INTO machines (id, branch_id, name, category, type, state, last_seen_at, created_at, updated_at) "
                        "VALUES (?, ?, ?, 'cardio', 'treadmill', 'idle', ?, ?, ?)",
                        {"m-" + std::to_string(m), "br_bench_" + std::to_string(m % kBranches), "Machine " + std::to_string(m), now, now, now}));
    std::vector<spotter::cloud::SqlValue> users, subscriptions, search_keys;
    for (int u = 0; u < members; ++u) {
      const std::string id = "usr_bench_" + std::to_string(u);
      // As people created through the API have them (org's search keys): the service's
      // index job then finds nobody to index while it is measured.
      for (const auto& key : spotter::cloud::org::search_keys("Member " + std::to_string(u), "m" + std::to_string(u) + "@bench.test", std::nullopt, std::nullopt))
        search_keys.insert(search_keys.end(), {key, id});
      users.insert(users.end(), {id, "m" + std::to_string(u) + "@bench.test", hash, "Member " + std::to_string(u), "member",
                                 "br_bench_" + std::to_string(u % kBranches), now, now});
      subscriptions.insert(subscriptions.end(), {"sub_bench_" + std::to_string(u), id, "plan_bench", now - 1000, now + 365LL * 86'400'000, "active", now, now});
    }
    insert_rows(*db, "INSERT INTO users (id, email, password_hash, full_name, role, home_branch_id, created_at, updated_at)", 8, users);
    insert_rows(*db, "INSERT INTO subscriptions (id, user_id, plan_id, starts_at, expires_at, status, created_at, updated_at)", 8, subscriptions);
    insert_rows(*db, "INSERT INTO user_search_keys (search_key, user_id)", 2, search_keys);
    return {};
  });
  if (!s) throw std::runtime_error(s.error().message);
  std::cout << Json{{"mode", "seed"}, {"db", url.substr(0, url.find(':'))}, {"members", members}, {"machines", machines}, {"branches", kBranches}}.dump() << "\n";
  return 0;
}

// The k of a machine_status carrying maintenance code "B<k>", else -1.
int change_number(const std::string& text) {
  auto msg = spotter::parse_json_strict(text);
  if (!msg || !msg->contains("maintenance_code") || !(*msg)["maintenance_code"].is_string()) return -1;
  const std::string code = (*msg)["maintenance_code"];
  if (code.size() < 2 || code[0] != 'B') return -1;
  return std::stoi(code.substr(1));
}

std::string login_json(int user) { return Json{{"email", "m" + std::to_string(user) + "@bench.test"}, {"password", kPassword}}.dump(); }
std::string start_json(int user) { return Json{{"branch_id", "br_bench_" + std::to_string(user % kBranches)}}.dump(); }

struct PairsRun {
  tcp::endpoint ep;
  std::vector<double> start_ms, end_ms, pair_ms;
  int errors = 0, logged_in = 0;
  std::map<std::string, int> error_kinds;  // "start 503", "end 409", …: what each error was
  std::atomic<bool> go{false};
  Clock::time_point stop{};
};

net::awaitable<void> pair_client_once(PairsRun& run, int c);

// A client whose connection fails is counted as an error (not silently dropped), and the
// run goes on without it.
net::awaitable<void> pair_client(PairsRun& run, int c) {
  std::string failure;
  try {
    co_await pair_client_once(run, c);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    ++run.errors;
    ++run.error_kinds["connection: " + failure];  // counted with logged_in by the start's wait
  }
}

net::awaitable<void> pair_client_once(PairsRun& run, int c) {
  auto ex = co_await net::this_coro::executor;
  HttpConn conn(ex);
  co_await conn.stream.async_connect(run.ep, net::use_awaitable);
  const int user = c * 97;  // members spread over the 10 branches
  const std::string login_body = login_json(user), start_body = start_json(user), end_body = "{}";
  const std::string login_path = "/api/auth/login", start_path = "/api/sessions/start", end_path = "/api/sessions/end", none;
  auto login = co_await conn.call(http::verb::post, login_path, login_body, none);
  if (login.result_int() != 200) {
    ++run.errors;
    ++run.error_kinds["login " + std::to_string(login.result_int())];
    co_return;
  }
  const std::string token = access_token_of(login.body());
  ++run.logged_in;
  net::steady_timer wait(ex);
  while (!run.go) {
    wait.expires_after(std::chrono::milliseconds(10));
    co_await wait.async_wait(net::use_awaitable);
  }
  while (Clock::now() < run.stop) {
    auto t0 = Clock::now();
    auto s = co_await conn.call(http::verb::post, start_path, start_body, token);
    auto t1 = Clock::now();
    auto e = co_await conn.call(http::verb::post, end_path, end_body, token);
    auto t2 = Clock::now();
    // Only a pair that did what it should counts; a refused one is an error, not a sample.
    if (s.result_int() != 201 || e.result_int() != 200) {
      ++run.errors;
      ++run.error_kinds["start " + std::to_string(s.result_int()) + ", end " + std::to_string(e.result_int())];
      continue;
    }
    run.start_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    run.end_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    run.pair_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
  }
}

int pairs(const std::vector<std::string>& args) {
  const int port = std::stoi(arg(args, "port", "8080")), clients = std::stoi(arg(args, "clients", "200"));
  const auto seconds = std::chrono::seconds(std::stoi(arg(args, "seconds", "10")));
  net::io_context io;  // one thread: all bookkeeping below is unsynchronized on purpose
  PairsRun run;
  run.ep = tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  for (int c = 0; c < clients; ++c) net::co_spawn(io, pair_client(run, c), net::detached);
  net::steady_timer starter(io);
  std::function<void()> poll = [&] {
    if (run.logged_in + run.errors < clients) {
      starter.expires_after(std::chrono::milliseconds(20));
      starter.async_wait([&](beast::error_code) { poll(); });
      return;
    }
    run.stop = Clock::now() + seconds;
    run.go = true;
  };
  poll();
  io.run();
  const double secs = std::chrono::duration<double>(seconds).count();
  std::cout << Json{{"mode", "session_pairs"}, {"clients", clients}, {"pairs", run.pair_ms.size()}, {"pairs_per_s", static_cast<double>(run.pair_ms.size()) / secs},
                    {"errors", run.errors}, {"error_kinds", run.error_kinds}, {"samples_per_percentile", run.pair_ms.size()}, {"start_p50_ms", percentile(run.start_ms, 0.5)}, {"start_p99_ms", percentile(run.start_ms, 0.99)},
                    {"end_p50_ms", percentile(run.end_ms, 0.5)}, {"end_p99_ms", percentile(run.end_ms, 0.99)},
                    {"pair_p50_ms", percentile(run.pair_ms, 0.5)}, {"pair_p99_ms", percentile(run.pair_ms, 0.99)}}.dump() << "\n";
  return 0;
}

struct FanoutRun {
  tcp::endpoint ep;
  std::string target;
  std::vector<std::vector<Clock::time_point>> arrivals;  // [change][client]: when it arrived
  std::vector<std::shared_ptr<websocket::stream<beast::tcp_stream>>> sockets;
  std::atomic<int> ready{0}, failed{0};
};

net::awaitable<void> ws_client(FanoutRun& run, std::shared_ptr<websocket::stream<beast::tcp_stream>> ws, int c) {
  const std::string host = "127.0.0.1";
  try {
    co_await beast::get_lowest_layer(*ws).async_connect(run.ep, net::use_awaitable);
    co_await ws->async_handshake(host, run.target, net::use_awaitable);
    beast::flat_buffer buf;
    co_await ws->async_read(buf, net::use_awaitable);  // welcome
    ++run.ready;
    while (true) {
      buf.clear();
      co_await ws->async_read(buf, net::use_awaitable);
      auto now = Clock::now();
      const auto k = change_number(beast::buffers_to_string(buf.data()));
      // The first message carrying change k is when this client had it; any later
      // announcement of the machine while it still shows that code repeats it.
      if (k >= 0 && static_cast<std::size_t>(k) < run.arrivals.size()) {
        auto& first = run.arrivals[static_cast<std::size_t>(k)][static_cast<std::size_t>(c)];
        if (first == Clock::time_point{}) first = now;
      }
    }
  } catch (const std::exception&) {
    if (run.ready + run.failed < static_cast<int>(run.sockets.size())) ++run.failed;
  }
}

int fanout(const std::vector<std::string>& args) {
  const int port = std::stoi(arg(args, "port", "8080")), clients = std::stoi(arg(args, "clients", "1000"));
  const int changes = std::stoi(arg(args, "changes", "40"));
  const std::string token = arg(args, "token", ""), branch = arg(args, "branch", "br_bench_0"), machine = arg(args, "machine", "m-0");
  const int ws_port = std::stoi(arg(args, "ws-port", std::to_string(port)));
  net::io_context io;
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  FanoutRun run;
  run.ep = tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(ws_port));
  run.target = "/api/ws/machines?branch_id=" + branch + "&access_token=" + token;
  run.arrivals.assign(static_cast<std::size_t>(changes), std::vector<Clock::time_point>(static_cast<std::size_t>(clients)));
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(changes));
  for (int c = 0; c < clients; ++c) {
    run.sockets.push_back(std::make_shared<websocket::stream<beast::tcp_stream>>(io));
    net::co_spawn(io, ws_client(run, run.sockets.back(), c), net::detached);
  }
  std::thread runner([&] { io.run(); });
  while (run.ready + run.failed < clients) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto& arrivals = run.arrivals;
  auto& sockets = run.sockets;
  const int ready = run.ready, failed = run.failed;
  // Changes come from a separate connection, as staff reporting faults would (a fault takes
  // the machine out of service, so every report changes its maintenance code and is pushed).
  net::io_context cio;
  beast::tcp_stream stream(cio);
  stream.connect(ep);
  beast::flat_buffer buffer;
  for (int k = 0; k < changes; ++k) {
    http::request<http::string_body> req{http::verb::post, "/api/machines/maintenance", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::authorization, "Bearer " + token);
    req.body() = Json{{"machine_id", machine}, {"code", "B" + std::to_string(k)}, {"severity", "fault"}}.dump();
    req.prepare_payload();
    sent[static_cast<std::size_t>(k)] = Clock::now();
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::vector<double> last_ms;
  int missing = 0;
  for (std::size_t k = 0; k < arrivals.size(); ++k) {
    Clock::time_point last{};
    for (std::size_t c = 0; c < static_cast<std::size_t>(ready); ++c) {
      if (arrivals[k][c] == Clock::time_point{}) { ++missing; continue; }
      last = std::max(last, arrivals[k][c]);
    }
    if (last != Clock::time_point{}) last_ms.push_back(std::chrono::duration<double, std::milli>(last - sent[k]).count());
  }
  for (auto& ws : sockets) net::post(io, [ws] { beast::error_code ec; beast::get_lowest_layer(*ws).socket().close(ec); });
  io.stop();
  runner.join();
  std::cout << Json{{"mode", ws_port == port ? "ws_fanout" : "ws_fanout_cross_instance"}, {"clients", ready}, {"failed_to_connect", failed}, {"changes", changes}, {"missing_deliveries", missing},
                    // One sample per change: under 100 of them the p99 is the maximum, and says so.
                    {"samples_per_percentile", last_ms.size()}, {"p99_is_max", last_ms.size() < 100},
                    {"last_client_p50_ms", percentile(last_ms, 0.5)}, {"last_client_p99_ms", percentile(last_ms, 0.99)},
                    {"last_client_max_ms", percentile(last_ms, 1.0)}}.dump() << "\n";
  return 0;
}

// Machine status published on the branch broker -> the edge -> the cloud -> a WebSocket
// client, while online.
int e2e(const std::vector<std::string>& args) {
  const int port = std::stoi(arg(args, "port", "8080")), changes = std::stoi(arg(args, "changes", "100"));
  const std::string token = arg(args, "token", ""), branch = arg(args, "branch", ""), machine = arg(args, "machine", "tm-1");
  net::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  ws.handshake("127.0.0.1", "/api/ws/machines?branch_id=" + branch + "&access_token=" + token);
  beast::flat_buffer buf;
  ws.read(buf);  // welcome
  spotter::sim::RawMqtt mqtt;
  if (auto c = mqtt.connect(arg(args, "mqtt", "tcp://127.0.0.1:1883"), "bench-e2e"); !c) throw std::runtime_error(c.error().message);
  const std::string topic = "spotter/v1/" + branch + "/machines/" + machine + "/status";
  std::vector<double> ms;
  int lost = 0;
  for (int k = 0; k < changes; ++k) {
    const std::string state = k % 2 ? "error" : "idle";
    const auto ts = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto sent = Clock::now();
    mqtt.add_publish(topic, Json{{"state", state}, {"ts", ts}, {"category", "cardio"}}.dump(), 0, 0);
    if (auto f = mqtt.flush(); !f) throw std::runtime_error(f.error().message);
    bool got = false;
    while (!got) {
      bool done = false;
      beast::error_code ec;
      buf.clear();
      ws.async_read(buf, [&](beast::error_code e, std::size_t) { ec = e, done = true; });
      io.restart();
      io.run_for(std::chrono::seconds(5));
      if (!done || ec) break;
      auto msg = spotter::parse_json_strict(beast::buffers_to_string(buf.data()));
      if (msg && msg->value("machine_id", "") == machine && msg->value("state", "") == state) got = true;
    }
    if (!got) {
      ++lost;
      break;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << Json{{"mode", "e2e_status_to_websocket"}, {"changes", ms.size()}, {"lost", lost}, {"p50_ms", percentile(ms, 0.5)},
                    {"p99_ms", percentile(ms, 0.99)}, {"max_ms", percentile(ms, 1.0)}}.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string mode = args.empty() ? "" : args[0];
  try {
    if (mode == "seed") return seed(args);
    if (mode == "pairs") return pairs(args);
    if (mode == "fanout") return fanout(args);
    if (mode == "e2e") return e2e(args);
  } catch (const std::exception& e) {
    std::cerr << "bench_cloud: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: bench_cloud seed|pairs|fanout ...\n";
  return 2;
}
