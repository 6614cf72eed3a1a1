// The chain's organisation (seed 002): branches with their calendars, people (staff and
// members), membership plans, subscriptions, and credentials (NFC cards, the rotating
// access QR). Other domains ask it through the public methods below; its events are in
// events.hpp.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "../../core/fields.hpp"
#include "../../platform/platform.hpp"
#include "spotter/common/opening_hours.hpp"
#include "store.hpp"

namespace spotter::cloud::org {

enum class UserAccess { ok, not_found, forbidden };
HttpResponse user_access_problem(UserAccess access);

// Branch calendars parsed from their stored form (time zone name, opening-hours JSON),
// keyed by that text rather than by branch: the database stays the only source of truth,
// a branch whose hours change misses once, and nothing needs invalidating on any
// instance. Bounded; thread-safe.
class CalendarCache {
 public:
  std::shared_ptr<const BranchCalendar> get(std::string_view timezone, std::string_view opening_hours) const;
  void put(std::string_view timezone, std::string_view opening_hours, std::shared_ptr<const BranchCalendar> calendar);

 private:
  static std::string key(std::string_view timezone, std::string_view opening_hours);
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const BranchCalendar>> entries_;
};

// Rows by id kept in memory (every visit start reads its branch, every engagement reaction
// the member's home): an entry is dropped on every instance when org publishes a change to
// it (live), and all of them after the change feed was interrupted. Only rows that exist
// are kept. A row read before a change was forgotten is not kept (the generation moved
// meanwhile). Bounded (emptied when full); thread-safe.
template <class Row>
class KeptById {
 public:
  explicit KeptById(std::size_t bound) : bound_(bound) {}
  std::shared_ptr<const Row> get(const std::string& id) const {
    std::shared_lock lock(mu_);
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second;
  }
  std::uint64_t generation() const { return generation_.load(); }
  // Kept only if nothing was forgotten since `generation` was read.
  void put(const std::string& id, std::shared_ptr<const Row> row, std::uint64_t generation) {
    std::unique_lock lock(mu_);
    if (generation != generation_.load()) return;
    if (entries_.size() >= bound_) entries_.clear();
    entries_.insert_or_assign(id, std::move(row));
  }
  void forget(const std::string& id) {
    std::unique_lock lock(mu_);
    ++generation_;
    entries_.erase(id);
  }
  void clear() {
    std::unique_lock lock(mu_);
    ++generation_;
    entries_.clear();
  }

 private:
  const std::size_t bound_;
  mutable std::shared_mutex mu_;
  std::atomic<std::uint64_t> generation_{0};
  std::unordered_map<std::string, std::shared_ptr<const Row>> entries_;
};

// A member's credential as a request carries it (cloud-api-2.md "General additions"): the
// firmware protocol's object {"kind": "nfc", "uid"} | {"kind": "qr", "payload"} |
// {"kind": "fingerprint", "credential_id"}, or a plain string as shorthand (an NFC UID, or
// an access QR payload: it has dots).
struct CredentialRef {
  std::string kind;   // nfc, qr, fingerprint
  std::string value;  // the UID (normalized), the payload, or the credential id
};
// Reads the field `name` if present; bad parts are named in `f` ("credential.uid", ...).
std::optional<CredentialRef> read_credential(const char* name, Fields& f);

class OrgDomain final : public Domain {
 public:
  explicit OrgDomain(Platform& platform);
  std::string_view name() const override { return "org"; }
  std::vector<Migration> migrations() const override { return OrgStore::migrations(); }
  void routes(RouteTable& table) override;
  void jobs(JobTable& table) override;
  void subscribe(EventBus& bus) override;

