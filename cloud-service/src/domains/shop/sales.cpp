// Sales at the desk, their voids, the list and the summary (cloud-api-2.md "Chain
// operations"). A sale is one transaction under the desk's Idempotency-Key: each product's
// stock taken by a conditional UPDATE (in product id order), a ledger row each, the sale
// and its lines at the price of the moment, the day's sums, the audit entry. A line without
// stock answers 409 and rolls all of it back, so twenty desks selling the last units at
// once sell each unit once.
#include "../../core/dates.hpp"
#include "../../core/fields.hpp"
#include "../../platform/idempotency.hpp"
#include "../../platform/responses.hpp"
#include "rules.hpp"
#include "shop.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::shop {

namespace {
Json sale_json(const SaleRow& s) {
  Json items = Json::array();
  for (const auto& l : s.lines)
    items.push_back({{"product_id", l.product_id}, {"name", l.name}, {"quantity", l.quantity}, {"unit_price_cents", l.unit_price_cents},
                     {"total_cents", l.total_cents}});
  return {{"id", s.id},
          {"branch_id", s.branch_id},
          {"member_id", s.member_id ? Json(*s.member_id) : Json(nullptr)},
          {"payment_method", s.payment_method},
          {"items", items},
          {"total_cents", s.total_cents},
          {"sold_by", s.sold_by},
          {"sold_at", rfc3339(s.sold_at)},
          {"status", s.status},
          {"voided_at", rfc3339_or_null(s.voided_at)},
          {"void_reason", s.void_reason ? Json(*s.void_reason) : Json(nullptr)}};
}

// The cart as sent: every line's fields named by its index when wrong.
std::vector<CartLine> read_cart(const Json* items, Fields& f) {
  std::vector<CartLine> cart;
  if (!items || !items->is_array() || items->empty()) {
    f.add_error("items", "required: 1 to " + std::to_string(kMaxSaleLines) + " lines of {product_id, quantity}");
    return cart;
  }
  if (items->size() > kMaxSaleLines) {
    f.add_error("items", "at most " + std::to_string(kMaxSaleLines) + " lines");
    return cart;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Json& line = (*items)[i];
    const std::string at = "items[" + std::to_string(i) + "]";
    if (!line.is_object()) {
      f.add_error(at, "must be an object {product_id, quantity}");
      continue;
    }
    Fields lf(line);
    CartLine c{lf.id("product_id"), lf.integer("quantity", 1, kMaxLineQuantity)};
    if (!lf.ok()) {
      for (const auto& e : lf.errors()) f.add_error(at + "." + e.field, e.message);
      continue;
    }
    cart.push_back(std::move(c));
  }
  return cart;
}
}  // namespace

