// Every SQL statement of the org domain: branches, people (users, trainer branches),
// membership plans, subscriptions, credentials and the QR replay cache. Methods return
// the records as the API shows them (JSON) or as the rules need them. Thread-safe.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../../core/authz.hpp"
#include "rules.hpp"
#include "spotter/cloud/storage.hpp"
#include "spotter/common/json.hpp"

namespace spotter::cloud::org {

struct BranchRecord {
  std::string id, name, timezone, opening_hours;  // opening_hours as stored (JSON text)
  std::int64_t created_at = 0;
  std::string currency = "EUR";  // ISO 4217
  bool active = true;            // an inactive branch opens no door and starts no visit
};

struct PlanRecord {
  std::string id, name;
  std::int64_t price_cents = 0, duration_days = 0;
  std::vector<std::string> branch_ids;  // none: every branch
  bool active = true;                   // an inactive plan is not sold
  std::int64_t created_at = 0;
};

// A user as org keeps them (the API's user object: user_json()).
struct Person {
  std::string id, email, full_name, role, status;  // status: active | suspended
  std::optional<std::string> home_branch_id, phone, document_id;
  std::vector<std::string> branch_ids;  // trainers: where they work
  std::int64_t created_at = 0;
};
Json user_json(const Person& p);
// "id, email, ..." and the Person of such a row (without branch_ids).
extern const char* const kPersonColumns;
Person person_of(const SqlRow& r);

struct NewUser {
  std::string id, email, full_name, role;
  std::optional<std::string> password_hash, home_branch_id, phone, document_id;
  std::vector<std::string> branch_ids;  // trainers
};

struct UserSearch {
  std::string email, phone, document_id, role;
  std::string prefix;  // folded (search_fold): a prefix of a name, email, phone or document id
  std::optional<std::set<std::string, std::less<>>> within_branches;  // trainers: only their branches' people
  std::string after;
  std::int64_t limit = 50;
};

struct SubscriptionRecord {
  std::string id, user_id, plan_id, status;
  std::int64_t starts_at = 0, expires_at = 0, created_at = 0;
  std::optional<std::int64_t> price_cents;  // what was paid (null only for rows older than prices)
  std::optional<std::string> sold_by, renews;
};

struct SubscriptionFilter {
  std::optional<std::set<std::string, std::less<>>> opening;  // plans opening one of these (a plan listing none opens all)
  std::string status;                                         // as shown: active | suspended | expired; empty: any
  std::optional<std::int64_t> expiring_before;                // active ones ending before this
  std::int64_t now = 0;
  std::string after;
  std::int64_t limit = 50;
};

// What authentication needs to know of an account to build its Caller.
struct Account {
  std::string role;
  std::optional<std::string> home_branch_id;
  std::set<std::string, std::less<>> branch_ids;  // trainer: where they work; member: what current subscriptions open
  bool all_branches = false;                      // member with a current plan that lists no branches
  bool suspended = false;                         // status suspended: signed out, no door opens
};

struct LoginRecord {
  std::string id;
  std::optional<std::string> password_hash;
  bool suspended = false;
};

// A member's privacy switches; all true unless they changed them.
struct Privacy {
  bool share_measurements_with_trainers = true, show_on_leaderboards = true, allow_buddy_requests = true;
};

// plan_opens() in SQL, for a subscription aliased `s` and an IN list of `n` branches: its
// plan lists one of them, or lists none.
std::string subscription_opens_any(std::size_t n);

class OrgStore {
 public:
  explicit OrgStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  // Branches
  Status insert_branch(const BranchRecord& b);
  Result<std::optional<BranchRecord>> branch(const std::string& id);
  Result<std::vector<BranchRecord>> branches(const std::string& after, std::int64_t limit, bool with_inactive);
  Result<bool> branches_exist(const std::vector<std::string>& ids);
  Status update_branch(const BranchRecord& b, std::int64_t now);  // every field but id and created_at

