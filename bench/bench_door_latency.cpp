// Door decision latency as a reader sees it: publish a scan, time until its decision
// arrives (both on the broker). One scan at a time, so each sample is a full round trip.
// Usage: bench_door_latency MQTT_URI BRANCH UIDS_JSON_FILE COUNT
// Prints one JSON object: p50, p90, p99, max in milliseconds.
#include <mqtt/async_client.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "spotter/common/json.hpp"
#include "spotter/common/tcp_nodelay.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 5 && argc != 7) {
    std::fprintf(stderr, "usage: bench_door_latency MQTT_URI BRANCH UIDS.json COUNT [USERNAME PASSWORD_FILE]\n");
    return 2;
  }
  std::string uri = argv[1], branch = argv[2];
  std::ifstream in(argv[3]);
  std::stringstream ss;
  ss << in.rdbuf();
  auto uids = spotter::parse_json_strict(ss.str(), {64u << 20, 4});
  if (!uids || !uids->is_array() || uids->empty()) {
    std::fprintf(stderr, "cannot read the UID list\n");
    return 2;
  }
  const int count = std::atoi(argv[4]);
  // The door "bench-door" itself: with an account, it logs in as the door (its client id and
  // user name), so the broker checks its ACL on every scan and decision.
  mqtt::async_client client(uri, argc == 7 ? argv[5] : "bench-door-latency");
  auto options = mqtt::connect_options_builder();
  if (argc == 7) {
    std::ifstream pw(argv[6]);
    std::string password;
    std::getline(pw, password);
    options.user_name(argv[5]).password(password);
  }
  std::mutex mu;
  std::condition_variable cv;
  std::string awaited;
  bool got = false;
  std::string decision;
  client.set_message_callback([&](mqtt::const_message_ptr m) {
    std::lock_guard lock(mu);
    if (m->to_string().find(awaited) != std::string::npos) {
      got = true;
      decision = m->to_string();
      cv.notify_one();
    }
  });
  client.connect(options.clean_session(true).finalize())->wait();
  // A door reader's own MQTT stack would not add Nagle delays; neither should the probe.
  spotter::set_tcp_nodelay_on_open_sockets();
  const std::string door = "spotter/v1/" + branch + "/doors/bench-door/";
  client.subscribe(door + "decision", 1)->wait();
  std::vector<double> ms;
  int timeouts = 0, granted = 0;
  std::map<std::string, int> refused;  // by reason: the samples are meant to be granted ones
  for (int i = 0; i < count; ++i) {
    // Alternate in and out for the same member, so every decision is a granted one.
    const auto& uid = (*uids)[static_cast<std::size_t>(i / 2) % uids->size()].get<std::string>();
    std::string req = "lat-" + std::to_string(i);
    std::string payload = R"({"req_id":")" + req + R"(","credential":{"kind":"nfc","uid":")" + uid + R"("},"direction":")" +
                          (i % 2 == 0 ? "in" : "out") + "\"}";
    {
      std::lock_guard lock(mu);
      awaited = "\"" + req + "\"";
      got = false;
    }
    auto t0 = Clock::now();
    client.publish(door + "scan", payload.data(), payload.size(), 1, false);
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return got; })) {
      ++timeouts;
      continue;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    auto d = spotter::parse_json_strict(decision);
    if (d && d->is_object() && d->value("granted", false)) ++granted;
    else ++refused[d && d->is_object() && (*d)["reason"].is_string() ? (*d)["reason"].get<std::string>() : "unreadable"];
  }
  client.disconnect()->wait();
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))]; };
  spotter::Json refusals = spotter::Json::object();
  for (const auto& [reason, n] : refused) refusals[reason] = n;
  std::printf("{\"mode\":\"door_latency\",\"samples\":%zu,\"granted\":%d,\"refused\":%s,\"timeouts\":%d,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
              ms.size(), granted, refusals.dump().c_str(), timeouts, pct(0.5), pct(0.9), pct(0.99), ms.empty() ? 0.0 : ms.back());
  // Timed-out samples are not in the percentiles: a run with any is reported as failed.
  return timeouts == 0 ? 0 : 1;
}
