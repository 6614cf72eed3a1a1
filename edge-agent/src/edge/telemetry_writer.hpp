#pragma once
// Raw telemetry on its way into SQLite: the store thread decodes each message and attaches
// it to the machine's link, then hands the rows here; this thread commits them to the
// telemetry database in windows (a few large commits rather than many small ones).
//
// Why a thread of its own: a commit of a window's rows takes milliseconds, and a member at
// a door must not wait behind it. Why windows: each commit rewrites about one index page
// per machine, so committing every hand-over wrote about a hundred times the telemetry's
// own size to the disk (BENCHMARKS.md). Nothing is at risk meanwhile: every row is in the
// inbound journal until its position is durable here.
//
// Threads: add(), checkpoint() and call() from the store thread; the store's telemetry
// methods run only on this thread.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "spotter/common/log.hpp"
#include "spotter/edge/sqlite_store.hpp"

namespace spotter::edge {

class TelemetryWriter {
 public:
  // Told, on this thread, when the journal before a position is no longer needed.
  using Durable = std::function<void(JournalPosition)>;
  // Rows are committed `window` after the first of them, when `max_rows` wait, or once none
  // came for `quiet_after` (the flow stopped: nothing more to batch).
  TelemetryWriter(SqliteEdgeStore& store, Logger log, Durable on_durable, std::chrono::milliseconds window, std::size_t max_rows,
                  std::chrono::milliseconds quiet_after = std::chrono::milliseconds(50));
  // Commits what is pending and what was asked before, then stops (also on destruction).
  void stop();
  ~TelemetryWriter() { stop(); }
  TelemetryWriter(const TelemetryWriter&) = delete;
  TelemetryWriter& operator=(const TelemetryWriter&) = delete;

  // Rows decoded from the journal up to `applied`: every message before it that is not
  // among these rows is already applied to the main database.
  void add(std::vector<TelemetryRow> rows, JournalPosition applied);
  // Commits what is pending, then makes `applied` durable and tells on_durable.
  void checkpoint(JournalPosition applied);
  // Runs `job` on this thread once what was added before is committed; waits for it.
  template <class F>
  auto call(F job) -> decltype(job()) {
    auto task = std::make_shared<std::packaged_task<decltype(job())()>>(std::move(job));
    auto result = task->get_future();
    push(Item{{}, {}, false, [task] { (*task)(); }});
    return result.get();
  }
  IngestResult totals() const;
  // Rows added but not yet committed: the store thread stops taking telemetry while this
  // is high, so a flood waits in the broker rather than in memory.
  std::size_t backlog() const { return backlog_.load(); }

 private:
  struct Item {
    std::vector<TelemetryRow> rows;
    JournalPosition applied;
    bool checkpoint = false;
    std::function<void()> job;
  };
  void push(Item item);
  void run();

  SqliteEdgeStore& store_;
  Logger log_;
  Durable on_durable_;
  std::chrono::milliseconds window_, quiet_after_;
  std::size_t max_rows_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  bool stop_ = false;
  IngestResult totals_;
  std::atomic<std::size_t> backlog_{0};
  std::thread thread_;
};

}  // namespace spotter::edge
