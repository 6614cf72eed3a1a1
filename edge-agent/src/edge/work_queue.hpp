#pragma once
// Hands messages from Paho's thread to the store thread. Bounded only by memory for now;
// the ingest work adds back-pressure and batching.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace spotter::edge {

template <class T>
class WorkQueue {
 public:
  void push(T item) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
  }
  void push_all(std::vector<T>&& items) {
    {
      std::lock_guard lock(mu_);
      for (auto& i : items) items_.push_back(std::move(i));
    }
    cv_.notify_one();
  }
  // Ahead of everything waiting: for requests someone is standing at a door for.
  void push_front(T item) {
    {
      std::lock_guard lock(mu_);
      items_.push_front(std::move(item));
    }
    cv_.notify_one();
  }
  // Blocks for the next item; nullopt once closed and drained.
  std::optional<T> pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  // Blocks for at least one item, then takes up to `max` of those waiting.
  std::vector<T> pop_batch(std::size_t max) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !items_.empty() || closed_; });
    std::vector<T> out;
    while (!items_.empty() && out.size() < max) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return out;
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return items_.size();
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace spotter::edge
