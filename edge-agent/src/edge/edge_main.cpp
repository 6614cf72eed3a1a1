// spotter-edge: options and wiring. Commands so far: run, import.
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <iostream>
#include <thread>

#include "../adapters/paho/mqtt_link.hpp"
#include "../adapters/posix/control_socket.hpp"
#include "../adapters/posix/inbound_journal.hpp"
#include "../adapters/posix/ingest_connection.hpp"
#include "../adapters/posix/thread_priority.hpp"
#include "../adapters/beast/cloud_client.hpp"
#include "../adapters/libnfc/nfc_reader.hpp"
#include "../adapters/tty/serial_reader.hpp"
#include "../adapters/v4l2/v4l2_source.hpp"
#include "../adapters/zxing/camera_reader.hpp"
#include "device_accounts_command.hpp"
#include "door_service.hpp"
#include "fingerprint_delivery.hpp"
#include "machine_service.hpp"
#include "technician_cli.hpp"
#include "telemetry_writer.hpp"
#include "spotter/common/config.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/stop_signal.hpp"
#include "spotter/common/version.hpp"
#include "spotter/edge/control_policy.hpp"
#include "spotter/edge/main.hpp"
#include "spotter/protocol/codec.hpp"
#include "spotter/protocol/fingerprint.hpp"
#include "sync_service.hpp"
#include "work_queue.hpp"

