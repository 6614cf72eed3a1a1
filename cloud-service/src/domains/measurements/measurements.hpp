// Body measurements (seed 002; cloud-api-2.md "Chain operations"): weight, body fat,
// girths and the like, with plausible bounds, the latest and the progress between two
// dates. A member's own; staff of their branches record them; trainers read them only while
// the member shares measurements (org's privacy switch, asked on every read). docs/cloud-service.md.
#pragma once
#include "../../platform/platform.hpp"
#include "../org/org.hpp"
#include "store.hpp"

namespace spotter::cloud::measurements {

class MeasurementsDomain final : public Domain {
 public:
  MeasurementsDomain(Platform& platform, org::OrgDomain& org) : platform_(platform), org_(org), store_(platform.db) {}
  std::string_view name() const override { return "measurements"; }
  std::vector<Migration> migrations() const override { return MeasurementStore::migrations(); }
  void routes(RouteTable& table) override;
  void subscribe(EventBus& bus) override;

 private:
  HttpResponse create(RequestContext& ctx);
  HttpResponse list(RequestContext& ctx);
  HttpResponse latest(RequestContext& ctx);
  HttpResponse progress_of(RequestContext& ctx);
  HttpResponse update(RequestContext& ctx);
  HttpResponse remove(RequestContext& ctx);
  // The member a path names ("me" is the caller), if the caller may write their measurements:
  // the member, or staff who may see the member. 403/404 otherwise.
  Try<std::string> writable_member(const Caller& who, const std::string& user_id);
  // ... if the caller may read them: the member, admins, trainers while the member shares.
  Try<std::string> readable_member(const Caller& who, const std::string& user_id);
  // [from, to) of ?from=&to= (dates in the member's time zone, or RFC 3339 times).
  Try<std::pair<std::int64_t, std::int64_t>> span(RequestContext& ctx, const std::string& user_id);

  Platform& platform_;
  org::OrgDomain& org_;
  MeasurementStore store_;
};

}  // namespace spotter::cloud::measurements
