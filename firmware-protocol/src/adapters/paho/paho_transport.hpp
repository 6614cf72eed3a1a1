#pragma once
// Simulated devices on real MQTT: one Paho async_client per device, client id = device id,
// the device's last will, automatic reconnect, and subscriptions renewed on every connect
// (devices use clean sessions). Paho's callbacks run on Paho's threads and only hand
// messages to the sink.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "spotter/common/log.hpp"
#include "spotter/protocol/sim/transport.hpp"

namespace spotter::sim {

class PahoTransport final : public Transport {
 public:
  using Sink = std::function<void(InMessage)>;
  PahoTransport(std::string server_uri, Sink sink, Logger log);
  // Starts connecting and returns at once; what is published meanwhile is buffered.
  std::unique_ptr<DeviceConnection> open(const std::string& client_id, const OutMessage& will,
                                         const std::vector<std::string>& subscriptions) override;
  // Waits until every connection opened so far is up. Throws std::runtime_error when the
  // broker cannot be reached (a start-up error). The connections must still exist.
  void wait_connected(std::chrono::milliseconds timeout);
  // Broker accounts (spotter-edge devices export's devices.csv): each device logs in as its
  // id with its password. Set before open(); a device without one then fails to open.
  void set_passwords(std::map<std::string, std::string> passwords) { passwords_ = std::move(passwords); }
  std::uint64_t publish_failures() const { return publish_failures_.load(); }

 private:
  std::string uri_;
  Sink sink_;
  Logger log_;
  std::atomic<std::uint64_t> publish_failures_{0};
  std::vector<DeviceConnection*> opened_;
  std::map<std::string, std::string> passwords_;
  // Shutdown: every connection's goodbye shares one deadline, set by the first close(), so
  // stopping takes a few seconds however many devices there are, also when the broker went
  // away at the same moment (a terminal's Ctrl-C reaches both).
  std::shared_ptr<std::atomic<std::int64_t>> goodbye_deadline_ns_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

}  // namespace spotter::sim
