#pragma once
// Hands messages from the MQTT threads, the control socket and the sync thread to the store
// thread. Two lanes: `push_urgent` for someone waiting (a member at a door or a machine, a
// technician), taken first and in order; `push` for everything else, in order. What is in
// it is already journaled, so a kill loses nothing; the telemetry reader waits for room
// (wait_for_room) so a flood stays in the broker rather than in memory, and so does the MQTT
// thread before it adds to a full urgent lane (wait_for_urgent_room): a flood of well-formed
// scans cannot take the gateway's memory either.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace spotter::edge {

template <class T>
class WorkQueue {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  void push(T item) {
    {
      std::lock_guard lock(mu_);
      normal_.push_back(std::move(item));
    }
    cv_.notify_one();
  }
  void push_all(std::vector<T>&& items) {
    {
      std::lock_guard lock(mu_);
      for (auto& i : items) normal_.push_back(std::move(i));
    }
    cv_.notify_one();
  }
  void push_urgent(T item) {
    {
      std::lock_guard lock(mu_);
      urgent_.push_back(std::move(item));
    }
    cv_.notify_one();
  }

  // Waits until `deadline` at most, then takes up to `max` items, urgent ones first. An
  // empty batch means nothing came in time; nullopt means closed and drained.
  std::optional<std::vector<T>> pop_batch_until(std::size_t max, Deadline deadline) { return pop(max, deadline, true); }
  // The same, taking only urgent items: for when ordinary work must wait.
  std::optional<std::vector<T>> pop_urgent_until(std::size_t max, Deadline deadline) { return pop(max, deadline, false); }

  // Blocks while `limit` or more ordinary items wait (and the queue is open).
  void wait_for_room(std::size_t limit) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return normal_.size() < limit || closed_; });
  }

  // Blocks while `limit` or more urgent items wait (and the queue is open).
  void wait_for_urgent_room(std::size_t limit) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return urgent_.size() < limit || closed_; });
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    room_.notify_all();
  }

 private:
  std::optional<std::vector<T>> pop(std::size_t max, Deadline deadline, bool take_normal) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return !urgent_.empty() || (take_normal && !normal_.empty()) || closed_; });
    if (closed_ && urgent_.empty() && normal_.empty()) return std::nullopt;
    std::vector<T> out;
    while (!urgent_.empty() && out.size() < max) {
      out.push_back(std::move(urgent_.front()));
      urgent_.pop_front();
    }
    while (take_normal && !normal_.empty() && out.size() < max) {
      out.push_back(std::move(normal_.front()));
      normal_.pop_front();
    }
    if (!out.empty()) room_.notify_all();
    return out;
  }

  std::mutex mu_;
  std::condition_variable cv_, room_;
  std::deque<T> urgent_, normal_;
  bool closed_ = false;
};

}  // namespace spotter::edge
