#pragma once
// Program settings per shared/spec/processes.md: an explicit option beats the environment
// (SPOTTER_<NAME>), which beats the --config file. Parsing is pure: the environment and
// the file reader are passed in, so every rule is unit-tested without touching the process.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/result.hpp"

namespace spotter::config {

enum class Kind {
  text,      // any non-empty string
  id,        // [A-Za-z0-9_-]{1,64}
  integer,   // decimal, within [min, max]
  flag,      // --name alone means true; true/false/yes/no/1/0
  duration,  // 250ms, 30s, 5m, 4h, 2d: stored as milliseconds, within [min, max]
  bytes,     // 4096, 64KiB, 512MiB, 2GiB, 1GB: stored as bytes, within [min, max]
  url,       // scheme://host[:port][/path]
  host_port, // HOST:PORT, port 0-65535
};

struct Option {
  std::string name;  // long option without dashes, e.g. "data-dir"
  std::string help;
  Kind kind = Kind::text;
  std::optional<std::string> default_value = std::nullopt;
  bool required = false;
  bool secret = false;  // its value is never echoed (errors, --help, dumps)
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::vector<std::string> choices = {};  // for text: the allowed values, if any
};

enum class Source { defaulted, file, environment, option };

class Settings {
 public:
  bool has(std::string_view name) const;
  // Callers only ask for options they declared; asking for an undeclared or unset
  // required-less option without a default is a programming error (throws).
  const std::string& text(std::string_view name) const;
  std::optional<std::string> optional_text(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;  // integer, duration (ms), bytes
  bool flag(std::string_view name) const;
  Source source(std::string_view name) const;

  void set(std::string name, std::string value, std::int64_t number, Source source);

 private:
  struct Value {
    std::string text;
    std::int64_t number = 0;
    Source source = Source::defaulted;
  };
  std::map<std::string, Value, std::less<>> values_;
};

struct ConfigError {
  std::string setting;  // "--branch", "SPOTTER_BRANCH", "config file /etc/x.conf line 3"
  std::string message;
};

struct ParsedArgs {
  Settings settings;
  std::vector<std::string> positional;
  bool help = false;
  bool version = false;
};

struct Environment {
  std::function<std::optional<std::string>(const std::string&)> get;
  // Reads a whole file; an error message on failure.
  std::function<Result<std::string>(const std::string&)> read_file;
};

// The process's own environment and filesystem.
Environment process_environment();

// `args` excludes the program name and the sub-command. --help/-h and --version are always
// understood; --config FILE (or SPOTTER_CONFIG) names the file.
Result<ParsedArgs, ConfigError> parse(const std::vector<Option>& options,
                                      const std::vector<std::string>& args, const Environment& env);

// One clear line for stderr, e.g.
// "spotter-edge: bad setting --branch (from SPOTTER_BRANCH): must match [A-Za-z0-9_-]{1,64}".
std::string format_error(std::string_view program, const ConfigError& error);

std::string usage(std::string_view program_and_command, std::string_view summary,
                  const std::vector<Option>& options);

std::string env_name(std::string_view option_name);  // "data-dir" -> "SPOTTER_DATA_DIR"

// Value parsers, exposed for reuse and tests. Errors carry a message, not a setting name.
Result<std::int64_t> parse_duration_ms(std::string_view text);
Result<std::int64_t> parse_bytes(std::string_view text);

inline constexpr int kExitBadSetting = 2;

}  // namespace spotter::config
