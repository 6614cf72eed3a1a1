// The shop (seed 002; cloud-api-2.md "Chain operations"): products per branch with their
// stock, the stock ledger, sales at the desk and their voids, and the sales summary. Stock
// and money move exactly once: a sale takes all of its stock or none (conditional UPDATEs
// in one transaction, never below zero), under the desk's Idempotency-Key
// (platform/idempotency.hpp). Asks org for branches and their calendars. docs/shop.md.
#pragma once
#include "../../platform/platform.hpp"
#include "../org/org.hpp"
#include "sales_store.hpp"
#include "store.hpp"

namespace spotter::cloud::shop {

class ShopDomain final : public Domain {
 public:
  ShopDomain(Platform& platform, org::OrgDomain& org) : platform_(platform), org_(org), products_(platform.db), sales_(platform.db) {}
  std::string_view name() const override { return "shop"; }
  std::vector<Migration> migrations() const override {
    auto all = ProductStore::migrations();
    for (auto& m : SalesStore::migrations()) all.push_back(std::move(m));
    return all;
  }
  void routes(RouteTable& table) override;

 private:
  // Products and stock (products.cpp).
  HttpResponse create_product(RequestContext& ctx);
  HttpResponse list_products(RequestContext& ctx);
  HttpResponse get_product(RequestContext& ctx);
  HttpResponse update_product(RequestContext& ctx);
  HttpResponse delete_product(RequestContext& ctx);
  HttpResponse add_movement(RequestContext& ctx);
  HttpResponse list_movements(RequestContext& ctx);
  // The product if the caller may see it (staff of its branch); 404 otherwise.
  Try<ProductRow> visible_product(RequestContext& ctx);
  // Sales (sales.cpp).
  HttpResponse create_sale(RequestContext& ctx);
  HttpResponse get_sale(RequestContext& ctx);
  HttpResponse void_sale(RequestContext& ctx);
  HttpResponse list_sales(RequestContext& ctx);
  HttpResponse sales_summary(RequestContext& ctx);
  // ?branch_id= (staff of it), ?from=&to= (dates or RFC 3339 times, as branch-local days)
  // and the seller whose sales the caller may read (trainers: their own only).
  struct SalesQuery {
    std::string branch_id;
    std::optional<std::int64_t> from_day, to_day;
    std::optional<std::string> sold_by;
  };
  Try<SalesQuery> sales_query(RequestContext& ctx);

  Platform& platform_;
  org::OrgDomain& org_;
  ProductStore products_;
  SalesStore sales_;
};

}  // namespace spotter::cloud::shop
