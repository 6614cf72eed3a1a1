// Codec throughput: how many payloads per second one core decodes (parse + validate) and
// encodes, per message type, plus the cost of the strict parser over plain nlohmann.
// Prints one JSON object per line.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/protocol/codec.hpp"

using namespace spotter;
using namespace spotter::protocol;
using Clock = std::chrono::steady_clock;

namespace {
volatile std::size_t g_sink = 0;  // keeps the optimizer from removing the work

template <class F>
void measure(const char* name, std::size_t bytes, F&& f) {
  // Warm up, then run for about half a second.
  for (int i = 0; i < 1000; ++i) f();
  std::size_t n = 0;
  auto start = Clock::now();
  auto stop = start + std::chrono::milliseconds(500);
  while (Clock::now() < stop) {
    for (int i = 0; i < 1000; ++i) f();
    n += 1000;
  }
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"bench\":\"%s\",\"payload_bytes\":%zu,\"per_second\":%.0f,\"ns_per_op\":%.0f}\n", name, bytes,
              static_cast<double>(n) / s, s * 1e9 / static_cast<double>(n));
}
}  // namespace

int main() {
  const std::string telemetry =
      R"({"msg_id":1042,"ts":1763737841000,"boot_id":"b7f3a9","metrics":{"speed_kmh":10.5,"heart_rate_bpm":142,"distance_m":2450.0,"elapsed_s":840}})";
  const std::string workout =
      R"({"msg_id":78,"ts_start":1763737700000,"ts_end":1763737790000,"category":"strength","exercise":"leg_press","sets":[{"reps":10,"weight_kg":120},{"reps":8,"weight_kg":140}]})";
  const std::string scan = R"({"req_id":"s-9001","credential":{"kind":"nfc","uid":"04A1B2C3D4E5F6"},"direction":"in","ts":1763737840123})";
  const std::string status = R"({"state":"in_use","ts":1763737840123,"category":"cardio","type":"treadmill","fw":"2.4.1"})";
  const std::string broken = R"({"msg_id":1042,"ts":1763737841000,"metrics":{"speed_kmh":99}})";

  measure("decode_telemetry", telemetry.size(), [&] { g_sink = g_sink + decode_telemetry(telemetry, Category::cardio).ok(); });
  measure("decode_workout", workout.size(), [&] { g_sink = g_sink + decode_workout(workout).ok(); });
  measure("decode_scan", scan.size(), [&] { g_sink = g_sink + decode_door_scan(scan).ok(); });
  measure("decode_status", status.size(), [&] { g_sink = g_sink + decode_machine_status(status).ok(); });
  measure("reject_out_of_range", broken.size(), [&] { g_sink = g_sink + decode_telemetry(broken).ok(); });
  measure("parse_topic", 40, [&] { g_sink = g_sink + parse_topic("spotter/v1/downtown/machines/treadmill-01/telemetry").ok(); });
  auto t = decode_telemetry(telemetry).value();
  measure("encode_telemetry", telemetry.size(), [&] { g_sink = g_sink + encode(t).size(); });
  DoorDecision d{"s-9001", true, Reason::ok, "ses_01JD2", "Ana M."};
  measure("encode_decision", 90, [&] { g_sink = g_sink + encode(d).size(); });
  measure("json_strict_parse", telemetry.size(), [&] { g_sink = g_sink + parse_json_strict(telemetry).ok(); });
  measure("json_plain_parse", telemetry.size(), [&] { g_sink = g_sink + Json::parse(telemetry).size(); });
  return 0;
}
