#include "spotter/edge/storage_budget.hpp"

#include <algorithm>

namespace spotter::edge {

std::int64_t bytes_to_free(const StorageUse& use, const StorageLimits& limits, std::int64_t free_disk_bytes) {
  const std::int64_t used = use.telemetry_bytes + use.outbox_bytes;
  const std::int64_t over_budget = used - limits.budget_bytes;
  const std::int64_t under_watermark = limits.min_free_disk_bytes - free_disk_bytes;
  const std::int64_t need = std::max(over_budget, under_watermark);
  if (need <= 0) return 0;
  return need + limits.budget_bytes / 10;
}

}  // namespace spotter::edge
