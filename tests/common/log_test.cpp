#include <doctest/doctest.h>

#include <thread>

#include "spotter/common/json.hpp"
#include "spotter/common/log.hpp"

using namespace spotter;

TEST_CASE("each log call writes one JSON object on one line") {
  auto sink = std::make_shared<MemoryLogSink>();
  ManualClock clock(1'763'737'840'123);
  Logger log("edge", sink, clock, LogLevel::debug);
  log.info("door decision", {{"door", "front"}, {"granted", true}, {"latency_ms", 1.5}, {"note", "line\nbreak \"q\""}});
  auto lines = sink->lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].back() == '\n');
  CHECK(lines[0].find('\n') == lines[0].size() - 1);
  auto j = parse_json_strict(lines[0]);
  REQUIRE(j.ok());
  CHECK((*j)["ts"] == "2025-11-21T15:10:40.123Z");
  CHECK((*j)["level"] == "info");
  CHECK((*j)["component"] == "edge");
  CHECK((*j)["msg"] == "door decision");
  CHECK((*j)["door"] == "front");
  CHECK((*j)["granted"] == true);
  CHECK((*j)["note"] == "line\nbreak \"q\"");
  CHECK(lines[0].rfind("{\"ts\":", 0) == 0);
}

TEST_CASE("levels below the minimum are dropped") {
  auto sink = std::make_shared<MemoryLogSink>();
  ManualClock clock;
  Logger log("x", sink, clock, LogLevel::warn);
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  CHECK(sink->lines().size() == 2);
  CHECK(parse_log_level("warn").value() == LogLevel::warn);
  CHECK_FALSE(parse_log_level("loud").ok());
}

TEST_CASE("fields named like secrets are redacted, in calls and in context") {
  auto sink = std::make_shared<MemoryLogSink>();
  ManualClock clock;
  Logger log = Logger("cloud", sink, clock).with({{"gateway_secret", "gw-s3cret"}, {"branch", "b1"}});
  log.warn("login", {{"password", "hunter2"}, {"refresh_token", "rt-abc"}, {"Authorization", "Bearer x"}, {"api_key", 5}});
  auto line = sink->lines().at(0);
  for (const char* leaked : {"gw-s3cret", "hunter2", "rt-abc", "Bearer x"}) {
    CAPTURE(leaked);
    CHECK(line.find(leaked) == std::string::npos);
  }
  auto j = parse_json_strict(line).value();
  CHECK(j["password"] == "[redacted]");
  CHECK(j["api_key"] == "[redacted]");
  CHECK(j["branch"] == "b1");
}

TEST_CASE("lines from many threads never interleave") {
  auto sink = std::make_shared<MemoryLogSink>();
  SystemClock clock;
  Logger log("t", sink, clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) log.info("m", {{"t", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  auto lines = sink->lines();
  CHECK(lines.size() == 800);
  for (const auto& l : lines) CHECK(parse_json_strict(l).ok());
}

TEST_CASE("RFC 3339 timestamps") {
  CHECK(format_rfc3339_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339_ms(951'782'400'999) == "2000-02-29T00:00:00.999Z");
  CHECK(format_rfc3339_ms(-1) == "1969-12-31T23:59:59.999Z");
}
