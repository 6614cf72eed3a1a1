#include <doctest/doctest.h>

#include <map>

#include "spotter/common/config.hpp"

using namespace spotter::config;

namespace {
struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::map<std::string, std::string> files;
  Environment env() const {
    Environment e;
    e.get = [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    e.read_file = [this](const std::string& p) -> spotter::Result<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return spotter::fail("io", "no such file");
      return it->second;
    };
    return e;
  }
};

std::vector<Option> options() {
  return {
      {.name = "branch", .help = "branch id", .kind = Kind::id, .required = true},
      {.name = "mqtt", .help = "broker", .kind = Kind::url, .default_value = "tcp://127.0.0.1:1883"},
      {.name = "group-commit", .help = "window", .kind = Kind::duration, .default_value = "100ms", .min = 1, .max = 10'000},
      {.name = "outbox-budget", .help = "bytes", .kind = Kind::bytes, .default_value = "512MiB"},
      {.name = "machines", .help = "count", .kind = Kind::integer, .default_value = "10", .min = 0, .max = 5000},
      {.name = "json", .help = "json output", .kind = Kind::flag, .default_value = "false"},
      {.name = "gateway-secret", .help = "secret", .kind = Kind::text, .secret = true},
      {.name = "listen", .help = "addr", .kind = Kind::host_port, .default_value = "127.0.0.1:0"},
      {.name = "level", .help = "log level", .kind = Kind::text, .default_value = "info", .choices = {"debug", "info"}},
  };
}
}  // namespace

TEST_CASE("an option beats the environment, which beats the file, which beats the default") {
  FakeEnv fe;
  fe.files["/etc/spotter.conf"] = "# comment\nbranch = from-file\nmachines = 3\nmqtt = tcp://file:1\n\nlevel = \"debug\"\n";
  fe.vars["SPOTTER_MACHINES"] = "4";
  fe.vars["SPOTTER_MQTT"] = "tcp://env:1";
  auto r = parse(options(), {"--config", "/etc/spotter.conf", "--mqtt=tcp://opt:1"}, fe.env());
  REQUIRE(r.ok());
  const auto& s = r->settings;
  CHECK(s.text("branch") == "from-file");
  CHECK(s.source("branch") == Source::file);
  CHECK(s.integer("machines") == 4);
  CHECK(s.source("machines") == Source::environment);
  CHECK(s.text("mqtt") == "tcp://opt:1");
  CHECK(s.source("mqtt") == Source::option);
  CHECK(s.integer("group-commit") == 100);
  CHECK(s.source("group-commit") == Source::defaulted);
  CHECK(s.integer("outbox-budget") == 512LL * 1024 * 1024);
  CHECK(s.text("level") == "debug");
  CHECK_FALSE(s.has("gateway-secret"));
}

TEST_CASE("SPOTTER_CONFIG names the file when --config is absent") {
  FakeEnv fe;
  fe.files["/x.conf"] = "branch=b1\n";
  fe.vars["SPOTTER_CONFIG"] = "/x.conf";
  auto r = parse(options(), {}, fe.env());
  REQUIRE(r.ok());
  CHECK(r->settings.text("branch") == "b1");
}

TEST_CASE("flags, positional arguments, help and version") {
  FakeEnv fe;
  auto r = parse(options(), {"--branch", "b1", "--json", "extra", "--", "--not-an-option"}, fe.env());
  REQUIRE(r.ok());
  CHECK(r->settings.flag("json"));
  CHECK(r->positional == std::vector<std::string>{"extra", "--not-an-option"});
  auto h = parse(options(), {"--help"}, fe.env());
  REQUIRE(h.ok());
  CHECK(h->help);  // help works even when required settings are missing
  CHECK(parse(options(), {"--version"}, fe.env())->version);
}

TEST_CASE("each bad setting is named, with where it came from") {
  FakeEnv fe;
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> vars;
    std::string setting;
  };
  const Case cases[] = {
      {{}, {}, "--branch"},                                              // missing required
      {{"--branch", "bad/id"}, {}, "--branch"},                          // not an id
      {{}, {{"SPOTTER_BRANCH", "has space"}}, "--branch (from SPOTTER_BRANCH)"},
      {{"--branch", "b", "--machines", "x"}, {}, "--machines"},
      {{"--branch", "b", "--machines", "5001"}, {}, "--machines"},
      {{"--branch", "b", "--group-commit", "5"}, {}, "--group-commit"},  // no unit
      {{"--branch", "b", "--group-commit", "11s"}, {}, "--group-commit"},
      {{"--branch", "b", "--outbox-budget", "12XB"}, {}, "--outbox-budget"},
      {{"--branch", "b", "--mqtt", "localhost"}, {}, "--mqtt"},
      {{"--branch", "b", "--listen", "host:99999"}, {}, "--listen"},
      {{"--branch", "b", "--level", "trace"}, {}, "--level"},
      {{"--branch", "b", "--json=maybe"}, {}, "--json"},
      {{"--branch", "b", "--nope"}, {}, "--nope"},
      {{"--branch"}, {}, "--branch"},
      {{"--config", "/missing"}, {}, "--config"},
  };
  for (const auto& c : cases) {
    FakeEnv e;
    e.vars = c.vars;
    CAPTURE(c.setting);
    auto r = parse(options(), c.args, e.env());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().setting == c.setting);
    std::string line = format_error("spotter-edge", r.error());
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.rfind("spotter-edge: bad setting ", 0) == 0);
  }
}

TEST_CASE("config file errors name the file and line; unknown names are refused") {
  FakeEnv fe;
  fe.files["/c"] = "branch = b\nbrnach = typo\n";
  auto r = parse(options(), {"--config", "/c"}, fe.env());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().setting == "config file /c line 2");
  fe.files["/d"] = "branch b\n";
  CHECK(parse(options(), {"--config", "/d"}, fe.env()).error().setting == "config file /d line 1");
  fe.files["/e"] = "branch = b\nmachines = -1\n";
  CHECK(parse(options(), {"--config", "/e"}, fe.env()).error().setting == "--machines (from config file /e line 2)");
}

TEST_CASE("a secret's value never appears in an error") {
  std::vector<Option> opts = {{.name = "gateway-secret", .kind = Kind::integer, .secret = true}};
  FakeEnv fe;
  auto r = parse(opts, {"--gateway-secret", "s3cr3t-value"}, fe.env());
  REQUIRE_FALSE(r.ok());
  CHECK(format_error("p", r.error()).find("s3cr3t") == std::string::npos);
  CHECK(usage("p run", "x", {{.name = "gateway-secret", .default_value = "dflt-secret", .secret = true}}).find("dflt-secret") ==
        std::string::npos);
}

TEST_CASE("durations and sizes") {
  CHECK(*parse_duration_ms("250ms") == 250);
  CHECK(*parse_duration_ms("30s") == 30'000);
  CHECK(*parse_duration_ms("4h") == 14'400'000);
  CHECK(*parse_duration_ms("2d") == 172'800'000);
  CHECK_FALSE(parse_duration_ms("-1s").ok());
  CHECK_FALSE(parse_duration_ms("1.5s").ok());
  CHECK_FALSE(parse_duration_ms("99999999999999999999d").ok());
  CHECK(*parse_bytes("4096") == 4096);
  CHECK(*parse_bytes("64KiB") == 65536);
  CHECK(*parse_bytes("1GB") == 1'000'000'000);
  CHECK_FALSE(parse_bytes("9223372036854775807GiB").ok());
  CHECK(env_name("data-dir") == "SPOTTER_DATA_DIR");
}
