#include "spotter/testing/mqtt_probe.hpp"

#include "spotter/testing/process.hpp"

#include <mqtt/async_client.h>

#include <thread>

namespace spotter::testing {

struct MqttProbe::Impl {
  mqtt::async_client client;
  mutable std::mutex mu;
  std::vector<Received> got;
  Impl(const std::string& uri, const std::string& id) : client(uri, id) {}
};

MqttProbe::MqttProbe(const std::string& uri, const std::string& client_id, const std::string& username, const std::string& password)
    : impl_(std::make_unique<Impl>(uri, client_id)) {
  impl_->client.set_message_callback([this](mqtt::const_message_ptr m) {
    std::lock_guard lock(impl_->mu);
    impl_->got.push_back({m->get_topic(), m->to_string(), m->is_retained(), m->get_qos()});
  });
  auto builder = mqtt::connect_options_builder();
  if (!username.empty()) builder.user_name(username).password(password);
  auto opts = builder.clean_session(true).finalize();
  impl_->client.connect(opts)->wait();
}

MqttProbe::~MqttProbe() {
  try {
    impl_->client.disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
  }
}

void MqttProbe::subscribe(const std::string& filter, int qos) { impl_->client.subscribe(filter, qos)->wait(); }

void MqttProbe::publish(const std::string& topic, const std::string& payload, int qos, bool retained) {
  impl_->client.publish(topic, payload.data(), payload.size(), qos, retained)->wait();
}

std::vector<Received> MqttProbe::messages() const {
  std::lock_guard lock(impl_->mu);
  return impl_->got;
}

std::size_t MqttProbe::count(const std::function<bool(const Received&)>& pred) const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& m : impl_->got) n += pred(m) ? 1 : 0;
  return n;
}

bool MqttProbe::wait_for(const std::function<bool(const Received&)>& pred, std::size_t n, std::chrono::milliseconds timeout) const {
  return eventually([&] { return count(pred) >= n; }, timeout);
}

void MqttProbe::clear() {
  std::lock_guard lock(impl_->mu);
  impl_->got.clear();
}

}  // namespace spotter::testing
