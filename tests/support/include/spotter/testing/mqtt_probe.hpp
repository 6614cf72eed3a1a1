#pragma once
// An MQTT client for tests (Paho): subscribes, records every message, publishes.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace spotter::testing {

struct Received {
  std::string topic;
  std::string payload;
  bool retained = false;
  int qos = 0;
};

class MqttProbe {
 public:
  // With a username, logs in with it (a broker with accounts); throws if the broker refuses.
  MqttProbe(const std::string& uri, const std::string& client_id, const std::string& username = "", const std::string& password = "");
  ~MqttProbe();
  void subscribe(const std::string& filter, int qos = 1);
  void publish(const std::string& topic, const std::string& payload, int qos = 1, bool retained = false);
  std::vector<Received> messages() const;
  std::size_t count(const std::function<bool(const Received&)>& pred) const;
  // Waits until at least `n` recorded messages satisfy `pred`.
  bool wait_for(const std::function<bool(const Received&)>& pred, std::size_t n, std::chrono::milliseconds timeout) const;
  void clear();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spotter::testing
