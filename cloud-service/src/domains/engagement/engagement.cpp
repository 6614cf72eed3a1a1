// The domain's reactions: what a visit, a training session and a record count for.
#include "engagement.hpp"

#include "../../core/dates.hpp"
#include "../org/events.hpp"
#include "../sessions/events.hpp"
#include "../training/events.hpp"
#include "events.hpp"

namespace spotter::cloud::engagement {

namespace {
std::optional<std::string> text_of(const Json& b, const char* name) {
  return b.contains(name) && b[name].is_string() ? std::optional<std::string>(b[name].get<std::string>()) : std::nullopt;
}
std::optional<std::int64_t> int_of(const Json& b, const char* name) {
  return b.contains(name) && b[name].is_number_integer() ? std::optional<std::int64_t>(b[name].get<std::int64_t>()) : std::nullopt;
}
double number_of(const Json& b, const char* name) { return b.contains(name) && b[name].is_number() ? b[name].get<double>() : 0.0; }
}  // namespace

void EngagementDomain::subscribe(EventBus& bus) {
  bus.on(sessions::events::kVisitStarted, [this](const Event& e) { return visit_started(e); });
  bus.on(sessions::events::kVisitEnded, [this](const Event& e) { return visit_ended(e); });
  bus.on(training::events::kSessionCompleted, [this](const Event& e) { return training_session_completed(e); });
  bus.on(training::events::kRecordImproved, [this](const Event& e) { return record_improved(e); });
  bus.on(org::events::kPrivacyChanged, [this](const Event& e) { return privacy_changed(e); });
  bus.on(org::events::kMemberErased, [this](const Event& e) { return store_.erase_member(e.body.value("user_id", ""), platform_.now_ms()); });
}

Status EngagementDomain::privacy_changed(const Event& e) {
  const auto user = text_of(e.body, "user_id");
  if (!user || !e.body.contains("show_on_leaderboards") || !e.body["show_on_leaderboards"].is_boolean()) return {};
  return social_.set_hidden_from_boards(*user, !e.body["show_on_leaderboards"].get<bool>(), platform_.now_ms());
}

Status EngagementDomain::count_for_challenges(const std::string& user_id, const std::vector<Activity>& activities, std::int64_t at) {
  auto reached = challenges_.count(user_id, activities, at);
  if (!reached) return Unexpected<Error>{reached.error()};
  for (const auto& r : *reached) SPOTTER_SQL(challenge_completed(user_id, r.challenge_id, r.name, r.reward_points, at));
  return {};
}

Status EngagementDomain::challenge_completed(const std::string& user_id, const std::string& challenge_id, const std::string& name,
                                             std::int64_t reward_points, std::int64_t at) {
  const std::string key = "challenge:" + challenge_id + ":" + user_id;
  auto member = org_.home_and_day(user_id, at);
  if (!member) return Unexpected<Error>{member.error()};
  if (reward_points > 0) SPOTTER_SQL(award({key, user_id, reward_points, "challenge", challenge_id, at}, member->home, member->day));
  platform_.outbox.notify(user_id, "challenge_completed", {{"challenge_id", challenge_id}, {"name", name}, {"reward_points", reward_points}});
  return to_feed(user_id, member->home, "challenge", challenge_id + ":" + user_id, {{"challenge_id", challenge_id}, {"name", name}}, at);
}

Status EngagementDomain::to_feed(const std::string& user_id, const std::optional<std::string>& home, const std::string& kind, const std::string& ref,
                                 const Json& payload, std::int64_t at) {
  return social_.add_item({0, user_id, kind, ref, home, dump_json(payload), at});
}

Status EngagementDomain::visit_started(const Event& e) {
  const auto visit = text_of(e.body, "session_id"), user = text_of(e.body, "user_id"), branch = text_of(e.body, "branch_id");
  const auto at = int_of(e.body, "started_at_ms");
  if (!visit || !user || !at) return {};
  auto counted = count_once("visit:" + *visit, *user, *at, EngagementStore::Counter::visits);
  if (!counted || !*counted) return counted ? Status{} : Status{Unexpected<Error>{counted.error()}};
  const auto& [day, home, progress] = **counted;
  // On the board of the branch visited, not the home branch's.
  SPOTTER_SQL(add_to_boards(branch, day, Metric::visits, *user, 1));
  SPOTTER_SQL(count_for_challenges(*user, {{"visits", 1}}, *at));
  return activity(*user, home, day, progress, *at);
}

Status EngagementDomain::visit_ended(const Event& e) {
  const auto visit = text_of(e.body, "session_id"), user = text_of(e.body, "user_id"), branch = text_of(e.body, "branch_id");
  const auto started = int_of(e.body, "started_at_ms"), ended = int_of(e.body, "ended_at_ms");
  if (!visit || !user || !started || !ended || !visit_earns_points(*started, *ended)) return {};
  auto day = org_.member_day(*user, *started);
  if (!day) return Unexpected<Error>{day.error()};
  // Once per day in the member's time zone: the day is the source, the visit its witness.
  return award({"visit_day:" + *user + ":" + format_date(*day), *user, kVisitPoints, "visit", *visit, *ended}, branch, *day);
}

Result<std::optional<EngagementDomain::Counted>> EngagementDomain::count_once(const std::string& key, const std::string& user, std::int64_t at,
                                                                             EngagementStore::Counter counter) {
  auto first = store_.first_time(key, at);
  if (!first) return Unexpected<Error>{first.error()};
  if (!*first) return std::optional<Counted>{};
  auto member = org_.home_and_day(user, at);
  if (!member) return Unexpected<Error>{member.error()};
  auto progress = store_.count(user, counter);
  if (!progress) return Unexpected<Error>{progress.error()};
  return std::optional<Counted>{Counted{member->day, member->home, *progress}};
}

Status EngagementDomain::training_session_completed(const Event& e) {
  const auto id = text_of(e.body, "training_session_id"), user = text_of(e.body, "user_id");
  const auto at = int_of(e.body, "completed_at_ms");
  if (!id || !user || !at) return {};
  const std::string key = "training_session:" + *id;
  auto counted = count_once(key, *user, *at, EngagementStore::Counter::training_sessions);
  if (!counted || !*counted) return counted ? Status{} : Status{Unexpected<Error>{counted.error()}};
  const auto& [day, home, progress] = **counted;
  const Json& summary = e.body.contains("summary") && e.body["summary"].is_object() ? e.body["summary"] : Json::object();
  const double volume = number_of(summary, "volume_kg");
  if (volume > 0) SPOTTER_SQL(add_to_boards(home, day, Metric::volume_kg, *user, volume));
  SPOTTER_SQL(award({key, *user, kTrainingSessionPoints, "training_session", *id, *at}, home, day));
  SPOTTER_SQL(to_feed(*user, home, "training_session", *id, {{"training_session_id", *id}, {"summary", summary}}, *at));
  std::vector<Activity> did{{"training_sessions", 1}};
  if (volume > 0) did.push_back({"volume_kg", volume});
  if (const double distance = number_of(summary, "distance_m"); distance > 0) did.push_back({"distance_m", distance});
  SPOTTER_SQL(count_for_challenges(*user, did, *at));
  return activity(*user, home, day, progress, *at);
}

Status EngagementDomain::record_improved(const Event& e) {
  const auto user = text_of(e.body, "user_id"), exercise = text_of(e.body, "exercise_id");
  const auto at = int_of(e.body, "at_ms");
  if (!user || !exercise || !at) return {};
  // One set can beat several records of its exercise (weight, 1RM, reps): one award for it.
  const std::string key = "record:" + *user + ":" + *exercise + ":" + std::to_string(*at);
  auto counted = count_once(key, *user, *at, EngagementStore::Counter::records);
  if (!counted || !*counted) return counted ? Status{} : Status{Unexpected<Error>{counted.error()}};
  const auto& [day, home, progress] = **counted;
  SPOTTER_SQL(award({key, *user, kRecordPoints, "record", *exercise, *at}, home, day));
  SPOTTER_SQL(to_feed(*user, home, "record", key, {{"exercise_id", *exercise}, {"kind", text_of(e.body, "kind").value_or("")}, {"value", number_of(e.body, "value")}}, *at));
  return achievements_reached(*user, home, progress, *at);
}

Status EngagementDomain::award(const LedgerRow& row, const std::optional<std::string>& branch_id, std::int64_t day) {
  auto balance = store_.add_points(row);
  if (!balance) return Unexpected<Error>{balance.error()};
  if (!*balance) return {};  // this source gave before
  SPOTTER_SQL(add_to_boards(branch_id, day, Metric::points, row.user_id, static_cast<double>(row.points)));
  return platform_.events.publish({events::kPointsAwarded,
                                   {{"user_id", row.user_id}, {"points", row.points}, {"reason", row.reason}, {"source_id", row.source_id}, {"balance", **balance}}});
}

Status EngagementDomain::activity(const std::string& user_id, const std::optional<std::string>& home, std::int64_t day, Progress progress,
                                  std::int64_t at) {
  const std::int64_t week = week_start(day);
  auto earlier = store_.active_weeks(user_id, week, 16);
  if (!earlier) return Unexpected<Error>{earlier.error()};
  // Written only when new: most activities fall in a week already active.
  std::vector<std::int64_t> weeks{week};
  if (!earlier->empty() && earlier->front() == week) weeks.clear();
  else SPOTTER_SQL(store_.add_active_week(user_id, week));
  weeks.insert(weeks.end(), earlier->begin(), earlier->end());
  progress.weeks_in_a_row = weeks_in_a_row(weeks, week);
  return achievements_reached(user_id, home, progress, at);
}

Status EngagementDomain::achievements_reached(const std::string& user_id, const std::optional<std::string>& home, const Progress& progress,
                                              std::int64_t at) {
  std::vector<std::string> ids;
  for (const Achievement* a : reached(progress)) ids.push_back(a->id);
  auto first = store_.earn(user_id, ids, at);
  if (!first) return Unexpected<Error>{first.error()};
  for (const auto& id : *first) {
    const Achievement* a = achievement(id);
    if (!a) continue;
    platform_.outbox.notify(user_id, "achievement", {{"achievement_id", a->id}, {"name", a->name}, {"description", a->description}});
    SPOTTER_SQL(to_feed(user_id, home, "achievement", user_id + ":" + a->id, achievement_json(*a), at));
    SPOTTER_SQL(platform_.events.publish({events::kAchievementEarned, {{"user_id", user_id}, {"achievement_id", a->id}, {"at_ms", at}}}));
  }
  return {};
}

Status EngagementDomain::add_to_boards(const std::optional<std::string>& branch_id, std::int64_t day, Metric metric, const std::string& user_id,
                                       double value) {
  if (!branch_id) return {};  // a user without a branch is on no board
  // Stamped with the service's clock, not the event's time: a visit replayed from a gateway
  // that was offline is a change now, and the rank cache reads changes by that stamp.
  const std::int64_t now = platform_.now_ms();
  return store_.add_to_boards(*branch_id, {period_key(Period::week, day), period_key(Period::month, day)}, metric, user_id, value, now);
}

}  // namespace spotter::cloud::engagement
