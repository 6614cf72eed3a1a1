// The shop (cloud-api-2.md "Chain operations"): products, the stock ledger, sales with
// Idempotency-Key, voids and the summary. Both engines.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "domains/shop/rules.hpp"
#include "fixture.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {

struct Desk {
  explicit Desk(TestCloud& c) : cloud(c) {
    centro = cloud.branch("Centro");
    norte = cloud.branch("Norte");
    ana = cloud.member("ana@gym.test", centro, cloud.plan({centro}));
    coach = cloud.trainer("coach@gym.test", {centro});
    other_coach = cloud.trainer("other@gym.test", {norte});
    water = product("Water", "W-1", 150, 10);
    bar = product("Protein bar", "B-1", 290, 5);
    shake = product("Shake", "S-1", 450, 2);
  }
  std::string product(const std::string& name, const std::string& sku, int price, int stock, const std::string& branch = "") {
    auto r = cloud.http.post("/api/products", {{"branch_id", branch.empty() ? centro : branch}, {"name", name}, {"sku", sku}, {"price_cents", price},
                                               {"stock", stock}, {"low_stock_threshold", 2}},
                             cloud.admin());
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return r.json["id"];
  }
  Json item(const std::string& id, int quantity) { return {{"product_id", id}, {"quantity", quantity}}; }
  Json sale(const Json& items, const std::string& method = "cash") { return {{"branch_id", centro}, {"items", items}, {"payment_method", method}}; }
  // A cart of lines: always an array (a braced Json of one element would be that element).
  Json sale(std::initializer_list<Json> lines, const std::string& method = "cash") { return sale(Json(std::vector<Json>(lines)), method); }
  std::int64_t stock(const std::string& id) {
    auto r = cloud.http.get("/api/products/" + id, cloud.admin());
    REQUIRE(r.status == 200);
    return r.json["stock"];
  }
  // The ledger explains the stock: the sum of a product's movements.
  std::int64_t ledger_sum(const std::string& id) {
    auto rows = cloud.db().query("SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE product_id = ?", {id});
    REQUIRE(rows);
    return rows->front().integer(0);
  }
  TestCloud& cloud;
  std::string centro, norte, water, bar, shake;
  Person ana, coach, other_coach;
};

}  // namespace

TEST_CASE("shop rules: carts merge a product's lines in product order; manual movements need a reason and a direction") {
  using namespace spotter::cloud::shop;
  auto merged = merge_lines({{"b", 2}, {"a", 1}, {"b", 3}});
  REQUIRE(merged);
  REQUIRE(merged->size() == 2);
  CHECK(((*merged)[0].product_id == "a" && (*merged)[0].quantity == 1));
  CHECK(((*merged)[1].product_id == "b" && (*merged)[1].quantity == 5));
  CHECK_FALSE(merge_lines({{"a", 600}, {"a", 600}}));
  CHECK_FALSE(movement_problem("receive", 5));
  CHECK(movement_problem("receive", -5));
  CHECK_FALSE(movement_problem("count", -5));
  CHECK(movement_problem("adjust", 0));
  CHECK(movement_problem("sale", -1));  // only a sale sells
  CHECK(is_payment_method("card"));
  CHECK_FALSE(is_payment_method("bitcoin"));
}

