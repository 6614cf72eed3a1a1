#include "mqtt_link.hpp"

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "spotter/common/tcp_nodelay.hpp"

namespace spotter::edge {

namespace {
// Counts SUBACKs so start() can wait until the broker routes doors' scans to us.
// Runs on Paho's thread; start() waits on the caller's thread.
struct SubscribeAcks : mqtt::iaction_listener {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t acked = 0;
  void on_success(const mqtt::token&) override {
    {
      std::lock_guard lock(mutex);
      ++acked;
    }
    changed.notify_all();
  }
  void on_failure(const mqtt::token&) override {}
};
}  // namespace

namespace {
// Paho C names TLS "ssl://"; the product's settings say mqtts:// (processes.md).
std::string paho_uri(const std::string& uri) { return uri.rfind("mqtts://", 0) == 0 ? "ssl://" + uri.substr(8) : uri; }
}  // namespace

struct MqttLink::Impl {
  SubscribeAcks acks;  // declared first: outlives the client whose thread calls it
  mqtt::async_client client;
  std::vector<std::string> filters;
  Sink sink;
  Logger log;
  mqtt::connect_options opts;

  Impl(const std::string& uri, const std::string& id, std::vector<std::string> f, Sink s, Logger l, const sim::MqttLogin& login,
       const std::string& ca_file)
      : client(paho_uri(uri), id, mqtt::create_options(MQTTVERSION_3_1_1, 100'000)), filters(std::move(f)), sink(std::move(s)), log(std::move(l)) {
    auto builder = mqtt::connect_options_builder();
    if (!login.username.empty()) builder.user_name(login.username).password(login.password);
    if (uri.rfind("mqtts://", 0) == 0) {
      // The broker's certificate must chain to the CA and name the host (verify).
      auto ssl = mqtt::ssl_options_builder().enable_server_cert_auth(true).verify(true).ssl_version(MQTT_SSL_VERSION_TLS_1_2);
      if (!ca_file.empty()) ssl.trust_store(ca_file);
      builder.ssl(ssl.finalize());
    }
    opts = builder
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
          client.subscribe(filter, 1, nullptr, acks);
        } catch (const mqtt::exception& e) {
          log.error("subscribe failed", {{"filter", filter}, {"error", e.what()}});
        }
      }
    });
    client.set_connection_lost_handler([this](const std::string& cause) { log.warn("broker connection lost", {{"cause", cause}}); });
  }
};

MqttLink::MqttLink(std::string uri, std::string client_id, std::vector<std::string> filters, Sink sink, Logger log,
                   sim::MqttLogin login, const std::string& ca_file)
    : impl_(std::make_unique<Impl>(uri, client_id, std::move(filters), std::move(sink), std::move(log), login, ca_file)) {}

MqttLink::~MqttLink() { stop(); }

bool MqttLink::start(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  try {
    auto tok = impl_->client.connect(impl_->opts);
    if (!tok->wait_for(std::chrono::milliseconds(timeout_ms))) return false;
    // Connected is not yet listening: a scan published before the SUBACK of a first-ever
    // session would be dropped by the broker. Running starts once every filter is acknowledged.
    std::unique_lock lock(impl_->acks.mutex);
    if (!impl_->acks.changed.wait_until(lock, deadline, [&] { return impl_->acks.acked >= impl_->filters.size(); })) {
      impl_->log.warn("subscriptions not acknowledged yet, going on", {{"acked", impl_->acks.acked}, {"filters", impl_->filters.size()}});
    }
    return true;
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
