#include "wal_checkpointer.hpp"

#include <sqlite3.h>

namespace spotter::cloud {

namespace {
sqlite3* open_for_checkpoints(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    // A connection finds the WAL only once it has read the database: until then a
    // checkpoint is a no-op ("not in WAL mode").
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) == SQLITE_OK) return db;
  }
  sqlite3_close(db);  // also the handle of a failed open
  return nullptr;
}
}  // namespace

WalCheckpointer::WalCheckpointer(std::filesystem::path file, int threshold_pages)
    : file_(std::move(file)), threshold_(threshold_pages), thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WalCheckpointer::attach(sqlite3* writer) { sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, this); }

void WalCheckpointer::detach(sqlite3* writer) { sqlite3_wal_hook(writer, nullptr, nullptr); }

std::uint64_t WalCheckpointer::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (pages < c->threshold_) return SQLITE_OK;
  {
    std::lock_guard lock(c->mu_);
    c->due_ = true;
  }
  c->wake_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  sqlite3* db = nullptr;  // its own connection, opened on first need (the writer made the file)
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || due_; });
    if (stopping_) break;
    due_ = false;
    lock.unlock();
    if (!db) db = open_for_checkpoints(file_);
    int wal_pages = -1;
    const bool ran = db && sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, nullptr) == SQLITE_OK && wal_pages >= 0;
    lock.lock();
    if (ran) ++runs_;
  }
  lock.unlock();
  sqlite3_close(db);
}

}  // namespace spotter::cloud
