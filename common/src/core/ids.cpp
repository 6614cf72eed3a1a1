#include "spotter/common/ids.hpp"

#include "spotter/common/id_format.hpp"

namespace spotter {

bool is_valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string format_sortable_id(std::int64_t now_ms, std::span<const std::uint8_t, 10> random) {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out(26, '0');
  auto ms = static_cast<std::uint64_t>(now_ms < 0 ? 0 : now_ms) & ((std::uint64_t{1} << 48) - 1);
  for (int i = 9; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kCrockford[ms & 31];
    ms >>= 5;
  }
  // 80 random bits -> 16 characters, 5 bits each, most significant first.
  int bit = 0;
  for (int i = 0; i < 16; ++i, bit += 5) {
    unsigned v = 0;
    for (int b = 0; b < 5; ++b) {
      int pos = bit + b;
      v = v << 1 | ((random[static_cast<std::size_t>(pos / 8)] >> (7 - pos % 8)) & 1u);
    }
    out[static_cast<std::size_t>(10 + i)] = kCrockford[v];
  }
  return out;
}

}  // namespace spotter
