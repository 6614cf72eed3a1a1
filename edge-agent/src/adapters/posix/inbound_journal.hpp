#pragma once
// Why this exists: Paho C 1.3.12 calls the message callback on its receive thread *before*
// it sends the PUBACK (verified: a kill inside the callback makes the broker redeliver with
// DUP). So a message is safe from SIGKILL once the callback has written it somewhere the
// kernel keeps: this journal. One write() per message, from Paho's thread only; fdatasync
// every group-commit window (sync(), from another thread) bounds what power loss can take.
// The store thread applies messages to SQLite in batches and records how far it got;
// after a crash, start-up replays the journal from there.
//
// Record: u32 length | u32 crc32 | u64 received_at_ms | u16 topic length | topic | payload.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "spotter/common/result.hpp"
#include "spotter/edge/ingest.hpp"

namespace spotter::edge {

struct JournalEntry {
  JournalPosition end;  // just after this record: "applied up to here"
  std::int64_t received_at_ms = 0;
  std::string topic;
  std::string payload;
};

// Segments journal-<n>.log in one directory; a new one starts past `segment_bytes`.
class InboundJournal {
 public:
  // Throws std::runtime_error when the directory cannot be used (start-up error).
  explicit InboundJournal(const std::filesystem::path& dir, std::uint64_t segment_bytes = 64u << 20);
  ~InboundJournal();
  InboundJournal(const InboundJournal&) = delete;
  InboundJournal& operator=(const InboundJournal&) = delete;

  // From a receiving thread. Error "io" (disk full...): the message must not be acknowledged.
  Result<JournalPosition> append(std::string_view topic, std::string_view payload, std::int64_t received_at_ms);
  struct Record {
    std::string_view topic, payload;
  };
  // Several records in one write; returns each one's end position.
  Result<std::vector<JournalPosition>> append_batch(const std::vector<Record>& records, std::int64_t received_at_ms);
  // From the group-commit thread: makes everything appended so far survive power loss.
  Status sync();
  // At start-up, before any append: every whole record after `from`, in order. A torn or
  // corrupt tail (a crash mid-write) is cut off.
  Status replay(JournalPosition from, const std::function<void(const JournalEntry&)>& fn);
  // Deletes segments wholly before `applied` (the store has them).
  void release(JournalPosition applied);
  JournalPosition end() const;
  std::uint64_t bytes_on_disk() const;

 private:
  std::filesystem::path segment_path(std::uint64_t n) const;
  void open_segment(std::uint64_t n);

  std::filesystem::path dir_;
  std::uint64_t segment_bytes_;
  mutable std::mutex mu_;
  int fd_ = -1;
  JournalPosition end_;
};

std::uint32_t crc32(std::string_view data, std::uint32_t seed = 0);

}  // namespace spotter::edge
