// spotter-cloud: serve | migrate | admin create | keys rotate | import.
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <thread>

#include "../core/passwords.hpp"
#include "../core/proxies.hpp"
#include "database.hpp"
#include "domains.hpp"
#include "keys.hpp"
#include "offline.hpp"
#include "spotter/cloud/service.hpp"
#include "spotter/common/config.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/stop_signal.hpp"
#include "spotter/common/version.hpp"

namespace spotter::cloud {
namespace {
using config::Kind;
using config::Option;

const char* kSummary =
    "The Spotter cloud: REST + WebSocket API for member apps, front desks and gateways.\n"
    "DB is sqlite:PATH (one instance) or postgresql://USER:PASSWORD@HOST:PORT/DB (any number of\n"
    "instances on one database, behind a load balancer).\n"
    "Commands:\n"
    "  spotter-cloud serve --listen HOST:PORT --db DB\n"
    "  spotter-cloud migrate --db DB                 (bring the schema up to date, then exit)\n"
    "  spotter-cloud admin create --db DB --email E --password P\n"
    "  spotter-cloud keys rotate --db DB [--secrets-key F]   (restart every serve to sign with the new keys)\n"
    "  spotter-cloud keys rewrap --db DB [--secrets-key OLD] --new-secrets-key NEW   (change the secrets key)\n"
    "  spotter-cloud import --db DB FILE.json        (a branch in the gateway replica format)";

Option db_option() {
  return {.name = "db", .help = "sqlite:PATH or postgresql://USER:PASSWORD@HOST:PORT/DB (a password may also come from PGPASSFILE)",
          .kind = Kind::text, .default_value = "sqlite:./spotter-cloud.db"};
}

Option secrets_key_option(const char* name = "secrets-key") {
  return {.name = name, .help = "a file of 32 bytes (raw or 64 hex digits, mode 0600) sealing the signing keys and outbox secrets in the database", .kind = Kind::text};
}

std::vector<Option> serve_options() {
  return {
      {.name = "listen", .help = "address and port (port 0: any free port, logged)", .kind = Kind::host_port, .default_value = "127.0.0.1:8080"},
      db_option(),
      {.name = "db-connections", .help = "PostgreSQL connections this instance keeps at most", .kind = Kind::integer, .default_value = "8", .min = 2, .max = 256},
      {.name = "trusted-proxies", .help = "CIDR[,CIDR...] of load balancers whose X-Forwarded-For names the client", .kind = Kind::text},
      {.name = "threads", .help = "threads running HTTP and WebSocket I/O", .kind = Kind::integer, .default_value = "2", .min = 1, .max = 64},
      {.name = "workers", .help = "threads running request handlers (database work)", .kind = Kind::integer, .default_value = "4", .min = 1, .max = 64},
      {.name = "job-interval", .help = "how often background jobs run", .kind = Kind::duration, .default_value = "5s", .min = 100, .max = 3'600'000},
      {.name = "machine-offline-after", .help = "silence after which a machine counts as offline", .kind = Kind::duration, .default_value = "60s", .min = 1000, .max = 86'400'000},
      {.name = "read-timeout", .help = "time for a request to arrive whole (and an idle connection to close)", .kind = Kind::duration, .default_value = "30s", .min = 1000, .max = 3'600'000},
      {.name = "fingerprint-key", .help = "a file of 32 bytes (raw or 64 hex digits, mode 0600) sealing fingerprint templates; none: no fingerprints", .kind = Kind::text},
      secrets_key_option(),
      {.name = "argon2-memory", .help = "Argon2id memory per password hash", .kind = Kind::bytes, .default_value = "19MiB", .min = 1 << 20, .max = 1LL << 30},
      {.name = "log-level", .help = "debug, info, warn or error", .kind = Kind::text, .default_value = "info", .choices = {"debug", "info", "warn", "error"}},
  };
}

std::vector<Option> admin_options() {
  return {db_option(),
          {.name = "email", .help = "the admin's email", .kind = Kind::text, .required = true},
          {.name = "password", .help = "the admin's password", .kind = Kind::text, .required = true, .secret = true}};
}

int bad(const std::string& setting, const std::string& why) {
  std::cerr << "spotter-cloud: bad setting " << setting << ": " << why << "\n";
  return config::kExitBadSetting;
}

Logger tool_log(const Clock& clock) { return Logger("cloud", stderr_log_sink(), clock, LogLevel::warn); }

// A key file (--fingerprint-key, --secrets-key): 32 raw bytes or 64 hex digits (a trailing newline allowed), kept
// from other users as an SSH key is. An error names what is wrong, never the key.
Result<std::vector<std::uint8_t>> read_key_file(const std::string& file) {
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) return fail("bad_setting", "cannot read " + file);
  if ((st.st_mode & 077) != 0) return fail("bad_setting", file + " is readable by other users: chmod 600 it");
  std::ifstream in(file, std::ios::binary);
  std::string text(200, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() == crypto::kAesKeySize) return std::vector<std::uint8_t>(text.begin(), text.end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto hex = hex_decode(text);
  if (!hex || hex->size() != crypto::kAesKeySize) return fail("bad_setting", file + " must hold 32 bytes, raw or as 64 hex digits");
  return *hex;
}

int serve(const config::Settings& s) {
  const std::string listen = s.text("listen");
  const auto colon = listen.rfind(':');
  install_stop_signals();
  ServiceConfig c;
  c.db_url = s.text("db");
  c.db_connections = static_cast<std::size_t>(s.integer("db-connections"));
  c.trusted_proxies = s.optional_text("trusted-proxies").value_or("");
  c.host = listen.substr(0, colon);
  c.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
  c.io_threads = static_cast<int>(s.integer("threads"));
  c.worker_threads = static_cast<int>(s.integer("workers"));
  c.job_interval = std::chrono::milliseconds(s.integer("job-interval"));
  c.machine_offline_after = std::chrono::milliseconds(s.integer("machine-offline-after"));
  c.read_timeout = std::chrono::milliseconds(s.integer("read-timeout"));
  c.argon2_memory_kib = static_cast<std::uint32_t>(s.integer("argon2-memory") / 1024);
  if (auto file = s.optional_text("fingerprint-key")) {
    auto key = read_key_file(*file);
    if (!key) return bad("fingerprint-key", key.error().message);
    c.fingerprint_key = std::move(*key);
  }
  if (auto file = s.optional_text("secrets-key")) {
    auto key = read_key_file(*file);
    if (!key) return bad("secrets-key", key.error().message);
    c.secrets_key = std::move(*key);
  }
  c.log_level = parse_log_level(s.text("log-level")).value();
  std::unique_ptr<Service> service;
  // A database that is not up yet (a host booting, a failover) is waited for, and said so.
  while (!service) {
    try {
      service = Service::start(c);
    } catch (const DatabaseUnreachable& e) {
      std::cerr << "spotter-cloud: " << e.what() << "; retrying in 2 s\n";
      for (int i = 0; i < 20 && !stop_requested().load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (stop_requested().load()) return 1;
    }
  }
  while (!stop_requested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  service->stop();
  return 0;
}

int migrate_only(const config::Settings& s) {
  SystemClock clock;
  Offline tool(s.text("db"), clock, tool_log(clock));
  std::cout << "database schema up to date (" << tool.migrations_applied() << " migrations applied now)\n";
  return 0;
}

int admin_create(const config::Settings& s) {
  std::string email = s.text("email");
  for (auto& ch : email) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (email.find('@') == std::string::npos) return bad("email", "must be an email address");
  if (auto weak = password_weakness(s.text("password"), email)) return bad("password", *weak);
  SystemClock clock;
  Offline tool(s.text("db"), clock, tool_log(clock));
  auto& org = tool.domains().org();
  auto existing = org.role_of_email(email);
  if (!existing) throw std::runtime_error(existing.error().message);
  if (*existing) {
    if (**existing != "admin") {
      std::cerr << "spotter-cloud: " << email << " exists and is not an admin; nothing changed\n";
      return 1;
    }
    std::cout << "admin " << email << " exists\n";
    return 0;
  }
  const std::int64_t now = clock.now_ms();
  org::NewUser u{.id = new_id("usr", now), .email = email, .full_name = "Administrator", .role = "admin",
                 .password_hash = tool.platform().hasher.hash(s.text("password")), .home_branch_id = {}, .phone = {}, .document_id = {}, .branch_ids = {}};
  if (auto r = org.create_user(u); !r) throw std::runtime_error(r.error().message);
  std::cout << "admin " << email << " created\n";
  return 0;
}

int import_file(const config::Settings& s, const std::vector<std::string>& positional) {
  if (positional.size() != 1) return bad("FILE", "import needs one FILE.json (the replica format of docs/edge-agent.md)");
  auto text = config::process_environment().read_file(positional[0]);
  if (!text) {
    std::cerr << "spotter-cloud import: cannot read " << positional[0] << "\n";
    return 1;
  }
  auto doc = parse_json_strict(*text, JsonLimits{.max_bytes = 512u << 20, .max_depth = 16});
  if (!doc) {
    std::cerr << "spotter-cloud import: " << positional[0] << " is not valid JSON: " << doc.error().message << "\n";
    return 1;
  }
  SystemClock clock;
  Offline tool(s.text("db"), clock, tool_log(clock));
  auto summary = tool.domains().import_branch(*doc);
  if (!summary) {
    std::cerr << "spotter-cloud import: " << summary.error().message << "\n";
    return 1;
  }
  std::cout << "imported branch " << (*doc)["branch"].value("id", "") << ": " << *summary << "\n";
  return 0;
}

// The key in the file --name names, or empty when not given. Throws a bad-setting message.
std::vector<std::uint8_t> optional_key(const config::Settings& s, const char* name) {
  auto file = s.optional_text(name);
  if (!file) return {};
  auto key = read_key_file(*file);
  if (!key) throw std::runtime_error(std::string("bad setting ") + name + ": " + key.error().message);
  return *key;
}

int keys_rotate(const config::Settings& s) {
  SystemClock clock;
  const auto secrets = optional_key(s, "secrets-key");
  Offline tool(s.text("db"), clock, tool_log(clock));
  if (auto r = rotate_keys(tool.platform().db, clock, secrets); !r) throw std::runtime_error(r.error().message);
  std::cout << "new signing keys added; restart every spotter-cloud serve to sign with them\n";
  return 0;
}

// A new secrets key: every signing key sealed under it instead of the old one.
int keys_rewrap(const config::Settings& s) {
  SystemClock clock;
  const auto old_key = optional_key(s, "secrets-key");
  const auto new_key = optional_key(s, "new-secrets-key");
  Offline tool(s.text("db"), clock, tool_log(clock));
  if (auto r = rewrap_keys(tool.platform().db, old_key, new_key); !r) throw std::runtime_error(r.error().message);
  std::cout << "signing keys sealed " << (new_key.empty() ? "in clear (no --new-secrets-key)" : "under the new secrets key")
            << "; restart every spotter-cloud serve with --secrets-key set to it\n";
  return 0;
}

}  // namespace

int Main(const std::vector<std::string>& args) {
  const std::string command = args.empty() ? "" : args[0];
  if (command == "--version") {
    std::cout << "spotter-cloud " << kVersion << "\n";
    return 0;
  }
  if (command.empty() || command == "--help" || command == "-h") {
    std::cout << config::usage("spotter-cloud serve", kSummary, serve_options());
    return command.empty() ? config::kExitBadSetting : 0;
  }
  std::string name = command;
  std::size_t skip = 1;
  if ((command == "admin" || command == "keys") && args.size() >= 2) {
    name += " " + args[1];
    skip = 2;
  }
  std::vector<Option> opts;
  int (*run)(const config::Settings&) = nullptr;
  if (name == "serve") opts = serve_options(), run = serve;
  else if (name == "migrate") opts = {db_option()}, run = migrate_only;
  else if (name == "admin create") opts = admin_options(), run = admin_create;
  else if (name == "keys rotate") opts = {db_option(), secrets_key_option()}, run = keys_rotate;
  else if (name == "keys rewrap") opts = {db_option(), secrets_key_option(), secrets_key_option("new-secrets-key")}, run = keys_rewrap;
  else if (name == "import") opts = {db_option()}, run = nullptr;
  else return bad(command, "unknown command (see --help)");
  auto parsed = config::parse(opts, {args.begin() + static_cast<std::ptrdiff_t>(skip), args.end()}, config::process_environment());
  if (!parsed) {
    std::cerr << config::format_error("spotter-cloud", parsed.error()) << "\n";
    return config::kExitBadSetting;
  }
  if (parsed->help) {
    std::cout << config::usage("spotter-cloud " + name, kSummary, opts);
    return 0;
  }
  if (parsed->version) {
    std::cout << "spotter-cloud " << kVersion << "\n";
    return 0;
  }
  // A malformed setting stops every command before it touches anything.
  if (auto url = parse_database_url(parsed->settings.text("db")); !url) return bad("db", url.error().message);
  if (name == "serve")
    if (auto p = TrustedProxies::parse(parsed->settings.optional_text("trusted-proxies").value_or("")); !p) return bad("trusted-proxies", p.error().message);
  try {
    if (!run) return import_file(parsed->settings, parsed->positional);
    return run(parsed->settings);
  } catch (const std::exception& e) {
    std::cerr << "spotter-cloud: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace spotter::cloud
