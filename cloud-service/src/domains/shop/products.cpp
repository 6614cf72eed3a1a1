// Products and the stock ledger (cloud-api-2.md "Chain operations"). Stock changes only
// through a movement (receive, adjust, count here; sale and void in sales.cpp): the UPDATE
// that moves it and the ledger row are one transaction, and the UPDATE refuses to go below
// zero, so a product's stock is always the sum of its movements.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "rules.hpp"
#include "shop.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::shop {

namespace {
Json product_json(const ProductRow& p) {
  return {{"id", p.id},
          {"branch_id", p.branch_id},
          {"name", p.name},
          {"sku", p.sku},
          {"price_cents", p.price_cents},
          {"stock", p.stock},
          {"low_stock_threshold", p.low_stock_threshold},
          {"low_stock", p.stock <= p.low_stock_threshold},
          {"active", p.active},
          {"created_at", rfc3339(p.created_at)},
          {"updated_at", rfc3339(p.updated_at)}};
}
Json movement_json(const MovementRow& m) {
  return {{"id", m.id},
          {"product_id", m.product_id},
          {"delta", m.delta},
          {"reason", m.reason},
          {"note", m.note ? Json(*m.note) : Json(nullptr)},
          {"sale_id", m.sale_id ? Json(*m.sale_id) : Json(nullptr)},
          {"stock_after", m.stock_after},
          {"by", m.by},
          {"at", rfc3339(m.at)}};
}
// A SKU: what a barcode scanner types. Letters, digits and - _ . /, at most 64.
bool valid_sku(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '/') return false;
  return true;
}
}  // namespace

void ShopDomain::routes(RouteTable& t) {
  auto bind = [this](HttpResponse (ShopDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/products", Access::user, bind(&ShopDomain::create_product),
         "A product for a branch: branch_id, name, sku (unique per branch), price_cents, stock, low_stock_threshold, active", "admin"});
  t.add({"GET", "/api/products", Access::user, bind(&ShopDomain::list_products), "Products: ?branch_id=, active=, low_stock=true; limit, cursor",
         "staff (trainers: their branches)"});
  t.add({"GET", "/api/products/{id}", Access::user, bind(&ShopDomain::get_product), "A product", "staff of its branch"});
  t.add({"PATCH", "/api/products/{id}", Access::user, bind(&ShopDomain::update_product),
         "Change name, sku, price_cents (new sales only), low_stock_threshold, active; stock moves by stock-movements", "admin"});
  t.add({"DELETE", "/api/products/{id}", Access::user, bind(&ShopDomain::delete_product), "Delete a product never sold (else 409: deactivate it)",
         "admin"});
  t.add({"POST", "/api/products/{id}/stock-movements", Access::user, bind(&ShopDomain::add_movement),
         "Move stock by hand: delta (non-zero), reason (receive|adjust|count), note; never below 0 (409)", "admin"});
  t.add({"GET", "/api/products/{id}/stock-movements", Access::user, bind(&ShopDomain::list_movements),
         "The product's stock ledger, newest first, sales and voids included; limit, cursor", "staff of its branch"});
  t.add({"POST", "/api/sales", Access::user, bind(&ShopDomain::create_sale),
         "Sell at the desk (Idempotency-Key): branch_id, items [{product_id, quantity}], member_id?, payment_method (cash|card|other); "
         "all stock or none (409 naming the product)",
         "admin; trainers of the branch"});
  t.add({"GET", "/api/sales/summary", Access::user, bind(&ShopDomain::sales_summary),
         "Completed sales of a branch from..to (dates): count, total_cents, by_payment_method, by_product, by_day", "staff (trainers: their own)"});
  t.add({"GET", "/api/sales", Access::user, bind(&ShopDomain::list_sales), "Sales of a branch, newest first: ?branch_id=, from, to, sold_by; limit, cursor",
         "staff (trainers: their own)"});
  t.add({"GET", "/api/sales/{id}", Access::user, bind(&ShopDomain::get_sale), "A sale (the receipt)", "admin; trainers: their own"});
  t.add({"POST", "/api/sales/{id}/void", Access::user, bind(&ShopDomain::void_sale), "Void a sale (reason): its stock returns", "admin"});
}

