// The shop's pure rules (cloud-api-2.md "Chain operations"): what a cart, a payment method
// and a stock movement may be. No I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotter::cloud::shop {

inline constexpr std::size_t kMaxSaleLines = 100;        // a desk's cart; more is refused (400)
inline constexpr std::int64_t kMaxLineQuantity = 1'000;
inline constexpr std::int64_t kMaxPriceCents = 10'000'000;  // 100,000.00 for one item
inline constexpr std::int64_t kMaxStock = 1'000'000;

inline constexpr std::string_view kPaymentMethods[] = {"cash", "card", "other"};
bool is_payment_method(std::string_view text);

// Who moved stock, and why: staff by hand (receive, adjust, count) or a sale and its void.
inline constexpr std::string_view kManualReasons[] = {"receive", "adjust", "count"};
// Why a manual movement is refused (nullopt: fine). Receiving takes stock in (delta > 0);
// an adjustment or a count may go either way but never by zero.
std::optional<std::string> movement_problem(std::string_view reason, std::int64_t delta);

struct CartLine {
  std::string product_id;
  std::int64_t quantity = 0;
};
// One line per product, quantities of a product added together, in product id order: the
// order in which a sale takes stock, so two sales never wait on each other in a circle.
// Nullopt when a merged quantity passes kMaxLineQuantity.
std::optional<std::vector<CartLine>> merge_lines(std::vector<CartLine> lines);

}  // namespace spotter::cloud::shop