TEST_CASE("products: admins keep them, staff of the branch read them, stock moves only through the ledger") {
  TestCloud cloud;
  Desk d(cloud);
  auto& http = cloud.http;
  // Bad input names the field; SKUs are unique per branch; trainers and members may not create.
  auto bad = http.post("/api/products", {{"branch_id", d.centro}, {"name", ""}, {"sku", "has space"}, {"price_cents", -1}, {"stock", -3}}, cloud.admin());
  REQUIRE(bad.status == 400);
  std::set<std::string> fields;
  for (const auto& e : bad.json["errors"]) fields.insert(e["field"]);
  CHECK_MESSAGE((fields == std::set<std::string>{"name", "sku", "price_cents", "stock"}), bad.body);
  CHECK(http.post("/api/products", {{"branch_id", d.centro}, {"name", "Dup"}, {"sku", "W-1"}, {"price_cents", 1}}, cloud.admin()).status == 409);
  CHECK(d.product("Water", "W-1", 150, 0, d.norte).size() > 0);  // the same SKU at another branch
  CHECK(http.post("/api/products", {{"branch_id", d.centro}, {"name", "X"}, {"sku", "X-1"}, {"price_cents", 1}}, d.coach.token).status == 403);
  CHECK(http.post("/api/products", {{"branch_id", "br_nowhere"}, {"name", "X"}, {"sku", "X-1"}, {"price_cents", 1}}, cloud.admin()).status == 400);

  // Reading: the branch's trainer yes, another branch's trainer no, members never.
  auto list = http.get("/api/products?branch_id=" + d.centro, d.coach.token);
  REQUIRE(list.status == 200);
  CHECK(list.json["items"].size() == 3);
  CHECK(http.get("/api/products?branch_id=" + d.centro, d.other_coach.token).status == 403);
  CHECK(http.get("/api/products", d.coach.token).json["errors"][0]["field"] == "branch_id");
  CHECK(http.get("/api/products/" + d.water, d.other_coach.token).status == 404);
  CHECK(http.get("/api/products?branch_id=" + d.centro, d.ana.token).status == 403);
  auto low = http.get("/api/products?branch_id=" + d.centro + "&low_stock=true", d.coach.token);
  REQUIRE(low.json["items"].size() == 1);  // the shake: 2 <= 2
  CHECK(low.json["items"][0]["id"] == d.shake);

  // Stock moves by movements: receive, adjust, count; never below zero; the ledger explains it.
  const std::string moves = "/api/products/" + d.water + "/stock-movements";
  auto in = http.post(moves, {{"delta", 24}, {"reason", "receive"}, {"note", "delivery 1182"}}, cloud.admin());
  REQUIRE_MESSAGE(in.status == 201, in.body);
  CHECK(in.json["stock_after"] == 34);
  CHECK(http.post(moves, {{"delta", -100}, {"reason", "adjust"}}, cloud.admin()).status == 409);
  CHECK(http.post(moves, {{"delta", -2}, {"reason", "receive"}}, cloud.admin()).json["errors"][0]["field"] == "delta");
  CHECK(http.post(moves, {{"delta", 0}, {"reason", "count"}}, cloud.admin()).status == 400);
  CHECK(http.post(moves, {{"delta", 1}, {"reason", "sale"}}, cloud.admin()).json["errors"][0]["field"] == "reason");
  CHECK(http.post(moves, {{"delta", 1}, {"reason", "receive"}}, d.coach.token).status == 403);
  CHECK(http.post(moves, {{"delta", -4}, {"reason", "count"}}, cloud.admin()).json["stock_after"] == 30);
  CHECK(d.stock(d.water) == 30);
  CHECK(d.ledger_sum(d.water) == 30);
  auto ledger = http.get(moves, d.coach.token);
  REQUIRE(ledger.json["items"].size() == 3);  // newest first: count, receive, the initial stock
  CHECK(ledger.json["items"][0]["reason"] == "count");
  CHECK(ledger.json["items"][2]["note"] == "initial stock");

  // PATCH: never the stock; a price change applies to later sales.
  auto stock_patch = http.patch("/api/products/" + d.water, {{"stock", 999}}, cloud.admin());
  CHECK(stock_patch.status == 400);
  CHECK(stock_patch.json["errors"][0]["field"] == "stock");
  CHECK(http.patch("/api/products/" + d.water, {{"sku", "B-1"}}, cloud.admin()).status == 409);
  auto repriced = http.patch("/api/products/" + d.water, {{"price_cents", 175}, {"name", "Water 0.5 l"}}, cloud.admin());
  REQUIRE(repriced.status == 200);
  CHECK(repriced.json["price_cents"] == 175);
  CHECK(repriced.json["stock"] == 30);
  CHECK(http.patch("/api/products/" + d.water, {{"price_cents", 1}}, d.coach.token).status == 403);

  // DELETE: a product never sold goes (with its manual movements); one sold stays.
  const auto spare = d.product("Spare", "SP-1", 100, 3);
  CHECK(http.del("/api/products/" + spare, cloud.admin()).status == 204);
  CHECK(http.get("/api/products/" + spare, cloud.admin()).status == 404);
  auto sold = http.post("/api/sales", d.sale({d.item(d.bar, 1)}), d.coach.token);
  REQUIRE_MESSAGE(sold.status == 201, sold.body);
  CHECK(http.del("/api/products/" + d.bar, cloud.admin()).status == 409);
  CHECK(http.patch("/api/products/" + d.bar, {{"active", false}}, cloud.admin()).json["active"] == false);
}

