#include "sales_store.hpp"

#include <map>

namespace spotter::cloud::shop {

namespace {
constexpr const char* kColumns =
    "id, branch_id, member_id, payment_method, total_cents, sold_by, sold_at, local_day, status, voided_at, voided_by, void_reason";


SaleRow sale_of(const SqlRow& r) {
  SaleRow s;
  s.id = r.text(0);
  s.branch_id = r.text(1);
  s.member_id = r.optional_text(2);
  s.payment_method = r.text(3);
  s.total_cents = r.integer(4);
  s.sold_by = r.text(5);
  s.sold_at = r.integer(6);
  s.local_day = r.integer(7);
  s.status = r.text(8);
  if (!r.is_null(9)) s.voided_at = r.integer(9);
  s.voided_by = r.optional_text(10);
  s.void_reason = r.optional_text(11);
  return s;
}
}  // namespace

std::vector<Migration> SalesStore::migrations() {
  return {
      {"shop/2", R"sql(
CREATE TABLE sales (id TEXT PRIMARY KEY, branch_id TEXT NOT NULL, member_id TEXT,
  payment_method TEXT NOT NULL CHECK (payment_method IN ('cash', 'card', 'other')), total_cents BIGINT NOT NULL CHECK (total_cents >= 0),
  sold_by TEXT NOT NULL, sold_at BIGINT NOT NULL, local_day BIGINT NOT NULL, status TEXT NOT NULL CHECK (status IN ('completed', 'voided')),
  voided_at BIGINT, voided_by TEXT, void_reason TEXT);
CREATE INDEX sales_branch ON sales(branch_id, sold_at, id);
CREATE INDEX sales_seller ON sales(branch_id, sold_by, sold_at, id);
CREATE TABLE sale_lines (sale_id TEXT NOT NULL REFERENCES sales(id), line_no BIGINT NOT NULL, product_id TEXT NOT NULL, name TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0), unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0), total_cents BIGINT NOT NULL,
  PRIMARY KEY (sale_id, line_no));
CREATE TABLE sales_days (branch_id TEXT NOT NULL, sold_by TEXT NOT NULL, day BIGINT NOT NULL, payment_method TEXT NOT NULL,
  sales BIGINT NOT NULL CHECK (sales >= 0), total_cents BIGINT NOT NULL, PRIMARY KEY (branch_id, sold_by, day, payment_method));
CREATE TABLE sales_product_days (branch_id TEXT NOT NULL, sold_by TEXT NOT NULL, day BIGINT NOT NULL, product_id TEXT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity >= 0), total_cents BIGINT NOT NULL, PRIMARY KEY (branch_id, sold_by, day, product_id));
)sql"},
  };
}

