#include "store.hpp"

namespace spotter::cloud::shop {

namespace {
constexpr const char* kColumns =
    "id, branch_id, name, sku, price_cents, stock, low_stock_threshold, active, ever_sold, created_at, updated_at";

ProductRow product_of(const SqlRow& r) {
  return {r.text(0),    r.text(1),    r.text(2),     r.text(3),     r.integer(4),  r.integer(5),
          r.integer(6), r.boolean(7), r.boolean(8), r.integer(9), r.integer(10)};
}

}  // namespace

std::vector<Migration> ProductStore::migrations() {
  return {
      {"shop/1", R"sql(
CREATE TABLE products (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL, name TEXT NOT NULL, sku TEXT NOT NULL,
  price_cents BIGINT NOT NULL CHECK (price_cents >= 0), stock BIGINT NOT NULL CHECK (stock >= 0),
  low_stock_threshold BIGINT NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0), active BOOLEAN NOT NULL DEFAULT TRUE,
  ever_sold BOOLEAN NOT NULL DEFAULT FALSE, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, UNIQUE (branch_id, sku));
CREATE INDEX products_branch ON products(branch_id, id);
CREATE TABLE stock_movements (id {{AUTO_ID}}, product_id TEXT NOT NULL REFERENCES products(id), delta BIGINT NOT NULL CHECK (delta <> 0),
  reason TEXT NOT NULL CHECK (reason IN ('receive', 'adjust', 'count', 'sale', 'void')), note TEXT, sale_id TEXT,
  stock_after BIGINT NOT NULL CHECK (stock_after >= 0), by_user TEXT NOT NULL, at BIGINT NOT NULL);
CREATE INDEX stock_movements_product ON stock_movements(product_id, id);
)sql"},
  };
}

Result<bool> ProductStore::insert(const ProductRow& p) {
  auto n = db_.execute("INSERT INTO products (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (branch_id, sku) DO NOTHING",
                       {p.id, p.branch_id, p.name, p.sku, p.price_cents, p.stock, p.low_stock_threshold, p.active, p.ever_sold, p.created_at, p.updated_at});
  if (!n) return Unexpected<Error>{n.error()};
  return *n == 1;
}

Result<std::optional<ProductRow>> ProductStore::get(const std::string& id) {
  auto rows = db_.query("SELECT " + std::string(kColumns) + " FROM products WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<ProductRow>{};
  return std::optional<ProductRow>{product_of(rows->front())};
}

Result<std::vector<ProductRow>> ProductStore::get_many(const std::vector<std::string>& ids) {
  std::vector<ProductRow> out;
  if (ids.empty()) return out;
  std::vector<SqlValue> params(ids.begin(), ids.end());
  auto rows = db_.query("SELECT " + std::string(kColumns) + " FROM products WHERE id IN (" + placeholders(ids.size()) + ")", params);
  if (!rows) return Unexpected<Error>{rows.error()};
  for (const auto& r : *rows) out.push_back(product_of(r));
  return out;
}

Result<std::vector<ProductRow>> ProductStore::list(const ProductFilter& f) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM products WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (f.branch_id) sql += " AND branch_id = ?", params.emplace_back(*f.branch_id);
  if (f.active) sql += " AND active = ?", params.emplace_back(*f.active);
  if (f.low_stock) sql += " AND stock <= low_stock_threshold";
  if (f.after_id) sql += " AND id > ?", params.emplace_back(*f.after_id);
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(f.limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<ProductRow> out;
  for (const auto& r : *rows) out.push_back(product_of(r));
  return out;
}

Result<bool> ProductStore::update(const ProductRow& p) {
  auto n = db_.execute("UPDATE products SET name = ?, sku = ?, price_cents = ?, low_stock_threshold = ?, active = ?, updated_at = ? WHERE id = ?",
                       {p.name, p.sku, p.price_cents, p.low_stock_threshold, p.active, p.updated_at, p.id});
  if (!n && n.error().code == sql_error::conflict) return false;
  if (!n) return Unexpected<Error>{n.error()};
  return true;
}

Result<bool> ProductStore::remove(const std::string& id) {
  // A product never sold has only manual movements: they go with it.
  auto sold = db_.query("SELECT ever_sold FROM products WHERE id = ?", {id});
  if (!sold) return Unexpected<Error>{sold.error()};
  if (sold->empty()) return true;
  if (sold->front().boolean(0)) return false;
  SPOTTER_SQL(db_.execute("DELETE FROM stock_movements WHERE product_id = ?", {id}));
  auto n = db_.execute("DELETE FROM products WHERE id = ? AND ever_sold = FALSE", {id});
  if (!n) return Unexpected<Error>{n.error()};
  return *n == 1;
}

Result<std::optional<std::int64_t>> ProductStore::move(const std::string& id, std::int64_t delta, bool sold, std::int64_t at) {
  auto rows = db_.query(std::string("UPDATE products SET stock = stock + ?, updated_at = ?") + (sold ? ", ever_sold = TRUE" : "") +
                            " WHERE id = ? AND stock + ? >= 0 RETURNING stock",
                        {delta, at, id, delta});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{rows->front().integer(0)};
}

Status ProductStore::add_movements(const std::vector<MovementRow>& rows) {
  if (rows.empty()) return {};
  std::string sql = "INSERT INTO stock_movements (product_id, delta, reason, note, sale_id, stock_after, by_user, at) VALUES ";
  std::vector<SqlValue> params;
  for (const auto& m : rows) {
    sql += (params.empty() ? "" : ", ") + std::string("(?, ?, ?, ?, ?, ?, ?, ?)");
    params.insert(params.end(), {m.product_id, m.delta, m.reason, sql_opt(m.note), sql_opt(m.sale_id), m.stock_after, m.by, m.at});
  }
  SPOTTER_SQL(db_.execute(sql, params));
  return {};
}

Result<std::vector<MovementRow>> ProductStore::movements(const std::string& product_id, std::optional<std::int64_t> before_id, std::int64_t limit) {
  std::string sql = "SELECT id, product_id, delta, reason, note, sale_id, stock_after, by_user, at FROM stock_movements WHERE product_id = ?";
  std::vector<SqlValue> params{product_id};
  if (before_id) sql += " AND id < ?", params.emplace_back(*before_id);
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<MovementRow> out;
  for (const auto& r : *rows)
    out.push_back({r.integer(0), r.text(1), r.integer(2), r.text(3), r.optional_text(4), r.optional_text(5), r.integer(6), r.text(7), r.integer(8)});
  return out;
}

}  // namespace spotter::cloud::shop
