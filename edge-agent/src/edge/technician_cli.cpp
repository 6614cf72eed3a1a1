#include "technician_cli.hpp"

#include <fmt/format.h>

#include <iostream>

#include "../adapters/posix/control_socket.hpp"
#include "../adapters/zxing/qr_image.hpp"
#include "spotter/common/config.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/common/stop_signal.hpp"

namespace spotter::edge {
namespace {
using config::Kind;
using config::Option;

const std::vector<std::string> kCommands = {"status", "machines", "doors", "outbox", "sync", "tail", "scan", "readers", "doctor"};

std::vector<Option> options(const std::string& command) {
  std::vector<Option> o = {
      {.name = "data-dir", .help = "the agent's data directory (finds its control socket)", .kind = Kind::text},
      {.name = "control-socket", .help = "the agent's control socket", .kind = Kind::text},
      {.name = "json", .help = "print the agent's JSON", .kind = Kind::flag, .default_value = "false"},
  };
  if (command == "scan") {
    o.push_back({.name = "door", .help = "the door the credential is presented at", .kind = Kind::id, .required = true});
    o.push_back({.name = "nfc", .help = "an NFC card UID (upper-case hex)", .kind = Kind::text});
    o.push_back({.name = "qr", .help = "a QR code's text", .kind = Kind::text});
    o.push_back({.name = "qr-image", .help = "a PNG of a QR code", .kind = Kind::text});
    o.push_back({.name = "direction", .help = "in or out", .kind = Kind::text, .default_value = "in", .choices = {"in", "out"}});
  }
  return o;
}

std::string cell(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return dump_json(v);
}

void table(const Json& rows, const std::vector<std::pair<const char*, const char*>>& columns) {
  std::vector<std::size_t> width;
  for (const auto& [key, title] : columns) {
    std::size_t w = std::string(title).size();
    for (const auto& r : rows) w = std::max(w, cell(r.value(key, Json())).size());
    width.push_back(w);
  }
  std::string line;
  for (std::size_t i = 0; i < columns.size(); ++i) line += fmt::format("{:<{}}  ", columns[i].second, width[i]);
  std::cout << line << "\n";
  for (const auto& r : rows) {
    line.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) line += fmt::format("{:<{}}  ", cell(r.value(columns[i].first, Json())), width[i]);
    std::cout << line << "\n";
  }
  if (rows.empty()) std::cout << "(none)\n";
}

void print(const std::string& command, const Json& r) {
  if (command == "status") {
    std::cout << fmt::format("branch      {}\nbroker      {} ({})\ncloud       {}\noutbox      {} events, {} bytes, oldest {} s\n"
                             "telemetry   {} stored, {} duplicates\nrejected    {}\ndisk free   {} MiB\nuptime      {} s\nmembers     {}\n",
                             cell(r["branch"]), r["broker"]["connected"].get<bool>() ? "connected" : "NOT CONNECTED", cell(r["broker"]["url"]),
                             cell(r["cloud"]["state"]), cell(r["outbox"]["depth"]), cell(r["outbox"]["bytes"]), cell(r["outbox"]["oldest_age_s"]),
                             cell(r["telemetry"]["stored"]), cell(r["telemetry"]["duplicates"]), cell(r["rejected"]),
                             r["disk_free_bytes"].get<std::int64_t>() / (1 << 20), cell(r["uptime_s"]), cell(r["members"]));
  } else if (command == "machines") {
    table(r["machines"], {{"machine", "MACHINE"}, {"state", "STATE"}, {"type", "TYPE"}, {"member", "MEMBER"}, {"last_heard_s_ago", "HEARD (s ago)"}, {"unattributed", "UNATTRIBUTED"}});
  } else if (command == "doors") {
    table(r["doors"], {{"door", "DOOR"}, {"reader", "READER"}, {"scans", "SCANS"}, {"granted", "GRANTED"}, {"last_scan_s_ago", "LAST SCAN (s ago)"}});
  } else if (command == "outbox") {
    std::cout << fmt::format("{} events ({} bytes, {} evictable), oldest {} s\n", cell(r["depth"]), cell(r["bytes"]), cell(r["evictable_bytes"]),
                             cell(r["oldest_age_s"]));
    for (const auto& [kind, n] : r["by_kind"].items()) std::cout << fmt::format("  {:<18} {}\n", kind, cell(n));
    std::cout << fmt::format("raw telemetry kept: {} rows, {} bytes\n", cell(r["telemetry_rows"]), cell(r["telemetry_bytes"]));
    if (r.contains("quarantined") && r["quarantined"].get<std::int64_t>() > 0) {
      std::cout << fmt::format("refused by the cloud (kept aside, not blocking): {}\n", cell(r["quarantined"]));
      table(r["quarantine_latest"], {{"at", "AT"}, {"kind", "KIND"}, {"event_id", "EVENT"}, {"reason", "REASON"}});
    }
  } else if (command == "sync") {
    if (!r.contains("gateway_id")) {
      std::cout << fmt::format("{}: {}\n", cell(r["state"]), cell(r["detail"]));
    } else {
      std::cout << fmt::format("cloud       {} ({})\ngateway     {}\nlast ok     {}\nlast error  {}\nreplica     version {}\n"
                               "uploaded    {} events, {} refused by the cloud\nbacklog     {} events\ncommands    {} from the cloud\n",
                               cell(r["state"]), cell(r["cloud"]), cell(r["gateway_id"]), cell(r["last_ok_at"]), cell(r["last_error"]),
                               cell(r["replica_version"]), cell(r["uploaded"]), cell(r["quarantined"]), cell(r.value("backlog", Json(nullptr))),
                               cell(r["commands"]));
    }
  } else if (command == "readers") {
    table(r["readers"], {{"reader", "READER"}, {"kind", "KIND"}, {"door", "DOOR"}, {"state", "STATE"}});
    std::cout << cell(r["detail"]) << "\n";
  } else if (command == "scan") {
    const auto& d = r["decision"];
    std::cout << fmt::format("{} ({}){}{}\n", d["granted"].get<bool>() ? "GRANTED" : "DENIED", cell(d["reason"]),
                             d.contains("member") ? "  " + cell(d["member"]["display_name"]) : "",
                             d.contains("session_id") ? "  session " + cell(d["session_id"]) : "");
  } else if (command == "doctor") {
    for (const auto& c : r["checks"]) {
      std::cout << fmt::format("{:<4} {:<9} {}\n", c["ok"].get<bool>() ? "ok" : "FAIL", cell(c["check"]), cell(c["detail"]));
      if (!c["ok"].get<bool>()) std::cout << "     fix: " << cell(c["fix"]) << "\n";
    }
  }
}

}  // namespace

