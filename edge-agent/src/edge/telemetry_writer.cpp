#include "telemetry_writer.hpp"

#include <algorithm>

#include "../adapters/posix/thread_priority.hpp"

namespace spotter::edge {

TelemetryWriter::TelemetryWriter(SqliteEdgeStore& store, Logger log, Durable on_durable, std::chrono::milliseconds window,
                                 std::size_t max_rows, std::chrono::milliseconds quiet_after)
    : store_(store),
      log_(std::move(log)),
      on_durable_(std::move(on_durable)),
      window_(window),
      quiet_after_(quiet_after),
      max_rows_(max_rows) {
  thread_ = std::thread([this] { run(); });
}

void TelemetryWriter::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void TelemetryWriter::push(Item item) {
  {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void TelemetryWriter::add(std::vector<TelemetryRow> rows, JournalPosition applied) {
  backlog_ += rows.size();
  push(Item{std::move(rows), applied, false, {}});
}

void TelemetryWriter::checkpoint(JournalPosition applied) { push(Item{{}, applied, true, {}}); }

IngestResult TelemetryWriter::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

void TelemetryWriter::run() {
  name_this_thread("telemetry-db");
  lower_this_thread_priority();  // bulk work: doors first (thread_priority.hpp)
  using Clock = std::chrono::steady_clock;
  std::vector<TelemetryRow> rows;
  JournalPosition applied{};
  auto due = Clock::time_point::max();    // when the pending rows must be committed
  auto quiet = Clock::time_point::max();  // or earlier, once no rows came for a while
  auto commit = [&] {
    if (rows.empty()) return;
    auto r = store_.record_telemetry(rows, applied);
    if (!r) {
      // Kept, and tried again with the next window: the position does not move past them.
      log_.error("telemetry not stored yet; retrying", {{"rows", rows.size()}, {"error", r.error().message}});
      due = Clock::now() + std::chrono::seconds(1);
      return;
    }
    {
      std::lock_guard lock(mu_);
      totals_.stored += r->stored;
      totals_.duplicates += r->duplicates;
    }
    backlog_ -= rows.size();
    rows.clear();
    due = quiet = Clock::time_point::max();
  };
  while (true) {
    std::deque<Item> items;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, std::min({due, quiet, Clock::now() + std::chrono::seconds(1)}), [&] { return !items_.empty() || stop_; });
      items.swap(items_);
      stopping = stop_;
    }
    for (auto& item : items) {
      if (!item.rows.empty()) {
        if (rows.empty()) due = Clock::now() + window_;
        quiet = Clock::now() + quiet_after_;
        for (auto& r : item.rows) rows.push_back(std::move(r));
      }
      applied = std::max(applied, item.applied);
      if (rows.size() >= max_rows_) commit();
      if (item.checkpoint) {
        commit();
        if (rows.empty()) {
          if (auto s = store_.set_applied(item.applied); s) {
            on_durable_(item.applied);
          } else {
            log_.error("journal position not stored", {{"error", s.error().message}});
          }
        }
      }
      if (item.job) {
        commit();
        item.job();
      }
    }
    if (const auto now = Clock::now(); now >= due || now >= quiet) commit();
    if (stopping) {
      std::lock_guard lock(mu_);
      if (items_.empty()) break;
    }
  }
  commit();
}

}  // namespace spotter::edge
