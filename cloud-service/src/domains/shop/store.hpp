// The shop's tables and all of their SQL (cloud-api-2.md "Chain operations"): products per
// branch, and the stock ledger. Stock is a column kept with a CHECK (stock >= 0) and moved
// only by a conditional UPDATE in the same transaction as its ledger row, so it never goes
// below zero and the ledger always explains it (the sum of a product's movements is its
// stock).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::shop {

struct ProductRow {
  std::string id, branch_id, name, sku;
  std::int64_t price_cents = 0, stock = 0, low_stock_threshold = 0;
  bool active = true, ever_sold = false;
  std::int64_t created_at = 0, updated_at = 0;
};

struct MovementRow {
  std::int64_t id = 0;  // the ledger's order (read only)
  std::string product_id;
  std::int64_t delta = 0;
  std::string reason;  // receive, adjust, count, sale, void
  std::optional<std::string> note, sale_id;
  std::int64_t stock_after = 0;
  std::string by;
  std::int64_t at = 0;
};

struct ProductFilter {
  std::optional<std::string> branch_id;
  std::optional<bool> active;
  bool low_stock = false;  // stock <= low_stock_threshold
  std::optional<std::string> after_id;
  std::int64_t limit = 50;
};

class ProductStore {
 public:
  explicit ProductStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  // False when the branch has a product with that SKU already.
  Result<bool> insert(const ProductRow& p);
  Result<std::optional<ProductRow>> get(const std::string& id);
  // Several at once (a sale's); those not found are left out.
  Result<std::vector<ProductRow>> get_many(const std::vector<std::string>& ids);
  Result<std::vector<ProductRow>> list(const ProductFilter& f);
  // Name, SKU, price, threshold and active (never stock). False when the SKU is taken.
  Result<bool> update(const ProductRow& p);
  // False when it was ever sold (then it stays, to be deactivated instead).
  Result<bool> remove(const std::string& id);

  // stock + delta, if that is not below zero: the new stock; nullopt otherwise (nothing
  // changed). A sale's (`sold`) also marks the product as sold.
  Result<std::optional<std::int64_t>> move(const std::string& id, std::int64_t delta, bool sold, std::int64_t at);
  Status add_movement(const MovementRow& m) { return add_movements({m}); }
  Status add_movements(const std::vector<MovementRow>& rows);  // in one statement
  // Newest first.
  Result<std::vector<MovementRow>> movements(const std::string& product_id, std::optional<std::int64_t> before_id, std::int64_t limit);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::shop
