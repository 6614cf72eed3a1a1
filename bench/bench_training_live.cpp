// bench_training live: members train on leg presses through a real broker, gateway and
// cloud (bench/run training starts them). Each member has a card, a membership, a press of
// their own and a training session in progress; they walk in, tap the press and train:
// telemetry at 4 Hz with a rep counter, and a set reported every 10 samples (2.5 s).
// Measured: a sample published at the machine -> workout_progress with that rep on the
// member's WebSocket (the gateway throttles to 2 a second, so about half the samples are
// superseded: latency is taken for those delivered), and a set published -> the entry in the
// member's training session (polled every 50 ms per member, which bounds the resolution).
#include "bench_common.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "spotter/protocol/codec.hpp"
#include "spotter/testing/mqtt_probe.hpp"

using namespace bench;
using namespace spotter::protocol;

namespace {

std::int64_t now_wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Member {
  std::string id, token, uid, machine, session, link;
  std::int64_t msg = 0, samples = 0, sets = 0, entries_seen = 0;
  std::map<std::int64_t, Clock::time_point> sample_at;  // rep -> published
  std::vector<Clock::time_point> set_at;                // set n -> published
};

// What the WebSockets saw (io thread) and the poller measured; read after both stopped.
struct Seen {
  std::mutex mu;
  std::vector<double> progress_ms, entry_ms;
  std::int64_t progress = 0, foreign = 0, unknown_rep = 0;
};

Json day() {
  Json sets = Json::array();
  for (int s = 0; s < 3; ++s) sets.push_back({{"reps", 10}, {"weight_kg", 100}});
  return Json{{"name", "Legs"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", sets}}}}};
}

std::string card_of(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0B%06X", i);
  return buf;
}

// Staff register the members and their presses; each member logs in, plans and starts.
void register_members(Blocking& api, const std::string& admin, const std::string& branch, std::vector<Member>& members) {
  const std::string plan = api.json(http::verb::post, "/api/membership-plans",
                                    Json{{"name", "Bench monthly"}, {"price_cents", 3000}, {"duration_days", 30}, {"branch_ids", {branch}}}.dump(), admin)["id"];
  const std::string run = std::to_string(now_wall_ms());
  for (std::size_t i = 0; i < members.size(); ++i) {
    Member& m = members[i];
    const std::string email = "live" + std::to_string(i) + "." + run + "@bench.test";
    m.id = api.json(http::verb::post, "/api/users",
                    Json{{"email", email}, {"full_name", "Live " + std::to_string(i)}, {"role", "member"}, {"password", kPassword}, {"home_branch_id", branch}}.dump(),
                    admin)["id"];
    api.json(http::verb::post, "/api/subscriptions", Json{{"user_id", m.id}, {"plan_id", plan}}.dump(), admin);
    m.uid = card_of(static_cast<int>(i) + static_cast<int>(now_wall_ms() % 100'000) * 100);
    api.json(http::verb::post, "/api/users/" + m.id + "/credentials", Json{{"kind", "nfc"}, {"uid", m.uid}}.dump(), admin);
    m.machine = "press-" + std::to_string(i);
    api.json(http::verb::post, "/api/machines",
             Json{{"branch_id", branch}, {"machine_id", m.machine}, {"name", "Leg press " + std::to_string(i)}, {"category", "strength"}, {"type", "leg_press"}}.dump(),
             admin);
    m.token = access_token_of(api.call(http::verb::post, "/api/auth/login", Json{{"email", email}, {"password", kPassword}}.dump(), "").body());
    const std::string wplan = api.json(http::verb::post, "/api/workout-plans", Json{{"name", "Legs"}, {"days", {day()}}}.dump(), m.token)["id"];
    m.session = api.json(http::verb::post, "/api/training-sessions", Json{{"plan_id", wplan}, {"day", 0}}.dump(), m.token)["id"];
  }
}

template <class Pred>
bool retry_for(std::chrono::seconds limit, Pred pred) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end)
    if (pred()) return true;
  return false;
}

// Walks in through the door and taps the press until the gateway's replica knows both.
void walk_in_and_tap(spotter::testing::MqttProbe& devices, const std::string& branch, Member& m) {
  devices.publish(build_topic(branch, m.machine, MessageType::machine_status),
                  encode(MachineStatus{MachineState::idle, now_wall_ms(), Category::strength, "leg_press", "1.0", std::nullopt}), 1, true);
  int n = 0;
  auto reply_to = [&](const std::string& req, MessageType type) -> std::optional<std::string> {
    const std::string topic = build_topic(branch, type == MessageType::door_decision ? "main" : m.machine, type);
    auto mine = [&](const spotter::testing::Received& r) { return r.topic == topic && r.payload.find("\"" + req + "\"") != std::string::npos; };
    if (!devices.wait_for(mine, 1, std::chrono::seconds(5))) return std::nullopt;
    for (const auto& r : devices.messages())
      if (mine(r)) return r.payload;
    return std::nullopt;
  };
  const bool inside = retry_for(std::chrono::seconds(30), [&] {
    const std::string req = "in-" + m.machine + "-" + std::to_string(++n);
    devices.publish(build_topic(branch, "main", MessageType::door_scan), encode(DoorScan{req, {Credential::Kind::nfc, m.uid}, Direction::in, std::nullopt}));
    auto p = reply_to(req, MessageType::door_decision);
    auto decision = p ? decode_door_decision(*p) : decode_door_decision("");
    if (!decision || !decision->granted) return std::this_thread::sleep_for(std::chrono::milliseconds(200)), false;
    return true;
  });
  if (!inside) throw std::runtime_error("the door never let " + m.uid + " in");
  const bool linked = retry_for(std::chrono::seconds(30), [&] {
    const std::string req = "tap-" + m.machine + "-" + std::to_string(++n);
    devices.publish(build_topic(branch, m.machine, MessageType::machine_auth), encode(MachineAuth{req, {Credential::Kind::nfc, m.uid}, std::nullopt}));
    auto p = reply_to(req, MessageType::auth_reply);
    std::optional<AuthReply> reply;
    if (p)
      if (auto d = decode_auth_reply(*p)) reply = *d;
    if (!reply || !reply->link_id) return std::this_thread::sleep_for(std::chrono::milliseconds(200)), false;
    m.link = *reply->link_id;
    return true;
  });
  if (!linked) throw std::runtime_error(m.machine + " never linked");
  devices.publish(build_topic(branch, m.machine, MessageType::machine_status),
                  encode(MachineStatus{MachineState::in_use, now_wall_ms(), Category::strength, "leg_press", "1.0", m.link}), 1, true);
}

// One WebSocket per member on one io thread; each message read is matched to its sample.
struct App {
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  Member* member;
  App(net::io_context& io, Member* m) : ws(io), member(m) {}
};

void read_next(App& app, std::mutex& members_mu, Seen& seen) {
  app.ws.async_read(app.buffer, [&app, &members_mu, &seen](beast::error_code ec, std::size_t) {
    if (ec) return;
    const auto j = spotter::parse_json_strict(beast::buffers_to_string(app.buffer.data())).value_or(Json::object());
    app.buffer.consume(app.buffer.size());
    if (j.value("type", "") == "workout_progress") {
      std::lock_guard lock(members_mu);
      std::lock_guard lock2(seen.mu);
      ++seen.progress;
      const auto rep = j.contains("metrics") && j["metrics"].contains("rep") && j["metrics"]["rep"].is_number_integer() ? j["metrics"]["rep"].get<std::int64_t>() : -1;
      auto at = app.member->sample_at.find(rep);
      if (j.value("machine_id", "") != app.member->machine) ++seen.foreign;
      else if (at == app.member->sample_at.end()) ++seen.unknown_rep;
      else seen.progress_ms.push_back(ms_since(at->second));
    }
    read_next(app, members_mu, seen);
  });
}

}  // namespace

int live(const std::vector<std::string>& args) {
  const int port = std::stoi(arg(args, "port", "8080")), count = std::stoi(arg(args, "members", "20"));
  const auto seconds = std::chrono::seconds(std::stoi(arg(args, "seconds", "30")));
  const std::string branch = arg(args, "branch", ""), admin = arg(args, "token", ""), mqtt = arg(args, "mqtt", "");
  std::vector<Member> members(static_cast<std::size_t>(count));
  Blocking api(port);
  register_members(api, admin, branch, members);

  spotter::testing::MqttProbe devices(mqtt, "bench-training-devices");
  devices.subscribe(build_topic(branch, "+", MessageType::door_decision), 1);
  devices.subscribe(build_topic(branch, "+", MessageType::auth_reply), 1);
  const auto setup = Clock::now();
  for (auto& m : members) walk_in_and_tap(devices, branch, m);
  const double setup_s = ms_since(setup) / 1000;

  net::io_context io;
  std::mutex members_mu;
  Seen seen;
  std::vector<std::unique_ptr<App>> apps;
  for (auto& m : members) {
    auto app = std::make_unique<App>(io, &m);
    app->ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    app->ws.handshake("127.0.0.1", "/api/ws/machines?access_token=" + m.token);
    app->ws.read(app->buffer);  // welcome
    app->buffer.consume(app->buffer.size());
    read_next(*app, members_mu, seen);
    apps.push_back(std::move(app));
  }
  std::thread io_thread([&] { io.run(); });

  // The poller: each member's training session, round after round (50 ms per member).
  std::atomic<bool> polling{true};
  std::thread poller([&] {
    Blocking reader(port);
    while (polling) {
      const auto round = Clock::now();
      for (auto& m : members) {
        auto r = reader.call(http::verb::get, "/api/training-sessions/" + m.session, "", m.token);
        const auto j = spotter::parse_json_strict(r.body()).value_or(Json::object());
        const std::int64_t n = j.contains("entries") ? static_cast<std::int64_t>(j["entries"].size()) : 0;
        std::lock_guard lock(members_mu);
        for (; m.entries_seen < n && m.entries_seen < static_cast<std::int64_t>(m.set_at.size()); ++m.entries_seen) {
          std::lock_guard lock2(seen.mu);
          seen.entry_ms.push_back(ms_since(m.set_at[static_cast<std::size_t>(m.entries_seen)]));
        }
      }
      std::this_thread::sleep_until(round + std::chrono::milliseconds(50));
    }
  });

  // The machines: each member's press samples at 4 Hz, phases spread over the 250 ms.
  const auto tick = std::chrono::microseconds(250'000 / count);
  const auto end = Clock::now() + seconds;
  auto next = Clock::now();
  for (std::size_t k = 0; Clock::now() < end; ++k) {
    Member& m = members[k % members.size()];
    std::string telemetry, workout;
    {
      std::lock_guard lock(members_mu);
      Telemetry t{++m.msg, now_wall_ms(), {}, "boot-" + m.machine, m.link, Category::strength};
      t.metrics.rep = ++m.samples;
      t.metrics.weight_kg = 100;
      t.metrics.set_index = m.sets + 1;
      telemetry = encode(t);
      m.sample_at[m.samples] = Clock::now();
      if (m.samples % 10 == 0) {
        ++m.sets;
        workout = encode(Workout{++m.msg, now_wall_ms() - 30'000, now_wall_ms(), StrengthSummary{"leg_press", {{10, 100}}}, "boot-" + m.machine, m.link});
        m.set_at.push_back(Clock::now());
      }
    }
    devices.publish(build_topic(branch, m.machine, MessageType::telemetry), telemetry, 0);
    if (!workout.empty()) devices.publish(build_topic(branch, m.machine, MessageType::workout), workout, 1);
    next += tick;
    std::this_thread::sleep_until(next);
  }
  // Every set published must reach its session; wait for the last ones (at most 10 s).
  retry_for(std::chrono::seconds(10), [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(members_mu);
    for (const auto& m : members)
      if (m.entries_seen < static_cast<std::int64_t>(m.set_at.size())) return false;
    return true;
  });
  polling = false;
  poller.join();
  io.stop();
  io_thread.join();

  std::int64_t samples = 0, sets = 0;
  for (const auto& m : members) samples += m.samples, sets += static_cast<std::int64_t>(m.set_at.size());
  std::cout << Json{{"mode", "training_live"}, {"members", count}, {"seconds", seconds.count()}, {"setup_s", setup_s},
                    {"samples_published", samples}, {"progress_received", seen.progress}, {"progress_for_other_machines", seen.foreign},
                    {"progress_p50_ms", percentile(seen.progress_ms, 0.5)}, {"progress_p99_ms", percentile(seen.progress_ms, 0.99)},
                    {"progress_max_ms", percentile(seen.progress_ms, 1.0)}, {"sets_published", sets}, {"entries_seen", seen.entry_ms.size()},
                    {"set_to_entry_p50_ms", percentile(seen.entry_ms, 0.5)}, {"set_to_entry_p99_ms", percentile(seen.entry_ms, 0.99)},
                    {"set_to_entry_max_ms", percentile(seen.entry_ms, 1.0)}, {"poll_resolution_ms", 50}}
                   .dump()
            << "\n";
  return 0;
}
