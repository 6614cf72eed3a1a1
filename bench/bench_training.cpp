// Training benchmarks (bench/run training drives them; numbers go to BENCHMARKS.md):
//   bench_training seed --db URL [--clients 200 --years 5]
//       after bench_cloud seed: a plan and a training session in progress for each member a
//       client of `patch` plays (usr_bench_{97c}), and five years of history for usr_bench_1
//   bench_training patch --port P [--clients 200 --seconds 15 --interval-ms 0]
//       PATCH /api/training-sessions/{id} with six entries, each client its own session;
//       closed loop (saturation), or each client once every interval
//   bench_training analytics --port P [--rounds 200]
//       records + streaks + a year of weekly analytics for usr_bench_1, one after the other
//   bench_training live --port P --mqtt URI --branch B --token ADMIN --plan PLAN [--members 20 --seconds 30]
//       members tap machines through the gateway and train: telemetry at 4 Hz ->
//       workout_progress on their WebSockets, and each set -> an entry in their training
//       session, end to end through broker, gateway and cloud
// Reports JSON lines; asserts nothing.
#include "bench_common.hpp"

#include <mqtt/async_client.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "core/dates.hpp"

using namespace bench;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string day_json() {
  Json sets = Json::array();
  for (int s = 0; s < 4; ++s) sets.push_back({{"reps", 10}, {"weight_kg", 100}});
  return Json{{"name", "Legs"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", sets}}, {{"exercise_id", "back_squat"}, {"sets", sets}}}}}.dump();
}

int seed(const std::vector<std::string>& args) {
  const int clients = std::stoi(arg(args, "clients", "200")), years = std::stoi(arg(args, "years", "5"));
  const std::string url = arg(args, "db", "sqlite:bench.db");
  auto db = open_db(url);
  const std::int64_t now = wall_ms(), day_ms = 86'400'000;
  const std::string day = day_json(), days = "[" + day + "]";
  auto s = db->transaction([&]() -> spotter::Status {
    std::vector<spotter::cloud::SqlValue> plans, sessions;
    for (int c = 0; c < clients; ++c) {
      const std::string user = "usr_bench_" + std::to_string(c * 97), plan = "pln_bench_" + std::to_string(c);
      plans.insert(plans.end(), {plan, user, user, std::string("Legs"), days, true, true, now, now});
      sessions.insert(sessions.end(), {"trs_bench_" + std::to_string(c), user, plan, std::int64_t{0}, std::string("2026-12-01"), std::string("in_progress"), now,
                                       nullptr, day, std::string("[]"), nullptr, now});
    }
    // Five years of a member who trains three times a week and visits four.
    const std::string veteran = "usr_bench_1";
    plans.insert(plans.end(), {std::string("pln_veteran"), veteran, veteran, std::string("Legs"), days, false, true, now, now});
    std::vector<spotter::cloud::SqlValue> done, sets, totals, records, visits;
    const std::int64_t first_day = now / day_ms - years * 365;
    int n = 0;
    for (std::int64_t d = first_day; d < now / day_ms; ++d) {
      const int weekday = static_cast<int>((d + 3) % 7);
      const bool trains = weekday == 0 || weekday == 2 || weekday == 4, visits_today = trains || weekday == 5;
      if (visits_today) visits.insert(visits.end(), {"ses_vet_" + std::to_string(d), veteran, d});
      if (!trains) continue;
      const std::string id = "trs_vet_" + std::to_string(++n);
      const std::int64_t at = d * day_ms + 18 * 3'600'000;
      done.insert(done.end(), {id, veteran, std::string("pln_veteran"), std::int64_t{0}, spotter::cloud::format_date(d), std::string("completed"), at,
                               at + 3'600'000, day, std::string("[]"), std::string(R"({"sets":16,"reps":160,"volume_kg":16000})"), at});
      for (int k = 0; k < 16; ++k)
        sets.insert(sets.end(), {"wk_vet_" + std::to_string(n) + "_" + std::to_string(k), std::int64_t{0}, veteran, id, std::string("m-1"),
                                 std::string(k < 8 ? "leg_press" : "back_squat"), std::int64_t{k % 8 + 1}, std::int64_t{10}, 100.0 + n % 40, nullptr, nullptr,
                                 nullptr, at + k * 120'000});
      totals.insert(totals.end(), {veteran, d, std::int64_t{1}, std::int64_t{1}, std::int64_t{16}, std::int64_t{160}, 16000.0 + n, 0.0, 0.0, 0.0});
    }
    for (int e = 0; e < 40; ++e)
      for (const char* kind : {"heaviest_weight_kg", "best_1rm_kg", "most_reps"})
        records.insert(records.end(), {veteran, "ex_" + std::to_string(e), std::string(kind), 100.0 + e, now - e * day_ms});
    insert_rows(*db, "INSERT INTO workout_plans (id, user_id, author_id, name, days, archived, used, created_at, updated_at)", 9, plans);
    const std::string session_columns =
        "INSERT INTO training_sessions (id, user_id, plan_id, day_index, date, status, started_at, completed_at, snapshot, entries, summary, updated_at)";
    insert_rows(*db, session_columns, 12, sessions);
    insert_rows(*db, session_columns, 12, done);
    insert_rows(*db, "INSERT INTO machine_sets (workout_id, part, user_id, training_session_id, machine_id, exercise_id, set_index, reps, weight_kg, "
                     "duration_s, distance_m, calories_kcal, at)", 13, sets);
    insert_rows(*db, "INSERT INTO training_days (user_id, day, visits, training_sessions, sets, reps, volume_kg, duration_s, distance_m, calories_kcal)", 10,
                totals);
    insert_rows(*db, "INSERT INTO training_records (user_id, exercise_id, kind, value, at)", 5, records);
    insert_rows(*db, "INSERT INTO counted_visits (visit_id, user_id, day)", 3, visits);
    // The visits of days without training count in the day totals too.
    check(db->execute("INSERT INTO training_days (user_id, day, visits) SELECT user_id, day, 1 FROM counted_visits WHERE user_id = ? "
                      "ON CONFLICT (user_id, day) DO NOTHING", {veteran}));
    return {};
  });
  if (!s) throw std::runtime_error(s.error().message);
  std::cout << Json{{"mode", "training_seed"}, {"clients", clients}, {"history_years", years}}.dump() << "\n";
  return 0;
}

std::string login_body(int user) { return detail::login_body(user); }

std::string entries_body(int round) {
  Json entries = Json::array();
  for (int k = 0; k < 6; ++k)
    entries.push_back({{"exercise_id", k < 3 ? "leg_press" : "back_squat"}, {"set_index", k % 3 + 1}, {"reps", 8 + (round + k) % 5}, {"weight_kg", 100}, {"done", true}});
  return Json{{"entries", entries}}.dump();
}

int patch(const std::vector<std::string>& args) {
  LoadPlan plan;
  plan.port = std::stoi(arg(args, "port", "8080"));
  plan.clients = std::stoi(arg(args, "clients", "200"));
  plan.seconds = std::chrono::seconds(std::stoi(arg(args, "seconds", "15")));
  plan.interval = std::chrono::milliseconds(std::stoi(arg(args, "interval-ms", "0")));
  plan.member_of = [](int c) { return c * 97; };
  plan.request_of = [](int c, int round) {
    return std::tuple{http::verb::patch, "/api/training-sessions/trs_bench_" + std::to_string(c), entries_body(round)};
  };
  std::cout << run_load(plan).json("training_patch", plan).dump() << "\n";
  return 0;
}

int analytics(const std::vector<std::string>& args) {
  const int port = std::stoi(arg(args, "port", "8080")), rounds = std::stoi(arg(args, "rounds", "200"));
  Blocking c(port);
  const std::string token = access_token_of(c.call(http::verb::post, "/api/auth/login", login_body(1), "").body());
  const std::string year_ago = spotter::cloud::format_date(wall_ms() / 86'400'000 - 364);
  std::vector<double> trio, records_ms, streaks_ms, weeks_ms;
  std::size_t weeks = 0, exercises = 0;
  std::int64_t longest = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    auto rec = c.json(http::verb::get, "/api/analytics/records", "", token);
    const auto t1 = Clock::now();
    auto str = c.json(http::verb::get, "/api/analytics/streaks", "", token);
    const auto t2 = Clock::now();
    auto wk = c.json(http::verb::get, "/api/analytics/workouts?period=week&from=" + year_ago, "", token);
    const auto t3 = Clock::now();
    records_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    streaks_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    weeks_ms.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
    trio.push_back(std::chrono::duration<double, std::milli>(t3 - t0).count());
    exercises = rec["items"].size(), weeks = wk["items"].size(), longest = str.value("longest_weeks", 0);
  }
  std::cout << Json{{"mode", "training_analytics"}, {"history_years", 5}, {"rounds", rounds}, {"exercises_with_records", exercises}, {"weeks", weeks},
                    {"longest_weeks", longest}, {"all_three_p50_ms", percentile(trio, 0.5)}, {"all_three_p99_ms", percentile(trio, 0.99)},
                    {"all_three_max_ms", percentile(trio, 1.0)}, {"records_p99_ms", percentile(records_ms, 0.99)},
                    {"streaks_p99_ms", percentile(streaks_ms, 0.99)}, {"weekly_year_p99_ms", percentile(weeks_ms, 0.99)}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

int live(const std::vector<std::string>& args);  // bench_training_live.cpp

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string mode = args.empty() ? "" : args[0];
  try {
    if (mode == "seed") return seed(args);
    if (mode == "patch") return patch(args);
    if (mode == "analytics") return analytics(args);
    if (mode == "live") return live(args);
  } catch (const std::exception& e) {
    std::cerr << "bench_training: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: bench_training seed|patch|analytics|live ...\n";
  return 2;
}
