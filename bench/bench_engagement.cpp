// Engagement benchmarks (bench/run engagement drives them; numbers go to BENCHMARKS.md):
//   bench_engagement seed --db URL
//       after bench_cloud seed: this week's and month's boards of br_bench_0 with all
//       100,000 members on them (points, visits, volume), and usr_bench_2 with 200 buddies
//       who have 30 feed items each among 300,000 items of others
//   bench_engagement leaderboard --port P [--clients 200 --seconds 15 --interval-ms 0]
//   bench_engagement feed --port P [--clients 50 --seconds 15]     (all as usr_bench_2)
//   bench_engagement events --port P --db URL [--clients 100 --seconds 20]
//       each client a member: visit start, training session start + complete, visit end,
//       over and over (4 events a round: visit started and ended, training session
//       completed, and records as they improve); then the ledger is checked against what
//       the answers said happened
// Reports JSON lines; asserts nothing.
#include "bench_common.hpp"

#include <iostream>
#include <random>

#include "core/dates.hpp"

using namespace bench;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int seed(const std::vector<std::string>& args) {
  auto db = open_db(arg(args, "db", "sqlite:bench.db"));
  const std::int64_t now = wall_ms(), today = now / 86'400'000;
  // The periods as the members see them (Europe/Madrid is within a day of UTC; the bench
  // seeds the UTC day's periods).
  const std::string week = "w:" + spotter::cloud::format_date(spotter::cloud::week_start(today)),
                    month = "m:" + spotter::cloud::format_date(today).substr(0, 7);
  std::mt19937_64 rng(7);
  auto s = db->transaction([&]() -> spotter::Status {
    std::vector<spotter::cloud::SqlValue> rows;
    for (int u = 0; u < 100'000; ++u) {
      const std::string user = "usr_bench_" + std::to_string(u);
      const double visits = static_cast<double>(rng() % 25), points = visits * 10 + static_cast<double>(rng() % 20) * 20,
                   volume = static_cast<double>(rng() % 200'000);
      for (const auto& period : {week, month})
        for (const auto& [metric, value] : {std::pair{"points", points}, std::pair{"visits", visits}, std::pair{"volume_kg", volume}})
          rows.insert(rows.end(), {std::string("br_bench_0"), period, std::string(metric), user, period == week ? value / 4 : value});
    }
    insert_rows(*db, "INSERT INTO leaderboard_totals (branch_id, period, metric, user_id, value)", 5, rows);
    // Usr_bench_2's buddies and everyone's feed.
    std::vector<spotter::cloud::SqlValue> buddies, items;
    for (int b = 3; b < 203; ++b)
      for (const auto& [x, y] : {std::pair{2, b}, std::pair{b, 2}})
        buddies.insert(buddies.end(), {"usr_bench_" + std::to_string(x), "usr_bench_" + std::to_string(y), now});
    for (int u = 0; u < 10'000; ++u)
      for (int k = 0; k < 30; ++k)
        items.insert(items.end(), {"usr_bench_" + std::to_string(u), std::string("training_session"), "trs_feed_" + std::to_string(u) + "_" + std::to_string(k),
                                   std::string("br_bench_0"), std::string(R"({"summary":{"sets":16,"volume_kg":12000}})"), now - (30 - k) * 86'400'000LL});
    insert_rows(*db, "INSERT INTO buddies (user_id, buddy_id, since)", 3, buddies);
    insert_rows(*db, "INSERT INTO feed_items (user_id, kind, ref_id, branch_id, payload, at)", 6, items);
    return {};
  });
  if (!s) throw std::runtime_error(s.error().message);
  std::cout << Json{{"mode", "engagement_seed"}, {"board_members", 100'000}, {"buddies", 200}, {"feed_items", 300'000}}.dump() << "\n";
  return 0;
}

LoadPlan plan_of(const std::vector<std::string>& args, const char* clients) {
  LoadPlan plan;
  plan.port = std::stoi(arg(args, "port", "8080"));
  plan.clients = std::stoi(arg(args, "clients", clients));
  plan.seconds = std::chrono::seconds(std::stoi(arg(args, "seconds", "15")));
  plan.interval = std::chrono::milliseconds(std::stoi(arg(args, "interval-ms", "0")));
  plan.warmup = std::chrono::seconds(std::stoi(arg(args, "warmup", "0")));
  return plan;
}

int leaderboard(const std::vector<std::string>& args) {
  LoadPlan plan = plan_of(args, "200");
  plan.member_of = [](int c) { return c * 499 + 10; };  // anywhere on the board
  plan.request_of = [](int, int round) {
    static const char* metrics[] = {"points", "visits", "volume_kg"};
    static const char* periods[] = {"week", "month"};
    return std::tuple{http::verb::get, std::string("/api/leaderboards?branch_id=br_bench_0&metric=") + metrics[round % 3] + "&period=" + periods[round / 3 % 2],
                      std::string()};
  };
  std::cout << run_load(plan).json("leaderboard", plan).dump() << "\n";
  return 0;
}

int feed(const std::vector<std::string>& args) {
  LoadPlan plan = plan_of(args, "50");
  plan.member_of = [](int) { return 2; };
  plan.request_of = [](int, int) { return std::tuple{http::verb::get, std::string("/api/feed"), std::string()}; };
  std::cout << run_load(plan).json("feed_200_buddies", plan).dump() << "\n";
  return 0;
}

}  // namespace

int events(const std::vector<std::string>& args);  // bench_engagement_events.cpp

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string mode = args.empty() ? "" : args[0];
  try {
    if (mode == "seed") return seed(args);
    if (mode == "leaderboard") return leaderboard(args);
    if (mode == "feed") return feed(args);
    if (mode == "events") return events(args);
  } catch (const std::exception& e) {
    std::cerr << "bench_engagement: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: bench_engagement seed|leaderboard|feed|events ...\n";
  return 2;
}