HttpResponse ShopDomain::create_sale(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden("staff sell at the desk");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  const std::string branch_id = f.id("branch_id");
  const std::string method = f.choice("payment_method", {"cash", "card", "other"});
  const auto member_id = f.optional_id("member_id");
  auto cart = read_cart(f.raw("items"), f);
  if (!f.ok()) return f.problem();
  if (!who.manages_branch(branch_id)) return forbidden("only the branch's staff sell there");
  auto lines = merge_lines(std::move(cart));
  if (!lines) return validation_problem({{"items", "a product's quantities add up to more than " + std::to_string(kMaxLineQuantity)}});
  if (member_id) {
    SPOTTER_TRY(exists, checked(platform_.log, org_.user_exists(*member_id), "member"));
    if (!exists) return validation_problem({{"member_id", "no such member"}});
  }
  const std::int64_t now = platform_.now_ms();
  SPOTTER_TRY(day, checked(platform_.log, org_.branch_day(branch_id, now), "branch"));
  if (!day) return validation_problem({{"branch_id", "no such branch"}});
  return idempotent(platform_, ctx, "sale", [&]() -> HttpResponse {
    std::vector<std::string> ids;
    for (const auto& l : *lines) ids.push_back(l.product_id);
    SPOTTER_TRY(found, checked(platform_.log, products_.get_many(ids), "products"));
    std::map<std::string, ProductRow> by_id;
    for (auto& p : found) by_id.emplace(p.id, std::move(p));
    SaleRow sale;
    sale.id = new_id("sal", now);
    sale.branch_id = branch_id;
    sale.member_id = member_id;
    sale.payment_method = method;
    sale.sold_by = who.id;
    sale.sold_at = now;
    sale.local_day = *day;
    for (const auto& l : *lines) {
      auto p = by_id.find(l.product_id);
      if (p == by_id.end() || p->second.branch_id != branch_id)
        return validation_problem({{"items", "no product " + l.product_id + " at this branch"}});
      if (!p->second.active) return problem(409, "product-inactive", p->second.name + " (" + l.product_id + ") is not for sale");
      const std::int64_t total = p->second.price_cents * l.quantity;  // the price read in this transaction: the moment's
      sale.lines.push_back({l.product_id, p->second.name, l.quantity, p->second.price_cents, total});
      sale.total_cents += total;
    }
    // What locks no shared row first (the sale, its lines, the audit entry); then the stock,
    // in product id order; then the movements and the day's sums: the products' and the
    // day's rows stay locked only for those few statements and the commit.
    if (auto stored = sales_.insert(sale); !stored) return storage_failure(platform_.log, stored.error(), "sale");
    platform_.audit.record(ctx, "sale.create", sale.id, {{"branch_id", branch_id}, {"total_cents", sale.total_cents}, {"payment_method", method}});
    std::vector<MovementRow> movements;
    for (const auto& l : sale.lines) {
      SPOTTER_TRY(after, checked(platform_.log, products_.move(l.product_id, -l.quantity, true, now), "stock"));
      if (!after) {
        // Nothing of this sale stays: idempotent() rolls the transaction back on a non-2xx.
        auto left = products_.get(l.product_id);
        const std::int64_t stock = left && *left ? (*left)->stock : 0;
        return problem(409, "insufficient-stock",
                       "not enough " + l.name + " (" + l.product_id + "): " + std::to_string(stock) + " left, " + std::to_string(l.quantity) + " asked");
      }
      movements.push_back({0, l.product_id, -l.quantity, "sale", {}, sale.id, *after, who.id, now});
    }
    if (auto m = products_.add_movements(movements); !m) return storage_failure(platform_.log, m.error(), "stock");
    if (auto d = sales_.add_to_days(sale); !d) return storage_failure(platform_.log, d.error(), "sale");
    return json_response(201, sale_json(sale));
  });
}

HttpResponse ShopDomain::get_sale(RequestContext& ctx) {
  const Caller& who = ctx.who();
  SPOTTER_TRY(sale, checked(platform_.log, sales_.get(ctx.param("id")), "sale"));
  if (!sale || !who.manages_branch(sale->branch_id) || (!who.is_admin() && sale->sold_by != who.id)) return not_found("sale");
  return json_response(200, sale_json(*sale));
}

HttpResponse ShopDomain::void_sale(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_admin()) return forbidden("admins void sales");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  const std::string reason = f.text("reason", 200);
  if (!f.ok()) return f.problem();
  const std::int64_t now = platform_.now_ms();
  std::optional<HttpResponse> answer;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto sale = sales_.get(ctx.param("id"));
    if (!sale) return Unexpected<Error>{sale.error()};
    if (!*sale) return answer = not_found("sale"), Status{};
    auto voided = sales_.void_sale(**sale, who.id, reason, now);
    if (!voided) return Unexpected<Error>{voided.error()};
    if (!*voided) return answer = problem(409, "already-voided", "this sale was voided before"), Status{};
    // Products in id order, as the sale took them (its lines are one per product, sorted).
    for (const auto& l : (*sale)->lines) {
      auto after = products_.move(l.product_id, l.quantity, false, now);
      if (!after) return Unexpected<Error>{after.error()};
      if (!*after) return fail(std::string(sql_error::constraint), "restock refused");  // a positive delta: cannot happen
      SPOTTER_SQL(products_.add_movement({0, l.product_id, l.quantity, "void", reason, (*sale)->id, **after, who.id, now}));
    }
    platform_.audit.record(ctx, "sale.void", (*sale)->id, {{"reason", reason}, {"total_cents", (*sale)->total_cents}});
    (*sale)->status = "voided";
    (*sale)->voided_at = now;
    (*sale)->voided_by = who.id;
    (*sale)->void_reason = reason;
    answer = json_response(200, sale_json(**sale));
    return {};
  });
  if (!tx) return storage_failure(platform_.log, tx.error(), "sale");
  return *answer;
}

