// spotter-sim: wires options, the simulator core, the Paho transport and the clock.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <iostream>
#include <thread>

#include "../adapters/posix/drain.hpp"
#include "../adapters/posix/flood_publisher.hpp"
#include "../adapters/paho/paho_transport.hpp"
#include "spotter/common/config.hpp"
#include "spotter/common/stop_signal.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/json.hpp"
#include "spotter/common/log.hpp"
#include "spotter/common/version.hpp"
#include "spotter/protocol/sim/main.hpp"
#include "spotter/protocol/codec.hpp"
#include "spotter/protocol/fingerprint.hpp"
#include "spotter/protocol/sim/simulator.hpp"
#include "spotter/protocol/topic.hpp"

namespace spotter::sim {
namespace {
using config::Kind;
using config::Option;

const char* kSummary =
    "Simulates a gym branch's machines and door readers on MQTT, behaving as firmware does per\n"
    "firmware-protocol/PROTOCOL.md. Modes: `firmware` (default) runs realistic devices;\n"
    "`flood` publishes telemetry as fast as the broker takes it, for benchmarks.\n"
    "Commands:\n"
    "  spotter-sim members   print the simulated members' NFC UIDs as JSON (--members, --seed)\n"
    "  spotter-sim check     read `mosquitto_sub -v` lines (TOPIC PAYLOAD) on stdin and report\n"
    "                        every message that breaks the protocol; exit 1 if any does\n"
    "  spotter-sim replica   print an edge replica (spotter-edge import format) for the simulated\n"
    "                        members: most current, every 10th expired, every 17th suspended\n"
    "  spotter-sim drain     subscribe to the branch (QoS 1) and report how fast messages arrive\n"
    "                        (--count, --duration as the idle timeout): the broker's ceiling";

std::vector<Option> options() {
  return {
      {.name = "mqtt", .help = "broker URL", .kind = Kind::url, .default_value = "tcp://127.0.0.1:1883"},
      {.name = "branch", .help = "branch id used in topics", .kind = Kind::id, .default_value = "demo"},
      {.name = "mode", .help = "firmware or flood", .kind = Kind::text, .default_value = "firmware", .choices = {"firmware", "flood"}},
      {.name = "machines", .help = "number of machines", .kind = Kind::integer, .default_value = "6", .min = 0, .max = 5000},
      {.name = "doors", .help = "number of door readers", .kind = Kind::integer, .default_value = "1", .min = 0, .max = 100},
      {.name = "cardio-pct", .help = "share of cardio machines", .kind = Kind::integer, .default_value = "50", .min = 0, .max = 100},
      {.name = "strength-pct", .help = "share of strength machines (the rest are functional)", .kind = Kind::integer, .default_value = "30", .min = 0, .max = 100},
      {.name = "members", .help = "members whose cards the devices use", .kind = Kind::integer, .default_value = "50", .min = 0, .max = 1'000'000},
      {.name = "seed", .help = "makes a run's behaviour repeatable", .kind = Kind::integer, .default_value = "1", .min = 0},
      {.name = "telemetry-interval", .help = "telemetry period of a machine in use", .kind = Kind::duration, .default_value = "1s", .min = 10, .max = 3'600'000},
      {.name = "heartbeat-interval", .help = "heartbeat period", .kind = Kind::duration, .default_value = "10s", .min = 100, .max = 3'600'000},
      {.name = "scan-interval", .help = "mean time between scans at each door", .kind = Kind::duration, .default_value = "5s", .min = 10, .max = 86'400'000},
      {.name = "idle-time", .help = "mean time a machine stays free", .kind = Kind::duration, .default_value = "15s", .min = 10, .max = 86'400'000},
      {.name = "activity-time", .help = "mean length of a cardio or functional bout", .kind = Kind::duration, .default_value = "60s", .min = 100, .max = 86'400'000},
      {.name = "faults-per-hour", .help = "simulated faults per machine per hour", .kind = Kind::integer, .default_value = "1", .min = 0, .max = 3600},
      {.name = "unknown-card-pct", .help = "scans and taps with unknown cards", .kind = Kind::integer, .default_value = "5", .min = 0, .max = 100},
      {.name = "malformed-pct", .help = "telemetry sent deliberately malformed", .kind = Kind::integer, .default_value = "0", .min = 0, .max = 100},
      {.name = "fingerprint-doors", .help = "how many of the doors (the last ones) have a fingerprint sensor", .kind = Kind::integer, .default_value = "0", .min = 0, .max = 100},
      {.name = "mqtt-username", .help = "flood: the load generator's broker account", .kind = Kind::text},
      {.name = "mqtt-password-file", .help = "flood: a file holding that account's password", .kind = Kind::text},
      {.name = "devices-file", .help = "devices.csv from spotter-edge devices export: each device logs in to the broker with its password", .kind = Kind::text},
      {.name = "gateway-key", .help = "the agent's DATA_DIR/fingerprint.key: each fingerprint reader is provisioned with its door key from it", .kind = Kind::text},
      {.name = "trainee", .help = "NFC UID of a member who follows a plan on the strength machines (default: none)", .kind = Kind::text},
      {.name = "trainee-sets", .help = "the trainee's sets per machine", .kind = Kind::integer, .default_value = "3", .min = 1, .max = 20},
      {.name = "trainee-rest", .help = "the trainee's rest between sets", .kind = Kind::duration, .default_value = "8s", .min = 0, .max = 600'000},
      {.name = "duration", .help = "stop after this long (0s = until SIGINT/SIGTERM)", .kind = Kind::duration, .default_value = "0s", .min = 0},
      {.name = "stats-interval", .help = "how often to log counters (0s = only at the end)", .kind = Kind::duration, .default_value = "10s", .min = 0},
      {.name = "publishers", .help = "flood: publishing connections", .kind = Kind::integer, .default_value = "4", .min = 1, .max = 64},
      {.name = "rate", .help = "flood: total messages/s (0 = as fast as acknowledged)", .kind = Kind::integer, .default_value = "0", .min = 0},
      {.name = "count", .help = "flood: stop after this many messages (0 = use --duration)", .kind = Kind::integer, .default_value = "0", .min = 0},
      {.name = "log-level", .help = "debug, info, warn or error", .kind = Kind::text, .default_value = "info", .choices = {"debug", "info", "warn", "error"}},
  };
}

Json stats_json(const SimStats& s, std::uint64_t publish_failures) {
  return Json{{"published", s.published}, {"decisions", s.decisions}, {"auth_replies", s.auth_replies},
              {"auth_timeouts", s.auth_timeouts}, {"commands", s.commands}, {"malformed_sent", s.malformed_sent},
              {"inbound_rejected", s.inbound_rejected}, {"publish_failures", publish_failures}, {"trainee_sets", s.trainee_sets_done},
              {"templates_held", s.templates_held}, {"templates_refused", s.templates_refused}};
}

// `mosquitto_sub -v` prints "TOPIC PAYLOAD" per message; payloads never contain newlines
// in this protocol's examples, but a multi-line payload only makes its lines fail, loudly.
int run_check() {
  std::uint64_t good = 0, bad = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto space = line.find(' ');
    std::string topic = line.substr(0, space);
    std::string payload = space == std::string::npos ? "" : line.substr(space + 1);
    if (protocol::parse_fingerprint_topic(topic)) {
      // PROTOCOL.md 4.4: a template, or (empty; mosquitto_sub may print "(null)") its take-back.
      auto f = payload.empty() || payload == "(null)" ? protocol::Decoded<protocol::FingerprintTemplate>(protocol::FingerprintTemplate{})
                                                      : protocol::decode_fingerprint_template(payload);
      if (f) {
        ++good;
      } else {
        ++bad;
        std::cout << "REJECT " << topic << ": " << protocol::to_string(f.error().reason) << " at " << f.error().field << "\n";
      }
      continue;
    }
    auto t = protocol::parse_topic(topic);
    if (!t) {
      ++bad;
      std::cout << "REJECT " << topic << ": bad_topic (" << t.error().message << ")\n";
      continue;
    }
    auto m = protocol::decode(t->type, payload);
    if (m) {
      ++good;
      continue;
    }
    ++bad;
    std::cout << "REJECT " << topic << ": " << protocol::to_string(m.error().reason)
              << (m.error().field.empty() ? "" : " at " + m.error().field) << " (" << m.error().detail << ")\n";
  }
  std::cout << good << " conformant, " << bad << " rejected\n";
  return bad == 0 ? 0 : 1;
}

// devices.csv (device_id,username,password): device id -> password. Throws (a start-up
// error) when the file cannot be read or a line is not three fields.
std::map<std::string, std::string> read_device_passwords(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("bad setting devices-file: cannot read " + file);
  std::map<std::string, std::string> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (n == 1 && line.rfind("device_id,", 0) == 0) continue;
    const auto a = line.find(','), b = line.rfind(',');
    if (line.empty()) continue;
    if (a == std::string::npos || a == b) throw std::runtime_error("bad setting devices-file: line " + std::to_string(n) + " is not device_id,username,password");
    out[line.substr(0, a)] = line.substr(b + 1);
  }
  return out;
}

int run_firmware(const config::Settings& s, const Logger& log, std::uint64_t nonce) {
  SimConfig c;
  c.branch = s.text("branch");
  c.machines = static_cast<int>(s.integer("machines"));
  c.doors = static_cast<int>(s.integer("doors"));
  c.cardio_share = static_cast<double>(s.integer("cardio-pct")) / 100.0;
  c.strength_share = static_cast<double>(s.integer("strength-pct")) / 100.0;
  c.members = static_cast<int>(s.integer("members"));
  c.seed = static_cast<std::uint64_t>(s.integer("seed"));
  c.boot_nonce = nonce;
  c.telemetry_hz = 1000.0 / static_cast<double>(s.integer("telemetry-interval"));
  c.heartbeat_ms = s.integer("heartbeat-interval");
  c.scan_mean_ms = s.integer("scan-interval");
  c.idle_mean_ms = s.integer("idle-time");
  c.activity_mean_ms = s.integer("activity-time");
  c.trainee_card = s.optional_text("trainee").value_or("");
  c.fingerprint_doors = static_cast<int>(std::min(s.integer("fingerprint-doors"), s.integer("doors")));
  if (auto file = s.optional_text("gateway-key")) {
    // What a technician does with `spotter-edge door-key` for each reader, done at once.
    std::ifstream in(*file, std::ios::binary);
    crypto::Bytes gateway(crypto::kAesKeySize);
    in.read(reinterpret_cast<char*>(gateway.data()), static_cast<std::streamsize>(gateway.size()));
    if (in.gcount() != static_cast<std::streamsize>(gateway.size())) throw std::runtime_error("bad setting gateway-key: " + *file + " is not 32 bytes");
    c.open_template = [gateway](const std::string& door, const std::string& topic, const std::string& sealed) {
      return protocol::open_template(protocol::door_fingerprint_key(gateway, door), topic, sealed).ok();
    };
  }
  c.trainee_sets = static_cast<int>(s.integer("trainee-sets"));
  c.trainee_rest_ms = s.integer("trainee-rest");
  c.faults_per_hour = static_cast<double>(s.integer("faults-per-hour"));
  c.unknown_card_ratio = static_cast<double>(s.integer("unknown-card-pct")) / 100.0;
  c.malformed_ratio = static_cast<double>(s.integer("malformed-pct")) / 100.0;

  Simulator* sim_ptr = nullptr;
  PahoTransport transport(s.text("mqtt"), [&sim_ptr](InMessage m) { if (sim_ptr) sim_ptr->deliver(std::move(m)); }, log);
  if (auto file = s.optional_text("devices-file")) transport.set_passwords(read_device_passwords(*file));
  Simulator sim(c, transport);
  sim_ptr = &sim;
  SystemClock clock;
  sim.start(clock.now_ms());
  transport.wait_connected(std::chrono::seconds(15));
  log.info("simulating", {{"branch", c.branch}, {"machines", c.machines}, {"doors", c.doors}, {"mqtt", s.text("mqtt")}, {"seed", c.seed}});
  auto t0 = clock.monotonic();
  auto duration = std::chrono::milliseconds(s.integer("duration"));
  auto stats_every = std::chrono::milliseconds(s.integer("stats-interval"));
  auto next_stats = t0 + stats_every;
  while (!stop_requested().load() && (duration.count() == 0 || clock.monotonic() - t0 < duration)) {
    sim.step(clock.now_ms());
    if (stats_every.count() > 0 && clock.monotonic() >= next_stats) {
      log.info("stats", {{"stats", stats_json(sim.stats(), transport.publish_failures())}});
      next_stats += stats_every;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sim.stop(clock.now_ms());
  sim_ptr = nullptr;
  log.info("stopped", {{"stats", stats_json(sim.stats(), transport.publish_failures())}});
  return 0;
}

int run_flood_mode(const config::Settings& s, const Logger& log, std::uint64_t nonce) {
  FloodConfig c;
  c.uri = s.text("mqtt");
  c.branch = s.text("branch");
  c.machines = std::max<int>(1, static_cast<int>(s.integer("machines")));
  c.publishers = static_cast<int>(s.integer("publishers"));
  c.rate = s.integer("rate");
  c.count = s.integer("count");
  c.duration_ms = s.integer("duration") > 0 ? s.integer("duration") : 10'000;
  c.boot_nonce = nonce;
  if (auto user = s.optional_text("mqtt-username")) {
    auto file = s.optional_text("mqtt-password-file");
    std::ifstream in(file.value_or(""));
    std::string password;
    if (!file || !std::getline(in, password) || password.empty()) throw std::runtime_error("bad setting mqtt-password-file: needed with --mqtt-username, and not empty");
    c.login = MqttLogin{*user, password};
  }
  auto r = run_flood(c, stop_requested(), log);
  Json result = {{"mode", "flood"}, {"sent", r.sent}, {"acknowledged", r.acknowledged}, {"seconds", r.seconds},
                 {"rate", r.seconds > 0 ? static_cast<double>(r.acknowledged) / r.seconds : 0.0}};
  std::cout << dump_json(result) << std::endl;
  return r.acknowledged == r.sent ? 0 : 1;
}
}  // namespace

int Main(const std::vector<std::string>& args) {
  auto opts = options();
  auto parsed = config::parse(opts, args, config::process_environment());
  if (!parsed) {
    std::cerr << config::format_error("spotter-sim", parsed.error()) << "\n";
    return config::kExitBadSetting;
  }
  if (parsed->help) {
    std::cout << config::usage("spotter-sim [members|replica|check|drain]", kSummary, opts);
    return 0;
  }
  if (parsed->version) {
    std::cout << "spotter-sim " << kVersion << "\n";
    return 0;
  }
  const auto& s = parsed->settings;
  if (s.integer("cardio-pct") + s.integer("strength-pct") > 100) {
    std::cerr << "spotter-sim: bad setting --strength-pct: cardio-pct + strength-pct must be at most 100\n";
    return config::kExitBadSetting;
  }
  if (auto card = s.optional_text("trainee")) {
    const bool hex = card->size() >= 8 && card->size() <= 20 && card->size() % 2 == 0 &&
                     std::all_of(card->begin(), card->end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'F'); });
    if (!hex) {
      std::cerr << "spotter-sim: bad setting --trainee: an NFC UID is 4 to 10 bytes in upper-case hex\n";
      return config::kExitBadSetting;
    }
  }
  if (parsed->positional.size() == 1 && parsed->positional[0] == "members") {
    std::cout << dump_json(Json(member_uids(static_cast<int>(s.integer("members")), static_cast<std::uint64_t>(s.integer("seed"))))) << "\n";
    return 0;
  }
  if (parsed->positional.size() == 1 && parsed->positional[0] == "check") return run_check();
  if (parsed->positional.size() == 1 && parsed->positional[0] == "replica") {
    auto uids = member_uids(static_cast<int>(s.integer("members")), static_cast<std::uint64_t>(s.integer("seed")));
    SystemClock clock;
    const std::int64_t now = clock.now_ms(), year = 365LL * 86'400'000;
    Json hours = Json::object();
    for (const char* day : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) hours[day] = Json::array({Json::array({"00:00", "24:00"})});
    Json doc = {{"branch", {{"id", s.text("branch")}, {"name", "Simulated branch"}, {"timezone", "UTC"}, {"opening_hours", hours}}},
                {"members", Json::array()}, {"memberships", Json::array()}, {"cards", Json::array()}};
    for (std::size_t i = 0; i < uids.size(); ++i) {
      std::string id = "sim-member-" + std::to_string(i + 1);
      doc["members"].push_back({{"id", id}, {"display_name", "Member " + std::to_string(i + 1)}});
      bool expired = (i + 1) % 10 == 0, suspended = (i + 1) % 17 == 0;
      doc["memberships"].push_back({{"id", "ms-" + std::to_string(i + 1)}, {"member_id", id}, {"starts_at_ms", now - year},
                                    {"expires_at_ms", expired ? now - 86'400'000 : now + year}, {"suspended", suspended}});
      doc["cards"].push_back({{"uid", uids[i]}, {"member_id", id}});
    }
    std::cout << doc.dump(1) << "\n";
    return 0;
  }
  if (parsed->positional.size() == 1 && parsed->positional[0] == "drain") {
    try {
      auto idle = s.integer("duration") > 0 ? s.integer("duration") : 2000;
      auto r = run_drain(s.text("mqtt"), protocol::branch_filter(s.text("branch")), static_cast<std::uint64_t>(s.integer("count")),
                         static_cast<int>(idle), s.integer("malformed-pct") == 0);
      Json out = {{"mode", "drain"}, {"received", r.received}, {"malformed", r.malformed}, {"seconds", r.seconds},
                  {"rate", r.seconds > 0 ? static_cast<double>(r.received - 1) / r.seconds : 0.0}};
      std::cout << dump_json(out) << std::endl;
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "spotter-sim: cannot drain: " << e.what() << "\n";
      return 1;
    }
  }
  if (!parsed->positional.empty()) {
    std::cerr << "spotter-sim: bad setting " << parsed->positional[0] << ": unknown command (see --help)\n";
    return config::kExitBadSetting;
  }
  SystemClock clock;
  Logger log("sim", stderr_log_sink(), clock, parse_log_level(s.text("log-level")).value());
  install_stop_signals();  // only the long-running modes; `check` stops on Ctrl-C as usual
  std::uint64_t nonce = 0;
  crypto::random_fill({reinterpret_cast<std::uint8_t*>(&nonce), sizeof nonce});
  try {
    return s.text("mode") == "flood" ? run_flood_mode(s, log, nonce) : run_firmware(s, log, nonce);
  } catch (const std::exception& e) {
    log.error("cannot run", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace spotter::sim