TEST_CASE("sales: several lines at the price of the moment; a line without stock refuses the whole sale; bad carts are refused cleanly") {
  TestCloud cloud;
  Desk d(cloud);
  auto& http = cloud.http;
  auto sale = http.post("/api/sales", {{"branch_id", d.centro}, {"items", {d.item(d.water, 2), d.item(d.bar, 1), d.item(d.water, 1)}},
                                       {"payment_method", "card"}, {"member_id", d.ana.id}},
                        d.coach.token);
  REQUIRE_MESSAGE(sale.status == 201, sale.body);
  CHECK(sale.json["status"] == "completed");
  CHECK(sale.json["sold_by"] == d.coach.id);
  CHECK(sale.json["member_id"] == d.ana.id);
  CHECK(sale.json["total_cents"] == 3 * 150 + 290);
  REQUIRE(sale.json["items"].size() == 2);  // water's two lines as one
  CHECK(d.stock(d.water) == 7);
  CHECK(d.stock(d.bar) == 4);
  REQUIRE(http.patch("/api/products/" + d.water, {{"price_cents", 999}}, cloud.admin()).status == 200);
  auto receipt = http.get("/api/sales/" + sale.json["id"].get<std::string>(), d.coach.token);
  REQUIRE(receipt.status == 200);
  for (const auto& l : receipt.json["items"])
    if (l["product_id"] == d.water) CHECK(l["unit_price_cents"] == 150);  // the price when sold

  // Three shakes asked, two in stock: nothing changes, the answer names the product.
  const auto sales_before = cloud.count("sales"), moves_before = cloud.count("stock_movements");
  auto short_sale = http.post("/api/sales", d.sale({d.item(d.water, 1), d.item(d.shake, 3)}), d.coach.token);
  REQUIRE(short_sale.status == 409);
  CHECK(short_sale.json["detail"].get<std::string>().find(d.shake) != std::string::npos);
  CHECK(d.stock(d.water) == 7);  // its line came first and was rolled back
  CHECK(d.stock(d.shake) == 2);
  CHECK(cloud.count("sales") == sales_before);
  CHECK(cloud.count("stock_movements") == moves_before);

  // Bad carts: 400 naming the field, nothing written.
  Json many = Json::array();
  for (int i = 0; i < 10'000; ++i) many.push_back(d.item(d.water, 1));
  CHECK(http.post("/api/sales", d.sale(many), d.coach.token).json["errors"][0]["field"] == "items");
  auto negative = http.post("/api/sales", d.sale({d.item(d.water, -1)}), d.coach.token);
  REQUIRE(negative.status == 400);
  CHECK(negative.json["errors"][0]["field"] == "items[0].quantity");
  CHECK(http.post("/api/sales", d.sale({{{"product_id", d.water}}}), d.coach.token).json["errors"][0]["field"] == "items[0].quantity");
  CHECK(http.post("/api/sales", d.sale(Json::array({"water"})), d.coach.token).json["errors"][0]["field"] == "items[0]");
  CHECK(http.post("/api/sales", d.sale({d.item(d.water, 1)}, "bitcoin"), d.coach.token).json["errors"][0]["field"] == "payment_method");
  CHECK(http.post("/api/sales", d.sale({d.item(d.water, 600), d.item(d.water, 600)}), d.coach.token).json["errors"][0]["field"] == "items");
  const auto elsewhere = d.product("Water", "W-9", 150, 5, d.norte);
  CHECK(http.post("/api/sales", d.sale({d.item(elsewhere, 1)}), d.coach.token).json["errors"][0]["field"] == "items");
  auto ghost = d.sale({d.item(d.water, 1)});
  ghost["member_id"] = "usr_nobody";
  CHECK(http.post("/api/sales", ghost, d.coach.token).json["errors"][0]["field"] == "member_id");
  CHECK(http.raw("POST", "/api/sales", "{\"branch_id\":", d.coach.token).status == 400);
  // Who sells: the branch's staff only.
  CHECK(http.post("/api/sales", d.sale({d.item(d.water, 1)}), d.other_coach.token).status == 403);
  CHECK(http.post("/api/sales", d.sale({d.item(d.water, 1)}), d.ana.token).status == 403);
  CHECK(http.post("/api/sales", d.sale({d.item(d.water, 1)})).status == 401);
  REQUIRE(http.patch("/api/products/" + d.bar, {{"active", false}}, cloud.admin()).status == 200);
  CHECK(http.post("/api/sales", d.sale({d.item(d.bar, 1)}), d.coach.token).status == 409);
  CHECK(cloud.count("sales") == sales_before);
  CHECK(d.stock(d.water) == 7);
  CHECK(d.ledger_sum(d.water) == 7);
}

TEST_CASE("sales: a desk that retries with its Idempotency-Key sells once; another body with the key is 409") {
  TestCloud cloud;
  Desk d(cloud);
  HttpClient desk(cloud.port());
  desk.set_header("Idempotency-Key", "desk-1-receipt-0042");
  const Json body = d.sale({d.item(d.water, 2), d.item(d.bar, 1)});
  auto first = desk.post("/api/sales", body, d.coach.token);
  REQUIRE(first.status == 201);
  auto retry = desk.post("/api/sales", body, d.coach.token);
  CHECK(retry.status == 201);
  CHECK(retry.json["id"] == first.json["id"]);
  CHECK(retry.header("idempotency-replayed") == "true");
  CHECK(d.stock(d.water) == 8);
  CHECK(cloud.count("sales") == 1);
  CHECK(desk.post("/api/sales", d.sale({d.item(d.water, 3)}), d.coach.token).status == 409);
  // A refused sale keeps no key: after a delivery the same retry goes through.
  desk.set_header("Idempotency-Key", "desk-1-receipt-0043");
  CHECK(desk.post("/api/sales", d.sale({d.item(d.shake, 3)}), d.coach.token).status == 409);
  REQUIRE(cloud.http.post("/api/products/" + d.shake + "/stock-movements", {{"delta", 6}, {"reason", "receive"}}, cloud.admin()).status == 201);
  CHECK(desk.post("/api/sales", d.sale({d.item(d.shake, 3)}), d.coach.token).status == 201);
  CHECK(d.stock(d.shake) == 5);
}

TEST_CASE("sales under concurrency: twenty desks selling the last units sell each once; one key retried at once is one sale") {
  TestCloud cloud;
  Desk d(cloud);  // five bars
  constexpr int kDesks = 20;
  std::atomic<int> sold{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  const std::string admin = cloud.admin();
  for (int i = 0; i < kDesks; ++i)
    threads.emplace_back([&, i] {
      HttpClient c(cloud.port());
      c.set_header("Idempotency-Key", "desk-" + std::to_string(i));
      // Each desk also sells a water: a refused bar must give that water back.
      auto r = c.post("/api/sales", d.sale({d.item(d.water, 1), d.item(d.bar, 1)}), i % 2 ? d.coach.token : admin);
      (r.status == 201 ? sold : r.status == 409 ? refused : other)++;
    });
  for (auto& t : threads) t.join();
  CHECK(sold == 5);
  CHECK(refused == kDesks - 5);
  CHECK(other == 0);
  CHECK(d.stock(d.bar) == 0);
  CHECK(d.stock(d.water) == 5);
  CHECK(d.ledger_sum(d.bar) == 0);
  CHECK(d.ledger_sum(d.water) == 5);
  CHECK(cloud.count("sales") == 5);

  REQUIRE(cloud.http.post("/api/products/" + d.water + "/stock-movements", {{"delta", 50}, {"reason", "receive"}}, cloud.admin()).status == 201);
  std::mutex mu;
  std::set<std::string> ids;
  threads.clear();
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      HttpClient c(cloud.port());
      c.set_header("Idempotency-Key", "the-same-receipt");
      auto r = c.post("/api/sales", d.sale({d.item(d.water, 2)}), d.coach.token);
      std::lock_guard lock(mu);
      ids.insert(r.status == 201 ? r.json["id"].get<std::string>() : "status " + std::to_string(r.status));
    });
  for (auto& t : threads) t.join();
  CHECK(ids.size() == 1);
  CHECK(ids.begin()->rfind("sal", 0) == 0);
  CHECK(d.stock(d.water) == 53);
}

