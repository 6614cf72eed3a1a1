#include "spotter/edge/attribution.hpp"

#include <algorithm>

namespace spotter::edge {

void Attribution::link_started(const MachineLink& link) {
  auto& list = links_[link.machine_id];
  list.push_back({link, std::nullopt});
  while (list.size() > rules_.max_per_machine) list.pop_front();
}

void Attribution::link_ended(const MachineLink& link, std::int64_t ended_at_ms) {
  auto& list = links_[link.machine_id];
  for (auto it = list.rbegin(); it != list.rend(); ++it)
    if (it->link.id == link.id) {
      it->ended_at_ms = ended_at_ms;
      return;
    }
  // Ended before this memory knew it (restored at start, or trimmed): kept all the same.
  list.push_back({link, ended_at_ms});
  std::sort(list.begin(), list.end(), [](const PastLink& a, const PastLink& b) { return a.link.started_at_ms < b.link.started_at_ms; });
  while (list.size() > rules_.max_per_machine) list.pop_front();
}

void Attribution::heard(const std::string& machine, std::int64_t device_ms, std::int64_t received_ms) {
  auto& o = offsets_[machine];
  if (received_ms - o.window_start >= rules_.offset_window.count()) {
    o.previous = o.current;
    o.current = INT64_MAX;
    o.window_start = received_ms;
  }
  o.current = std::min(o.current, received_ms - device_ms);
}

std::int64_t Attribution::gateway_time(const std::string& machine, std::int64_t device_ms) const {
  auto it = offsets_.find(machine);
  if (it == offsets_.end()) return device_ms;
  const std::int64_t offset = std::min(it->second.current, it->second.previous);
  return offset == INT64_MAX ? device_ms : device_ms + offset;
}

Attribution::Verdict Attribution::attribute(const std::string& machine, const std::optional<std::string>& link_id, std::int64_t device_ms) const {
  auto it = links_.find(machine);
  if (link_id) {
    if (it != links_.end())
      for (auto l = it->second.rbegin(); l != it->second.rend(); ++l)
        if (l->link.id == *link_id) return {l->link, How::link_id};
    return {std::nullopt, How::unknown_link};
  }
  if (it == links_.end()) return {};
  const std::int64_t t = gateway_time(machine, device_ms);
  const std::int64_t grace = rules_.grace.count();
  // Inside a link's own time first; within the grace otherwise, the nearest link.
  const PastLink* best = nullptr;
  std::int64_t best_distance = INT64_MAX;
  for (const auto& l : it->second) {
    const std::int64_t start = l.link.started_at_ms, end = l.ended_at_ms.value_or(INT64_MAX);
    const std::int64_t distance = t < start ? start - t : (t > end ? t - end : 0);
    if (distance <= grace && distance <= best_distance) best = &l, best_distance = distance;
  }
  if (!best) return {};
  return {best->link, How::time};
}

void Attribution::forget_before(std::int64_t now_ms) {
  for (auto& [machine, list] : links_)
    while (!list.empty() && list.front().ended_at_ms && *list.front().ended_at_ms < now_ms - rules_.keep.count()) list.pop_front();
}

}  // namespace spotter::edge
