#pragma once
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "spotter/cloud/storage.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

// ChangeFeed over LISTEN/NOTIFY: send() is pg_notify() in the caller's transaction (so a
// message leaves exactly when the change commits); a connection of its own LISTENs on the
// channel from a thread of its own, reconnecting every second while the database is away.
class PgChangeFeed final : public ChangeFeed {
 public:
  PgChangeFeed(SqlDatabase& db, std::string url, std::string channel, Logger log);
  ~PgChangeFeed() override;
  Status send(std::string_view payload) override;
  void start(std::function<void(std::string_view)> on_message, std::function<void()> on_gap) override;
  void stop() override;
  std::string state() const override;

 private:
  void run();
  bool listen();  // (re)connects and LISTENs; false when it could not

  SqlDatabase& db_;
  std::string url_, channel_;
  Logger log_;
  std::function<void(std::string_view)> on_message_;
  std::function<void()> on_gap_;
  void* conn_ = nullptr;  // PGconn*, the feed thread's only
  int wake_[2] = {-1, -1};  // a pipe: stop() wakes the thread's poll
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace spotter::cloud
