#pragma once
// The agent's telemetry connection: a second MQTT session (client id
// "spotter-edge-<branch>-ingest", persistent) subscribed to telemetry and workouts only,
// read with the minimal MQTT reader so that acknowledging is ours: every PUBLISH available
// is written to the inbound journal in one write, handed to the store thread, and only then
// acknowledged, in one batch of PUBACKs. Paho's client does the same job at a fraction of the
// rate (BENCHMARKS.md); doors, machines and replies stay on the Paho connection.
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inbound_journal.hpp"
#include "spotter/common/log.hpp"
#include "spotter/protocol/raw_mqtt.hpp"

namespace spotter::edge {

struct IngestMessage {
  std::string topic;
  std::string payload;
  std::int64_t received_at_ms = 0;
  JournalPosition journal_end;
};

class IngestConnection {
 public:
  using Sink = std::function<void(std::vector<IngestMessage>&&)>;
  // `intake` is held across the journal write and the hand-over, and must be held the same
  // way by every other writer of the journal, so the store thread sees messages in journal
  // order (its "applied up to here" mark depends on it).
  // `wait_for_room` is called before each batch is journaled, outside the lock: it blocks
  // while the store thread is behind, so a flood waits in the broker, not in memory.
  IngestConnection(std::string uri, std::string client_id, std::vector<std::string> filters, InboundJournal& journal,
                   std::mutex& intake, std::function<std::int64_t()> now_ms, Sink sink, std::function<void()> wait_for_room,
                   Logger log, sim::MqttLogin login = {}, std::string ca_file = "");
  ~IngestConnection();
  void start();
  void stop();
  bool connected() const { return connected_.load(); }

 private:
  void run();

  std::string uri_, client_id_;
  std::vector<std::string> filters_;
  InboundJournal& journal_;
  std::mutex& intake_;
  std::function<std::int64_t()> now_ms_;
  Sink sink_;
  std::function<void()> wait_for_room_;
  Logger log_;
  sim::MqttLogin login_;
  std::string ca_file_;  // mqtts://: the CA to check the broker against (empty: the system's)
  std::atomic<bool> stop_{false}, connected_{false};
  std::thread thread_;
  std::atomic<void*> current_{nullptr};  // the live connection, for stop() to shut down
};

}  // namespace spotter::edge
