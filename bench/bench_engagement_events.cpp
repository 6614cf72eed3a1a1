// bench_engagement events: members visit and train as fast as the service lets them; every
// visit and training session is an event engagement turns into points, achievements and
// board totals inside the same transaction (so it cannot fall behind: it would slow the
// requests instead). Afterwards the ledger is checked against what the answers said.
#include "bench_common.hpp"

#include <iostream>

using namespace bench;

namespace {

struct EventsRun {
  int port = 0;
  std::vector<double> round_ms;
  std::int64_t completed = 0, visits = 0, errors = 0;
  std::map<std::string, int> error_kinds;
  Clock::time_point stop{};
};

std::string json_id(const std::string& body) {
  auto j = spotter::parse_json_strict(body);
  return j && j->contains("id") && (*j)["id"].is_string() ? (*j)["id"].get<std::string>() : std::string();
}

std::string plan_body() {
  return Json{{"name", "Bench legs"}, {"days", {{{"name", "Legs"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", {{{"reps", 10}, {"weight_kg", 100}}}}}}}}}}}.dump();
}
std::string complete_body(int round) {
  // Heavier every round: each training session also sets a record.
  return Json{{"entries", {{{"exercise_id", "leg_press"}, {"set_index", 1}, {"reps", 10}, {"weight_kg", 100 + round}, {"done", true}}}}}.dump();
}

net::awaitable<void> member(EventsRun& run, int u) {
  auto ex = co_await net::this_coro::executor;
  HttpConn conn(ex);
  co_await conn.stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(run.port)), net::use_awaitable);
  const std::string none, login_path = "/api/auth/login", login = detail::login_body(u);
  auto l = co_await conn.call(http::verb::post, login_path, login, none);
  const std::string token = access_token_of(l.body());
  const std::string plans = "/api/workout-plans", sessions = "/api/training-sessions", start = "/api/sessions/start", end = "/api/sessions/end";
  const std::string plan = json_id((co_await conn.call(http::verb::post, plans, plan_body(), token)).body());
  const std::string start_body = Json{{"branch_id", "br_bench_" + std::to_string(u % kBranches)}}.dump(), session_body = Json{{"plan_id", plan}, {"day", 0}}.dump(),
                    empty = "{}";
  auto failed = [&](const http::response<http::string_body>& r, const char* what) {
    if (r.result_int() / 100 == 2) return false;
    ++run.errors, ++run.error_kinds[std::string(what) + " " + std::to_string(r.result_int())];
    return true;
  };
  for (int round = 0; Clock::now() < run.stop && !token.empty() && !plan.empty(); ++round) {
    const auto t0 = Clock::now();
    if (failed(co_await conn.call(http::verb::post, start, start_body, token), "visit start")) continue;
    ++run.visits;
    auto s = co_await conn.call(http::verb::post, sessions, session_body, token);
    if (!failed(s, "training start")) {
      const std::string done = sessions + "/" + json_id(s.body()) + "/complete", body = complete_body(round);
      if (!failed(co_await conn.call(http::verb::post, done, body, token), "training complete")) ++run.completed;
    }
    failed(co_await conn.call(http::verb::post, end, empty, token), "visit end");
    run.round_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
}

net::awaitable<void> member_guarded(EventsRun& run, int u) {
  std::string failure;
  try {
    co_await member(run, u);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) ++run.errors, ++run.error_kinds["connection: " + failure];
}

}  // namespace

int events(const std::vector<std::string>& args) {
  EventsRun run;
  run.port = std::stoi(arg(args, "port", "8080"));
  const int clients = std::stoi(arg(args, "clients", "100")), seconds = std::stoi(arg(args, "seconds", "20"));
  const int first = 50'000;  // members with no seeded activity of their own
  net::io_context io;
  const auto t0 = Clock::now();
  run.stop = t0 + std::chrono::seconds(seconds);
  for (int c = 0; c < clients; ++c) net::co_spawn(io, member_guarded(run, first + c), net::detached);
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  // The ledger against the answers: one training_session row per completion, one record row
  // per completion (each set was heavier than the last), and every balance its ledger's sum.
  auto db = open_db(arg(args, "db", "sqlite:bench.db"));
  std::vector<spotter::cloud::SqlValue> ids;
  for (int c = 0; c < clients; ++c) ids.emplace_back("usr_bench_" + std::to_string(first + c));
  const std::string in = " IN (" + spotter::cloud::placeholders(ids.size()) + ")";
  auto count = [&](const std::string& sql) {
    auto rows = db->query(sql, ids);
    if (!rows || rows->empty() || rows->front().is_null(0)) return std::int64_t{-1};
    return static_cast<std::int64_t>(rows->front().number(0));
  };
  const std::int64_t sessions = count("SELECT COUNT(*) FROM points_ledger WHERE reason = 'training_session' AND user_id" + in),
                     records = count("SELECT COUNT(*) FROM points_ledger WHERE reason = 'record' AND user_id" + in),
                     ledger = count("SELECT SUM(points) FROM points_ledger WHERE user_id" + in),
                     balances = count("SELECT SUM(balance) FROM points_balances WHERE user_id" + in),
                     visits_counted = count("SELECT SUM(visits) FROM engagement_progress WHERE user_id" + in);
  const std::int64_t events = run.visits * 2 + run.completed * 2;  // visit started + ended, training completed + record improved
  const bool exact = sessions == run.completed && records == run.completed && ledger == balances && ledger == run.completed * 35 &&
                     visits_counted == run.visits;
  std::cout << Json{{"mode", "engagement_events"}, {"clients", clients}, {"seconds", elapsed}, {"visits", run.visits},
                    {"training_sessions", run.completed}, {"events", events}, {"events_per_s", static_cast<double>(events) / elapsed},
                    {"round_p50_ms", percentile(run.round_ms, 0.5)}, {"round_p99_ms", percentile(run.round_ms, 0.99)}, {"errors", run.errors},
                    {"error_kinds", run.error_kinds}, {"ledger_rows_training", sessions}, {"ledger_rows_record", records},
                    {"ledger_sum", ledger}, {"balances_sum", balances}, {"visits_counted", visits_counted}, {"ledger_exact", exact}}
                   .dump()
            << "\n";
  return 0;
}