TEST_CASE("voids return the stock once; the list and the summary count completed sales; trainers see their own") {
  TestCloud cloud;
  Desk d(cloud);
  auto& http = cloud.http;
  auto a = http.post("/api/sales", d.sale({d.item(d.water, 2), d.item(d.bar, 1)}, "cash"), d.coach.token);
  cloud.clock.advance(std::chrono::minutes(1));
  auto b = http.post("/api/sales", d.sale({d.item(d.water, 1)}, "card"), cloud.admin());
  cloud.clock.advance(std::chrono::minutes(1));
  auto c = http.post("/api/sales", d.sale({d.item(d.bar, 2)}, "card"), d.coach.token);
  REQUIRE((a.status == 201 && b.status == 201 && c.status == 201));
  const std::string c_id = c.json["id"];
  CHECK(http.post("/api/sales/" + c_id + "/void", {{"reason", "wrong item"}}, d.coach.token).status == 403);
  CHECK(http.post("/api/sales/" + c_id + "/void", Json::object(), cloud.admin()).json["errors"][0]["field"] == "reason");
  auto voided = http.post("/api/sales/" + c_id + "/void", {{"reason", "wrong item"}}, cloud.admin());
  REQUIRE(voided.status == 200);
  CHECK(voided.json["status"] == "voided");
  CHECK(http.post("/api/sales/" + c_id + "/void", {{"reason", "again"}}, cloud.admin()).status == 409);
  CHECK(d.stock(d.bar) == 4);
  CHECK(d.ledger_sum(d.bar) == 4);
  auto bar_ledger = http.get("/api/products/" + d.bar + "/stock-movements", cloud.admin());
  CHECK(bar_ledger.json["items"][0]["reason"] == "void");
  CHECK(bar_ledger.json["items"][0]["sale_id"] == c_id);
  CHECK(http.post("/api/sales/sal_nope/void", {{"reason", "x"}}, cloud.admin()).status == 404);

  // The admin's summary: two completed sales (the void is left out).
  auto all = http.get("/api/sales/summary?branch_id=" + d.centro, cloud.admin());
  REQUIRE_MESSAGE(all.status == 200, all.body);
  CHECK(all.json["count"] == 2);
  CHECK(all.json["total_cents"] == 2 * 150 + 290 + 150);
  REQUIRE(all.json["by_payment_method"].size() == 2);
  CHECK(all.json["by_payment_method"][0]["payment_method"] == "card");
  CHECK(all.json["by_payment_method"][0]["total_cents"] == 150);
  REQUIRE(all.json["by_day"].size() == 1);
  CHECK(all.json["by_day"][0]["date"] == "2026-03-02");  // Monday in Madrid
  CHECK(all.json["by_day"][0]["count"] == 2);
  REQUIRE(all.json["by_product"].size() == 2);
  CHECK(all.json["by_product"][0]["product_id"] == d.water);
  CHECK(all.json["by_product"][0]["quantity"] == 3);
  CHECK(all.json["by_product"][0]["name"] == "Water");
  // The trainer's: their own only; asking for someone else's is refused.
  auto mine = http.get("/api/sales/summary?branch_id=" + d.centro, d.coach.token);
  CHECK(mine.json["count"] == 1);
  CHECK(mine.json["sold_by"] == d.coach.id);
  const std::string admin_id = http.get("/api/auth/me", cloud.admin()).json["id"];
  CHECK(http.get("/api/sales/summary?branch_id=" + d.centro + "&sold_by=" + admin_id, d.coach.token).status == 403);
  CHECK(http.get("/api/sales/summary?branch_id=" + d.centro + "&sold_by=" + admin_id, cloud.admin()).json["count"] == 1);
  CHECK(http.get("/api/sales/summary?branch_id=" + d.centro, d.other_coach.token).status == 403);
  CHECK(http.get("/api/sales/summary?branch_id=" + d.centro + "&from=yesterday", cloud.admin()).json["errors"][0]["field"] == "from");
  CHECK(http.get("/api/sales/summary?branch_id=" + d.centro + "&from=2026-03-03&to=2026-03-02", cloud.admin()).status == 400);
  CHECK(http.get("/api/sales/summary?branch_id=" + d.centro + "&from=2026-03-03&to=2026-03-09", cloud.admin()).json["count"] == 0);
  // The list: newest first, trainers their own, paged.
  auto list = http.get("/api/sales?branch_id=" + d.centro + "&limit=2", cloud.admin());
  REQUIRE(list.status == 200);
  REQUIRE(list.json["items"].size() == 2);
  CHECK(list.json["items"][0]["id"] == c_id);
  CHECK(list.json["items"][0]["status"] == "voided");
  auto rest = http.get("/api/sales?branch_id=" + d.centro + "&limit=2&cursor=" + list.json["next_cursor"].get<std::string>(), cloud.admin());
  REQUIRE(rest.json["items"].size() == 1);
  CHECK(rest.json["items"][0]["id"] == a.json["id"]);
  auto coach_list = http.get("/api/sales?branch_id=" + d.centro, d.coach.token);
  CHECK(coach_list.json["items"].size() == 2);
  CHECK(http.get("/api/sales/" + b.json["id"].get<std::string>(), d.coach.token).status == 404);  // the admin's sale
}