HttpResponse ShopDomain::create_product(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("admins keep the product list");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  ProductRow p;
  p.branch_id = f.id("branch_id");
  p.name = f.text("name", 100);
  p.sku = f.text("sku", 64);
  if (!p.sku.empty() && !valid_sku(p.sku)) f.add_error("sku", "letters, digits and - _ . / only, at most 64");
  p.price_cents = f.integer("price_cents", 0, kMaxPriceCents);
  p.stock = body.contains("stock") ? f.integer("stock", 0, kMaxStock) : 0;
  p.low_stock_threshold = body.contains("low_stock_threshold") ? f.integer("low_stock_threshold", 0, kMaxStock) : 0;
  if (body.contains("active")) {
    if (!body["active"].is_boolean()) f.add_error("active", "must be true or false");
    else p.active = body["active"].get<bool>();
  }
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(branch, checked(platform_.log, org_.branch(p.branch_id), "branch"));
  if (!branch) return validation_problem({{"branch_id", "no such branch"}});
  const std::int64_t now = platform_.now_ms();
  p.id = new_id("prd", now);
  p.created_at = p.updated_at = now;
  std::optional<HttpResponse> refused;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto inserted = products_.insert(p);
    if (!inserted) return Unexpected<Error>{inserted.error()};
    if (!*inserted) {
      refused = problem(409, "sku-taken", "this branch has a product with SKU " + p.sku);
      return {};
    }
    // The first stock is received like any other: the ledger explains every unit.
    if (p.stock > 0) SPOTTER_SQL(products_.add_movement({0, p.id, p.stock, "receive", std::string("initial stock"), {}, p.stock, ctx.who().id, now}));
    platform_.audit.record(ctx, "product.create", p.id, {{"branch_id", p.branch_id}, {"sku", p.sku}, {"price_cents", p.price_cents}, {"stock", p.stock}});
    return {};
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "product");
  if (refused) return *refused;
  return json_response(201, product_json(p));
}

HttpResponse ShopDomain::list_products(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden("staff see the product list");
  SPOTTER_TRY(page, read_page(ctx.req));
  ProductFilter f;
  f.limit = page.limit + 1;
  f.after_id = page.after;
  std::vector<FieldError> errors;
  if (auto b = ctx.req.query_param("branch_id"); !b.empty()) {
    if (!is_valid_id(b)) errors.push_back({"branch_id", "must be a branch id"});
    else f.branch_id = std::string(b);
  } else if (!who.is_admin()) {
    errors.push_back({"branch_id", "required: one of your branches"});
  }
  if (auto a = ctx.req.query_param("active"); !a.empty()) {
    if (a != "true" && a != "false") errors.push_back({"active", "must be true or false"});
    else f.active = a == "true";
  }
  if (auto l = ctx.req.query_param("low_stock"); !l.empty()) {
    if (l != "true" && l != "false") errors.push_back({"low_stock", "must be true or false"});
    else f.low_stock = l == "true";
  }
  if (!errors.empty()) return validation_problem(errors);
  if (f.branch_id && !who.manages_branch(*f.branch_id)) return forbidden("only the branch's staff see its products");
  SPOTTER_TRY(rows, checked(platform_.log, products_.list(f), "products"));
  Json items = Json::array();
  for (const auto& p : rows) items.push_back(product_json(p));
  return json_response(200, page_json(std::move(items), page, [](const Json& i) { return i["id"].get<std::string>(); }));
}

Try<ProductRow> ShopDomain::visible_product(RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  auto p = products_.get(id);
  if (!p) return Unexpected<HttpResponse>{storage_failure(platform_.log, p.error(), "product")};
  if (!*p || !ctx.who().manages_branch((*p)->branch_id)) return Unexpected<HttpResponse>{not_found("product")};
  return **p;
}

HttpResponse ShopDomain::get_product(RequestContext& ctx) {
  SPOTTER_TRY(p, visible_product(ctx));
  return json_response(200, product_json(p));
}

