#include "device_accounts_command.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "private_files.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/json.hpp"
#include "spotter/edge/device_accounts.hpp"
#include "spotter/edge/sqlite_store.hpp"

namespace spotter::edge {
namespace {

using config::Kind;
namespace fs = std::filesystem;

// mosquitto_passwd's default. The passwords are 192 random bits, so a costlier hash would
// add nothing against guessing, and a gateway checks a whole branch reconnecting at once fast.
constexpr unsigned kIterations = 101;
constexpr std::size_t kSaltBytes = 12, kHashBytes = 64, kPasswordBytes = 24;

struct AccountKeys {
  crypto::Bytes key;
  Json generations = Json::object();  // device id -> times rotated
};

fs::path data_dir(const config::Settings& s) { return fs::path(s.text("data-dir")); }

AccountKeys load_accounts(const config::Settings& s) {
  AccountKeys a;
  a.key = load_key_file((data_dir(s) / "mqtt-accounts.key").string(), true, "broker account key");
  if (auto text = config::process_environment().read_file((data_dir(s) / "mqtt-accounts.json").string())) {
    auto doc = parse_json_strict(*text);
    if (!doc || !doc->is_object() || !doc->contains("generations") || !(*doc)["generations"].is_object())
      throw std::runtime_error("mqtt-accounts.json in the data directory is damaged; restore it from a backup");
    a.generations = (*doc)["generations"];
  }
  return a;
}

std::int64_t generation_of(const AccountKeys& a, const std::string& account) {
  auto it = a.generations.find(account);
  return it != a.generations.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string password_for(const AccountKeys& a, const std::string& branch, const std::string& account) {
  const std::string what = "spotter broker password\n" + branch + "\n" + account + "\n" + std::to_string(generation_of(a, account));
  const auto mac = crypto::hmac_sha256(a.key, crypto::as_bytes(what));
  return base64url_encode(crypto::ByteView(mac.data(), kPasswordBytes));
}

std::string password_line(const std::string& account, const std::string& password) {
  const auto salt = crypto::random_bytes(kSaltBytes);
  const auto hash = crypto::pbkdf2_sha512(crypto::as_bytes(password), salt, kIterations, kHashBytes);
  return mosquitto_password_line(account, kIterations, base64_encode(salt), base64_encode(hash));
}

std::vector<std::string> split_ids(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string id; std::getline(in, id, ',');)
    if (!id.empty()) out.push_back(id);
  return out;
}

int export_accounts(const config::Settings& s) {
  if (!s.has("out")) {
    std::cerr << "spotter-edge: bad setting --out: devices export needs the directory to write to\n";
    return config::kExitBadSetting;
  }
  SqliteEdgeStore store(data_dir(s) / "edge.db");
  const auto branch = store.branch();
  if (!branch) {
    std::cerr << "spotter-edge devices export: no replica in " << s.text("data-dir") << " yet (import it or let the agent sync first)\n";
    return 1;
  }
  std::vector<BrokerDevice> devices;
  for (const auto& m : store.machine_registry()) devices.push_back({m.id, protocol::DeviceKind::machine});
  std::set<std::string> doors;
  for (const auto& d : store.doors_seen()) doors.insert(d);
  if (s.has("doors"))
    for (const auto& d : split_ids(s.text("doors"))) doors.insert(d);
  for (const auto& d : doors) devices.push_back({d, protocol::DeviceKind::door});
  if (auto ok = check_broker_devices(devices); !ok) {
    std::cerr << "spotter-edge devices export: " << ok.error().message << "\n";
    return 1;
  }
  const auto accounts = load_accounts(s);
  const std::string agent(kAgentAccount);
  const auto agent_password = password_for(accounts, branch->id, agent);
  std::string passwd = password_line(agent, agent_password);
  std::string csv = "device_id,username,password\n";
  for (const auto& d : devices) {
    const auto password = password_for(accounts, branch->id, d.id);
    passwd += password_line(d.id, password);
    csv += d.id + "," + d.id + "," + password + "\n";
  }
  const fs::path out(s.text("out"));
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) {
    std::cerr << "spotter-edge devices export: cannot create " << out.string() << ": " << ec.message() << "\n";
    return 1;
  }
  write_private_file((out / "mosquitto.passwd").string(), passwd);
  write_private_file((out / "mosquitto.acl").string(), mosquitto_acl(branch->id, devices));
  write_private_file((out / "devices.csv").string(), csv);
  write_private_file((out / "agent.password").string(), agent_password + "\n");
  std::cout << "branch " << branch->id << ": accounts for " << devices.size() - doors.size() << " machines, " << doors.size()
            << " doors and the agent (" << agent << ") in " << out.string()
            << "\n  mosquitto.passwd, mosquitto.acl: the broker's password_file and acl_file (reload mosquitto)"
               "\n  devices.csv: each device's password, for provisioning"
               "\n  agent.password: for spotter-edge run --mqtt-username "
            << agent << " --mqtt-password-file\n";
  return 0;
}

int rotate_account(const config::Settings& s) {
  if (!s.has("device")) {
    std::cerr << "spotter-edge: bad setting --device: devices rotate needs the device (or " << kAgentAccount << ")\n";
    return config::kExitBadSetting;
  }
  auto accounts = load_accounts(s);
  const auto& device = s.text("device");
  accounts.generations[device] = generation_of(accounts, device) + 1;
  write_private_file((data_dir(s) / "mqtt-accounts.json").string(), Json{{"generations", accounts.generations}}.dump() + "\n");
  std::cout << device << " has a new password from the next `spotter-edge devices export`\n";
  return 0;
}

}  // namespace

std::vector<config::Option> devices_options() {
  return {{.name = "data-dir", .help = "the agent's data directory", .kind = Kind::text, .required = true},
          {.name = "out", .help = "export: where to write mosquitto.passwd, mosquitto.acl, devices.csv and agent.password", .kind = Kind::text},
          {.name = "doors", .help = "export: door readers to add to those that have scanned here (comma-separated ids)", .kind = Kind::text},
          {.name = "device", .help = "rotate: the device whose password changes", .kind = Kind::id}};
}

int devices_command(const config::Settings& s, const std::vector<std::string>& positional) {
  const std::string what = positional.empty() ? "" : positional[0];
  if (positional.size() == 1 && what == "export") return export_accounts(s);
  if (positional.size() == 1 && what == "rotate") return rotate_account(s);
  std::cerr << "spotter-edge: bad setting devices: say `devices export --out DIR` or `devices rotate --device ID`\n";
  return config::kExitBadSetting;
}

}  // namespace spotter::edge
