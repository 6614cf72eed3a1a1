#include "ingest_connection.hpp"

#include <chrono>

#include "spotter/protocol/raw_mqtt.hpp"
#include "thread_priority.hpp"

namespace spotter::edge {

IngestConnection::IngestConnection(std::string uri, std::string client_id, std::vector<std::string> filters, InboundJournal& journal,
                                   std::mutex& intake, std::function<std::int64_t()> now_ms, Sink sink,
                                   std::function<void()> wait_for_room, Logger log, sim::MqttLogin login, std::string ca_file)
    : uri_(std::move(uri)),
      client_id_(std::move(client_id)),
      filters_(std::move(filters)),
      journal_(journal),
      intake_(intake),
      now_ms_(std::move(now_ms)),
      sink_(std::move(sink)),
      wait_for_room_(std::move(wait_for_room)),
      log_(std::move(log)),
      login_(std::move(login)),
      ca_file_(std::move(ca_file)) {}

IngestConnection::~IngestConnection() { stop(); }

void IngestConnection::start() { thread_ = std::thread([this] { run(); }); }

void IngestConnection::stop() {
  stop_ = true;
  if (auto* c = static_cast<sim::RawMqtt*>(current_.load())) c->shutdown();
  if (thread_.joinable()) thread_.join();
}

void IngestConnection::run() {
  name_this_thread("telemetry-in");
  lower_this_thread_priority();  // bulk work: doors first (thread_priority.hpp)
  using namespace std::chrono_literals;
  int backoff_ms = 500;
  while (!stop_) {
    sim::RawMqtt mqtt;
    if (auto s = mqtt.connect(uri_, client_id_, /*clean_session=*/false, login_, ca_file_); !s) {
      log_.warn("ingest connection: cannot connect, retrying", {{"error", s.error().message}});
      for (int slept = 0; slept < backoff_ms && !stop_; slept += 100) std::this_thread::sleep_for(100ms);
      backoff_ms = std::min(backoff_ms * 2, 10'000);
      continue;
    }
    backoff_ms = 500;
    std::uint16_t sub_id = 1;
    bool ok = true;
    for (const auto& f : filters_) ok = ok && mqtt.subscribe(f, 1, sub_id++).ok();
    if (!ok) continue;
    mqtt.set_read_timeout_ms(15'000);  // silence: ping, so the broker keeps us (keep-alive 60 s)
    current_ = &mqtt;
    connected_ = true;
    log_.info("ingest connection up");
    std::vector<sim::MqttPacket> publishes;
    while (!stop_) {
      auto p = mqtt.read_packet();
      if (!p) {
        // Quiet for a while: ping, so the broker keeps the connection (keep-alive 60 s).
        if (p.error().code == "timeout" && !stop_ && mqtt.ping().ok()) continue;
        break;
      }
      if (p->type == 3) publishes.push_back(std::move(*p));
      if (mqtt.has_buffered_input() && publishes.size() < 2000) continue;
      if (publishes.empty()) continue;
      // Everything read so far: journal it in one write, hand it over, then acknowledge.
      std::vector<InboundJournal::Record> records;
      std::vector<std::uint16_t> ack_ids;
      std::vector<IngestMessage> out;
      records.reserve(publishes.size());
      for (const auto& pub : publishes) {
        const std::string& b = pub.body;
        if (b.size() < 2) continue;
        std::size_t tlen = static_cast<std::size_t>(static_cast<std::uint8_t>(b[0]) << 8 | static_cast<std::uint8_t>(b[1]));
        std::size_t pos = 2 + tlen;
        int qos = (pub.flags >> 1) & 3;
        if (pos > b.size() || (qos > 0 && pos + 2 > b.size())) continue;
        if (qos > 0) {
          ack_ids.push_back(static_cast<std::uint16_t>(static_cast<std::uint8_t>(b[pos]) << 8 | static_cast<std::uint8_t>(b[pos + 1])));
          pos += 2;
        }
        records.push_back({std::string_view(b).substr(2, tlen), std::string_view(b).substr(pos)});
      }
      wait_for_room_();
      const auto now = now_ms_();
      // Copied before taking the intake lock: a door scan waits for that lock.
      out.reserve(records.size());
      for (const auto& r : records) out.push_back({std::string(r.topic), std::string(r.payload), now, {}});
      bool handed_over = false;
      while (!handed_over && !stop_) {
        std::unique_lock lock(intake_);
        auto ends = journal_.append_batch(records, now);
        if (!ends) {
          lock.unlock();
          // Not written, so not acknowledged: the broker keeps the messages; try again.
          log_.error("cannot journal telemetry; holding intake", {{"error", ends.error().message}});
          std::this_thread::sleep_for(1s);
          continue;
        }
        for (std::size_t i = 0; i < out.size(); ++i) out[i].journal_end = (*ends)[i];
        sink_(std::move(out));
        handed_over = true;
      }
      if (!handed_over) break;
      for (auto id : ack_ids) mqtt.add_puback(id);
      publishes.clear();
      if (!mqtt.flush().ok()) break;
    }
    current_ = nullptr;
    connected_ = false;
    if (!stop_) log_.warn("ingest connection lost, reconnecting");
  }
}

}  // namespace spotter::edge