Try<ShopDomain::SalesQuery> ShopDomain::sales_query(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return Unexpected<HttpResponse>{forbidden("staff see sales")};
  SalesQuery q;
  q.branch_id = std::string(ctx.req.query_param("branch_id"));
  if (!is_valid_id(q.branch_id)) return Unexpected<HttpResponse>{validation_problem({{"branch_id", "required: the branch's id"}})};
  if (!who.manages_branch(q.branch_id)) return Unexpected<HttpResponse>{forbidden("only the branch's staff see its sales")};
  std::vector<FieldError> errors;
  for (auto [name, target] : {std::pair{"from", &q.from_day}, std::pair{"to", &q.to_day}}) {
    const auto v = ctx.req.query_param(name);
    if (v.empty()) continue;
    if (auto d = parse_date(v)) {
      *target = *d;
    } else if (auto t = parse_rfc3339_ms(v)) {
      auto d2 = org_.branch_day(q.branch_id, *t);
      if (!d2) return Unexpected<HttpResponse>{storage_failure(platform_.log, d2.error(), "calendar")};
      if (!*d2) return Unexpected<HttpResponse>{validation_problem({{"branch_id", "no such branch"}})};
      *target = **d2;
    } else {
      errors.push_back({name, "must be a date (2026-03-02) or an RFC 3339 time"});
    }
  }
  if (auto s = ctx.req.query_param("sold_by"); !s.empty()) {
    if (!is_valid_id(s)) errors.push_back({"sold_by", "must be a user id"});
    else q.sold_by = std::string(s);
  }
  if (!errors.empty()) return Unexpected<HttpResponse>{validation_problem(errors)};
  if (q.from_day && q.to_day && *q.to_day < *q.from_day) return Unexpected<HttpResponse>{validation_problem({{"to", "must not be before from"}})};
  // Trainers read their own sales only.
  if (!who.is_admin()) {
    if (q.sold_by && *q.sold_by != who.id) return Unexpected<HttpResponse>{forbidden("trainers see their own sales")};
    q.sold_by = who.id;
  }
  return q;
}

HttpResponse ShopDomain::list_sales(RequestContext& ctx) {
  SPOTTER_TRY(q, sales_query(ctx));
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(before, time_id_cursor(page));
  SaleFilter f{q.branch_id, q.sold_by, q.from_day, q.to_day, before, page.limit + 1};
  SPOTTER_TRY(rows, checked(platform_.log, sales_.list(f), "sales"));
  Json items = Json::array();
  for (const auto& s : rows) items.push_back(sale_json(s));
  return json_response(200, page_json(std::move(items), page, [](const Json& i) { return time_id_key(i, "sold_at"); }));
}

HttpResponse ShopDomain::sales_summary(RequestContext& ctx) {
  SPOTTER_TRY(q, sales_query(ctx));
  // Default: today at the branch. At most three years at once (a year is ~1,000 daily rows).
  if (!q.from_day || !q.to_day) {
    SPOTTER_TRY(today, checked(platform_.log, org_.branch_day(q.branch_id, platform_.now_ms()), "calendar"));
    if (!today) return validation_problem({{"branch_id", "no such branch"}});
    if (!q.to_day) q.to_day = q.from_day ? std::max(*q.from_day, *today) : *today;
    if (!q.from_day) q.from_day = *q.to_day;
  }
  if (*q.to_day - *q.from_day > 3 * 366) return validation_problem({{"from", "spans more than three years"}});
  SPOTTER_TRY(s, checked(platform_.log, sales_.summary(q.branch_id, *q.from_day, *q.to_day, q.sold_by), "summary"));
  Json methods = Json::array(), products = Json::array(), days = Json::array();
  for (const auto& b : s.by_payment_method) methods.push_back({{"payment_method", b.key}, {"count", b.count}, {"total_cents", b.total_cents}});
  for (const auto& b : s.by_product)
    products.push_back({{"product_id", b.key}, {"name", b.name}, {"quantity", b.quantity}, {"total_cents", b.total_cents}});
  for (const auto& b : s.by_day) days.push_back({{"date", format_date(std::stoll(b.key))}, {"count", b.count}, {"total_cents", b.total_cents}});
  return json_response(200, {{"branch_id", q.branch_id},
                             {"from", format_date(*q.from_day)},
                             {"to", format_date(*q.to_day)},
                             {"sold_by", q.sold_by ? Json(*q.sold_by) : Json(nullptr)},
                             {"count", s.count},
                             {"total_cents", s.total_cents},
                             {"by_payment_method", methods},
                             {"by_product", products},
                             {"by_day", days}});
}

}  // namespace spotter::cloud::shop