HttpResponse ShopDomain::update_product(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("admins keep the product list");
  SPOTTER_TRY(body, parse_body(ctx.req));
  SPOTTER_TRY(p, visible_product(ctx));
  Fields f(body);
  if (body.contains("stock")) f.add_error("stock", "stock changes only by a stock movement (POST /api/products/{id}/stock-movements)");
  if (body.contains("branch_id")) f.add_error("branch_id", "a product stays at its branch");
  if (body.contains("name")) p.name = f.text("name", 100);
  if (body.contains("sku")) {
    p.sku = f.text("sku", 64);
    if (!p.sku.empty() && !valid_sku(p.sku)) f.add_error("sku", "letters, digits and - _ . / only, at most 64");
  }
  if (body.contains("price_cents")) p.price_cents = f.integer("price_cents", 0, kMaxPriceCents);
  if (body.contains("low_stock_threshold")) p.low_stock_threshold = f.integer("low_stock_threshold", 0, kMaxStock);
  if (body.contains("active")) {
    if (!body["active"].is_boolean()) f.add_error("active", "must be true or false");
    else p.active = body["active"].get<bool>();
  }
  if (!f.ok()) return f.problem();
  p.updated_at = platform_.now_ms();
  SPOTTER_TRY(updated, checked(platform_.log, products_.update(p), "product"));
  if (!updated) return problem(409, "sku-taken", "this branch has a product with SKU " + p.sku);
  platform_.audit.record(ctx, "product.update", p.id, body);
  SPOTTER_TRY(now, checked(platform_.log, products_.get(p.id), "product"));
  return json_response(200, product_json(now ? *now : p));
}

HttpResponse ShopDomain::delete_product(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("admins keep the product list");
  SPOTTER_TRY(p, visible_product(ctx));
  bool removed = false;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto r = products_.remove(p.id);
    if (!r) return Unexpected<Error>{r.error()};
    removed = *r;
    if (removed) platform_.audit.record(ctx, "product.delete", p.id, {{"sku", p.sku}});
    return {};
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "product");
  if (!removed) return problem(409, "product-was-sold", "a product that was ever sold stays in the books: deactivate it instead");
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse ShopDomain::add_movement(RequestContext& ctx) {
  if (!ctx.who().is_admin()) return forbidden("admins move stock by hand");
  SPOTTER_TRY(body, parse_body(ctx.req));
  SPOTTER_TRY(p, visible_product(ctx));
  Fields f(body);
  const std::int64_t delta = f.integer("delta", -kMaxStock, kMaxStock);
  const std::string reason = f.choice("reason", {"receive", "adjust", "count"});
  const auto note = f.optional_text("note", 200);
  if (f.ok()) {
    if (auto why = movement_problem(reason, delta)) f.add_error("delta", *why);
  }
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  MovementRow m{0, p.id, delta, reason, note, {}, 0, ctx.who().id, now};
  bool below_zero = false;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto after = products_.move(p.id, delta, false, now);
    if (!after) return Unexpected<Error>{after.error()};
    if (!*after) {
      below_zero = true;
      return {};
    }
    m.stock_after = **after;
    SPOTTER_SQL(products_.add_movement(m));
    platform_.audit.record(ctx, "product.stock", p.id, {{"delta", delta}, {"reason", reason}, {"stock_after", m.stock_after}});
    return {};
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "stock");
  if (below_zero) return problem(409, "stock-below-zero", "the stock of " + p.name + " would go below 0");
  SPOTTER_TRY(rows, checked(platform_.log, products_.movements(p.id, std::nullopt, 1), "stock"));
  return json_response(201, rows.empty() ? movement_json(m) : movement_json(rows.front()));
}

HttpResponse ShopDomain::list_movements(RequestContext& ctx) {
  if (!ctx.who().is_staff()) return not_found("product");
  SPOTTER_TRY(p, visible_product(ctx));
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(before, integer_cursor(page));
  SPOTTER_TRY(rows, checked(platform_.log, products_.movements(p.id, before, page.limit + 1), "stock"));
  Json items = Json::array();
  for (const auto& m : rows) items.push_back(movement_json(m));
  return json_response(200, page_json(std::move(items), page, [](const Json& i) { return std::to_string(i["id"].get<std::int64_t>()); }));
}

}  // namespace spotter::cloud::shop
