#include "org.hpp"

#include <cctype>

#include "../../core/dates.hpp"
#include "../../platform/responses.hpp"
#include "events.hpp"
#include "spotter/common/access_qr.hpp"

namespace spotter::cloud::org {

HttpResponse user_access_problem(UserAccess access) {
  return access == UserAccess::not_found ? not_found("user") : forbidden("this user is not yours to see or change");
}

std::string CalendarCache::key(std::string_view timezone, std::string_view opening_hours) {
  std::string k;
  k.reserve(timezone.size() + 1 + opening_hours.size());
  // A time zone name never holds a NUL, so the pair is recovered unambiguously.
  k.append(timezone).push_back('\0');
  k.append(opening_hours);
  return k;
}

std::shared_ptr<const BranchCalendar> CalendarCache::get(std::string_view timezone, std::string_view opening_hours) const {
  const std::string k = key(timezone, opening_hours);
  std::shared_lock lock(mu_);
  auto it = entries_.find(k);
  return it == entries_.end() ? nullptr : it->second;
}

void CalendarCache::put(std::string_view timezone, std::string_view opening_hours, std::shared_ptr<const BranchCalendar> calendar) {
  std::string k = key(timezone, opening_hours);
  std::unique_lock lock(mu_);
  if (entries_.size() >= 4096) entries_.clear();  // bounded: more calendars than any operator has branches
  entries_.insert_or_assign(std::move(k), std::move(calendar));
}

OrgDomain::OrgDomain(Platform& platform) : platform_(platform), store_(platform.db) {}

void OrgDomain::subscribe(EventBus& bus) {
  bus.on_live(events::kBranchImported, [this](const Event& e) { branches_.forget(e.body.value("branch_id", "")); });
  bus.on_live(events::kMemberChanged, [this](const Event& e) { homes_.forget(e.body.value("user_id", "")); });
  bus.on_live(events::kBranchChanged, [this](const Event& e) { branches_.forget(e.body.value("branch_id", "")); });
  bus.on_resync([this] {
    branches_.clear();
    homes_.clear();
  });
}

Result<std::optional<BranchRecord>> OrgDomain::branch(const std::string& id) {
  if (auto cached = branches_.get(id)) return std::optional<BranchRecord>{*cached};
  const auto generation = branches_.generation();
  auto row = store_.branch(id);
  if (!row) return Unexpected<Error>{row.error()};
  // Not from inside a transaction: it may hold a change whose event comes at its commit.
  if (*row && !platform_.db.in_transaction()) branches_.put(id, std::make_shared<const BranchRecord>(**row), generation);
  return row;
}

Result<std::shared_ptr<const BranchCalendar>> OrgDomain::home_calendar(const std::string& user_id) {
  auto home = home_branch(user_id);
  if (!home) return Unexpected<Error>{home.error()};
  if (!*home) return std::shared_ptr<const BranchCalendar>{};
  return calendar(**home);
}

Result<std::optional<std::string>> OrgDomain::home_branch(const std::string& user_id) {
  if (auto cached = homes_.get(user_id)) return *cached;
  const auto generation = homes_.generation();
  auto home = store_.home_branch_of(user_id);
  if (!home) return Unexpected<Error>{home.error()};
  if (!*home) return std::optional<std::string>{};  // no such user: not kept
  // Kept once the read is committed: inside a transaction that changes the member, it may
  // be a value that rolls back (then the hook is dropped), and the change's own event
  // comes after this hook and forgets it.
  auto kept = std::make_shared<const std::optional<std::string>>(**home);
  platform_.db.after_commit([this, user_id, kept, generation] { homes_.put(user_id, kept, generation); });
  return **home;
}

Result<std::int64_t> OrgDomain::member_day(const std::string& user_id, std::int64_t at_ms) {
  auto both = home_and_day(user_id, at_ms);
  if (!both) return Unexpected<Error>{both.error()};
  return both->day;
}

Result<OrgDomain::HomeDay> OrgDomain::home_and_day(const std::string& user_id, std::int64_t at_ms) {
  auto home = home_branch(user_id);
  if (!home) return Unexpected<Error>{home.error()};
  std::shared_ptr<const BranchCalendar> own;
  if (*home) {
    auto c = calendar(**home);
    if (!c) return Unexpected<Error>{c.error()};
    own = *c;
  }
  static const auto utc = load_time_zone("UTC");
  if (!own && !utc) return fail(std::string(sql_error::sql), "the UTC time zone is missing (package tzdata)");
  const TimeZone& zone = own ? own->zone() : **utc;
  const auto local = zone.to_local(WallTime{std::chrono::milliseconds(at_ms)});
  return HomeDay{*home, days_from_civil(local.year, static_cast<unsigned>(local.month), static_cast<unsigned>(local.day))};
}

Result<std::optional<std::int64_t>> OrgDomain::branch_day(const std::string& branch_id, std::int64_t at_ms) {
  auto calendar = this->calendar(branch_id);
  if (!calendar) return Unexpected<Error>{calendar.error()};
  if (!*calendar) return std::optional<std::int64_t>{};
  const auto local = (*calendar)->zone().to_local(WallTime{std::chrono::milliseconds(at_ms)});
  return std::optional<std::int64_t>{days_from_civil(local.year, static_cast<unsigned>(local.month), static_cast<unsigned>(local.day))};
}

Result<std::shared_ptr<const BranchCalendar>> OrgDomain::calendar(const std::string& branch_id) {
  auto branch = this->branch(branch_id);
  if (!branch) return Unexpected<Error>{branch.error()};
  if (!*branch) return std::shared_ptr<const BranchCalendar>{};
  const auto& b = **branch;
  if (auto cached = calendars_.get(b.timezone, b.opening_hours)) return cached;
  auto zone = load_time_zone(b.timezone);
  auto hours_json = parse_json_strict(b.opening_hours);
  if (!zone || !hours_json) return fail(std::string(sql_error::sql), "stored branch calendar unreadable");
  auto hours = OpeningHours::from_json(*hours_json);
  if (!hours) return fail(std::string(sql_error::sql), "stored opening hours unreadable");
  auto calendar = std::make_shared<const BranchCalendar>(*zone, std::move(*hours));
  calendars_.put(b.timezone, b.opening_hours, calendar);
  return calendar;
}

Result<Entry> OrgDomain::entry(const std::string& user_id, const std::string& branch_id, std::int64_t now_ms) {
  auto current = store_.memberships_at(user_id, branch_id, now_ms);
  if (!current) return Unexpected<Error>{current.error()};
  return entry_decision(*current);
}

Result<UserAccess> OrgDomain::user_access(const Caller& caller, const std::string& user_id) {
  auto home = store_.home_branch_of(user_id);
  if (!home) return Unexpected<Error>{home.error()};
  if (!*home) return caller.is_staff() ? UserAccess::not_found : UserAccess::forbidden;
  if (caller.role == Role::admin) return UserAccess::ok;
  if (caller.role != Role::trainer) return caller.id == user_id ? UserAccess::ok : UserAccess::forbidden;
  if (const auto& h = **home; h && caller.branch_ids.count(*h)) return UserAccess::ok;
  auto subscribed = store_.subscribed_at_any(user_id, caller.branch_ids);
  if (!subscribed) return Unexpected<Error>{subscribed.error()};
  return *subscribed ? UserAccess::ok : UserAccess::forbidden;
}

std::optional<CredentialRef> read_credential(const char* name, Fields& f) {
  const Json* raw = f.raw(name);
  if (!raw || raw->is_null()) return std::nullopt;
  const std::string field(name);
  auto nfc = [&](const std::string& text, const std::string& at) -> std::optional<CredentialRef> {
    if (auto uid = normalized_uid(text)) return CredentialRef{"nfc", *uid};
    f.add_error(at, "must be a 4, 7 or 10 byte UID in hex");
    return std::nullopt;
  };
  if (raw->is_string()) {
    const auto& text = raw->get_ref<const std::string&>();
    if (text.empty() || text.size() > 4096) return f.add_error(field, "must be 1 to 4096 characters"), std::nullopt;
    if (text.find('.') != std::string::npos) return CredentialRef{"qr", text};
    return nfc(text, field);
  }
  if (!raw->is_object()) return f.add_error(field, "must be {kind, uid | payload | credential_id} or a string"), std::nullopt;
  Fields c(*raw);
  const std::string kind = c.choice("kind", {"nfc", "qr", "fingerprint"});
  std::optional<CredentialRef> out;
  if (kind == "nfc") {
    const std::string uid = c.text("uid", 32);
    if (!uid.empty()) out = nfc(uid, field + ".uid");
  } else if (kind == "qr") {
    const std::string payload = c.text("payload", 4096);
    if (!payload.empty()) out = CredentialRef{"qr", payload};
  } else if (kind == "fingerprint") {
    const std::string id = c.id("credential_id");
    if (!id.empty()) out = CredentialRef{"fingerprint", id};
  }
  for (const auto& e : c.errors()) f.add_error(field + "." + e.field, e.message);
  return c.ok() ? out : std::nullopt;
}

Try<std::string> OrgDomain::resolve_credential(const CredentialRef& credential) {
  if (credential.kind == "qr") {
    auto claims = access_qr::verify(credential.value, platform_.keys().qr, platform_.clock);
    if (!claims) return Unexpected<HttpResponse>{validation_problem({{"credential", "is not a valid, unexpired access QR code"}})};
    // Single use, as at the door: a screenshot passed on does not work twice.
    if (auto used = store_.use_qr(claims->jti, platform_.now_ms()); !used) {
      if (used.error().code == sql_error::conflict)
        return Unexpected<HttpResponse>{validation_problem({{"credential", "this access QR code was already used"}})};
      return storage_error(platform_.log, used.error(), "QR replay cache");
    }
    return claims->member_id;
  }
  // A fingerprint is named by its credential's id (the reader matched the template); a
  // card by its UID. Either must be an active credential of that kind.
  auto owner = credential.kind == "fingerprint" ? store_.credential_owner(credential.value, "fingerprint") : store_.card_owner(credential.value);
  SPOTTER_TRY(found, checked(platform_.log, std::move(owner), "credential"));
  if (!found) return reject(404, "unknown-credential", "no active credential matches");
  return *found;
}

Result<OrgStore::ImportCounts> OrgDomain::import_branch(const std::string& branch_id, const Json& doc) {
  OrgStore::ImportCounts counts;
  auto tx = platform_.db.transaction([&]() -> Status {
    auto imported = store_.import_people(branch_id, doc, platform_.now_ms());
    if (!imported) return Unexpected<Error>{imported.error()};
    counts = *imported;
    return platform_.events.publish(events::branch_imported(branch_id));
  });
  if (!tx) return Unexpected<Error>{tx.error()};
  return counts;
}

Status OrgDomain::member_changed(const std::string& user_id) { return platform_.events.publish(events::member_changed(user_id)); }

Result<int> OrgDomain::expire_subscriptions() {
  const std::int64_t now = platform_.now_ms();
  auto due = store_.subscriptions_due(now);
  if (!due) return Unexpected<Error>{due.error()};
  int changed = 0;
  for (const auto& [id, user_id] : *due) {
    bool expired = false;
    auto tx = platform_.db.transaction([&]() -> Status {
      auto marked = store_.mark_expired(id, now);
      if (!marked) return Unexpected<Error>{marked.error()};
      expired = *marked;
      return expired ? member_changed(user_id) : Status{};
    });
    if (!tx) return Unexpected<Error>{tx.error()};
    if (expired) {
      ++changed;
      platform_.outbox.notify(user_id, "subscription_expired", {{"subscription_id", id}});
    }
  }
  return changed;
}

void OrgDomain::jobs(JobTable& table) {
  table.add("subscription_expiry", [this] { return expire_subscriptions(); });
  // People from before the desk's search, and imported ones, get their search keys.
  table.add("index_people", [this] { return index_people(); });
}

}  // namespace spotter::cloud::org
