#pragma once
// How simulated devices reach the broker. The Paho adapter implements it for real; tests
// use an in-memory one. Every device has its own connection, as real firmware does.
#include <memory>
#include <string>
#include <vector>

namespace spotter::sim {

struct OutMessage {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = false;
};

struct InMessage {
  std::string topic;
  std::string payload;
};

// Used only from the simulator's thread.
class DeviceConnection {
 public:
  virtual ~DeviceConnection() = default;
  virtual void publish(const OutMessage& message) = 0;
  // A clean disconnect (the broker then does not publish the will).
  virtual void close() = 0;
};

// open() may block until connected. Inbound messages on `subscriptions` are handed to
// the sink given at construction, from the transport's own thread.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::unique_ptr<DeviceConnection> open(const std::string& client_id, const OutMessage& will,
                                                 const std::vector<std::string>& subscriptions) = 0;
};

}  // namespace spotter::sim
