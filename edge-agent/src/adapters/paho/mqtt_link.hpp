#pragma once
// The agent's one connection to the branch broker (Paho MQTT C++): client id
// "spotter-edge-<branch>", a persistent session (clean_session=false) so QoS 1 messages
// published while the agent restarts wait for it, subscriptions at QoS 1, and automatic
// reconnect. Paho's callbacks run on Paho's thread and only hand messages to the sink.
// Paho sends the PUBACK for a QoS 1 message after the sink returns: the sink must make the
// message durable (the inbound journal) before returning.
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "spotter/common/json.hpp"
#include "spotter/common/log.hpp"
#include "spotter/edge/ingest.hpp"
#include "spotter/protocol/raw_mqtt.hpp"

namespace spotter::edge {

struct InboundMessage {
  std::string topic;
  std::string payload;
  bool duplicate = false;  // MQTT DUP flag: a redelivery
  // Filled in by the agent once the message is in the inbound journal.
  std::int64_t received_at_ms = 0;
  JournalPosition journal_end;
  bool replayed = false;  // read back from the journal after a restart
  bool urgent = false;    // a door scan or machine tap: handled ahead of telemetry
  // A technician's request from the control socket, answered by the store thread.
  std::shared_ptr<std::promise<Json>> control;
  Json control_request;
};

class MqttLink {
 public:
  using Sink = std::function<void(InboundMessage)>;
  // `uri` tcp://HOST:PORT or mqtts://HOST:PORT (the certificate checked against `ca_file`,
  // or the system's store when empty, and against HOST).
  MqttLink(std::string uri, std::string client_id, std::vector<std::string> filters, Sink sink, Logger log,
           sim::MqttLogin login = {}, const std::string& ca_file = "");
  ~MqttLink();
  // Blocks until connected or `timeout_ms` passes; false if not connected yet (the link
  // keeps trying in the background).
  bool start(int timeout_ms);
  // QoS 1; thread-safe. False when the message could not be queued.
  bool publish(const std::string& topic, const std::string& payload, bool retained = false);
  bool connected() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spotter::edge
