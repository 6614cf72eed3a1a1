#include "spotter/common/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "spotter/common/ids.hpp"

namespace spotter::config {
namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

Result<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    return fail("bad_number", "must be a whole number");
  }
  return v;
}

// Splits "512MiB" into 512 and "MiB".
Result<std::pair<std::int64_t, std::string_view>> number_and_unit(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0) return fail("bad_number", "must start with a whole number");
  auto n = parse_int(s.substr(0, i));
  if (!n) return Unexpected<Error>{n.error()};
  return std::pair{*n, s.substr(i)};
}

Result<std::int64_t> scaled(std::int64_t n, std::int64_t factor) {
  if (n > std::numeric_limits<std::int64_t>::max() / factor) return fail("too_big", "is too large");
  return n * factor;
}

Result<bool> parse_flag(std::string_view s) {
  if (s == "true" || s == "yes" || s == "1" || s == "on") return true;
  if (s == "false" || s == "no" || s == "0" || s == "off") return false;
  return fail("bad_flag", "must be true or false");
}

const char* kind_hint(Kind k) {
  switch (k) {
    case Kind::id: return "ID";
    case Kind::integer: return "N";
    case Kind::flag: return "";
    case Kind::duration: return "DURATION";
    case Kind::bytes: return "SIZE";
    case Kind::url: return "URL";
    case Kind::host_port: return "HOST:PORT";
    case Kind::text: break;
  }
  return "VALUE";
}

// Converts and checks one value; the message says what is wrong without echoing secrets.
Result<std::int64_t> check_value(const Option& o, const std::string& v) {
  auto range = [&](std::int64_t n) -> Result<std::int64_t> {
    if (n < o.min || n > o.max) {
      return fail("out_of_range", fmt::format("must be between {} and {}", o.min, o.max));
    }
    return n;
  };
  switch (o.kind) {
    case Kind::text:
      if (v.empty()) return fail("empty", "must not be empty");
      if (!o.choices.empty() && std::find(o.choices.begin(), o.choices.end(), v) == o.choices.end()) {
        std::string all;
        for (const auto& c : o.choices) all += (all.empty() ? "" : ", ") + c;
        return fail("bad_choice", "must be one of " + all);
      }
      return 0;
    case Kind::id:
      if (!is_valid_id(v)) return fail("bad_id", "must match [A-Za-z0-9_-]{1,64}");
      return 0;
    case Kind::integer: {
      auto n = parse_int(v);
      if (!n) return n;
      return range(*n);
    }
    case Kind::flag: {
      auto b = parse_flag(v);
      if (!b) return Unexpected<Error>{b.error()};
      return *b ? 1 : 0;
    }
    case Kind::duration: {
      auto n = parse_duration_ms(v);
      if (!n) return n;
      return range(*n);
    }
    case Kind::bytes: {
      auto n = parse_bytes(v);
      if (!n) return n;
      return range(*n);
    }
    case Kind::url: {
      auto p = v.find("://");
      if (p == std::string::npos || p == 0 || p + 3 >= v.size()) {
        return fail("bad_url", "must be a URL such as tcp://127.0.0.1:1883");
      }
      return 0;
    }
    case Kind::host_port: {
      auto p = v.rfind(':');
      if (p == std::string::npos || p == 0) return fail("bad_host_port", "must be HOST:PORT");
      auto port = parse_int(std::string_view(v).substr(p + 1));
      if (!port || *port < 0 || *port > 65535) return fail("bad_port", "port must be 0-65535");
      return *port;
    }
  }
  return 0;
}

