#include "bus.hpp"

namespace spotter::cloud {

void Bus::on(std::string kind, std::function<Status(const Event&)> handler) { in_transaction_[std::move(kind)].push_back(std::move(handler)); }

void Bus::on_live(std::string kind, std::function<void(const Event&)> handler) { live_[std::move(kind)].push_back(std::move(handler)); }

void Bus::on_resync(std::function<void()> handler) { resync_.push_back(std::move(handler)); }

Status Bus::publish(const Event& event) {
  return db_.atomically([&]() -> Status {
    if (auto it = in_transaction_.find(event.kind); it != in_transaction_.end())
      for (const auto& handler : it->second)
        if (auto s = handler(event); !s) return s;
    if (!live_.count(event.kind)) return {};
    // The same event twice in one transaction (a batch touching one machine many times)
    // goes out once, after the commit: here at once, elsewhere through the feed.
    const std::string payload = dump_json(Json{{"o", instance_id_}, {"k", event.kind}, {"b", event.body}});
    if (!db_.after_commit_once(payload, [this, event] { deliver_live(event); })) return {};
    return feed_.send(payload);
  });
}

void Bus::deliver_live(const Event& event) {
  auto it = live_.find(event.kind);
  if (it == live_.end()) return;
  for (const auto& handler : it->second) handler(event);
}

void Bus::from_feed(std::string_view payload) {
  auto message = parse_json_strict(payload, JsonLimits{.max_bytes = 8192, .max_depth = 8});
  if (!message || !message->is_object() || !message->contains("o") || !(*message)["o"].is_string() || !message->contains("k") ||
      !(*message)["k"].is_string() || !message->contains("b")) {
    log_.warn("change feed message not understood", {{"bytes", payload.size()}});
    return;
  }
  if ((*message)["o"].get_ref<const std::string&>() == instance_id_) return;  // delivered here after the commit
  deliver_live(Event{(*message)["k"].get<std::string>(), (*message)["b"]});
}

void Bus::start() {
  feed_.start([this](std::string_view payload) { from_feed(payload); },
              [this] {
                log_.warn("change feed was interrupted: caches dropped, live state resent");
                for (const auto& handler : resync_) handler();
              });
}

}  // namespace spotter::cloud
