// Moves the write-ahead log into the database file on a thread of its own, so that no
// commit pays for it. SQLite's automatic checkpoint runs inside the commit that takes the
// WAL past 1,000 pages: that commit copies them into the database file and syncs it while
// every request queued behind the single writer waits (the shop benchmark's p99 on SQLite,
// BENCHMARKS.md). Here the writer's commit hook only wakes this thread, which runs a
// PASSIVE checkpoint (it blocks neither the writer nor the readers) on a connection of its
// own. A checkpoint that could not copy everything (a reader still needs old pages) is
// simply tried again at the next wake.
// Threading: attach() once, before the writer commits; the hook runs on the writer's
// thread. The destructor stops the thread: detach the hook first (SqliteDatabase does).
#pragma once
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

struct sqlite3;

namespace spotter::cloud {

class WalCheckpointer {
 public:
  explicit WalCheckpointer(std::filesystem::path file, int threshold_pages = 1000);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  // Takes over `writer`'s WAL hook (which also ends its automatic checkpoints).
  void attach(sqlite3* writer);
  static void detach(sqlite3* writer);
  // Checkpoints run so far (for tests and /metrics).
  std::uint64_t runs() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int pages);
  void run();

  std::filesystem::path file_;
  int threshold_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool due_ = false, stopping_ = false;
  std::uint64_t runs_ = 0;
  std::thread thread_;
};

}  // namespace spotter::cloud
