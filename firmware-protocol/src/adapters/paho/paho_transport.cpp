#include "paho_transport.hpp"

#include <chrono>
#include <stdexcept>

#include <mqtt/async_client.h>

namespace spotter::sim {
namespace {

constexpr int kMaxBufferedWhileDisconnected = 10'000;

// Messages published before the first connect completes, or while reconnecting, are
// buffered (as firmware does), which also lets every device connect at once: Paho C
// 1.3.12 takes about 2 s for each connect after the first when they are sequential
// (eclipse-paho/paho.mqtt.c#1430), so the simulator never waits for one at a time.
mqtt::create_options create_options() {
  mqtt::create_options o(MQTTVERSION_3_1_1, kMaxBufferedWhileDisconnected);
  o.set_send_while_disconnected(true, true);
  return o;
}

class PahoConnection final : public DeviceConnection {
 public:
  PahoConnection(const std::string& uri, const std::string& id, const OutMessage& will,
                 std::vector<std::string> subscriptions, PahoTransport::Sink sink, Logger log,
                 std::atomic<std::uint64_t>& failures, std::shared_ptr<std::atomic<std::int64_t>> goodbye_deadline_ns,
                 const std::string* password)
      : client_(uri, id, create_options()),
        subscriptions_(std::move(subscriptions)),
        log_(log.with({{"device", id}})),
        failures_(failures),
        goodbye_deadline_ns_(std::move(goodbye_deadline_ns)) {
    client_.set_message_callback([sink](mqtt::const_message_ptr m) {
      sink(InMessage{m->get_topic(), m->to_string()});
    });
    client_.set_connected_handler([this](const std::string&) {
      // Clean session: the broker forgot our subscriptions, so renew them every time.
      for (const auto& topic : subscriptions_) {
        try {
          client_.subscribe(topic, 1);
        } catch (const mqtt::exception& e) {
          log_.warn("subscribe failed", {{"topic", topic}, {"error", e.what()}});
        }
      }
    });
    client_.set_connection_lost_handler([this](const std::string& cause) {
      log_.warn("connection lost, reconnecting", {{"cause", cause}});
    });
    auto builder = mqtt::connect_options_builder();
    if (password) builder.user_name(id).password(*password);
    auto opts = builder
                    .clean_session(true)
                    .keep_alive_interval(std::chrono::seconds(30))
                    .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30))
                    .will(mqtt::message(will.topic, will.payload, will.qos, will.retained))
                    .finalize();
    connect_ = client_.connect(opts);
  }

  // Waits for the disconnect that close() started, so Paho is idle before it is destroyed,
  // but not past the transport's shared deadline: a disconnect whose broker died meanwhile
  // never completes, and waiting 3 s for each of 14 devices in turn hung a Ctrl-C.
  ~PahoConnection() override {
    try {
      const auto left = std::chrono::nanoseconds(goodbye_deadline_ns_->load()) - std::chrono::steady_clock::now().time_since_epoch();
      if (disconnect_ && left.count() > 0) disconnect_->wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(left));
    } catch (const mqtt::exception&) {
    }
  }

  bool wait_connected(std::chrono::milliseconds timeout, std::string& error) {
    try {
      if (connect_->wait_for(timeout)) return true;
      error = "timed out";
    } catch (const mqtt::exception& e) {
      error = e.what();
    }
    return false;
  }

  void publish(const OutMessage& m) override {
    try {
      client_.publish(m.topic, m.payload.data(), m.payload.size(), m.qos, m.retained);
    } catch (const mqtt::exception& e) {
      // Firmware whose buffer is full drops the message; count it, never crash.
      if (failures_.fetch_add(1) % 1000 == 0) log_.warn("publish failed", {{"topic", m.topic}, {"error", e.what()}});
    }
  }

  // Starts a clean disconnect that lets in-flight messages finish; does not wait.
  void close() override {
    // With no broker there is nothing to say goodbye to; waiting would only stall shutdown.
    if (!client_.is_connected()) return;
    std::int64_t unset = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    goodbye_deadline_ns_->compare_exchange_strong(unset, std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count());
    try {
      disconnect_ = client_.disconnect(std::chrono::milliseconds(2000));
    } catch (const mqtt::exception&) {
      // Already gone; the broker will publish the will, which says the same thing.
    }
  }

 private:
  mqtt::async_client client_;
  mqtt::token_ptr connect_;
  mqtt::token_ptr disconnect_;
  std::vector<std::string> subscriptions_;
  Logger log_;
  std::atomic<std::uint64_t>& failures_;
  std::shared_ptr<std::atomic<std::int64_t>> goodbye_deadline_ns_;
};

}  // namespace

PahoTransport::PahoTransport(std::string server_uri, Sink sink, Logger log)
    : uri_(std::move(server_uri)), sink_(std::move(sink)), log_(std::move(log)) {}

std::unique_ptr<DeviceConnection> PahoTransport::open(const std::string& client_id, const OutMessage& will,
                                                      const std::vector<std::string>& subscriptions) {
  const std::string* password = nullptr;
  if (!passwords_.empty()) {
    auto it = passwords_.find(client_id);
    if (it == passwords_.end()) throw std::runtime_error("no password for device " + client_id + " in the devices file (export again with it)");
    password = &it->second;
  }
  auto conn = std::make_unique<PahoConnection>(uri_, client_id, will, subscriptions, sink_, log_, publish_failures_, goodbye_deadline_ns_, password);
  opened_.push_back(conn.get());
  return conn;
}

void PahoTransport::wait_connected(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto* c : opened_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    std::string error;
    if (!static_cast<PahoConnection*>(c)->wait_connected(std::max(left, std::chrono::milliseconds(1)), error)) {
      throw std::runtime_error("cannot connect to the MQTT broker at " + uri_ + ": " + error);
    }
  }
  opened_.clear();
}

}  // namespace spotter::sim
