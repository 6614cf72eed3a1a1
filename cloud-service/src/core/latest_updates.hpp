// What a WebSocket client has not been sent yet: at most one update per machine, the newest.
// A newer update for a machine already waiting replaces it in place (keeping its turn), so a
// slow client costs memory bounded by the machines it watches, never by how many changes
// happened, and when it catches up it gets each machine's current state. Not thread-safe:
// owned by one connection and used on its thread.
#pragma once
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace spotter::cloud {

class LatestUpdates {
 public:
  using Text = std::shared_ptr<const std::string>;
  // Returns false when it replaced an update not yet taken (a coalesced one).
  bool put(const std::string& machine_id, Text text) {
    auto [it, fresh] = pending_.insert_or_assign(machine_id, std::move(text));
    if (fresh) order_.push_back(machine_id);
    return fresh;
  }
  // The oldest waiting machine's newest update.
  std::optional<Text> take() {
    if (order_.empty()) return std::nullopt;
    auto node = pending_.extract(order_.front());
    order_.pop_front();
    return std::move(node.mapped());
  }
  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }

 private:
  std::deque<std::string> order_;
  std::unordered_map<std::string, Text> pending_;
};

}  // namespace spotter::cloud
