// Sales, their lines and the daily sums that the summary reads (cloud-api-2.md "Chain
// operations"). A sale is written whole in the caller's transaction with the stock it
// took (ProductStore::move); its day's sums move with it and back with its void, so a
// year's summary reads a few thousand daily rows instead of a million sales.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::shop {

struct SaleLineRow {
  std::string product_id, name;
  std::int64_t quantity = 0, unit_price_cents = 0, total_cents = 0;
};

struct SaleRow {
  std::string id, branch_id;
  std::optional<std::string> member_id;
  std::string payment_method;
  std::int64_t total_cents = 0;
  std::string sold_by;
  std::int64_t sold_at = 0, local_day = 0;  // local_day: days since 1970-01-01 in the branch's time zone
  std::string status = "completed";        // completed, voided
  std::optional<std::int64_t> voided_at;
  std::optional<std::string> voided_by, void_reason;
  std::vector<SaleLineRow> lines;
};

struct SaleFilter {
  std::string branch_id;
  std::optional<std::string> sold_by;
  std::optional<std::int64_t> from_day, to_day;  // branch-local days, inclusive
  // Newest first (sold_at, then id); the page after the sale (sold_at, id).
  std::optional<std::pair<std::int64_t, std::string>> before;
  std::int64_t limit = 50;
};

struct SalesSummary {
  struct Bucket {
    std::string key;  // payment method, product id, or date (days as text)
    std::string name;  // the product's name (by product only)
    std::int64_t count = 0, quantity = 0, total_cents = 0;
  };
  std::int64_t count = 0, total_cents = 0;
  std::vector<Bucket> by_payment_method, by_product, by_day;
};

// The seller of the daily sums that count every seller of the branch.
inline constexpr std::string_view kWholeBranch = "*";

class SalesStore {
 public:
  explicit SalesStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  // The sale and its lines.
  Status insert(const SaleRow& sale);
  // The completed sale into its day's sums: last in its transaction, so the rows every
  // sale of the day shares are locked for the shortest time.
  Status add_to_days(const SaleRow& sale) { return add_to_days(sale, 1); }
  Result<std::optional<SaleRow>> get(const std::string& id);
  Result<std::vector<SaleRow>> list(const SaleFilter& f);
  // completed -> voided, once, with its day's sums taken back; false when it was voided before.
  Result<bool> void_sale(const SaleRow& sale, const std::string& by, const std::string& reason, std::int64_t at);
  // Completed sales of the branch between two local days (inclusive), optionally one seller's.
  Result<SalesSummary> summary(const std::string& branch_id, std::int64_t from_day, std::int64_t to_day, const std::optional<std::string>& sold_by);

 private:
  // The day's sums of `sale`, added (sign 1) or taken back by its void (-1).
  Status add_to_days(const SaleRow& sale, std::int64_t sign);
  Status load_lines(std::vector<SaleRow>& sales);
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::shop
