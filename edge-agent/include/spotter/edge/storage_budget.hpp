#pragma once
// Days offline must be survivable (issue: outbox). The gateway keeps raw telemetry and the
// outbox within a byte budget and above a free-disk watermark. Under pressure it gives up,
// oldest first, raw telemetry and then the evictable outbox events (machine status
// changes); door, session, link, workout and maintenance events are never evicted. Each
// eviction is itself recorded in the outbox.
#include <cstdint>

namespace spotter::edge {

struct StorageUse {
  std::int64_t telemetry_rows = 0;  // not filled by SqliteEdgeStore::storage_use(): counting is a full scan
  std::int64_t telemetry_bytes = 0;
  std::int64_t outbox_rows = 0;
  std::int64_t outbox_bytes = 0;
  std::int64_t evictable_outbox_bytes = 0;
  std::int64_t oldest_outbox_ms = 0;  // 0 when empty
};

struct StorageLimits {
  std::int64_t budget_bytes = 512LL << 20;    // telemetry + outbox
  std::int64_t min_free_disk_bytes = 256LL << 20;
};

// Bytes to give up now: enough to get back under the budget and above the watermark, plus
// a tenth of the budget so eviction runs in chunks rather than on every batch. 0 when fine.
std::int64_t bytes_to_free(const StorageUse& use, const StorageLimits& limits, std::int64_t free_disk_bytes);

}  // namespace spotter::edge