const Option* find_option(const std::vector<Option>& options, std::string_view name) {
  for (const auto& o : options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

std::string where(Source s, const Option& o, const std::string& file_where) {
  switch (s) {
    case Source::option: return "--" + o.name;
    case Source::environment: return "--" + o.name + " (from " + env_name(o.name) + ")";
    case Source::file: return "--" + o.name + " (from " + file_where + ")";
    case Source::defaulted: return "--" + o.name + " (default)";
  }
  return "--" + o.name;
}

struct Raw {
  std::string value;
  Source source;
  std::string file_where;
};

Result<void, ConfigError> read_config_file(const std::vector<Option>& options,
                                           const std::string& path, const Environment& env,
                                           std::map<std::string, Raw>& raw) {
  auto text = env.read_file(path);
  if (!text) return Unexpected<ConfigError>{{"--config", "cannot read " + path + ": " + text.error().message}};
  std::size_t line_no = 0, pos = 0;
  const std::string& t = *text;
  while (pos <= t.size()) {
    auto nl = t.find('\n', pos);
    std::string line = trim(std::string_view(t).substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? t.size() + 1 : nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::string at = fmt::format("config file {} line {}", path, line_no);
    auto eq = line.find('=');
    if (eq == std::string::npos) return Unexpected<ConfigError>{{at, "expected name = value"}};
    std::string name = trim(std::string_view(line).substr(0, eq));
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (!find_option(options, name)) return Unexpected<ConfigError>{{at, "unknown setting \"" + name + "\""}};
    raw[name] = Raw{value, Source::file, at};
  }
  return {};
}

}  // namespace

std::string env_name(std::string_view option_name) {
  std::string out = "SPOTTER_";
  for (char c : option_name) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Result<std::int64_t> parse_duration_ms(std::string_view text) {
  auto nu = number_and_unit(text);
  if (!nu) return fail("bad_duration", "must be a duration such as 250ms, 30s, 5m, 4h or 2d");
  auto [n, unit] = *nu;
  if (unit == "ms") return n;
  if (unit == "s") return scaled(n, 1000);
  if (unit == "m") return scaled(n, 60'000);
  if (unit == "h") return scaled(n, 3'600'000);
  if (unit == "d") return scaled(n, 86'400'000);
  return fail("bad_duration", "must be a duration such as 250ms, 30s, 5m, 4h or 2d");
}

Result<std::int64_t> parse_bytes(std::string_view text) {
  auto nu = number_and_unit(text);
  if (!nu) return fail("bad_size", "must be a size such as 4096, 64KiB, 512MiB or 2GiB");
  auto [n, unit] = *nu;
  if (unit.empty() || unit == "B") return n;
  if (unit == "KiB") return scaled(n, 1024);
  if (unit == "MiB") return scaled(n, 1024 * 1024);
  if (unit == "GiB") return scaled(n, std::int64_t{1} << 30);
  if (unit == "kB" || unit == "KB") return scaled(n, 1000);
  if (unit == "MB") return scaled(n, 1000'000);
  if (unit == "GB") return scaled(n, 1000'000'000);
  return fail("bad_size", "must be a size such as 4096, 64KiB, 512MiB or 2GiB");
}

bool Settings::has(std::string_view name) const { return values_.find(name) != values_.end(); }

const std::string& Settings::text(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("setting not available: " + std::string(name));
  return it->second.text;
}

std::optional<std::string> Settings::optional_text(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.text;
}

std::int64_t Settings::integer(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("setting not available: " + std::string(name));
  return it->second.number;
}

bool Settings::flag(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second.number != 0;
}

Source Settings::source(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? Source::defaulted : it->second.source;
}

void Settings::set(std::string name, std::string value, std::int64_t number, Source source) {
  values_[std::move(name)] = Value{std::move(value), number, source};
}

Result<ParsedArgs, ConfigError> parse(const std::vector<Option>& options,
                                      const std::vector<std::string>& args, const Environment& env) {
  ParsedArgs out;
  std::map<std::string, Raw> from_args;
  std::optional<std::string> config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") { out.help = true; continue; }
    if (a == "--version") { out.version = true; continue; }
    if (a == "--") {
      out.positional.insert(out.positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "config") {
      if (!value) {
        if (i + 1 >= args.size()) return Unexpected<ConfigError>{{"--config", "needs a file name"}};
        value = args[++i];
      }
      config_path = *value;
      continue;
    }
    const Option* o = find_option(options, name);
    if (!o) return Unexpected<ConfigError>{{"--" + name, "unknown option (see --help)"}};
    if (!value) {
      if (o->kind == Kind::flag) {
        value = "true";
      } else {
        if (i + 1 >= args.size()) return Unexpected<ConfigError>{{"--" + name, "needs a value"}};
        value = args[++i];
      }
    }
    from_args[name] = Raw{*value, Source::option, {}};
  }
  if (out.help || out.version) return out;

  std::map<std::string, Raw> raw;
  if (!config_path) config_path = env.get(env_name("config"));
  if (config_path) {
    auto r = read_config_file(options, *config_path, env, raw);
    if (!r) return Unexpected<ConfigError>{r.error()};
  }
  for (const auto& o : options) {
    if (auto v = env.get(env_name(o.name))) raw[o.name] = Raw{*v, Source::environment, {}};
  }
  for (auto& [k, v] : from_args) raw[k] = v;

  for (const auto& o : options) {
    auto it = raw.find(o.name);
    Raw r;
    if (it != raw.end()) {
      r = it->second;
    } else if (o.default_value) {
      r = Raw{*o.default_value, Source::defaulted, {}};
    } else if (o.required) {
      return Unexpected<ConfigError>{{"--" + o.name, "is required (or set " + env_name(o.name) + ")"}};
    } else {
      continue;
    }
    auto n = check_value(o, r.value);
    if (!n) return Unexpected<ConfigError>{{where(r.source, o, r.file_where), n.error().message}};
    out.settings.set(o.name, r.value, *n, r.source);
  }
  return out;
}

std::string format_error(std::string_view program, const ConfigError& error) {
  return fmt::format("{}: bad setting {}: {}", program, error.setting, error.message);
}

std::string usage(std::string_view program_and_command, std::string_view summary,
                  const std::vector<Option>& options) {
  std::string out = fmt::format("Usage: {} [options]\n\n{}\n\nOptions (each also as SPOTTER_<NAME> or in --config FILE):\n",
                                program_and_command, summary);
  for (const auto& o : options) {
    std::string head = "  --" + o.name;
    if (o.kind != Kind::flag) head += std::string(" ") + kind_hint(o.kind);
    out += fmt::format("{:<34} {}", head, o.help);
    if (o.default_value && !o.secret) out += fmt::format(" [default: {}]", *o.default_value);
    if (o.required) out += " (required)";
    out += '\n';
  }
  out += fmt::format("{:<34} {}\n{:<34} {}\n{:<34} {}\n", "  --config FILE",
                     "read settings from FILE (name = value lines)", "  --help", "show this help",
                     "  --version", "show the version");
  return out;
}

}  // namespace spotter::config