Status SalesStore::insert(const SaleRow& s) {
  SPOTTER_SQL(db_.execute("INSERT INTO sales (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                          {s.id, s.branch_id, sql_opt(s.member_id), s.payment_method, s.total_cents, s.sold_by, s.sold_at, s.local_day, s.status}));
  // The lines in one statement: each round trip is time the sale's locks are held.
  std::string sql = "INSERT INTO sale_lines (sale_id, line_no, product_id, name, quantity, unit_price_cents, total_cents) VALUES ";
  std::vector<SqlValue> params;
  std::int64_t n = 0;
  for (const auto& l : s.lines) {
    sql += (n ? ", " : "") + std::string("(?, ?, ?, ?, ?, ?, ?)");
    params.insert(params.end(), {s.id, ++n, l.product_id, l.name, l.quantity, l.unit_price_cents, l.total_cents});
  }
  if (!s.lines.empty()) SPOTTER_SQL(db_.execute(sql, params));
  return {};
}

Status SalesStore::add_to_days(const SaleRow& s, std::int64_t sign) {
  // Two levels: the seller's (what a trainer's summary reads) and the whole branch's
  // (sold_by '*', what the admin's reads: a year is ~1,000 rows by payment method and one
  // per product and day, whatever the number of sellers). Each table in one statement.
  // A void takes back from rows its sale put there (an UPDATE: the proposed row of an
  // upsert would be negative and fail its CHECK before the conflict is seen).
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_product;
  for (const auto& l : s.lines) {
    auto& [q, t] = by_product[l.product_id];
    q += l.quantity, t += l.total_cents;
  }
  const std::string whole(kWholeBranch);
  if (sign < 0) {
    for (const std::string& seller : {s.sold_by, whole}) {
      SPOTTER_SQL(db_.execute("UPDATE sales_days SET sales = sales - 1, total_cents = total_cents - ? "
                              "WHERE branch_id = ? AND sold_by = ? AND day = ? AND payment_method = ?",
                              {s.total_cents, s.branch_id, seller, s.local_day, s.payment_method}));
      for (const auto& [product, qt] : by_product)
        SPOTTER_SQL(db_.execute("UPDATE sales_product_days SET quantity = quantity - ?, total_cents = total_cents - ? "
                                "WHERE branch_id = ? AND sold_by = ? AND day = ? AND product_id = ?",
                                {qt.first, qt.second, s.branch_id, seller, s.local_day, product}));
    }
    return {};
  }
  SPOTTER_SQL(db_.execute("INSERT INTO sales_days (branch_id, sold_by, day, payment_method, sales, total_cents) VALUES (?, ?, ?, ?, 1, ?), (?, ?, ?, ?, 1, ?) "
                          "ON CONFLICT (branch_id, sold_by, day, payment_method) DO UPDATE SET sales = sales_days.sales + 1, "
                          "total_cents = sales_days.total_cents + excluded.total_cents",
                          {s.branch_id, s.sold_by, s.local_day, s.payment_method, s.total_cents, s.branch_id, whole, s.local_day, s.payment_method,
                           s.total_cents}));
  if (by_product.empty()) return {};
  std::string sql = "INSERT INTO sales_product_days (branch_id, sold_by, day, product_id, quantity, total_cents) VALUES ";
  std::vector<SqlValue> params;
  for (const std::string& seller : {s.sold_by, whole})
    for (const auto& [product, qt] : by_product) {
      sql += (params.empty() ? "" : ", ") + std::string("(?, ?, ?, ?, ?, ?)");
      params.insert(params.end(), {s.branch_id, seller, s.local_day, product, qt.first, qt.second});
    }
  sql += " ON CONFLICT (branch_id, sold_by, day, product_id) DO UPDATE SET quantity = sales_product_days.quantity + excluded.quantity, "
         "total_cents = sales_product_days.total_cents + excluded.total_cents";
  SPOTTER_SQL(db_.execute(sql, params));
  return {};
}

Status SalesStore::load_lines(std::vector<SaleRow>& sales) {
  if (sales.empty()) return {};
  std::vector<SqlValue> ids;
  std::map<std::string, SaleRow*> by_id;
  for (auto& s : sales) ids.emplace_back(s.id), by_id[s.id] = &s;
  auto rows = db_.query("SELECT sale_id, product_id, name, quantity, unit_price_cents, total_cents FROM sale_lines WHERE sale_id IN (" +
                            placeholders(ids.size()) + ") ORDER BY sale_id, line_no",
                        ids);
  if (!rows) return Unexpected<Error>{rows.error()};
  for (const auto& r : *rows) by_id[r.text(0)]->lines.push_back({r.text(1), r.text(2), r.integer(3), r.integer(4), r.integer(5)});
  return {};
}

Result<std::optional<SaleRow>> SalesStore::get(const std::string& id) {
  auto rows = db_.query("SELECT " + std::string(kColumns) + " FROM sales WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<SaleRow>{};
  std::vector<SaleRow> one{sale_of(rows->front())};
  SPOTTER_SQL(load_lines(one));
  return std::optional<SaleRow>{std::move(one.front())};
}

Result<std::vector<SaleRow>> SalesStore::list(const SaleFilter& f) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM sales WHERE branch_id = ?";
  std::vector<SqlValue> params{f.branch_id};
  if (f.sold_by) sql += " AND sold_by = ?", params.emplace_back(*f.sold_by);
  if (f.from_day) sql += " AND local_day >= ?", params.emplace_back(*f.from_day);
  if (f.to_day) sql += " AND local_day <= ?", params.emplace_back(*f.to_day);
  if (f.before) {
    sql += " AND (sold_at < ? OR (sold_at = ? AND id < ?))";
    params.insert(params.end(), {f.before->first, f.before->first, f.before->second});
  }
  sql += " ORDER BY sold_at DESC, id DESC LIMIT ?";
  params.emplace_back(f.limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<SaleRow> out;
  for (const auto& r : *rows) out.push_back(sale_of(r));
  SPOTTER_SQL(load_lines(out));
  return out;
}

Result<bool> SalesStore::void_sale(const SaleRow& s, const std::string& by, const std::string& reason, std::int64_t at) {
  auto n = db_.execute("UPDATE sales SET status = 'voided', voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ? AND status = 'completed'",
                       {at, by, reason, s.id});
  if (!n) return Unexpected<Error>{n.error()};
  if (*n == 0) return false;
  SPOTTER_SQL(add_to_days(s, -1));
  return true;
}

Result<SalesSummary> SalesStore::summary(const std::string& branch_id, std::int64_t from_day, std::int64_t to_day, const std::optional<std::string>& sold_by) {
  const std::vector<SqlValue> params{branch_id, from_day, to_day, sold_by.value_or(std::string(kWholeBranch))};
  auto where = [](const std::string& t) { return " WHERE " + t + "branch_id = ? AND " + t + "day >= ? AND " + t + "day <= ? AND " + t + "sold_by = ?"; };
  SalesSummary out;
  auto methods = db_.query("SELECT payment_method, SUM(sales), SUM(total_cents) FROM sales_days" + where("") +
                               " GROUP BY payment_method HAVING SUM(sales) > 0 ORDER BY payment_method",
                           params);
  if (!methods) return Unexpected<Error>{methods.error()};
  for (const auto& r : *methods) {
    out.by_payment_method.push_back({r.text(0), "", r.integer(1), 0, r.integer(2)});
    out.count += r.integer(1), out.total_cents += r.integer(2);
  }
  auto days = db_.query("SELECT day, SUM(sales), SUM(total_cents) FROM sales_days" + where("") + " GROUP BY day HAVING SUM(sales) > 0 ORDER BY day", params);
  if (!days) return Unexpected<Error>{days.error()};
  for (const auto& r : *days) out.by_day.push_back({std::to_string(r.integer(0)), "", r.integer(1), 0, r.integer(2)});
  auto products = db_.query("SELECT x.product_id, COALESCE(p.name, ''), x.quantity, x.total_cents FROM (SELECT d.product_id, SUM(d.quantity) AS quantity, "
                            "SUM(d.total_cents) AS total_cents FROM sales_product_days d" + where("d.") +
                                " GROUP BY d.product_id HAVING SUM(d.quantity) > 0) x LEFT JOIN products p ON p.id = x.product_id "
                                "ORDER BY x.total_cents DESC, x.product_id",
                            params);
  if (!products) return Unexpected<Error>{products.error()};
  for (const auto& r : *products) out.by_product.push_back({r.text(0), r.text(1), 0, r.integer(2), r.integer(3)});
  return out;
}

}  // namespace spotter::cloud::shop