  // --- for other domains -------------------------------------------------------------
  Result<std::optional<BranchRecord>> branch(const std::string& id);
  // The branch's calendar as stored now; null when there is no such branch.
  Result<std::shared_ptr<const BranchCalendar>> calendar(const std::string& branch_id);
  // The member's own calendar, for dates "in the member's time zone": their home branch's;
  // null for a user without a home branch (or no such user).
  Result<std::shared_ptr<const BranchCalendar>> home_calendar(const std::string& user_id);
  // The member's home branch; nullopt without one (or no such user).
  Result<std::optional<std::string>> home_branch(const std::string& user_id);
  // Days since 1970-01-01 of an instant in the branch's time zone; nullopt when there is
  // no such branch.
  Result<std::optional<std::int64_t>> branch_day(const std::string& branch_id, std::int64_t at_ms);
  // Days since 1970-01-01 of an instant in the member's time zone (their home branch's; UTC
  // without one).
  Result<std::int64_t> member_day(const std::string& user_id, std::int64_t at_ms);
  // Both at once (one read of the member), for reactions that need the two.
  struct HomeDay {
    std::optional<std::string> home;
    std::int64_t day = 0;
  };
  Result<HomeDay> home_and_day(const std::string& user_id, std::int64_t at_ms);
  // Users' full names by id, for lists that show people (ids not found are left out).
  Result<std::map<std::string, std::string>> display_names(const std::vector<std::string>& ids) { return store_.full_names(ids); }
  Result<Privacy> privacy(const std::string& user_id) { return store_.privacy(user_id); }
  // Whether the member's current subscriptions let them into the branch now.
  Result<Entry> entry(const std::string& user_id, const std::string& branch_id, std::int64_t now_ms);
  // Members: themselves. Trainers: users whose home branch is theirs or whose
  // subscription opens one of their branches. Admins: everyone.
  Result<UserAccess> user_access(const Caller& caller, const std::string& user_id);
  // The member a credential names: an NFC UID, or an access QR payload verified with the
  // QR key (single use, as at the door). A 400/404 answer when it names nobody.
  Try<std::string> resolve_credential(const CredentialRef& credential);
  Result<bool> user_exists(const std::string& user_id) {
    auto home = store_.home_branch_of(user_id);
    if (!home) return Unexpected<Error>{home.error()};
    return home->has_value();
  }
  Result<std::optional<Account>> account(const std::string& user_id, std::int64_t now_ms) { return store_.account(user_id, now_ms); }
  Result<std::optional<LoginRecord>> login_record(const std::string& email) { return store_.login_record(email); }
  Result<std::optional<Json>> user_view(const std::string& id) { return store_.user(id); }
  Status create_user(const NewUser& user) { return store_.insert_user(user, platform_.now_ms()); }
  Status set_password_hash(const std::string& user_id, const std::string& hash) { return store_.set_password_hash(user_id, hash, platform_.now_ms()); }
  Result<std::optional<std::string>> role_of_email(const std::string& email) { return store_.user_role(email); }
  // What a branch's gateway replica holds of the branch and its people.
  // Fingerprint templates come opened (fingerprints.cpp): the gateway seals each for the
  // door it sends it to.
  Result<Json> replica_people(const std::string& branch_id, const std::optional<std::string>& one);
  Result<OrgStore::ImportCounts> import_branch(const std::string& branch_id, const Json& doc);

 private:
  HttpResponse create_branch(RequestContext& ctx);
  HttpResponse list_branches(RequestContext& ctx);
  HttpResponse get_branch(RequestContext& ctx);
  HttpResponse update_branch(RequestContext& ctx);
  // Plans (plans.cpp).
  void plan_routes(RouteTable& t);
  HttpResponse create_plan(RequestContext& ctx);
  HttpResponse list_plans(RequestContext& ctx);
  HttpResponse get_plan(RequestContext& ctx);
  HttpResponse update_plan(RequestContext& ctx);
  // Subscriptions (subscriptions.cpp).
  void subscription_routes(RouteTable& t);
  HttpResponse create_subscription(RequestContext& ctx);
  HttpResponse renew_subscription(RequestContext& ctx);
  HttpResponse list_subscriptions(RequestContext& ctx);
  HttpResponse set_suspended(RequestContext& ctx, bool suspend);
  HttpResponse user_subscriptions(RequestContext& ctx);
  // Sells `plan` to `user_id` from `start` (create and renew): the sale rules, then one
  // transaction. `price` overrides the plan's price.
  HttpResponse sell(RequestContext& ctx, const std::string& user_id, const PlanRecord& plan, std::int64_t start, std::optional<std::int64_t> price,
                    const std::optional<std::string>& renews);
  HttpResponse create_user_route(RequestContext& ctx);
  HttpResponse search_users(RequestContext& ctx);
  HttpResponse get_user(RequestContext& ctx);
  HttpResponse update_user(RequestContext& ctx);  // user_updates.cpp
  // Fills search keys of people who have none (job "index people").
  Result<int> index_people();
  HttpResponse add_credential(RequestContext& ctx);
  HttpResponse add_fingerprint(RequestContext& ctx, Fields& f);
  HttpResponse erase_user(RequestContext& ctx);
  HttpResponse erase_me(RequestContext& ctx);
  HttpResponse erase(RequestContext& ctx, const std::string& user_id);
  HttpResponse list_credentials(RequestContext& ctx);
  HttpResponse delete_credential(RequestContext& ctx);
  HttpResponse access_qr_for_me(RequestContext& ctx);
  HttpResponse get_privacy(RequestContext& ctx);
  HttpResponse update_privacy(RequestContext& ctx);
  Result<int> expire_subscriptions();
  Json subscription_json(const SubscriptionRecord& s) const;
  Status member_changed(const std::string& user_id);

  Platform& platform_;
  OrgStore store_;
  CalendarCache calendars_;
  KeptById<BranchRecord> branches_{10'000};                // more than any chain has branches
  KeptById<std::optional<std::string>> homes_{200'000};  // members' home branches
  // index_people()'s place (job thread only).
  std::string index_after_;
  bool people_indexed_ = false;
};

}  // namespace spotter::cloud::org