namespace spotter::edge {
namespace {
using config::Kind;
using config::Option;

const char* kSummary =
    "The gym branch gateway: decides door scans from its local replica, so doors work with the\n"
    "internet down, and (as the edge-agent issue proceeds) machine links, telemetry and sync.\n"
    "Commands:\n"
    "  spotter-edge run      run the agent (--branch, --data-dir, --mqtt)\n"
    "  spotter-edge import FILE.json   load the branch replica into --data-dir (docs/edge-agent.md)\n"
    "  spotter-edge status|machines|doors|outbox|sync|readers|doctor [--data-dir D] [--json]\n"
    "  spotter-edge tail     follow the agent's log\n"
    "  spotter-edge door-key --door DOOR --data-dir D   a fingerprint reader's key (hex)\n"
    "  spotter-edge devices export --data-dir D --out DIR [--doors A,B]   broker accounts (mosquitto)\n"
    "  spotter-edge devices rotate --data-dir D --device ID   a new password at the next export\n"
    "  spotter-edge scan --door DOOR (--nfc UID | --qr TEXT) [--direction in|out]";

// Periodic work for the store thread travels through its queue as a message with a topic
// no broker can deliver.
const std::string kTick = "#tick";
const std::string kControl = "#control";
constexpr auto kTickEvery = std::chrono::seconds(2);
// Telemetry commits (telemetry_writer.hpp). Measured with 10,000 messages/s and the door
// benchmark running: 20 ms windows wrote 110-150 MB/s to the disk, 100 ms 60-76 MB/s,
// 500 ms 48-57 MB/s (most of it the benchmark's own door commits), and doors answered
// fastest with 500 ms. The rows wait in memory meanwhile (at most 20,000, ~6 MB).
constexpr auto kTelemetryCommitEvery = std::chrono::milliseconds(500);
constexpr std::size_t kTelemetryCommitRows = 20000;
// Messages waiting for the store thread before the telemetry reader stops reading.
constexpr std::size_t kInboxRoom = 20000;
// Scans and taps waiting before the door connection stops reading: a branch's doors send a
// few a second; a thousand waiting is a flood or a stalled disk, not members at doors.
constexpr std::size_t kUrgentRoom = 1000;
// Rows the telemetry writer may hold before the store thread stops handing it more.
constexpr std::size_t kWriterBacklog = 2 * kTelemetryCommitRows;

std::vector<Option> run_options() {
  return {
      {.name = "branch", .help = "this gateway's branch id", .kind = Kind::id, .required = true},
      {.name = "mqtt", .help = "the branch broker, tcp://HOST:PORT or mqtts://HOST:PORT", .kind = Kind::url, .default_value = "tcp://127.0.0.1:1883"},
      {.name = "mqtt-ca", .help = "PEM certificates to trust for an mqtts:// broker instead of the system's CA store", .kind = Kind::text},
      {.name = "mqtt-username", .help = "the agent's broker account (spotter-edge devices export writes it)", .kind = Kind::text},
      {.name = "mqtt-password-file", .help = "a file holding that account's password (agent.password from the export)", .kind = Kind::text},
      {.name = "data-dir", .help = "where the SQLite files live", .kind = Kind::text, .required = true},
      {.name = "machine-offline-after", .help = "silence after which a machine counts as offline (polled at half)", .kind = Kind::duration, .default_value = "60s", .min = 1000, .max = 86'400'000},
      {.name = "link-idle-after", .help = "a machine link with no telemetry this long ends", .kind = Kind::duration, .default_value = "10m", .min = 1000, .max = 86'400'000},
      {.name = "storage-budget", .help = "bytes for raw telemetry and the outbox together", .kind = Kind::bytes, .default_value = "512MiB", .min = 1 << 20},
      {.name = "min-free-disk", .help = "free space to keep on the data disk", .kind = Kind::bytes, .default_value = "256MiB", .min = 0},
      {.name = "nfc-device", .help = "a libnfc reader's connstring (e.g. pn532_uart:/dev/ttyS0)", .kind = Kind::text},
      {.name = "nfc-door", .help = "the door the NFC reader is at", .kind = Kind::id, .default_value = "front"},
      {.name = "camera-device", .help = "a V4L2 camera reading QR codes (e.g. /dev/video0)", .kind = Kind::text},
      {.name = "camera-door", .help = "the door the camera is at", .kind = Kind::id, .default_value = "front"},
      {.name = "serial-device", .help = "a line-based QR/card scanner on this tty (e.g. /dev/ttyUSB0)", .kind = Kind::text},
      {.name = "serial-door", .help = "the door the serial scanner is at", .kind = Kind::id, .default_value = "front"},
      {.name = "serial-baud", .help = "the serial scanner's speed", .kind = Kind::integer, .default_value = "9600", .min = 1200, .max = 115200},
      {.name = "control-socket", .help = "technicians' socket (default DATA_DIR/control.sock)", .kind = Kind::text},
      {.name = "cloud", .help = "spotter-cloud's URL, https://HOST[:PORT] (http:// to this machine only; none: standalone)", .kind = Kind::url},
      {.name = "cloud-ca", .help = "PEM certificates to trust for --cloud instead of the system's CA store", .kind = Kind::text},
      {.name = "gateway-id", .help = "this gateway's id, from POST /api/gateways", .kind = Kind::id},
      {.name = "gateway-secret", .help = "this gateway's secret (better: --gateway-secret-file)", .kind = Kind::text, .secret = true},
      {.name = "gateway-secret-file", .help = "a file holding the gateway's secret (mode 0600)", .kind = Kind::text},
      {.name = "sync-batch", .help = "outbox events per upload request", .kind = Kind::integer, .default_value = "500", .min = 1, .max = 1000},
      {.name = "group-commit", .help = "how much received telemetry power loss may take (never a process kill)", .kind = Kind::duration, .default_value = "100ms", .min = 1, .max = 10'000},
      {.name = "log-level", .help = "debug, info, warn or error", .kind = Kind::text, .default_value = "info", .choices = {"debug", "info", "warn", "error"}},
  };
}

std::vector<Option> import_options() {
  return {{.name = "data-dir", .help = "where the SQLite files live", .kind = Kind::text, .required = true}};
}

std::vector<Option> door_key_options() {
  return {{.name = "data-dir", .help = "the agent's data directory (holds fingerprint.key)", .kind = Kind::text, .required = true},
          {.name = "door", .help = "the door whose reader is being provisioned", .kind = Kind::id, .required = true}};
}

// `spotter-edge door-key`: the key a fingerprint reader opens its templates with (PROTOCOL.md
// 4.4), as hex, for the technician to provision. Needs read access to the gateway's key.
int door_key(const config::Settings& s) {
  auto key = load_gateway_key((std::filesystem::path(s.text("data-dir")) / "fingerprint.key").string(), false);
  std::cout << hex_encode(protocol::door_fingerprint_key(key, s.text("door"))) << "\n";
  return 0;
}

std::filesystem::path db_file(const config::Settings& s) { return std::filesystem::path(s.text("data-dir")) / "edge.db"; }

int import(const config::Settings& s, const std::vector<std::string>& positional) {
  if (positional.size() != 2) {
    std::cerr << "spotter-edge: bad setting FILE: import needs one FILE.json\n";
    return config::kExitBadSetting;
  }
  auto text = config::process_environment().read_file(positional[1]);
  if (!text) {
    std::cerr << "spotter-edge import: cannot read " << positional[1] << "\n";
    return 1;
  }
  auto doc = parse_json_strict(*text, JsonLimits{512u << 20, 16});
  if (!doc) {
    std::cerr << "spotter-edge import: " << positional[1] << " is not valid JSON: " << doc.error().message << "\n";
    return 1;
  }
  auto replica = parse_replica(*doc);
  if (!replica) {
    std::cerr << "spotter-edge import: " << replica.error().message << "\n";
    return 1;
  }
  if (auto tz = load_time_zone(replica->branch.time_zone); !tz) {
    std::cerr << "spotter-edge import: branch.timezone: " << tz.error().message << "\n";
    return 1;
  }
  std::filesystem::create_directories(s.text("data-dir"));
  SqliteEdgeStore store(db_file(s));
  if (auto r = store.import_replica(*replica); !r) {
    std::cerr << "spotter-edge import: " << r.error().message << "\n";
    return 1;
  }
  std::cout << "imported branch " << replica->branch.id << ": " << replica->members.size() << " members, "
            << replica->cards.size() << " cards, " << replica->memberships.size() << " memberships, "
            << replica->machines.size() << " machines\n";
  return 0;
}

// A secret file's text without the line end an editor adds.
std::string read_secret_file(const std::string& text) {
  std::string secret = text;
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) secret.pop_back();
  return secret;
}

// The cloud link's settings, or a bad-setting message; nullopt settings: standalone.
Result<std::optional<SyncSettings>> sync_settings(const config::Settings& s) {
  auto cloud = s.optional_text("cloud");
  if (!cloud) return std::optional<SyncSettings>{};
  auto endpoint = parse_cloud_url(*cloud);
  if (!endpoint) return fail("--cloud", endpoint.error().message);
  // Anything that leaves the machine is TLS: a man in the middle could hand the gateway a
  // replica with his own card or QR key.
  if (!endpoint->tls && !is_loopback_host(endpoint->host)) return fail("--cloud", "http:// goes to this machine only (loopback); use https://");
  auto ca = s.optional_text("cloud-ca");
  if (ca && !endpoint->tls) return fail("--cloud-ca", "is for an https:// --cloud");
  if (ca && !std::filesystem::exists(*ca)) return fail("--cloud-ca", "cannot read " + *ca);
  auto id = s.optional_text("gateway-id");
  if (!id) return fail("--gateway-id", "is required with --cloud");
  std::optional<std::string> secret = s.optional_text("gateway-secret");
  if (auto file = s.optional_text("gateway-secret-file")) {
    auto text = config::process_environment().read_file(*file);
    if (!text) return fail("--gateway-secret-file", "cannot read " + *file);
    secret = read_secret_file(*text);
  }
  if (!secret || secret->empty()) return fail("--gateway-secret", "is required with --cloud (or --gateway-secret-file)");
  SyncSettings out;
  out.cloud_url = *cloud;
  out.gateway_id = *id;
  out.gateway_secret = *secret;
  out.cloud_ca = ca.value_or("");
  out.db_file = db_file(s);
  out.batch_events = static_cast<std::size_t>(s.integer("sync-batch"));
  return std::optional<SyncSettings>{std::move(out)};
}

// The agent's broker account (spotter-edge devices export); anonymous without a user name.
Result<sim::MqttLogin> broker_login(const config::Settings& s) {
  auto user = s.optional_text("mqtt-username");
  auto file = s.optional_text("mqtt-password-file");
  if (!user && !file) return sim::MqttLogin{};
  if (!user) return fail("--mqtt-username", "is required with --mqtt-password-file");
  if (!file) return fail("--mqtt-password-file", "is required with --mqtt-username");
  auto text = config::process_environment().read_file(*file);
  if (!text) return fail("--mqtt-password-file", "cannot read " + *file);
  auto password = read_secret_file(*text);
  if (password.empty()) return fail("--mqtt-password-file", *file + " is empty");
  return sim::MqttLogin{*user, password};
}

// tcp:// or mqtts://; --mqtt-ca only with mqtts:// and readable.
Status check_broker_url(const std::string& url, const std::string& ca) {
  const bool tls = url.rfind("mqtts://", 0) == 0;
  if (!tls && url.rfind("tcp://", 0) != 0) return fail("--mqtt", "say tcp://HOST:PORT or mqtts://HOST:PORT");
  if (!ca.empty() && !tls) return fail("--mqtt-ca", "is for an mqtts:// --mqtt");
  if (!ca.empty() && !std::filesystem::exists(ca)) return fail("--mqtt-ca", "cannot read " + ca);
  return {};
}

int run(const config::Settings& s) {
  auto sync_config = sync_settings(s);
  if (!sync_config) {
    std::cerr << "spotter-edge: bad setting " << sync_config.error().code << ": " << sync_config.error().message << "\n";
    return config::kExitBadSetting;
  }
  auto login = broker_login(s);
  if (!login) {
    std::cerr << "spotter-edge: bad setting " << login.error().code << ": " << login.error().message << "\n";
    return config::kExitBadSetting;
  }
  const std::string broker_ca = s.optional_text("mqtt-ca").value_or("");
  if (auto checked = check_broker_url(s.text("mqtt"), broker_ca); !checked) {
    std::cerr << "spotter-edge: bad setting " << checked.error().code << ": " << checked.error().message << "\n";
    return config::kExitBadSetting;
  }
  install_stop_signals();
  SystemClock clock;
  const auto started = clock.monotonic();
  auto tail = std::make_shared<TailHub>(stderr_log_sink());
  Logger log("edge", tail, clock, parse_log_level(s.text("log-level")).value());
  const std::string branch = s.text("branch");
  std::filesystem::create_directories(s.text("data-dir"));
  SqliteEdgeStore store(db_file(s));
  auto branch_rec = store.branch();
  if (!branch_rec) {
    log.warn("no replica yet: every scan is refused until one is imported", {{"data_dir", s.text("data-dir")}});
    branch_rec = BranchRecord{branch, branch, "UTC", OpeningHours{}};
  } else if (branch_rec->id != branch) {
    std::cerr << "spotter-edge: bad setting --branch: the replica in --data-dir is for branch " << branch_rec->id << "\n";
    return config::kExitBadSetting;
  }
  auto zone = load_time_zone(branch_rec->time_zone);
  if (!zone) {
    log.error("unknown branch time zone; using UTC", {{"time_zone", branch_rec->time_zone}});
    zone = load_time_zone("UTC");
  }
  RejectionCounts rejections;
  WorkQueue<InboundMessage> inbox;
  std::vector<std::string> filters;
  for (auto t : {protocol::MessageType::door_scan, protocol::MessageType::door_status, protocol::MessageType::machine_status,
                 protocol::MessageType::heartbeat, protocol::MessageType::machine_auth, protocol::MessageType::maintenance}) {
    filters.push_back(protocol::build_topic(branch, "+", t));
  }
  filters.push_back(protocol::fingerprint_filter(branch));  // what readers hold (fingerprint_delivery.hpp)
  InboundJournal journal(std::filesystem::path(s.text("data-dir")) / "inbound");
  // Journal writes and hand-overs happen under one lock, so the store thread receives
  // messages in journal order whichever connection they came on.
  std::mutex intake;
  // Paho's thread: journal first (Paho acknowledges when this returns), then hand over.
  auto on_message = [&](InboundMessage m) {
    m.received_at_ms = clock.now_ms();
    // A member is standing at a door or a machine: that goes ahead of the telemetry queue,
    // so its place in the journal's order does not matter and it need not wait for the
    // intake lock (held while a telemetry batch is journaled and handed over).
    m.urgent = m.topic.ends_with("/scan") || m.topic.ends_with("/auth");
    // A full urgent lane (a flood of scans, or the store thread stalled on a disk): Paho's
    // thread waits here, unacknowledged, and the broker keeps the rest.
    if (m.urgent) inbox.wait_for_urgent_room(kUrgentRoom);
    std::mutex unordered;
    std::unique_lock lock(m.urgent ? unordered : intake);
    for (int attempt = 0;; ++attempt) {
      auto pos = journal.append(m.topic, m.payload, m.received_at_ms);
      if (pos) {
        m.journal_end = *pos;
        break;
      }
      // Not written, so not acknowledged: hold Paho (the broker keeps the message) until
      // the disk takes it again or the agent stops.
      if (attempt % 50 == 0) log.error("cannot journal an inbound message; holding intake", {{"error", pos.error().message}});
      if (stop_requested().load()) return;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lock.lock();
    }
    if (m.urgent) {
      inbox.push_urgent(std::move(m));
    } else {
      inbox.push(std::move(m));
    }
  };
  MqttLink link(s.text("mqtt"), "spotter-edge-" + branch, filters, on_message, log, *login, broker_ca);
  // Telemetry and workouts come on their own connection, acknowledged after the journal write.
  IngestConnection ingest(s.text("mqtt"), "spotter-edge-" + branch + "-ingest",
                          {protocol::build_topic(branch, "+", protocol::MessageType::telemetry),
                           protocol::build_topic(branch, "+", protocol::MessageType::workout)},
                          journal, intake, [&clock] { return clock.now_ms(); },
                          [&inbox](std::vector<IngestMessage>&& batch) {
                            std::vector<InboundMessage> msgs;
                            msgs.reserve(batch.size());
                            for (auto& b : batch) {
                              InboundMessage m{std::move(b.topic), std::move(b.payload), false};
                              m.received_at_ms = b.received_at_ms;
                              m.journal_end = b.journal_end;
                              msgs.push_back(std::move(m));
                            }
                            inbox.push_all(std::move(msgs));
                          },
                          [&inbox] { inbox.wait_for_room(kInboxRoom); }, log, *login, broker_ca);
  auto publish = [&link](const std::string& t, const std::string& p) { return link.publish(t, p); };
  auto qr = make_qr_check(store.qr_keys(), log);  // read once at start for now
  DoorService doors(store, BranchCalendar(*zone, branch_rec->hours), qr, branch, clock, log, publish, rejections);
  MachineTimings timings{std::chrono::milliseconds(s.integer("machine-offline-after")),
                         std::chrono::milliseconds(s.integer("machine-offline-after") / 2),
                         std::chrono::milliseconds(s.integer("link-idle-after"))};
  MachineService machines(store, qr, branch, clock, log, publish, rejections, timings);
  doors.on_member_left([&machines](const std::string& member) { machines.on_member_left(member); });
  FingerprintDelivery prints(store, branch, load_gateway_key((std::filesystem::path(s.text("data-dir")) / "fingerprint.key").string(), true),
                             clock, log.with({{"part", "fingerprints"}}),
                             [&link](const std::string& t, const std::string& p) { return link.publish(t, p, true); });

  // What arrived but was not applied before the last stop (a kill, a power cut).
  std::uint64_t replayed = 0;
  auto replay = journal.replay(store.applied_position(), [&](const JournalEntry& e) {
    inbox.push(InboundMessage{e.topic, e.payload, false, e.received_at_ms, e.end, true});
    ++replayed;
  });
  if (!replay) log.error("inbound journal replay stopped early", {{"error", replay.error().message}});
  if (replayed > 0) log.info("replaying messages received before the last stop", {{"count", replayed}});

  auto writer = std::make_unique<TelemetryWriter>(store, log.with({{"part", "telemetry"}}),
                                                  [&journal](JournalPosition p) { journal.release(p); }, kTelemetryCommitEvery,
                                                  kTelemetryCommitRows);
  std::uint64_t missed_requests = 0;
  std::uint64_t ticks = 0;
  const StorageLimits limits{s.integer("storage-budget"), s.integer("min-free-disk")};
  // Days offline: keep raw telemetry and the outbox within the budget and the disk above
  // its watermark (docs/edge-agent.md). Runs on the store thread every 30 s.
  auto enforce_budget = [&] {
    struct statvfs fsinfo{};
    std::int64_t free_disk = ::statvfs(s.text("data-dir").c_str(), &fsinfo) == 0
                                 ? static_cast<std::int64_t>(fsinfo.f_bavail) * static_cast<std::int64_t>(fsinfo.f_frsize)
                                 : std::numeric_limits<std::int64_t>::max();
    auto use = store.storage_use();
    if (auto need = bytes_to_free(use, limits, free_disk); need > 0) {
      auto telemetry = writer->call([&store, need] { return store.evict_telemetry(need); });
      if (!telemetry) log.error("telemetry eviction failed", {{"error", telemetry.error().message}});
      auto freed = store.evict(need, clock.now_ms(), telemetry.value_or(SqliteEdgeStore::TelemetryEviction{}));
      if (freed) {
        log.warn("storage pressure: evicted the oldest raw telemetry", {{"freed_bytes", *freed}, {"free_disk", free_disk},
                                                                       {"used_bytes", use.telemetry_bytes + use.outbox_bytes}});
      } else {
        log.error("eviction failed", {{"error", freed.error().message}});
      }
    }
  };
  // Readers attached to the gateway: each credential becomes a scan at its door, handled
  // on the store thread exactly as one from an MQTT reader.
  std::vector<std::unique_ptr<CredentialReader>> readers;
  if (auto dev = s.optional_text("nfc-device")) readers.push_back(std::make_unique<NfcReader>(*dev, s.text("nfc-door")));
  if (auto dev = s.optional_text("camera-device")) {
    readers.push_back(std::make_unique<CameraReader>(std::make_unique<V4l2Source>(*dev), s.text("camera-door")));
  }
  if (auto dev = s.optional_text("serial-device")) {
    readers.push_back(std::make_unique<SerialReader>(*dev, s.text("serial-door"), static_cast<int>(s.integer("serial-baud"))));
  }

  std::unique_ptr<SyncService> sync;
  auto progress = std::make_shared<LiveProgress>();

  // Technicians' requests, on the store thread (the state they read lives there).
  std::uint64_t local_scans = 0;
  auto answer = [&](const Json& req) -> Json {
    const std::string cmd = json_text(req, "cmd");
    const auto now_ms = clock.now_ms();
    struct statvfs fsinfo{};
    const std::int64_t free_disk = ::statvfs(s.text("data-dir").c_str(), &fsinfo) == 0
                                       ? static_cast<std::int64_t>(fsinfo.f_bavail) * static_cast<std::int64_t>(fsinfo.f_frsize) : -1;
    if (cmd == "status") {
      // Cheap reads only: this runs on the store thread, ahead of doors waiting.
      auto use = store.storage_use();
      Json outbox = {{"depth", use.outbox_rows}, {"bytes", use.outbox_bytes},
                     {"oldest_age_s", use.oldest_outbox_ms ? Json((now_ms - use.oldest_outbox_ms) / 1000) : Json(nullptr)}};
      return {{"ok", true}, {"branch", branch}, {"broker", {{"url", s.text("mqtt")}, {"connected", link.connected()}}},
              {"ingest", {{"connected", ingest.connected()}}},
              {"cloud", sync ? sync->status() : Json{{"configured", false}, {"state", "standalone"}}},
              {"outbox", {{"depth", outbox["depth"]}, {"bytes", outbox["bytes"]}, {"oldest_age_s", outbox["oldest_age_s"]}}},
              {"disk_free_bytes", free_disk}, {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(clock.monotonic() - started).count()},
              {"members", store.member_count()}, {"telemetry", {{"stored", writer->totals().stored}, {"duplicates", writer->totals().duplicates}}},
              {"rejected", rejections.total()}, {"journal_bytes", journal.bytes_on_disk()}, {"fingerprints", prints.status_json()}};
    }
    if (cmd == "machines") return {{"ok", true}, {"machines", machines.machines_json()}};
    if (cmd == "doors") return {{"ok", true}, {"doors", doors.doors_json()}};
    if (cmd == "outbox") {
      Json o = store.outbox_summary(now_ms);
      o["ok"] = true;
      return o;
    }
    if (cmd == "sync") {
      if (!sync) return {{"ok", true}, {"cloud", nullptr}, {"state", "standalone"}, {"detail", "no --cloud configured; the outbox keeps everything until one is"}};
      Json st = sync->status();
      st["ok"] = true;
      st["detail"] = st.value("last_error", Json(nullptr)).is_null() ? Json("") : st["last_error"];
      return st;
    }
    if (cmd == "apply_replica" && req.contains("delta")) {
      auto delta = parse_replica_delta(req["delta"]);
      if (!delta) return {{"ok", false}, {"error", delta.error().message}};
      if (auto r = store.apply_replica_delta(*delta); !r) return {{"ok", false}, {"error", r.error().message}};
      machines.reload(make_qr_check(store.qr_keys(), log));
      prints.replica_changed();
      return {{"ok", true}, {"members_changed", delta->members.size() + delta->removed_members.size()}};
    }
    if (cmd == "apply_replica") {
      // From the sync thread: the cloud's replica, applied in one transaction, then the
      // services reload what they keep in memory (calendar, QR keys, machine registry).
      const Json* sent = json_member(req, "replica");
      auto replica = parse_replica(sent ? *sent : Json::object());
      if (!replica) return {{"ok", false}, {"error", replica.error().message}};
      if (replica->branch.id != branch) return {{"ok", false}, {"error", "the cloud sent the replica of branch " + replica->branch.id}};
      auto tz = load_time_zone(replica->branch.time_zone);
      if (!tz) return {{"ok", false}, {"error", "unknown time zone " + replica->branch.time_zone}};
      if (auto r = store.import_replica(*replica); !r) return {{"ok", false}, {"error", r.error().message}};
      auto new_qr = make_qr_check(store.qr_keys(), log);
      doors.reload(BranchCalendar(*tz, replica->branch.hours), new_qr);
      machines.reload(new_qr);
      prints.replica_changed();
      return {{"ok", true}, {"members", replica->members.size()}};
    }
    if (cmd == "machine_command") {
      const std::string kind = json_text(req, "kind");
      const auto k = kind == "unlink" ? std::optional(protocol::CommandKind::unlink)
                     : kind == "set_maintenance" ? std::optional(protocol::CommandKind::set_maintenance)
                     : kind == "clear_maintenance" ? std::optional(protocol::CommandKind::clear_maintenance) : std::nullopt;
      if (!k) return {{"ok", false}, {"error", "unknown command kind"}};
      return {{"ok", machines.on_cloud_command(json_text(req, "machine_id"), *k)}};
    }
    if (cmd == "readers") {
      Json list = Json::array();
      for (const auto& r : readers) list.push_back({{"reader", r->kind() + ":" + r->device()}, {"kind", r->kind()}, {"door", r->door()}, {"state", r->state()}});
      std::string detail = readers.empty() ? "no local reader attached; " : "";
      detail += std::to_string(doors.doors_json().size()) + " MQTT door reader(s) seen (see `spotter-edge doors`)";
      return {{"ok", true}, {"readers", list}, {"detail", detail}};
    }
    if (cmd == "scan") {
      const Json* asked = json_member(req, "scan");
      auto scan = protocol::decode_door_scan(dump_json(asked ? *asked : Json::object()));
      if (!scan) return {{"ok", false}, {"error", std::string("bad scan: ") + std::string(protocol::to_string(scan.error().reason)) + " " + scan.error().field}};
      std::string door = json_text(req, "door");
      if (!is_valid_id(door)) return {{"ok", false}, {"error", "bad door id"}};
      ++local_scans;
      auto d = doors.scan_locally(door, *scan);
      if (d.req_id.empty()) return {{"ok", false}, {"error", "the door event could not be stored"}};
      return {{"ok", true}, {"decision", parse_json_strict(protocol::encode(d)).value()}};
    }
    if (cmd == "doctor") {
      Json checks = Json::array();
      auto check = [&](const char* name, bool ok, std::string detail, const char* fix) {
        checks.push_back({{"check", name}, {"ok", ok}, {"detail", std::move(detail)}, {"fix", ok ? "" : fix}});
      };
      check("broker", link.connected(), s.text("mqtt"), "start mosquitto on the gateway, or point --mqtt at it");
      check("replica", store.member_count() > 0, std::to_string(store.member_count()) + " members",
            "import one: spotter-edge import FILE.json --data-dir DIR");
      check("disk", free_disk < 0 || free_disk >= limits.min_free_disk_bytes, std::to_string(free_disk / (1 << 20)) + " MiB free",
            "free space on the data disk, or lower --min-free-disk");
      check("clock", now_ms > 1'735'689'600'000, format_rfc3339_ms(now_ms), "set the clock (NTP): QR codes and opening hours depend on it");
      check("data_dir", ::access(s.text("data-dir").c_str(), W_OK) == 0, s.text("data-dir"), "make --data-dir writable by the agent's user");
      const auto depth = store.outbox_depth();
      check("outbox", depth < 1'000'000, "depth " + std::to_string(depth),
            "bring the cloud link back (spotter-edge sync)");
      if (sync) {
        Json st = sync->status();
        check("cloud", st["state"] == "online", st["state"].get<std::string>() + (st["last_error"].is_null() ? "" : ": " + st["last_error"].get<std::string>()),
              st["state"] == "unauthorized" ? "the gateway's id or secret was refused: ask an admin to rotate it and update --gateway-secret-file"
                                            : "check the network path to --cloud (spotter-edge sync shows the last error)");
      } else {
        check("cloud", true, "standalone (no --cloud)", "");
      }
      bool all_ok = true;
      for (const auto& c : checks) all_ok = all_ok && c["ok"].get<bool>();
      return {{"ok", true}, {"healthy", all_ok}, {"checks", checks}};
    }
    return {{"ok", false}, {"error", "unknown command \"" + cmd.substr(0, 32) + "\""}};
  };
  const std::filesystem::path socket_path = s.optional_text("control-socket").value_or((std::filesystem::path(s.text("data-dir")) / "control.sock").string());
  // Technicians (control socket) and the sync thread reach the store thread the same way:
  // a control message answered there. `wait` 0: do not wait for the answer.
  auto ask_store = [&inbox](Json request, std::chrono::seconds wait) -> Json {
    auto promise = std::make_shared<std::promise<Json>>();
    auto future = promise->get_future();
    InboundMessage m{kControl, "", false};
    m.control = promise;
    m.control_request = std::move(request);
    m.urgent = true;  // a technician or the sync thread is waiting for the answer
    inbox.push_urgent(std::move(m));
    if (wait.count() == 0) return Json{{"ok", true}};
    if (future.wait_for(wait) != std::future_status::ready) return Json{{"ok", false}, {"error", "the agent is busy; try again"}};
    return future.get();
  };
  ControlServer control(
      socket_path,
      [&ask_store, &log](const Json& req, const ControlPeer& peer) {
        const std::string cmd = json_text(req, "cmd");
        if (!peer.trusted && !control_command_reads_only(cmd)) {
          log.warn("control command refused", {{"cmd", cmd.substr(0, 32)}, {"uid", peer.uid}});
          return Json{{"ok", false}, {"error", "\"" + cmd.substr(0, 32) + "\" changes the gateway: only root or the agent's user may send it (try sudo)"}};
        }
        return ask_store(req, std::chrono::seconds(5));
      },
      tail);

  if (*sync_config) {
    sync = std::make_unique<SyncService>(
        **sync_config, clock, log.with({{"part", "sync"}}),
        [&ask_store](Json update) -> Status {
          update["cmd"] = "apply_replica";
          Json r = ask_store(std::move(update), std::chrono::seconds(60));
          if (!json_bool(r, "ok", false)) return fail("replica", json_text(r, "error", "not applied"));
          return {};
        },
        [&ask_store](const std::string& machine, const std::string& kind) {
          (void)ask_store(Json{{"cmd", "machine_command"}, {"machine_id", machine}, {"kind", kind}}, std::chrono::seconds(0));
        },
        progress);
    machines.on_progress([progress](ProgressItem item) { progress->offer(std::move(item)); });
  }

  std::thread worker([&] {
    name_this_thread("store");
    doors.end_overdue_sessions();  // the agent may have been down when some were due
    std::vector<TelemetryRow> rows;
    JournalPosition applied = store.applied_position();
    // Every message before `applied` is then either applied here or among the rows.
    auto hand_over = [&] {
      if (auto w = store.record_workout_events(rows); !w) log.error("workout events not stored", {{"error", w.error().message}});
      writer->add(std::move(rows), applied);
      rows = {};
    };
    // A link's end summarises its telemetry, so the rows decoded so far are committed first.
    machines.before_links_end([&] {
      if (!rows.empty()) hand_over();
      writer->call([] {});
    });
    while (true) {
      // Small hand-overs, so a member at a door waits for at most a few decodes. While the
      // writer is behind, only what jumps the queue (doors, taps, technicians, ticks).
      const auto now = std::chrono::steady_clock::now();
      auto next = writer->backlog() > kWriterBacklog
                      ? inbox.pop_urgent_until(64, now + std::chrono::milliseconds(10))
                      : inbox.pop_batch_until(64, now + std::chrono::seconds(1));
      if (!next) break;
      auto& batch = *next;
      for (auto& m : batch) {
        if (m.control) {
          // Nothing a technician or the cloud sends may stop this thread: the answers read
          // their input without throwing accessors, and anything else is answered as an error.
          Json reply;
          try {
            reply = answer(m.control_request);
          } catch (const std::exception& e) {
            log.error("control request failed", {{"error", e.what()}});
            reply = {{"ok", false}, {"error", "the request could not be handled"}};
          }
          m.control->set_value(std::move(reply));
          continue;
        }
        if (m.topic == kTick) {
          if (!rows.empty()) hand_over();
          doors.end_overdue_sessions();
          machines.tick();
          prints.tick();
          writer->checkpoint(applied);
          if (++ticks % 15 == 1) enforce_budget();
          if (ticks % 1800 == 1)  // about hourly: links ended over 30 days ago go
            if (auto pruned = machines.prune(); !pruned) log.error("old links not pruned", {{"error", pruned.error().message}});
          continue;
        }
        auto topic = protocol::parse_topic(m.topic);
        if (!topic && prints.on_message(m.topic, m.payload)) {
          // a template the broker holds for a reader (or just took back)
        } else if (topic && topic->branch == branch) {
          if (topic->type == protocol::MessageType::telemetry || topic->type == protocol::MessageType::workout) {
            if (auto row = machines.ingest(*topic, m.payload, m.received_at_ms)) rows.push_back(std::move(*row));
          } else {
            if (m.replayed && (topic->type == protocol::MessageType::door_scan || topic->type == protocol::MessageType::machine_auth)) {
              // The reader or machine gave up waiting long ago: deciding now would open
              // nothing and start a session nobody saw.
              ++missed_requests;
            } else if (topic->type == protocol::MessageType::door_scan) {
              doors.on_scan(*topic, m.payload);
            } else if (topic->type == protocol::MessageType::door_status) {
              if (auto st = doors.on_reader_status(*topic, m.payload); st && st->state == protocol::ReaderState::online)
                prints.on_reader(topic->device, st->fingerprint);
            } else {
              machines.on_message(*topic, m.payload);
            }
          }
        }
        // Urgent messages jump the queue, so their journal position says nothing about what
        // came before them; they are never replayed anyway (see above).
        if (!m.urgent) applied = std::max(applied, m.journal_end);
      }
      if (!rows.empty()) hand_over();
      if (sync) sync->wake();  // whatever this batch put in the outbox leaves now
    }
  });
  std::atomic<std::uint64_t> local_reads{0};
  for (auto& r : readers) {
    r->start([&inbox, &branch, &local_reads](ReaderEvent e) {
      protocol::DoorScan scan{"local-" + std::to_string(++local_reads), e.credential, e.direction, std::nullopt};
      InboundMessage m{protocol::build_topic(branch, e.door, protocol::MessageType::door_scan), protocol::encode(scan), false};
      m.urgent = true;
      inbox.push_urgent(std::move(m));
    });
    log.info("reader started", {{"kind", r->kind()}, {"device", r->device()}, {"door", r->door()}});
  }
  // Group commit: what is journaled survives power loss within this window.
  std::thread syncer([&] {
    name_this_thread("group-commit");
    const auto every = std::chrono::milliseconds(s.integer("group-commit"));
    while (!stop_requested().load()) {
      std::this_thread::sleep_for(every);
      if (auto r = journal.sync(); !r) log.error("journal sync failed", {{"error", r.error().message}});
    }
  });
  ingest.start();
  if (sync) sync->start();
  while (!stop_requested().load() && !link.start(5000)) {
    for (int i = 0; i < 10 && !stop_requested().load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  log.info("running", {{"branch", branch}, {"mqtt", s.text("mqtt")}, {"data_dir", s.text("data-dir")}});
  auto next_tick = std::chrono::steady_clock::now() + kTickEvery;
  while (!stop_requested().load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() >= next_tick) {
      InboundMessage tick{kTick, "", false};
      tick.urgent = true;  // timers must run even while telemetry waits
      inbox.push_urgent(std::move(tick));
      next_tick += kTickEvery;
    }
  }
  log.info("stopping");
  if (sync) sync->stop();
  for (auto& r : readers) r->stop();
  ingest.stop();
  link.stop();
  inbox.push(InboundMessage{kTick, "", false});  // a last checkpoint of the applied position
  inbox.close();
  worker.join();
  syncer.join();
  (void)journal.sync();
  writer->stop();  // commits what it holds
  const auto ingested = writer->totals();
  log.info("stopped", {{"rejected", rejections.total()}, {"telemetry_stored", ingested.stored},
                       {"telemetry_duplicates", ingested.duplicates}, {"requests_missed_while_down", missed_requests}});
  return 0;
}
}  // namespace

int Main(const std::vector<std::string>& args) {
  std::string command = args.empty() ? "" : args[0];
  if (command == "--version") {
    std::cout << "spotter-edge " << kVersion << "\n";
    return 0;
  }
  if (command.empty() || command == "--help" || command == "-h") {
    std::cout << config::usage("spotter-edge run", kSummary, run_options());
    return command.empty() ? config::kExitBadSetting : 0;
  }
  if (is_technician_command(command)) return run_technician_command(command, {args.begin() + 1, args.end()});
  const bool is_run = command == "run";
  if (!is_run && command != "import" && command != "door-key" && command != "devices") {
    std::cerr << "spotter-edge: bad setting " << command << ": unknown command (see --help)\n";
    return config::kExitBadSetting;
  }
  auto opts = is_run ? run_options() : command == "door-key" ? door_key_options() : command == "devices" ? devices_options() : import_options();
  auto parsed = config::parse(opts, {args.begin() + 1, args.end()}, config::process_environment());
  if (!parsed) {
    std::cerr << config::format_error("spotter-edge", parsed.error()) << "\n";
    return config::kExitBadSetting;
  }
  if (parsed->help) {
    std::cout << config::usage("spotter-edge " + command, kSummary, opts);
    return 0;
  }
  if (parsed->version) {
    std::cout << "spotter-edge " << kVersion << "\n";
    return 0;
  }
  try {
    if (is_run) return run(parsed->settings);
    if (command == "door-key") return door_key(parsed->settings);
    if (command == "devices") return devices_command(parsed->settings, parsed->positional);
    std::vector<std::string> positional = {command};
    positional.insert(positional.end(), parsed->positional.begin(), parsed->positional.end());
    return import(parsed->settings, positional);
  } catch (const std::exception& e) {
    std::cerr << "spotter-edge: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace spotter::edge
