#include "drain.hpp"

#include <chrono>
#include <stdexcept>

#include "spotter/protocol/raw_mqtt.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::sim {

DrainResult run_drain(const std::string& uri, const std::string& filter, std::uint64_t count, int idle_ms, bool decode) {
  using Clock = std::chrono::steady_clock;
  RawMqtt mqtt;
  if (auto s = mqtt.connect(uri, "sim-drain-" + std::to_string(Clock::now().time_since_epoch().count() % 1000000)); !s) {
    throw std::runtime_error(s.error().message);
  }
  if (auto s = mqtt.subscribe(filter, 1, 1); !s) throw std::runtime_error(s.error().message);
  mqtt.set_read_timeout_ms(idle_ms * 10);
  DrainResult r;
  Clock::time_point first, last;
  while (count == 0 || r.received < count) {
    auto p = mqtt.read_packet();
    if (!p) break;  // closed, or silent for the read timeout
    if (p->type != 3) continue;  // only PUBLISH counts
    const std::string& b = p->body;
    if (b.size() < 2) continue;
    std::size_t topic_len = static_cast<std::size_t>(static_cast<std::uint8_t>(b[0]) << 8 | static_cast<std::uint8_t>(b[1]));
    std::size_t pos = 2 + topic_len;
    int qos = (p->flags >> 1) & 3;
    if (qos > 0 && pos + 2 <= b.size()) {
      mqtt.add_puback(static_cast<std::uint16_t>(static_cast<std::uint8_t>(b[pos]) << 8 | static_cast<std::uint8_t>(b[pos + 1])));
      pos += 2;
    }
    if (r.received == 0) {
      first = Clock::now();
      mqtt.set_read_timeout_ms(idle_ms);
    }
    last = Clock::now();
    ++r.received;
    if (decode && pos <= b.size()) {
      auto topic = protocol::parse_topic(std::string_view(b).substr(2, topic_len));
      if (!topic || !protocol::decode(topic->type, std::string_view(b).substr(pos))) ++r.malformed;
    }
    if (!mqtt.has_buffered_input()) (void)mqtt.flush();
  }
  (void)mqtt.flush();
  (void)mqtt.disconnect();
  r.seconds = r.received > 1 ? std::chrono::duration<double>(last - first).count() : 0;
  return r;
}

}  // namespace spotter::sim