bool is_technician_command(const std::string& command) {
  return std::find(kCommands.begin(), kCommands.end(), command) != kCommands.end();
}

int run_technician_command(const std::string& command, const std::vector<std::string>& args) {
  auto opts = options(command);
  auto parsed = config::parse(opts, args, config::process_environment());
  if (!parsed) {
    std::cerr << config::format_error("spotter-edge", parsed.error()) << "\n";
    return config::kExitBadSetting;
  }
  if (parsed->help) {
    std::cout << config::usage("spotter-edge " + command, "Asks the running agent, through its control socket.", opts);
    return 0;
  }
  const auto& s = parsed->settings;
  auto socket = s.optional_text("control-socket");
  if (!socket) {
    auto dir = s.optional_text("data-dir");
    if (!dir) {
      std::cerr << "spotter-edge: bad setting --data-dir: give --data-dir or --control-socket to find the agent\n";
      return config::kExitBadSetting;
    }
    socket = (std::filesystem::path(*dir) / "control.sock").string();
  }
  if (command == "tail") {
    install_stop_signals();
    auto r = control_tail(*socket, [](const std::string& line) { std::cout << line << std::endl; }, stop_requested());
    if (!r) {
      std::cerr << "spotter-edge tail: " << r.error().message << "\n";
      return 1;
    }
    return 0;
  }
  Json request = {{"cmd", command}};
  if (command == "scan") {
    Json cred;
    if (auto uid = s.optional_text("nfc")) cred = {{"kind", "nfc"}, {"uid", *uid}};
    if (auto qr = s.optional_text("qr")) cred = {{"kind", "qr"}, {"payload", *qr}};
    if (auto image = s.optional_text("qr-image")) {
      auto text = decode_qr_image(*image);
      if (!text) {
        std::cerr << "spotter-edge: bad setting --qr-image: " << text.error().message << "\n";
        return config::kExitBadSetting;
      }
      cred = {{"kind", "qr"}, {"payload", *text}};
    }
    if (cred.is_null()) {
      std::cerr << "spotter-edge: bad setting --nfc: give --nfc UID, --qr TEXT or --qr-image FILE.png\n";
      return config::kExitBadSetting;
    }
    request["door"] = s.text("door");
    request["scan"] = {{"req_id", "cli-" + new_id(0).substr(10)}, {"credential", cred}, {"direction", s.text("direction")}};
  }
  auto reply = control_request(*socket, request);
  if (!reply) {
    std::cerr << "spotter-edge " << command << ": " << reply.error().message << "\n";
    return 1;
  }
  if (!reply->value("ok", false)) {
    std::cerr << "spotter-edge " << command << ": " << reply->value("error", "failed") << "\n";
    return 1;
  }
  if (s.flag("json")) {
    std::cout << reply->dump(2) << "\n";
  } else {
    print(command, *reply);
  }
  if (command == "doctor" && !reply->value("healthy", false)) return 1;
  return 0;
}

}  // namespace spotter::edge
