// Engagement (seed 003; cloud-api-2.md "Engagement"): points, achievements and leaderboards,
// counted from what the other domains publish (visits started and ended, training sessions
// completed, records improved), never from their tables. Each event is counted once and each
// source gives points once, by constraints, so an event seen twice, replayed, or handled by
// two instances changes nothing the second time. Asks org for the member's calendar, home
// branch and names. docs/engagement.md.
#pragma once
#include "../../platform/platform.hpp"
#include "../org/org.hpp"
#include "rules.hpp"
#include "challenge_store.hpp"
#include "rank_cache.hpp"
#include "social_store.hpp"
#include "store.hpp"

namespace spotter::cloud::engagement {

class EngagementDomain final : public Domain {
 public:
  EngagementDomain(Platform& platform, org::OrgDomain& org) : platform_(platform), org_(org), store_(platform.db), social_(platform.db), challenges_(platform.db) {}
  std::string_view name() const override { return "engagement"; }
  std::vector<Migration> migrations() const override {
    auto all = EngagementStore::migrations();
    for (auto& m : SocialStore::migrations()) all.push_back(std::move(m));
    for (auto& m : ChallengeStore::migrations()) all.push_back(std::move(m));
    return all;
  }
  void routes(RouteTable& table) override;
  void subscribe(EventBus& bus) override;

 private:
  // Reactions, in the publisher's transaction (engagement.cpp).
  Status visit_started(const Event& e);
  Status visit_ended(const Event& e);
  Status training_session_completed(const Event& e);
  Status record_improved(const Event& e);
  Status privacy_changed(const Event& e);
  // An activity for the member's running challenges; rewards and feed for those it completes.
  Status count_for_challenges(const std::string& user_id, const std::vector<Activity>& activities, std::int64_t at);
  Status challenge_completed(const std::string& user_id, const std::string& challenge_id, const std::string& name, std::int64_t reward_points,
                             std::int64_t at);
  // Something worth showing the member's buddies (once per kind and ref).
  Status to_feed(const std::string& user_id, const std::optional<std::string>& home, const std::string& kind, const std::string& ref, const Json& payload, std::int64_t at);
  // The first time `key` is seen: the member's day and home branch, and `counter` counted.
  struct Counted {
    std::int64_t day = 0;
    std::optional<std::string> home;
    Progress progress;
  };
  Result<std::optional<Counted>> count_once(const std::string& key, const std::string& user, std::int64_t at, EngagementStore::Counter counter);
  // Points into the ledger and the balance, once per source; on the branch's boards.
  Status award(const LedgerRow& row, const std::optional<std::string>& branch_id, std::int64_t day);
  // An activity counted: the member's active week, then what it reached.
  Status activity(const std::string& user_id, const std::optional<std::string>& home, std::int64_t day, Progress progress, std::int64_t at);
  Status achievements_reached(const std::string& user_id, const std::optional<std::string>& home, const Progress& progress, std::int64_t at);
  Status add_to_boards(const std::optional<std::string>& branch_id, std::int64_t day, Metric metric, const std::string& user_id, double value);

  // Routes (routes.cpp).
  HttpResponse my_points(RequestContext& ctx);
  HttpResponse achievement_catalogue(RequestContext& ctx);
  HttpResponse my_achievements(RequestContext& ctx);
  HttpResponse leaderboard(RequestContext& ctx);
  // Rewards (rewards.cpp).
  void reward_routes(RouteTable& table);
  HttpResponse create_reward(RequestContext& ctx);
  HttpResponse list_rewards(RequestContext& ctx);
  HttpResponse redeem(RequestContext& ctx);
  HttpResponse my_redemptions(RequestContext& ctx);
  HttpResponse get_redemption(RequestContext& ctx);
  HttpResponse hand_out_redemption(RequestContext& ctx);
  // Buddies, blocks, feed and moderation (social.cpp).
  void social_routes(RouteTable& table);
  HttpResponse ask_buddy(RequestContext& ctx);
  HttpResponse answer_request(RequestContext& ctx, bool accept);
  HttpResponse list_buddies(RequestContext& ctx);
  HttpResponse remove_buddy(RequestContext& ctx);
  HttpResponse block_user(RequestContext& ctx);
  HttpResponse unblock_user(RequestContext& ctx);
  HttpResponse feed(RequestContext& ctx);
  HttpResponse report_item(RequestContext& ctx);
  HttpResponse open_reports(RequestContext& ctx);
  HttpResponse hide_reported(RequestContext& ctx);
  // Challenges (challenges.cpp).
  void challenge_routes(RouteTable& table);
  HttpResponse create_challenge(RequestContext& ctx);
  HttpResponse join_challenge(RequestContext& ctx);
  HttpResponse get_challenge(RequestContext& ctx);
  HttpResponse my_challenges(RequestContext& ctx);
  // Whether the caller may join (and see) it: staff challenges for the branch's members, a
  // member's for their buddies.
  Try<bool> may_join(const Caller& who, const Challenge& c);

  Platform& platform_;
  org::OrgDomain& org_;
  EngagementStore store_;
  SocialStore social_;
  ChallengeStore challenges_;
  RankCache ranks_{RankCache::Options{}};
};

}  // namespace spotter::cloud::engagement
