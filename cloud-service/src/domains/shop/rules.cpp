#include "rules.hpp"

#include <algorithm>

namespace spotter::cloud::shop {

bool is_payment_method(std::string_view text) {
  return std::find(std::begin(kPaymentMethods), std::end(kPaymentMethods), text) != std::end(kPaymentMethods);
}

std::optional<std::string> movement_problem(std::string_view reason, std::int64_t delta) {
  if (std::find(std::begin(kManualReasons), std::end(kManualReasons), reason) == std::end(kManualReasons))
    return "must be receive, adjust or count (sales and voids move stock by themselves)";
  if (delta == 0) return "must not be 0";
  if (reason == "receive" && delta < 0) return "receiving takes stock in: delta must be positive (use adjust or count to take it out)";
  return std::nullopt;
}

std::optional<std::vector<CartLine>> merge_lines(std::vector<CartLine> lines) {
  std::sort(lines.begin(), lines.end(), [](const CartLine& a, const CartLine& b) { return a.product_id < b.product_id; });
  std::vector<CartLine> out;
  for (auto& l : lines) {
    if (!out.empty() && out.back().product_id == l.product_id) {
      out.back().quantity += l.quantity;
      if (out.back().quantity > kMaxLineQuantity) return std::nullopt;
    } else {
      out.push_back(std::move(l));
    }
  }
  return out;
}

}  // namespace spotter::cloud::shop
