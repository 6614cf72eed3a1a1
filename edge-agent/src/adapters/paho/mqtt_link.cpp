#include "mqtt_link.hpp"

#include <mqtt/async_client.h>

#include <chrono>

#include "spotter/common/tcp_nodelay.hpp"

namespace spotter::edge {

struct MqttLink::Impl {
  mqtt::async_client client;
  std::vector<std::string> filters;
  Sink sink;
  Logger log;
  mqtt::connect_options opts;

  Impl(const std::string& uri, const std::string& id, std::vector<std::string> f, Sink s, Logger l)
      : client(uri, id, mqtt::create_options(MQTTVERSION_3_1_1, 100'000)), filters(std::move(f)), sink(std::move(s)), log(std::move(l)) {
    opts = mqtt::connect_options_builder()
               .clean_session(false)
               .keep_alive_interval(std::chrono::seconds(20))
               .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(10))
               .max_inflight(1000)
               .finalize();
    client.set_message_callback([this](mqtt::const_message_ptr m) {
      sink(InboundMessage{m->get_topic(), m->to_string(), m->is_duplicate()});
    });
    client.set_connected_handler([this](const std::string&) {
      // Door decisions are small packets that must not wait for Nagle (tcp_nodelay.hpp).
      set_tcp_nodelay_on_open_sockets();
      log.info("connected to the broker");
      // Re-subscribing is harmless with a persistent session and needed after the broker
      // lost its state (restarted without persistence).
      for (const auto& filter : filters) {
        try {
          client.subscribe(filter, 1);
        } catch (const mqtt::exception& e) {
          log.error("subscribe failed", {{"filter", filter}, {"error", e.what()}});
        }
      }
    });
    client.set_connection_lost_handler([this](const std::string& cause) { log.warn("broker connection lost", {{"cause", cause}}); });
  }
};

MqttLink::MqttLink(std::string uri, std::string client_id, std::vector<std::string> filters, Sink sink, Logger log)
    : impl_(std::make_unique<Impl>(uri, client_id, std::move(filters), std::move(sink), std::move(log))) {}

MqttLink::~MqttLink() { stop(); }

bool MqttLink::start(int timeout_ms) {
  try {
    auto tok = impl_->client.connect(impl_->opts);
    return tok->wait_for(std::chrono::milliseconds(timeout_ms));
  } catch (const mqtt::exception& e) {
    impl_->log.warn("cannot connect to the broker yet, retrying", {{"error", e.what()}});
    return false;
  }
}

bool MqttLink::publish(const std::string& topic, const std::string& payload, bool retained) {
  try {
    impl_->client.publish(topic, payload.data(), payload.size(), 1, retained);
    return true;
  } catch (const mqtt::exception& e) {
    impl_->log.warn("publish failed", {{"topic", topic}, {"error", e.what()}});
    return false;
  }
}

bool MqttLink::connected() const { return impl_->client.is_connected(); }

void MqttLink::stop() {
  if (!impl_) return;
  try {
    if (impl_->client.is_connected()) impl_->client.disconnect(std::chrono::milliseconds(2000))->wait_for(std::chrono::seconds(3));
  } catch (const mqtt::exception&) {
  }
}

}  // namespace spotter::edge