  // Plans and subscriptions
  Status insert_plan(const std::string& id, const std::string& name, std::int64_t price_cents, std::int64_t days,
                     const std::set<std::string>& branch_ids, std::int64_t now);
  Result<Json> plans(const std::string& after, std::int64_t limit, bool with_inactive);
  Result<std::optional<PlanRecord>> plan(const std::string& id);
  Status update_plan(const PlanRecord& p, std::int64_t now);  // every field but id and created_at; its branches replaced
  // plan id -> its branch ids (sorted); a plan that lists none is absent.
  Result<std::map<std::string, std::vector<std::string>>> plan_branch_ids(const std::vector<std::string>& plan_ids);
  Status insert_subscription(const SubscriptionRecord& s, std::int64_t now);
  Result<std::optional<SubscriptionRecord>> subscription(const std::string& id);
  Result<std::vector<SubscriptionRecord>> subscriptions_of(const std::string& user_id, const std::string& after, std::int64_t limit);
  Result<std::vector<SubscriptionRecord>> subscriptions(const SubscriptionFilter& filter);
  Status set_subscription_status(const std::string& id, const std::string& status, std::int64_t now);
  // Started and unexpired subscriptions (active or suspended), and whether each opens the branch.
  Result<std::vector<MembershipAtBranch>> memberships_at(const std::string& user_id, const std::string& branch_id, std::int64_t now);
  // Not yet marked expired, though their time is over: (subscription id, user id).
  Result<std::vector<std::pair<std::string, std::string>>> subscriptions_due(std::int64_t now);
  // True when it was active or suspended and is now marked expired.
  Result<bool> mark_expired(const std::string& id, std::int64_t now);

  // People
  Status insert_user(const NewUser& u, std::int64_t now);
  Result<std::optional<Json>> user(const std::string& id);  // with branch_ids
  Result<std::optional<Person>> person(const std::string& id);
  // Every field but id, email and created_at; trainer branches replaced, search keys too.
  Status update_person(const Person& p, std::int64_t now);
  // Erasure: the row stays under its id (sessions and sales point at it) with its personal
  // fields cleared, no password, suspended; their credentials, search keys, privacy switches
  // and branches go; their subscriptions end now. Returns the email it had (audit entries
  // name people by it). Call inside a transaction.
  Result<std::string> erase_person(const std::string& user_id, std::int64_t now);
  Result<std::optional<std::string>> password_hash_of(const std::string& user_id);
  // The keys the desk finds this person by (rules_people.hpp), replaced.
  Status set_search_keys(const std::string& user_id, const std::vector<std::string>& keys);
  // People after `after` (by id) without search keys yet (from before the keys): at most `limit`.
  Result<std::vector<Person>> people_without_search_keys(const std::string& after, std::int64_t limit);
  Result<Json> search_users(const UserSearch& search);
  // nullopt: no such user; else its home branch (may be empty).
  Result<std::optional<std::optional<std::string>>> home_branch_of(const std::string& user_id);
  Result<std::map<std::string, std::string>> full_names(const std::vector<std::string>& ids);
  Result<Privacy> privacy(const std::string& user_id);
  Status set_privacy(const std::string& user_id, const Privacy& p, std::int64_t now);
  // Whether any subscription of the user opens one of `branches`.
  Result<bool> subscribed_at_any(const std::string& user_id, const std::set<std::string, std::less<>>& branches);
  Result<std::optional<LoginRecord>> login_record(const std::string& email);
  Result<std::optional<Account>> account(const std::string& user_id, std::int64_t now);
  Status set_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now);
  Result<std::optional<std::string>> user_role(const std::string& email);

  // Credentials
  Status insert_credential(const std::string& id, const std::string& user_id, const std::string& kind, const std::string& uid, std::int64_t now);
  // `sealed`: the template as OrgDomain sealed it (base64); never read back by a route.
  Status insert_fingerprint(const std::string& id, const std::string& user_id, const std::string& finger, const std::string& sealed,
                            std::int64_t now);
  Result<bool> revoke_credential(const std::string& user_id, const std::string& credential_id, std::int64_t now);
  Result<Json> credentials_of(const std::string& user_id);
  Result<std::optional<std::string>> card_owner(const std::string& uid);
  // The owner of the active credential with this id and kind.
  Result<std::optional<std::string>> credential_owner(const std::string& id, const std::string& kind);
  // Records a QR code's jti as used: sql_error::conflict when it was already.
  Status use_qr(const std::string& jti, std::int64_t now);

  // What a branch's gateway replica holds of people: {members, memberships, cards} for the
  // branch's members (home there, or an unexpired subscription opening it), or just `one`.
  Result<Json> replica_people(const std::string& branch_id, const std::optional<std::string>& one, std::int64_t now);

  // `spotter-cloud import`: upserts one branch with its members, memberships and cards.
  struct ImportCounts {
    std::size_t members = 0, subscriptions = 0, cards = 0;
  };
  Result<ImportCounts> import_people(const std::string& branch_id, const Json& doc, std::int64_t now);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::org
