// Chain operations at the desk (issue "Chain operations"): sales with three lines from 100
// desks, a year's summary over a million sales, and a busy day's attendance. Reports
// numbers; asserts nothing.
//   bench_operations seed --db URL        after bench_cloud seed: 100 desk staff at br_bench_0 (trainers
//                                   usr_bench_0, 10, ... 990), an admin (m2000000@bench.test), 31
//                                   products, a year of 1,000,000 sales with their daily sums
//   bench_operations sales --port P --db URL [--clients 100 --seconds 15 --interval-ms 1000]
//                                   each desk sells three lines (two of thirty plentiful products,
//                                   every tenth sale also one of the 300 "last units"), with an
//                                   Idempotency-Key; then checks the stock against the sales
//   bench_operations summary --port P [--clients 5 --seconds 10]
//                                   the admin's summary of the year, closed loop
//   bench_operations attendance --port P [--clients 1 --seconds 10]
//                                   today's attendance at br_bench_0 (5,000 visits today, a
//                                   year of 1,000 a day before), closed loop
#include <chrono>
#include <iostream>
#include <random>

#include "bench_common.hpp"
#include "adapters/argon2/argon2_hasher.hpp"
#include "core/dates.hpp"

using namespace bench;

namespace {

constexpr int kProducts = 30;
constexpr int kScarceStock = 300;
constexpr int kYearSales = 1'000'000;
constexpr int kAdmin = 2'000'000;  // m2000000@bench.test

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
std::string product_id(int p) { return p < 0 ? "prd_bench_scarce" : "prd_bench_" + std::to_string(p); }
int price_of(int p) { return 100 + 10 * p; }

int seed(const std::vector<std::string>& args) {
  auto db = open_db(arg(args, "db", "sqlite:bench.db"));
  const std::int64_t now = wall_ms(), today = now / 86'400'000;
  spotter::cloud::Argon2Hasher hasher;
  const std::string hash = hasher.hash(kPassword);
  auto s = db->transaction([&]() -> spotter::Status {
    for (int t = 0; t < 100; ++t) {
      const std::string id = "usr_bench_" + std::to_string(t * 10);  // their home branch is br_bench_0
      check(db->execute("UPDATE users SET role = 'trainer' WHERE id = ?", {id}));
      check(db->execute("INSERT INTO user_branches (user_id, branch_id) VALUES (?, 'br_bench_0')", {id}));
    }
    check(db->execute("INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at) VALUES "
                      "('usr_bench_admin', ?, ?, 'Bench admin', 'admin', ?, ?)",
                      {"m" + std::to_string(kAdmin) + "@bench.test", hash, now, now}));
    check(db->execute("INSERT INTO user_search_keys (search_key, user_id) VALUES (?, 'usr_bench_admin')", {"m" + std::to_string(kAdmin) + "@bench.test"}));
    std::vector<spotter::cloud::SqlValue> products;
    for (int p = -1; p < kProducts; ++p)
      products.insert(products.end(), {product_id(p), std::string("br_bench_0"), "Product " + std::to_string(p), "SKU-" + std::to_string(p + 1),
                                       std::int64_t{price_of(std::max(p, 0))}, std::int64_t{p < 0 ? kScarceStock : 900'000'000}, std::int64_t{5}, true,
                                       true, now, now});
    insert_rows(*db, "INSERT INTO products (id, branch_id, name, sku, price_cents, stock, low_stock_threshold, active, ever_sold, created_at, updated_at)", 11,
                products);
    // A year of sales, a line each, by twenty of the staff; then their daily sums as the
    // service keeps them, computed from those rows.
    std::mt19937_64 rng(11);
    for (int chunk = 0; chunk < kYearSales; chunk += 50'000) {
      std::vector<spotter::cloud::SqlValue> sales, lines;
      for (int n = chunk; n < chunk + 50'000; ++n) {
        const int p = static_cast<int>(rng() % kProducts), q = 1 + static_cast<int>(rng() % 3);
        const std::int64_t day = today - 1 - static_cast<std::int64_t>(rng() % 365), at = day * 86'400'000 + 36'000'000 + static_cast<std::int64_t>(rng() % 36'000'000);
        const std::string id = "sal_seed_" + std::to_string(n);
        static const char* methods[] = {"cash", "card", "other"};
        sales.insert(sales.end(), {id, std::string("br_bench_0"), std::string("completed"), std::string(methods[n % 3]), std::int64_t{price_of(p) * q},
                                   "usr_bench_" + std::to_string(n % 20 * 10), at, day});
        lines.insert(lines.end(), {id, std::int64_t{1}, product_id(p), "Product " + std::to_string(p), std::int64_t{q}, std::int64_t{price_of(p)},
                                   std::int64_t{price_of(p) * q}});
      }
      insert_rows(*db, "INSERT INTO sales (id, branch_id, status, payment_method, total_cents, sold_by, sold_at, local_day)", 8, sales);
      insert_rows(*db, "INSERT INTO sale_lines (sale_id, line_no, product_id, name, quantity, unit_price_cents, total_cents)", 7, lines);
    }
    // Visits at br_bench_0: 5,000 today (a busy day) by 5,000 of its members, and 1,000 a
    // day for the year before.
    for (int d = 0; d <= 365; ++d) {
      std::vector<spotter::cloud::SqlValue> visits;
      const int n = d == 0 ? 5'000 : 1'000;
      for (int v = 0; v < n; ++v) {
        const std::int64_t start = (today - d) * 86'400'000 + 25'200'000 + static_cast<std::int64_t>(rng() % 43'200'000);
        const bool open = d == 0 && start + 3'600'000 > now;
        visits.insert(visits.end(), {"ses_bench_" + std::to_string(d) + "_" + std::to_string(v), "usr_bench_" + std::to_string(v * 10 % 100'000),
                                     std::string("br_bench_0"), start, open ? spotter::cloud::SqlValue(nullptr) : spotter::cloud::SqlValue(start + 3'600'000),
                                     std::string(open ? "active" : "ended"), std::string("door")});
      }
      insert_rows(*db, "INSERT INTO gym_sessions (id, user_id, branch_id, started_at, ended_at, status, source)", 7, visits);
    }
    check(db->execute("INSERT INTO sales_days (branch_id, sold_by, day, payment_method, sales, total_cents) "
                      "SELECT branch_id, sold_by, local_day, payment_method, COUNT(*), SUM(total_cents) FROM sales GROUP BY branch_id, sold_by, local_day, payment_method"));
    check(db->execute("INSERT INTO sales_product_days (branch_id, sold_by, day, product_id, quantity, total_cents) "
                      "SELECT s.branch_id, s.sold_by, s.local_day, l.product_id, SUM(l.quantity), SUM(l.total_cents) FROM sales s JOIN sale_lines l "
                      "ON l.sale_id = s.id GROUP BY s.branch_id, s.sold_by, s.local_day, l.product_id"));
    // The whole branch's sums (seller '*'), as the service keeps them beside each seller's.
    check(db->execute("INSERT INTO sales_days (branch_id, sold_by, day, payment_method, sales, total_cents) "
                      "SELECT branch_id, '*', day, payment_method, SUM(sales), SUM(total_cents) FROM sales_days GROUP BY branch_id, day, payment_method"));
    check(db->execute("INSERT INTO sales_product_days (branch_id, sold_by, day, product_id, quantity, total_cents) "
                      "SELECT branch_id, '*', day, product_id, SUM(quantity), SUM(total_cents) FROM sales_product_days GROUP BY branch_id, day, product_id"));
    return {};
  });
  if (!s) throw std::runtime_error(s.error().message);
  std::cout << Json{{"mode", "shop_seed"}, {"desks", 100}, {"products", kProducts + 1}, {"year_sales", kYearSales}}.dump() << "\n";
  return 0;
}

LoadPlan plan_of(const std::vector<std::string>& args, const char* clients, const char* seconds) {
  LoadPlan plan;
  plan.port = std::stoi(arg(args, "port", "8080"));
  plan.clients = std::stoi(arg(args, "clients", clients));
  plan.seconds = std::chrono::seconds(std::stoi(arg(args, "seconds", seconds)));
  plan.interval = std::chrono::milliseconds(std::stoi(arg(args, "interval-ms", "0")));
  plan.warmup = std::chrono::seconds(std::stoi(arg(args, "warmup", "0")));
  return plan;
}

int sales(const std::vector<std::string>& args) {
  LoadPlan plan = plan_of(args, "100", "15");
  plan.member_of = [](int c) { return c * 10; };  // the desk staff
  const std::string run = std::to_string(wall_ms());
  plan.request_of = [](int c, int round) {
    const int a = (c * 7 + round) % kProducts, b = (c * 13 + round * 3 + 1) % kProducts;
    Json items = Json::array({{{"product_id", product_id(a)}, {"quantity", 1}}, {{"product_id", product_id(b)}, {"quantity", 2}}});
    items.push_back({{"product_id", product_id((round + c) % 10 == 0 ? -1 : (a + 5) % kProducts)}, {"quantity", 1}});
    static const char* methods[] = {"cash", "card", "other"};
    return std::tuple{http::verb::post, std::string("/api/sales"),
                      Json{{"branch_id", "br_bench_0"}, {"items", items}, {"payment_method", methods[round % 3]}}.dump()};
  };
  plan.idempotency_key_of = [run](int c, int round) { return "bench-" + run + "-" + std::to_string(c) + "-" + std::to_string(round); };
  auto result = run_load(plan);
  // No oversell: the scarce product's stock is what it had less what completed sales took,
  // never below zero, and every product's ledger adds up to its stock.
  auto db = open_db(arg(args, "db", "sqlite:bench.db"));
  auto scarce = db->query("SELECT stock FROM products WHERE id = 'prd_bench_scarce'");
  auto sold = db->query("SELECT COALESCE(SUM(l.quantity), 0) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
                        "WHERE l.product_id = 'prd_bench_scarce' AND s.status = 'completed'");
  auto ledger = db->query("SELECT COUNT(*) FROM products p WHERE p.stock <> "
                          "(SELECT COALESCE(SUM(m.delta), 0) FROM stock_movements m WHERE m.product_id = p.id) + "
                          "CASE WHEN p.id = 'prd_bench_scarce' THEN ? ELSE 900000000 END",
                          {std::int64_t{kScarceStock}});
  if (!scarce || !sold || !ledger) throw std::runtime_error("checking the stock failed");
  const auto scarce_left = scarce->front().integer(0), scarce_sold = sold->front().integer(0);
  Json out = result.json("sales_3_lines", plan);
  out["scarce_stock_left"] = scarce_left;
  out["scarce_sold"] = scarce_sold;
  out["oversold"] = scarce_left < 0 || scarce_left + scarce_sold != kScarceStock;
  out["products_whose_ledger_differs"] = ledger->front().integer(0);
  std::cout << out.dump() << "\n";
  return 0;
}

int summary(const std::vector<std::string>& args) {
  LoadPlan plan = plan_of(args, "5", "10");
  plan.member_of = [](int) { return kAdmin; };
  const std::int64_t today = wall_ms() / 86'400'000;
  const std::string target = "/api/sales/summary?branch_id=br_bench_0&from=" + spotter::cloud::format_date(today - 366) +
                             "&to=" + spotter::cloud::format_date(today);
  plan.request_of = [target](int, int) { return std::tuple{http::verb::get, target, std::string()}; };
  std::cout << run_load(plan).json("sales_summary_year", plan).dump() << "\n";
  return 0;
}

int attendance(const std::vector<std::string>& args) {
  LoadPlan plan = plan_of(args, "1", "10");
  plan.member_of = [](int) { return kAdmin; };
  plan.request_of = [](int, int) { return std::tuple{http::verb::get, std::string("/api/attendance/daily?branch_id=br_bench_0"), std::string()}; };
  std::cout << run_load(plan).json("attendance_daily_5000", plan).dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string mode = args.empty() ? "" : args[0];
  try {
    if (mode == "seed") return seed(args);
    if (mode == "sales") return sales(args);
    if (mode == "summary") return summary(args);
    if (mode == "attendance") return attendance(args);
  } catch (const std::exception& e) {
    std::cerr << "bench_operations: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: bench_operations seed|sales|summary|attendance ...\n";
  return 2;
}
